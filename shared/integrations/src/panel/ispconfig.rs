//! ISPConfig 3 remote API: SOAP (RPC, no WSDL) at `<scheme>://<host>:<port, 8080>/remote/`:
//! `login` → session, `client_get_by_username`, `client_change_password`, `logout`.
//! Only password changes are supported.

use super::{Account, Connection, Panel, unsupported};
use crate::exchange;
use crate::xml::{self, escape};
use async_trait::async_trait;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::OutboundRequest;

pub struct IspConfig(pub Connection);

const NAMESPACE: &str = "urn:ISPConfig";

impl IspConfig {
    /// One SOAP call; the `return` element.
    async fn call(&self, function: &str, params: &[String]) -> ApiResult<xml::Element> {
        let c = &self.0;
        let args: String = params
            .iter()
            .enumerate()
            .map(|(n, p)| format!("<param{n}>{}</param{n}>", escape(p)))
            .collect();
        let envelope = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SOAP-ENV:Envelope \
             xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns1=\"{NAMESPACE}\">\
             <SOAP-ENV:Body><ns1:{function}>{args}</ns1:{function}></SOAP-ENV:Body></SOAP-ENV:Envelope>"
        );
        let request = OutboundRequest::post(format!("{}/remote/index.php", c.base(8080, 8080)))
            .header("SOAPAction", format!("\"{NAMESPACE}#{function}\""))
            .body("text/xml; charset=utf-8", envelope);
        let response = exchange(c.http.as_ref(), "control panel", request).await?;
        let doc = xml::parse(&response.text()).ok_or_else(|| ApiError::new("ISPConfig error: invalid answer"))?;
        if let Some(fault) = doc.find("SOAP-ENV:Fault").or_else(|| doc.find("Fault")) {
            return Err(ApiError::new(format!(
                "ISPConfig error: {}",
                fault.text_of("faultstring").unwrap_or_default()
            )));
        }
        doc.find("return")
            .cloned()
            .ok_or_else(|| ApiError::new("ISPConfig error: invalid answer"))
    }
}

#[async_trait]
impl Panel for IspConfig {
    async fn change_password(&self, account: &Account, new_password: &str) -> ApiResult<()> {
        let c = &self.0;
        let session = self
            .call("login", &[c.username.clone(), c.password.clone()])
            .await?
            .text;
        let session = session.trim().to_string();
        if session.is_empty() {
            return Err(ApiError::new("ISPConfig error: login failed"));
        }
        let result = async {
            let client = self
                .call("client_get_by_username", &[session.clone(), account.username.clone()])
                .await?;
            let id =
                map_value(&client, "client_id").ok_or_else(|| ApiError::new("ISPConfig error: client not found"))?;
            self.call(
                "client_change_password",
                &[session.clone(), id, new_password.to_string()],
            )
            .await
            .map(drop)
        }
        .await;
        let _ = self.call("logout", &[session]).await;
        result
    }

    async fn change_username(&self, _: &Account, _: &str) -> ApiResult<()> {
        unsupported("Server manager does not support username changes")
    }

    async fn change_domain(&self, _: &Account, _: &str) -> ApiResult<()> {
        unsupported("Server manager does not support domain changes")
    }
}

/// A value of PHP's SOAP encoding of an associative array: `<item><key>k</key><value>v</value>`
/// items, at any depth (a list of records holds maps in its items).
fn map_value(element: &xml::Element, key: &str) -> Option<String> {
    for child in &element.children {
        if child.name.eq_ignore_ascii_case("item")
            && child.child("key").is_some_and(|k| k.text.trim() == key)
            && let Some(v) = child.child("value")
        {
            return Some(v.text.trim().to_string());
        }
        if let Some(found) = map_value(child, key) {
            return Some(found);
        }
    }
    None
}
