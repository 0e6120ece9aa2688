//! Plesk XML API (API-RPC): a packet POSTed to `/enterprise/control/agent.php` with the
//! `HTTP_AUTH_LOGIN`/`HTTP_AUTH_PASSWD` headers. Only password changes are supported.

use super::{Account, Connection, Panel, unsupported};
use crate::exchange;
use crate::xml::{self, escape};
use async_trait::async_trait;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::OutboundRequest;

pub struct Plesk(pub Connection);

#[async_trait]
impl Panel for Plesk {
    async fn change_password(&self, account: &Account, new_password: &str) -> ApiResult<()> {
        let c = &self.0;
        let (owner, info) = if account.reseller {
            ("reseller", "gen-info")
        } else {
            ("customer", "gen_info")
        };
        let packet = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><packet><{owner}><set><filter><login>{}</login></filter>\
             <values><{info}><passwd>{}</passwd></{info}></values></set></{owner}></packet>",
            escape(&account.username),
            escape(new_password)
        );
        let request = OutboundRequest::post(format!("{}/enterprise/control/agent.php", c.base(8443, 8880)))
            .header("HTTP_AUTH_LOGIN", c.username.clone())
            .header("HTTP_AUTH_PASSWD", c.password.clone())
            .header("HTTP_PRETTY_PRINT", "TRUE")
            .body("text/xml", packet);
        let response = exchange(c.http.as_ref(), "control panel", request).await?;
        let Some(doc) = xml::parse(&response.text()) else {
            return Err(ApiError::new("Plesk error: invalid answer"));
        };
        let result = doc.find("result").unwrap_or(&doc);
        match result.text_of("status").as_deref() {
            Some("ok") => Ok(()),
            _ => Err(ApiError::new(format!(
                "Plesk error: {} - {}",
                result.text_of("errcode").unwrap_or_default(),
                result.text_of("errtext").unwrap_or_default()
            ))),
        }
    }

    async fn change_username(&self, _: &Account, _: &str) -> ApiResult<()> {
        unsupported("Server manager does not support username changes")
    }

    async fn change_domain(&self, _: &Account, _: &str) -> ApiResult<()> {
        unsupported("Server manager does not support domain changes")
    }
}
