//! Virtualmin: `GET /virtual-server/remote.cgi?program=...&json=1`, Basic auth, JSON replies
//! whose `full_error` is the failure. Only password changes are supported.

use super::{Account, Connection, Panel, unsupported};
use crate::exchange;
use async_trait::async_trait;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::OutboundRequest;
use serde_json::Value;

pub struct Virtualmin(pub Connection);

#[async_trait]
impl Panel for Virtualmin {
    async fn change_password(&self, account: &Account, new_password: &str) -> ApiResult<()> {
        let c = &self.0;
        let params: Vec<(&str, &str)> = if account.reseller {
            vec![
                ("program", "modify-reseller"),
                ("json", "1"),
                ("name", &account.username),
                ("pass", new_password),
            ]
        } else {
            vec![
                ("program", "modify-domain"),
                ("json", "1"),
                ("domain", &account.domain),
                ("pass", new_password),
            ]
        };
        let request = OutboundRequest::get(format!("{}/virtual-server/remote.cgi", c.base(10000, 10000)))
            .query(params)
            .basic_auth(&c.username, &c.password);
        let response = exchange(c.http.as_ref(), "control panel", request).await?;
        match serde_json::from_slice::<Value>(&response.body) {
            Ok(v) => match v.get("full_error").and_then(Value::as_str) {
                Some(e) if !e.is_empty() => Err(ApiError::new(e.to_string())),
                _ if v.get("status").and_then(Value::as_str) == Some("failure") => Err(ApiError::new(
                    v.get("error")
                        .and_then(Value::as_str)
                        .unwrap_or("Virtualmin error")
                        .to_string(),
                )),
                _ => Ok(()),
            },
            Err(_) => Err(ApiError::new("Virtualmin error: invalid answer")),
        }
    }

    async fn change_username(&self, _: &Account, _: &str) -> ApiResult<()> {
        unsupported("Server manager does not support username changes")
    }

    async fn change_domain(&self, _: &Account, _: &str) -> ApiResult<()> {
        unsupported("Server manager does not support domain changes")
    }
}
