//! `/api/client/servicesolusvm/*`: the client's VPS on the cluster's SolusVM master. Actions go
//! to SolusVM first; what they change is recorded after it agreed, with the log line.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::client;
use bb_core::domain::service::solusvm::SolusvmService;
use bb_core::domain::service::staff::{self, SolusvmMaster};
use bb_core::domain::service::{self, Found, Lookup, OrderRef};
use bb_core::prelude::*;
use bb_integrations::solusvm::SolusVm;

pub fn module() -> Module {
    Module::new("servicesolusvm")
        .summary("VPS actions on the SolusVM master")
        .external_calls()
        .method(Access::Write, "reboot", reboot)
        .method(Access::Write, "boot", boot)
        .method(Access::Write, "shutdown", shutdown)
        .method(Access::Read, "status", status)
        .method(Access::Read, "info", info)
        .method(Access::Sensitive, "set_root_password", set_root_password)
        .method(Access::Write, "set_hostname", set_hostname)
        .method(Access::Sensitive, "change_password", change_password)
        .method(Access::Write, "rebuild", rebuild)
}

const LOOKUP: Lookup = Lookup::Extension {
    not_found: "Solusvm order not found",
    not_activated_with_id: false,
};

/// The client's VPS (provisioned: it has a SolusVM id) and its master.
async fn vps(ctx: &ClientCtx, order_id: Option<OrderRef>) -> ApiResult<(Found<SolusvmService>, String)> {
    let found = service::find::<SolusvmService>(ctx.store(), ctx.client_id, order_id, "solusvm", LOOKUP).await?;
    let vserverid = found
        .service
        .vserverid
        .clone()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::new("Order is not activated"))?;
    Ok((found, vserverid))
}

async fn master(ctx: &ClientCtx, s: &SolusvmService) -> ApiResult<SolusVm> {
    let config = staff::load::<SolusvmMaster>(ctx.store(), &ctx.app.sealer, &s.cluster_id.to_string()).await?;
    SolusVm::new(config.as_ref(), ctx.app.outbound.clone())
}

#[derive(Params)]
struct OrderParams {
    order_id: Option<OrderRef>,
}

async fn power(ctx: ClientCtx, p: OrderParams, action: &str, done: &str) -> ApiResult<bool> {
    let (found, vserverid) = vps(&ctx, p.order_id).await?;
    master(&ctx, &found.service)
        .await?
        .call(action, &[("vserverid", &vserverid)])
        .await?;
    let line = format!("{done}. Order ID #{}", found.order.id);
    service::commit(ctx.store(), &ctx.origin(), &found, None, line).await?;
    Ok(true)
}

async fn reboot(ctx: ClientCtx, p: OrderParams) -> ApiResult<bool> {
    power(ctx, p, "vserver-reboot", "Rebooted VPS").await
}

async fn boot(ctx: ClientCtx, p: OrderParams) -> ApiResult<bool> {
    power(ctx, p, "vserver-boot", "Booted VPS").await
}

async fn shutdown(ctx: ClientCtx, p: OrderParams) -> ApiResult<bool> {
    power(ctx, p, "vserver-shutdown", "Shut down VPS").await
}

/// `online`, `offline` or `disabled`.
async fn status(ctx: ClientCtx, p: OrderParams) -> ApiResult<Option<String>> {
    let (found, vserverid) = vps(&ctx, p.order_id).await?;
    let reply = master(&ctx, &found.service)
        .await?
        .call("vserver-status", &[("vserverid", &vserverid)])
        .await?;
    Ok(reply.get("statusmsg").and_then(Value::as_str).map(str::to_string))
}

/// Everything SolusVM reports about the VPS, flat; `[]` when it cannot say.
async fn info(ctx: ClientCtx, p: OrderParams) -> ApiResult<PhpMap<String>> {
    let (found, vserverid) = vps(&ctx, p.order_id).await?;
    let reply = match master(&ctx, &found.service).await {
        Ok(m) => m.call("vserver-infoall", &[("vserverid", &vserverid)]).await,
        Err(e) => Err(e),
    };
    Ok(match reply {
        // SolusVM's fields are text (its answer is tag soup).
        Ok(map) => PhpMap(
            map.into_iter()
                .filter_map(|(name, value)| value.as_str().map(|text| (name, text.to_string())))
                .collect(),
        ),
        Err(e) => {
            tracing::info!(target: "bb::solusvm", error = %e.message, "vserver-infoall failed; answering []");
            PhpMap(Vec::new())
        }
    })
}

