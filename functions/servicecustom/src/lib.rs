//! `/api/client/servicecustom/<method>`: every method name is forwarded to the plugin of the
//! caller's custom order (BoxBilling's `__call`), with the service, the order and the
//! parameters; the plugin's answer is the result.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::client;
use bb_core::domain::service::custom::CustomService;
use bb_core::domain::service::{self, Lookup, OrderRef};
use bb_core::prelude::*;
use bb_integrations::plugin::{self, PluginCall};

pub fn module() -> Module {
    Module::new("servicecustom")
        .summary("any method, forwarded to the order's plugin webhook")
        .external_calls()
        .dispatcher(Access::Write, "__call", forward)
}

/// Order lifecycle calls only staff make; a client may not trigger them.
const FORBIDDEN: [&str; 7] = [
    "delete",
    "cancel",
    "uncancel",
    "suspend",
    "unsuspend",
    "renew",
    "activate",
];

/// Names of BoxBilling's API class that shadowed plugin methods there, and the reference's
/// name for the mechanism itself: not methods of anyone's plugin.
const NOT_METHODS: [&str; 14] = [
    "__call",
    "getService",
    "getIdentity",
    "getDi",
    "setDi",
    "getMod",
    "setMod",
    "setIdentity",
    "setService",
    "getIp",
    "setIp",
    "getApiAdmin",
    "getApiGuest",
    "getApiClient",
];

#[derive(Params)]
struct ForwardParams {
    /// The custom order whose plugin serves the call.
    order_id: Option<OrderRef>,
}

async fn forward(ctx: ClientCtx, p: ForwardParams) -> ApiResult<Relayed> {
    // Method names arrive lower-cased (PHP's are case-insensitive).
    let method = ctx.meta.method.clone();
    if NOT_METHODS.iter().any(|n| n.eq_ignore_ascii_case(&method)) {
        return Err(ApiError::coded(
            740,
            format!("Client API call {method} does not exist in module servicecustom"),
        ));
    }
    let found = service::find::<CustomService>(ctx.store(), ctx.client_id, p.order_id, "custom", Lookup::Core).await?;
    if FORBIDDEN.contains(&method.as_str()) {
        return Err(ApiError::coded(
            403,
            format!("Custom plugin method {method} is forbidden"),
        ));
    }
    let s = &found.service;
    let Some(plugin) = s.plugin.clone().filter(|p| !p.trim().is_empty()) else {
        return Ok(Relayed(Value::Null));
    };
    let config = match service::open(&ctx.app.sealer, s.plugin_config_sealed.as_deref())? {
        text if text.is_empty() => serde_json::Map::new(),
        text => match serde_json::from_str(&text) {
            Ok(Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        },
    };
    let mut service_data = s.config.clone();
    for (k, v) in [
        ("id", json!(s.id)),
        ("client_id", json!(s.client_id)),
        ("plugin", json!(plugin)),
        ("created_at", json!(s.created_at)),
        ("updated_at", json!(s.updated_at)),
    ] {
        service_data.insert(k.into(), v);
    }
    let owner = client::load(ctx.store(), ctx.client_id).await?;
    let order = json!(found.order.view(&json!(owner.view(false))));
    plugin::call(
        ctx.app.outbound.as_ref(),
        PluginCall {
            plugin: &plugin,
            config: &config,
            method: &method,
            service: Value::Object(service_data),
            order,
            params: Value::Object((*ctx.params).clone()),
            timestamp: ctx.epoch(),
        },
    )
    .await
    .map(Relayed)
}
