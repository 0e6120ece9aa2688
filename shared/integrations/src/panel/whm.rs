//! cPanel/WHM: `<scheme>://<host>:<port>/json-api/<function>`, urlencoded POST, authorised by
//! an access hash or API token (`WHM user:hash`) or Basic. Legacy (API 0) and API 1 replies.

use super::{Account, Connection, Panel};
use crate::exchange;
use async_trait::async_trait;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::OutboundRequest;
use serde_json::Value;

pub struct Whm(Connection);

const NAME: &str = "cPanel WHM";

impl Whm {
    pub fn new(c: Connection) -> ApiResult<Whm> {
        let not_configured = |what: &str| {
            ApiError::new(format!(
                "Server manager \"{NAME}\" is not configured properly. {what} is not set"
            ))
        };
        if c.host.is_empty() {
            return Err(not_configured("Hostname"));
        }
        if c.username.is_empty() {
            return Err(not_configured("Username"));
        }
        if c.password.is_empty() && c.accesshash.is_empty() {
            return Err(not_configured("Authentication"));
        }
        Ok(Whm(c))
    }

    async fn call(&self, function: &str, params: &[(&str, &str)]) -> ApiResult<Value> {
        let c = &self.0;
        let url = format!("{}/json-api/{function}", c.base(2087, 2086));
        let mut request = OutboundRequest::post(url).form(params.iter().copied());
        request = if c.accesshash.is_empty() {
            request.basic_auth(&c.username, &c.password)
        } else {
            request.header("Authorization", format!("WHM {}:{}", c.username, c.accesshash))
        };
        let response = exchange(c.http.as_ref(), "control panel", request).await?;
        let body = response.text();
        let fail = |why: &str| {
            ApiError::new(format!(
                "WHM server response error calling action {function}: \"{why}\""
            ))
        };
        let json: Value = match serde_json::from_str(&body) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                tracing::warn!(target: "bb::panel", function, status = response.status, "WHM answer is not JSON");
                return Err(ApiError::new(format!(
                    "Function call \"{function}\" response is not valid"
                )));
            }
        };
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let falsy = |v: &Value| matches!(v, Value::Number(n) if n.as_i64() == Some(0)) || v == "0";
        if let Some(e) = json.pointer("/cpanelresult/error") {
            return Err(fail(&text(e)));
        }
        if json.pointer("/data/result").is_some_and(falsy) {
            return Err(fail(&text(json.pointer("/data/reason").unwrap_or(&Value::Null))));
        }
        if json.pointer("/metadata/result").is_some_and(falsy) {
            return Err(fail(&text(json.pointer("/metadata/reason").unwrap_or(&Value::Null))));
        }
        if json.pointer("/result/0/status").is_some_and(falsy) {
            return Err(fail(&text(json.pointer("/result/0/statusmsg").unwrap_or(&Value::Null))));
        }
        if let Some(status) = json.get("status")
            && !(status == 1 || status == "1")
        {
            return Err(fail(&text(json.get("statusmsg").unwrap_or(&Value::Null))));
        }
        if json.pointer("/passwd/0/status").is_some_and(falsy) {
            return Err(ApiError::new(text(
                json.pointer("/passwd/0/statusmsg").unwrap_or(&Value::Null),
            )));
        }
        Ok(json)
    }
}

#[async_trait]
impl Panel for Whm {
    async fn change_password(&self, account: &Account, new_password: &str) -> ApiResult<()> {
        self.call(
            "passwd",
            &[
                ("user", &account.username),
                ("pass", new_password),
                ("db_pass_update", "0"),
            ],
        )
        .await
        .map(drop)
    }

    async fn change_username(&self, account: &Account, new_username: &str) -> ApiResult<()> {
        self.call("modifyacct", &[("user", &account.username), ("newuser", new_username)])
            .await
            .map(drop)
    }

    async fn change_domain(&self, account: &Account, new_domain: &str) -> ApiResult<()> {
        self.call("modifyacct", &[("user", &account.username), ("domain", new_domain)])
            .await
            .map(drop)
    }
}
