//! `/api/client/serviceboxbillinglicense/reset`: asks the BoxBilling partner API to reset the
//! licence of the caller's order (by the partner's order id, which BoxBilling forgot to send).

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::service::boxbillinglicense::PartnerLicenseService;
use bb_core::domain::service::staff::{self, ModuleAccess};
use bb_core::domain::service::{self, Lookup, OrderRef};
use bb_core::prelude::*;
use bb_integrations::partner::Partner;

pub fn module() -> Module {
    Module::new("serviceboxbillinglicense")
        .summary("partner licence reset")
        .external_calls()
        .method(Access::Write, "reset", reset)
}

#[derive(Params)]
struct ResetParams {
    order_id: Option<OrderRef>,
}

async fn reset(ctx: ClientCtx, p: ResetParams) -> ApiResult<bool> {
    let lookup = Lookup::Extension {
        not_found: "BoxBilling license order not found",
        not_activated_with_id: false,
    };
    let found =
        service::find::<PartnerLicenseService>(ctx.store(), ctx.client_id, p.order_id, "boxbillinglicense", lookup)
            .await?;
    let oid = found
        .service
        .oid
        .clone()
        .filter(|o| !o.is_empty())
        .ok_or_else(|| ApiError::new("Order is not activated"))?;
    let access = staff::load::<ModuleAccess>(ctx.store(), &ctx.app.sealer, "boxbillinglicense").await?;
    Partner::new(access.as_ref(), ctx.app.outbound.as_ref())?
        .call("partner_order_reset", &[("order_id", &oid)])
        .await?;
    let line = format!("Reset license information. Order ID #{}", found.order.id);
    service::commit(ctx.store(), &ctx.origin(), &found, None, line).await?;
    Ok(true)
}