#[derive(Params)]
struct PasswordParams {
    order_id: Option<OrderRef>,
    password: Option<String>,
}

async fn set_root_password(ctx: ClientCtx, p: PasswordParams) -> ApiResult<bool> {
    let (found, vserverid) = vps(&ctx, p.order_id).await?;
    let password = p
        .password
        .filter(|pw| pw.chars().count() >= 4)
        .ok_or_else(|| ApiError::coded(8789, "Root password must be longer than 4 symbols"))?;
    master(&ctx, &found.service)
        .await?
        .call(
            "vserver-rootpassword",
            &[("vserverid", &vserverid), ("rootpassword", &password)],
        )
        .await?;
    // The new root password is never kept.
    let line = format!("Changed VPS root password. Order ID #{}", found.order.id);
    let mut changed = found.service.clone();
    changed.rootpassword_sealed = None;
    service::commit(ctx.store(), &ctx.origin(), &found, Some(&changed), line).await?;
    Ok(true)
}

#[derive(Params)]
struct HostnameParams {
    order_id: Option<OrderRef>,
    hostname: Option<String>,
}

async fn set_hostname(ctx: ClientCtx, p: HostnameParams) -> ApiResult<bool> {
    let (found, vserverid) = vps(&ctx, p.order_id).await?;
    let hostname = p
        .hostname
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ApiError::coded(8791, "Hostname must not be empty"))?;
    master(&ctx, &found.service)
        .await?
        .call(
            "vserver-hostname",
            &[("vserverid", &vserverid), ("hostname", &hostname)],
        )
        .await?;
    let line = format!("Changed VPS hostname. Order ID #{}", found.order.id);
    let mut changed = found.service.clone();
    changed.hostname = Some(hostname);
    service::commit(ctx.store(), &ctx.origin(), &found, Some(&changed), line).await?;
    Ok(true)
}

/// The SolusVM client-area password.
async fn change_password(ctx: ClientCtx, p: PasswordParams) -> ApiResult<bool> {
    let (found, _) = vps(&ctx, p.order_id).await?;
    let password = p
        .password
        .filter(|pw| pw.chars().count() >= 4)
        .ok_or_else(|| ApiError::coded(8790, "Password must be longer than 4 symbols"))?;
    let username = match &found.service.username {
        Some(u) if !u.is_empty() => u.clone(),
        _ => client::load(ctx.store(), ctx.client_id).await?.email,
    };
    master(&ctx, &found.service)
        .await?
        .call(
            "client-updatepassword",
            &[("username", &username), ("password", &password)],
        )
        .await?;
    let sealed = service::seal(&ctx.app.sealer, &password)?;
    let line = format!("Changed SolusVM client area password. Order ID #{}", found.order.id);
    let mut changed = found.service.clone();
    changed.password_sealed = sealed;
    service::commit(ctx.store(), &ctx.origin(), &found, Some(&changed), line).await?;
    Ok(true)
}

#[derive(Params)]
struct RebuildParams {
    order_id: Option<OrderRef>,
    template: Option<String>,
}

async fn rebuild(ctx: ClientCtx, p: RebuildParams) -> ApiResult<bool> {
    let (found, vserverid) = vps(&ctx, p.order_id).await?;
    let template = p
        .template
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::coded(8792, "Template must not be empty"))?;
    master(&ctx, &found.service)
        .await?
        .call("vserver-rebuild", &[("vserverid", &vserverid), ("template", &template)])
        .await?;
    let line = format!("Changed VPS template. Order ID #{}", found.order.id);
    let mut changed = found.service.clone();
    changed.template = Some(template);
    service::commit(ctx.store(), &ctx.origin(), &found, Some(&changed), line).await?;
    Ok(true)
}
