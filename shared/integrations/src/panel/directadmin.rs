//! DirectAdmin: `<scheme>://<host>:<port, 2222>/CMD_API_*`, Basic auth, urlencoded replies
//! `error=0|1&text=..&details=..`. Only password changes are supported.

use super::{Account, Connection, Panel, unsupported};
use crate::exchange;
use async_trait::async_trait;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::OutboundRequest;

pub struct DirectAdmin(pub Connection);

#[async_trait]
impl Panel for DirectAdmin {
    async fn change_password(&self, account: &Account, new_password: &str) -> ApiResult<()> {
        let c = &self.0;
        // BoxBilling sent the old password here; the new one is what the client asked for.
        let url = format!("{}/CMD_API_USER_PASSWD", c.base(2222, 2222));
        let request = OutboundRequest::post(url)
            .form([
                ("username", account.username.as_str()),
                ("passwd", new_password),
                ("passwd2", new_password),
            ])
            .basic_auth(&c.username, &c.password);
        let response = exchange(c.http.as_ref(), "control panel", request).await?;
        let body = response.text();
        let fail = |why: &str| ApiError::new(format!("Server Manager DirectAdmin Error: \"{why}\" "));
        if body.contains("<html") || body.contains("<HTML") {
            return Err(fail("Login failed"));
        }
        let reply: Vec<(String, String)> = form_urlencoded::parse(body.trim().as_bytes()).into_owned().collect();
        let get = |name: &str| reply.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        match get("error").as_deref() {
            Some("0") => Ok(()),
            Some(_) => Err(fail(&get("details").or_else(|| get("text")).unwrap_or_default())),
            None => Err(fail("Unrecognised answer")),
        }
    }

    async fn change_username(&self, _: &Account, _: &str) -> ApiResult<()> {
        unsupported("DirectAdmin do not support username changes")
    }

    async fn change_domain(&self, _: &Account, _: &str) -> ApiResult<()> {
        unsupported("DirectAdmin do not support domain changes")
    }
}
