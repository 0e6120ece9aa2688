//! YouHosting's REST API as BoxBilling spoke it: `<base>/<resource>` with Basic
//! `reseller:<api_key>`, `client_ip` on every request, answers in `{"result","error"}`.

use crate::exchange;
use bb_domain::service::staff::ModuleAccess;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::{Outbound, OutboundRequest, join_url};
use serde_json::Value;

pub const DEFAULT_URL: &str = "https://rest.main-hosting.com/v1/";

/// YouHosting's code for a client e-mail it already knows.
pub const CLIENT_EXISTS: i64 = 5108;

pub struct YouHosting<'a> {
    http: &'a dyn Outbound,
    base: String,
    key: String,
    client_ip: String,
}

impl<'a> YouHosting<'a> {
    pub fn new(access: Option<&ModuleAccess>, http: &'a dyn Outbound, client_ip: &str) -> ApiResult<YouHosting<'a>> {
        let access = access
            .filter(|a| !a.api_key.trim().is_empty())
            .ok_or_else(|| ApiError::new("YouHosting module is not configured: the API key is missing"))?;
        let base = access
            .api_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or(DEFAULT_URL)
            .to_string();
        Ok(YouHosting {
            http,
            base,
            key: access.api_key.trim().to_string(),
            client_ip: client_ip.to_string(),
        })
    }

    async fn call(&self, method: &str, resource: &str, params: &[(&str, &str)]) -> ApiResult<Value> {
        let mut all: Vec<(&str, &str)> = params.to_vec();
        all.push(("client_ip", &self.client_ip));
        let url = join_url(&self.base, resource);
        let request = match method {
            "POST" => OutboundRequest::post(url).form(all),
            _ => OutboundRequest::new(method, url).query(all),
        }
        .basic_auth("reseller", &self.key)
        .header("User-Agent", "YouHosting/PHP/1.0.0");
        let response = exchange(self.http, "YouHosting API", request).await?;
        let reply: Value = serde_json::from_slice(&response.body)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| ApiError::new("YouHosting API answered with an invalid response"))?;
        match reply.get("error") {
            Some(e) if e.is_object() => {
                let message = e
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("YouHosting API error");
                let code = e
                    .get("code")
                    .and_then(Value::as_i64)
                    .unwrap_or(bb_ports::error::BUSINESS);
                Err(ApiError::coded(code, message.to_string()))
            }
            _ => Ok(reply.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    pub async fn captcha(&self) -> ApiResult<Value> {
        self.call("POST", "captcha", &[]).await
    }

    pub async fn verify_captcha(&self, id: &str, solution: &str) -> ApiResult<Value> {
        self.call("POST", &format!("captcha/{id}"), &[("id", id), ("solution", solution)])
            .await
    }

    pub async fn create_client(&self, fields: &[(&str, &str)]) -> ApiResult<Value> {
        self.call("POST", "client", fields).await
    }

    /// The id of the client with this e-mail, if YouHosting knows one.
    pub async fn client_by_email(&self, email: &str) -> ApiResult<Option<String>> {
        let list = self.call("GET", "client/list", &[("email", email)]).await?;
        Ok(list.pointer("/list/0/id").map(id_text))
    }

    pub async fn create_account(&self, fields: &[(&str, &str)]) -> ApiResult<Value> {
        self.call("POST", "account", fields).await
    }

    pub async fn account(&self, id: &str) -> ApiResult<Value> {
        self.call("GET", &format!("account/{id}"), &[]).await
    }

    pub async fn login_url(&self, id: &str) -> ApiResult<Value> {
        self.call("GET", &format!("account/{id}/login-url"), &[]).await
    }

    pub async fn nameservers(&self) -> ApiResult<Value> {
        self.call("GET", "settings/nameservers", &[]).await
    }
}

/// An id as text, whether it came as a number or a string.
pub fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
