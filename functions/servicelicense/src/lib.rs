//! `/api/client/servicelicense/reset`: forgets the IPs, hosts, paths and versions a licence has
//! been seen with, so the next licence check learns them again.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::service::license::LicenseService;
use bb_core::domain::service::{self, Lookup, OrderRef};
use bb_core::prelude::*;

pub fn module() -> Module {
    Module::new("servicelicense")
        .summary("forgets where a licence was seen")
        .method(Access::Write, "reset", reset)
}

#[derive(Params)]
struct ResetParams {
    order_id: Option<OrderRef>,
}

async fn reset(ctx: ClientCtx, p: ResetParams) -> ApiResult<bool> {
    // This module checks the id strictly, as BoxBilling does: blank text is missing too.
    let blank = match ctx.params.get("order_id") {
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    };
    if blank {
        return Err(ApiError::new("Order id is required"));
    }
    let found =
        service::find::<LicenseService>(ctx.store(), ctx.client_id, p.order_id, "license", Lookup::Core).await?;
    let mut forgotten = found.service.clone();
    forgotten.ips.clear();
    forgotten.hosts.clear();
    forgotten.paths.clear();
    forgotten.versions.clear();
    let line = format!("Reset license {} information", found.service.id);
    service::commit(ctx.store(), &ctx.origin(), &found, Some(&forgotten), line).await?;
    Ok(true)
}
