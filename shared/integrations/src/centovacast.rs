//! CentovaCast XML API: a `<centovacast><request class method>` packet POSTed to the server's
//! `api.php`, answered with `<centovacast><response type>` and its `<data>`.

use crate::xml::{self, escape};
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::{Outbound, OutboundRequest};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub struct CentovaCast {
    http: Arc<dyn Outbound>,
    url: String,
    basic: Option<(String, String)>,
}

impl CentovaCast {
    /// The server at `url` (its `api.php` is appended unless given; `user:pass@` in the URL
    /// becomes Basic authentication).
    pub fn new(url: &str, http: Arc<dyn Outbound>) -> CentovaCast {
        let mut url = url.trim().to_string();
        let mut basic = None;
        if let Some((scheme, rest)) = url.split_once("://")
            && let Some((userinfo, host)) = rest.split_once('@')
            && !userinfo.contains('/')
        {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            basic = Some((user.to_string(), pass.to_string()));
            url = format!("{scheme}://{host}");
        }
        if !url.ends_with("/api.php") {
            if !url.ends_with('/') {
                url.push('/');
            }
            url.push_str("api.php");
        }
        CentovaCast { http, url, basic }
    }

    /// A server-class method on the account `username`; the reply's data (or `true`).
    pub async fn server(&self, method: &str, username: &str, password: &str) -> ApiResult<Value> {
        let packet = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><centovacast><request class=\"server\" method=\"{}\">\
             <username>{}</username><password>{}</password></request></centovacast>",
            escape(method),
            escape(username),
            escape(password)
        );
        let mut request = OutboundRequest::post(self.url.clone())
            .header("User-Agent", "CentovaCast PHP API Client")
            .body("application/x-www-form-urlencoded", packet)
            .timeout(Duration::from_secs(15));
        if let Some((user, pass)) = &self.basic {
            request = request.basic_auth(user, pass);
        }
        let response = self.http.send(request).await.map_err(|e| {
            tracing::warn!(target: "bb::outbound", system = "CentovaCast", error = %e, "unreachable");
            ApiError::new("Error contacting server: could not connect")
        })?;
        if response.status != 200 {
            return Err(ApiError::new(format!(
                "Error contacting server: HTTP {}: {}",
                response.status,
                reason(response.status)
            )));
        }
        let text = response.text();
        let root = xml::parse(text.trim())
            .filter(|r| r.name == "centovacast")
            .ok_or_else(|| ApiError::new("Invalid response packet received from API server"))?;
        let reply = root
            .child("response")
            .filter(|r| r.attribute("type").is_some())
            .ok_or_else(|| ApiError::new("Empty or unrecognized response packet received from API server"))?;
        match reply.attribute("type") {
            Some("success") => Ok(reply.child("data").map_or(Value::Bool(true), xml::Element::to_json)),
            Some("error") => Err(ApiError::new(
                reply
                    .text_of("message")
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "(Message not provided by API server)".into()),
            )),
            _ => Err(ApiError::new("Invalid response type received from API server")),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unexpected status",
    }
}
