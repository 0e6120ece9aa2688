//! `/api/client/servicecentovacast/*`: the client's streaming account on a CentovaCast server,
//! reached with the account's own credentials. With `try`, a failure of the server (and, for
//! `control_panel_url`, of the lookup) is answered as the result text instead of an error.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::service::centovacast::CentovaService;
use bb_core::domain::service::staff::{self, CentovaServer};
use bb_core::domain::service::{self, Found, Lookup, OrderRef};
use bb_core::prelude::*;
use bb_integrations::centovacast::CentovaCast;

pub fn module() -> Module {
    Module::new("servicecentovacast")
        .summary("CentovaCast streaming accounts")
        .external_calls()
        .method(Access::Read, "control_panel_url", control_panel_url)
        .method(Access::Write, "start", start)
        .method(Access::Write, "stop", stop)
        .method(Access::Write, "restart", restart)
        .method(Access::Write, "reload", reload)
        .method(Access::Read, "getaccount", getaccount)
        .method(Access::Read, "getstatus", getstatus)
        .method(Access::Read, "getsongs", getsongs)
}

const LOOKUP: Lookup = Lookup::Extension {
    not_found: "Centova Cast order not found",
    not_activated_with_id: true,
};

#[derive(Params)]
struct AccountParams {
    order_id: Option<OrderRef>,
    /// When true, a failure is answered as the result text.
    #[param(rename = "try")]
    attempt: Option<bool>,
}

async fn account(ctx: &ClientCtx, order_id: Option<OrderRef>) -> ApiResult<(Found<CentovaService>, CentovaServer)> {
    let found = service::find::<CentovaService>(ctx.store(), ctx.client_id, order_id, "centovacast", LOOKUP).await?;
    let server = staff::load::<CentovaServer>(ctx.store(), &ctx.app.sealer, &found.service.server_id.to_string())
        .await?
        .ok_or_else(|| ApiError::new("Centova Cast Server not found"))?;
    Ok((found, server))
}

/// A failure as the answer, when the client asked to `try`.
fn softened<T>(result: ApiResult<T>, attempt: Option<bool>) -> ApiResult<OneOf<T, String>> {
    match result {
        Ok(answer) => Ok(OneOf::First(answer)),
        Err(e) if attempt == Some(true) && !e.is_internal() => Ok(OneOf::Second(e.message.into_owned())),
        Err(e) => Err(e),
    }
}

/// The URL, or with `try` the message of why there is none.
async fn control_panel_url(ctx: ClientCtx, p: AccountParams) -> ApiResult<String> {
    let url = account(&ctx, p.order_id).await.map(|(_, server)| server.url);
    Ok(match softened(url, p.attempt)? {
        OneOf::First(text) | OneOf::Second(text) => text,
    })
}

/// Runs a server-class method as the account.
async fn run(ctx: &ClientCtx, found: &Found<CentovaService>, server: &CentovaServer, method: &str) -> ApiResult<Value> {
    let password = service::open(&ctx.app.sealer, found.service.pass_sealed.as_deref())?;
    CentovaCast::new(&server.url, ctx.app.outbound.clone())
        .server(method, &found.service.username, &password)
        .await
}

async fn control(ctx: ClientCtx, p: AccountParams, method: &str, done: &str) -> ApiResult<bool> {
    let (found, server) = account(&ctx, p.order_id).await?;
    run(&ctx, &found, &server, method).await?;
    let line = format!("{done} server {}", found.order.id);
    service::commit(ctx.store(), &ctx.origin(), &found, None, line).await?;
    Ok(true)
}

async fn start(ctx: ClientCtx, p: AccountParams) -> ApiResult<bool> {
    control(ctx, p, "start", "Started").await
}

async fn stop(ctx: ClientCtx, p: AccountParams) -> ApiResult<bool> {
    // BoxBilling's spelling of the log line.
    control(ctx, p, "stop", "Stoped").await
}

async fn restart(ctx: ClientCtx, p: AccountParams) -> ApiResult<bool> {
    control(ctx, p, "restart", "Restarted").await
}

async fn reload(ctx: ClientCtx, p: AccountParams) -> ApiResult<bool> {
    control(ctx, p, "reload", "Reloaded").await
}

/// A read of the account: lookup errors stay errors; the server's may be softened by `try`.
async fn read<T>(ctx: ClientCtx, p: AccountParams, method: &str, pick: fn(Value) -> T) -> ApiResult<OneOf<T, String>> {
    let (found, server) = account(&ctx, p.order_id).await?;
    softened(run(&ctx, &found, &server, method).await.map(pick), p.attempt)
}

async fn getaccount(ctx: ClientCtx, p: AccountParams) -> ApiResult<OneOf<Relayed, String>> {
    read(ctx, p, "getaccount", |data| {
        Relayed(data.get("account").cloned().unwrap_or(Value::Null))
    })
    .await
}

async fn getstatus(ctx: ClientCtx, p: AccountParams) -> ApiResult<OneOf<Relayed, String>> {
    read(ctx, p, "getstatus", |data| {
        Relayed(data.get("status").cloned().unwrap_or(Value::Null))
    })
    .await
}

/// The recent songs, always a list (one song is a list of one).
async fn getsongs(ctx: ClientCtx, p: AccountParams) -> ApiResult<OneOf<Vec<Relayed>, String>> {
    read(ctx, p, "getsongs", |data| match data.pointer("/songs/row") {
        Some(Value::Array(rows)) => rows.iter().cloned().map(Relayed).collect(),
        Some(row @ Value::Object(_)) => vec![Relayed(row.clone())],
        _ => Vec::new(),
    })
    .await
}
