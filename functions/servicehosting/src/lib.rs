//! `/api/client/servicehosting/*`: a hosting account's username, domain and password, changed
//! on the server's control panel first and recorded after it agreed.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::service::hosting::HostingService;
use bb_core::domain::service::staff::{self, HostingPlan, HostingServer};
use bb_core::domain::service::{self, Found, Lookup, OrderRef};
use bb_core::prelude::*;
use bb_integrations::panel::{self, Account, Panel};

pub fn module() -> Module {
    Module::new("servicehosting")
        .summary("hosting account changes on the control panel")
        .external_calls()
        .method(Access::Write, "change_username", change_username)
        .method(Access::Write, "change_domain", change_domain)
        .method(Access::Sensitive, "change_password", change_password)
        .method(Access::Read, "hp_get_pairs", hp_get_pairs)
}

async fn find(ctx: &ClientCtx, order_id: Option<OrderRef>) -> ApiResult<Found<HostingService>> {
    service::find(ctx.store(), ctx.client_id, order_id, "hosting", Lookup::Core).await
}

/// The account's panel and the account as the panel knows it now.
async fn panel_for(ctx: &ClientCtx, h: &HostingService) -> ApiResult<(Box<dyn Panel>, Account)> {
    let server = staff::load::<HostingServer>(ctx.store(), &ctx.app.sealer, &h.server_id.to_string())
        .await?
        .ok_or_else(|| ApiError::new("Server not found"))?;
    let panel = panel::for_server(&server, ctx.app.outbound.clone())?;
    let account = Account {
        username: h.username.clone(),
        password: service::open(&ctx.app.sealer, h.pass_sealed.as_deref())?,
        domain: h.domain(),
        reseller: h.reseller,
    };
    Ok((panel, account))
}

#[derive(Params)]
struct UsernameParams {
    order_id: Option<OrderRef>,
    /// The new panel username (stored lower-cased).
    username: Option<String>,
}

async fn change_username(ctx: ClientCtx, p: UsernameParams) -> ApiResult<bool> {
    let found = find(&ctx, p.order_id).await?;
    let username = p
        .username
        .map(|u| u.trim().to_ascii_lowercase())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::new("Account username is missing or is not valid"))?;
    let (panel, account) = panel_for(&ctx, &found.service).await?;
    panel.change_username(&account, &username).await?;
    let log = format!("Changed hosting account {} username", found.service.id);
    let mut changed = found.service.clone();
    changed.username = username;
    service::commit(ctx.store(), &ctx.origin(), &found, Some(&changed), log).await?;
    Ok(true)
}

#[derive(Params)]
struct DomainParams {
    order_id: Option<OrderRef>,
    /// Second-level part of the new domain (the reference named it `password`).
    #[param(alias = "password")]
    sld: Option<String>,
    /// Top-level part with its dot, `.com` (the reference named it `password_confirm`).
    #[param(alias = "password_confirm")]
    tld: Option<String>,
}

async fn change_domain(ctx: ClientCtx, p: DomainParams) -> ApiResult<bool> {
    let found = find(&ctx, p.order_id).await?;
    let clean = |v: Option<String>| v.map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty());
    let (Some(sld), Some(tld)) = (clean(p.sld), clean(p.tld)) else {
        return Err(ApiError::new("Domain sld or tld is missing"));
    };
    let tld = service::domain::normalize_tld(&tld);
    let (panel, account) = panel_for(&ctx, &found.service).await?;
    panel.change_domain(&account, &format!("{sld}{tld}")).await?;
    let log = format!("Changed hosting account {} domain", found.service.id);
    let mut changed = found.service.clone();
    changed.sld = sld;
    changed.tld = tld;
    service::commit(ctx.store(), &ctx.origin(), &found, Some(&changed), log).await?;
    Ok(true)
}

#[derive(Params)]
struct PasswordParams {
    order_id: Option<OrderRef>,
    password: Option<String>,
    password_confirm: Option<String>,
}

async fn change_password(ctx: ClientCtx, p: PasswordParams) -> ApiResult<bool> {
    let found = find(&ctx, p.order_id).await?;
    let password = match (p.password, p.password_confirm) {
        (Some(a), Some(b)) if a == b => a,
        _ => return Err(ApiError::new("Account password is missing or is not valid")),
    };
    let (panel, account) = panel_for(&ctx, &found.service).await?;
    panel.change_password(&account, &password).await?;
    let sealed = service::seal(&ctx.app.sealer, &password)?;
    let log = format!("Changed hosting account {} password", found.service.id);
    let mut changed = found.service.clone();
    changed.pass_sealed = sealed;
    service::commit(ctx.store(), &ctx.origin(), &found, Some(&changed), log).await?;
    Ok(true)
}

/// Every hosting plan, `{"<id>": "<name>"}` (`[]` when there are none, as BoxBilling prints).
async fn hp_get_pairs(ctx: ClientCtx, _: NoParams) -> ApiResult<PhpMap<String>> {
    let mut plans = staff::list::<HostingPlan>(ctx.store(), &ctx.app.sealer).await?;
    plans.sort_by_key(|p| p.id);
    Ok(PhpMap(plans.into_iter().map(|p| (p.id.to_string(), p.name)).collect()))
}
