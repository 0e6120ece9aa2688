//! SolusVM v1 admin API: `POST <scheme>://<ip>:<port>/api/<usertype>/command.php` with multipart
//! fields `id`, `key`, `action` and the action's, answered in `<tag>value</tag>` pairs.

use crate::xml::tag_soup;
use bb_domain::service::staff::SolusvmMaster;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::{Outbound, OutboundRequest};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

pub struct SolusVm {
    http: Arc<dyn Outbound>,
    url: String,
    id: String,
    key: String,
}

impl SolusVm {
    pub fn new(master: Option<&SolusvmMaster>, http: Arc<dyn Outbound>) -> ApiResult<SolusVm> {
        let empty = SolusvmMaster {
            cluster_id: 1,
            id: String::new(),
            key: String::new(),
            ipaddress: String::new(),
            secure: false,
            port: None,
            usertype: None,
        };
        let m = master.unwrap_or(&empty);
        if m.id.trim().is_empty() {
            return Err(ApiError::new("API ID is missing"));
        }
        if m.key.trim().is_empty() {
            return Err(ApiError::new("API key is missing"));
        }
        if m.ipaddress.trim().is_empty() {
            return Err(ApiError::new("API ip address is missing"));
        }
        let usertype = m
            .usertype
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or("admin");
        let url = format!(
            "{}/api/{usertype}/command.php",
            bb_domain::service::solusvm::master_url(m)
        );
        Ok(SolusVm {
            http,
            url,
            id: m.id.trim().to_string(),
            key: m.key.trim().to_string(),
        })
    }

    /// Runs `action`; SolusVM's refusal is an error with its message (code 8777).
    pub async fn call(&self, action: &str, fields: &[(&str, &str)]) -> ApiResult<Map<String, Value>> {
        let mut all: Vec<(&str, &str)> = vec![("id", &self.id), ("key", &self.key), ("action", action)];
        all.extend_from_slice(fields);
        let request = OutboundRequest::post(self.url.clone())
            .multipart(all)
            .timeout(Duration::from_secs(20));
        let response = self.http.send(request).await.map_err(|e| {
            tracing::warn!(target: "bb::outbound", system = "SolusVM", error = %e, "unreachable");
            ApiError::coded(8755, "Could not connect to the SolusVM server. Please try again later.")
        })?;
        let body = response.text();
        if body.trim().is_empty() {
            return Err(ApiError::coded(8766, "Empty response from SolusVM server."));
        }
        let reply = tag_soup(&body);
        let status = reply.get("status").and_then(Value::as_str).unwrap_or("success");
        if status != "success"
            && let Some(message) = reply.get("statusmsg").and_then(Value::as_str)
        {
            return Err(ApiError::coded(8777, message.to_string()));
        }
        Ok(reply)
    }
}
