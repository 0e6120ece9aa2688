//! The BoxBilling.com partner API (another BoxBilling's JSON API): `POST <api_url>/<role>/
//! <module>/<method>` with Basic `<role>:<api_key>`, answered in `{"result","error"}`.

use crate::exchange;
use bb_domain::service::staff::ModuleAccess;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::{Outbound, OutboundRequest, join_url};
use serde_json::Value;

pub const DEFAULT_URL: &str = "http://www.boxbilling.com/api";

pub struct Partner<'a> {
    http: &'a dyn Outbound,
    url: String,
    role: String,
    key: String,
}

impl<'a> Partner<'a> {
    pub fn new(access: Option<&ModuleAccess>, http: &'a dyn Outbound) -> ApiResult<Partner<'a>> {
        let access = access
            .filter(|a| !a.api_key.trim().is_empty())
            .ok_or_else(|| ApiError::new("BoxBilling license module is not configured: the API key is missing"))?;
        let pick = |v: &Option<String>, default: &str| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or(default)
                .to_string()
        };
        Ok(Partner {
            http,
            url: pick(&access.api_url, DEFAULT_URL),
            role: pick(&access.api_role, "client"),
            key: access.api_key.trim().to_string(),
        })
    }

    /// `partner_order_reset` → `<role>/partner/order_reset`.
    pub async fn call(&self, name: &str, params: &[(&str, &str)]) -> ApiResult<Value> {
        let (module, method) = name.split_once('_').unwrap_or((name, ""));
        let url = join_url(&self.url, &format!("{}/{module}/{method}", self.role));
        let request = OutboundRequest::post(url)
            .form(params.iter().copied())
            .basic_auth(&self.role, &self.key);
        let response = exchange(self.http, "BoxBilling API", request).await?;
        let body = response.text();
        let invalid = || ApiError::new(format!("BoxBilling API: Invalid Response \"{}\"", body.trim()));
        let reply: Value = serde_json::from_str(body.trim())
            .ok()
            .filter(Value::is_object)
            .ok_or_else(invalid)?;
        if let Some(e) = reply.get("error").filter(|e| !e.is_null() && *e != false) {
            let message = e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("BoxBilling API error");
            let code = e
                .get("code")
                .and_then(Value::as_i64)
                .unwrap_or(bb_ports::error::BUSINESS);
            return Err(ApiError::coded(code, message.to_string()));
        }
        reply.get("result").cloned().ok_or_else(invalid)
    }
}
