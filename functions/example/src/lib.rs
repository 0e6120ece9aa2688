//! `/api/client/example/get_info`: BoxBilling's example module, enabled by default.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::client as clients;
use bb_core::module::StoreUse;
use bb_core::prelude::*;

pub fn module() -> Module {
    Module::new("example")
        .summary("reads the caller's profile")
        .store(StoreUse::ReadOnly)
        .method(Access::Read, "get_info", get_info)
}

#[derive(Params)]
struct InfoParams {
    /// Which system messages to return (`info` by default).
    #[param(rename = "type")]
    _kind: Ignored,
}

/// The parameters received, the version, the caller's profile and the system messages.
async fn get_info(ctx: ClientCtx, _: InfoParams) -> ApiResult<Info> {
    let client = clients::load(ctx.store(), ctx.client_id).await?;
    Ok(Info {
        data: (*ctx.params).clone(),
        version: ctx.app.config.version,
        profile: client.view(false),
        messages: Vec::new(),
    })
}

#[derive(serde::Serialize, Answer)]
struct Info {
    /// The parameters of the call, echoed as they came.
    data: serde_json::Map<String, Value>,
    version: &'static str,
    profile: clients::ClientView,
    /// System messages of the requested type (none here).
    messages: Vec<String>,
}
