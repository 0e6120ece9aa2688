//! Custom plugins as webhooks: a `custom` product names a plugin and its configuration
//! (`url`, `secret`); `servicecustom/<method>` POSTs the call there as JSON, signed, and the
//! plugin answers in BoxBilling's envelope. Wire format in ARCHITECTURE.md.

use crate::exchange;
use bb_ports::crypto::hmac_sha256;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::{Outbound, OutboundRequest};
use serde_json::{Map, Value, json};

/// BoxBilling's code for a method the plugin does not have.
pub const UNSUPPORTED: i64 = 3125;

pub struct PluginCall<'a> {
    pub plugin: &'a str,
    pub config: &'a Map<String, Value>,
    pub method: &'a str,
    pub service: Value,
    pub order: Value,
    pub params: Value,
    /// Unix time of the call (signed with the body, so a captured call cannot be replayed later).
    pub timestamp: i64,
}

/// `X-BB-Signature` for a body: hex HMAC-SHA256 of `<timestamp>.<body>` under the secret.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mac = hmac_sha256(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac))
}

/// Calls the plugin; `null` when the plugin has no address (BoxBilling's missing plugin file).
pub async fn call(http: &dyn Outbound, c: PluginCall<'_>) -> ApiResult<Value> {
    let text = |name: &str| {
        c.config
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
    };
    let url = text("url");
    if url.is_empty() {
        return Ok(Value::Null);
    }
    let body = json!({
        "plugin": c.plugin,
        "method": c.method,
        "service": c.service,
        "order": c.order,
        "params": c.params,
    })
    .to_string();
    let request = OutboundRequest::post(url)
        .header("X-BB-Timestamp", c.timestamp.to_string())
        .header("X-BB-Signature", signature(text("secret"), c.timestamp, &body))
        .body("application/json", body);
    let response = exchange(http, "plugin", request).await?;
    let unsupported = || {
        ApiError::coded(
            UNSUPPORTED,
            format!("Plugin {} does not support action {}", c.plugin, c.method),
        )
    };
    if response.status == 404 {
        return Err(unsupported());
    }
    let reply: Value = serde_json::from_slice(&response.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| ApiError::new(format!("Plugin {} answered with an invalid response", c.plugin)))?;
    match reply.get("error") {
        Some(Value::Object(e)) => {
            let code = e
                .get("code")
                .and_then(Value::as_i64)
                .unwrap_or(bb_ports::error::BUSINESS);
            if code == UNSUPPORTED {
                return Err(unsupported());
            }
            // Codes that mean something to the pipeline (auth, routing, faults) stay ours.
            let code = match code {
                201..=206 | 400 | 403 | 413 | 429 | 503 | 701 | 715 | 740 | 879 | 9998 => bb_ports::error::BUSINESS,
                other => other,
            };
            let message = e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("Plugin error")
                .to_string();
            Err(ApiError::coded(code, message))
        }
        _ => Ok(reply.get("result").cloned().unwrap_or(Value::Null)),
    }
}
