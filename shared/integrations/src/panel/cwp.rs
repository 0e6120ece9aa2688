//! CentOS Web Panel: `POST /v1/changepass` with the API key, JSON `status: OK`.

use super::{Account, Connection, Panel, unsupported};
use crate::exchange;
use async_trait::async_trait;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::OutboundRequest;
use serde_json::Value;

pub struct Cwp(pub Connection);

#[async_trait]
impl Panel for Cwp {
    async fn change_password(&self, account: &Account, new_password: &str) -> ApiResult<()> {
        let c = &self.0;
        let request = OutboundRequest::post(format!("{}/v1/changepass", c.base(2304, 2304))).form([
            ("key", c.accesshash.as_str()),
            ("action", "udp"),
            ("user", account.username.as_str()),
            ("pass", new_password),
        ]);
        let response = exchange(c.http.as_ref(), "control panel", request).await?;
        match serde_json::from_slice::<Value>(&response.body) {
            Ok(v) if v.get("status").and_then(Value::as_str) == Some("OK") => Ok(()),
            _ => Err(ApiError::new("Failed to change the account password!")),
        }
    }

    async fn change_username(&self, _: &Account, _: &str) -> ApiResult<()> {
        unsupported("CWP Does not support username changes")
    }

    async fn change_domain(&self, _: &Account, _: &str) -> ApiResult<()> {
        unsupported("CWP Does not support changing the primary domain name")
    }
}
