//! Internet.bs: `POST <base>/<resource>` with multipart fields `apikey`, `password` and the
//! operation's, answered in `key=value` lines (`status=SUCCESS|FAILURE|PENDING`).

use super::{Domain, Operation, Outcome, Registrar, Reply, setting};
use crate::exchange;
use async_trait::async_trait;
use bb_domain::service::staff::Registrar as RegistrarAccount;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::{Outbound, OutboundRequest, join_url};
use std::collections::HashMap;
use std::sync::Arc;

pub struct InternetBs {
    http: Arc<dyn Outbound>,
    base: String,
    api_key: String,
    password: String,
}

impl InternetBs {
    pub fn new(account: &RegistrarAccount, http: Arc<dyn Outbound>) -> ApiResult<InternetBs> {
        let missing = |what: &str| {
            ApiError::new(format!(
                "Domain registrar \"Internetbs\" is not configured properly. Please update configuration parameter \"Internetbs {what}\" at \"Configuration -> Domain registration\"."
            ))
        };
        let api_key = setting(account, "apikey");
        if api_key.is_empty() {
            return Err(missing("API key"));
        }
        let password = setting(account, "password");
        if password.is_empty() {
            return Err(missing("API password"));
        }
        let base = match &account.endpoint {
            Some(e) if !e.trim().is_empty() => e.trim().to_string(),
            _ if account.test_mode => "https://testapi.internet.bs".into(),
            _ => "https://api.internet.bs".into(),
        };
        Ok(InternetBs {
            http,
            base,
            api_key,
            password,
        })
    }

    async fn call(&self, resource: &str, params: &[(&str, &str)]) -> ApiResult<HashMap<String, String>> {
        let mut fields: Vec<(&str, &str)> = vec![("apikey", &self.api_key), ("password", &self.password)];
        fields.extend_from_slice(params);
        let request = OutboundRequest::post(join_url(&self.base, resource))
            .header("User-Agent", "bb-lambda Internet.bs client")
            .multipart(fields);
        let response = exchange(self.http.as_ref(), "domain registrar", request).await?;
        let reply: HashMap<String, String> = response
            .text()
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        match reply.get("status").map(|s| s.to_ascii_uppercase()).as_deref() {
            Some("SUCCESS") | Some("PENDING") => Ok(reply),
            _ => Err(ApiError::new(
                reply
                    .get("message")
                    .cloned()
                    .unwrap_or_else(|| "Internet.bs did not accept the request".into()),
            )),
        }
    }
}

#[async_trait]
impl Registrar for InternetBs {
    async fn perform(&self, operation: Operation, d: &Domain) -> ApiResult<Reply> {
        let name = d.name();
        let domain = ("domain", name.as_str());
        match operation {
            Operation::Nameservers => {
                // Empty slots stay in the list (`a,b,,`).
                let list =
                    d.ns.iter()
                        .map(|n| n.clone().unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(",");
                self.call("/Domain/Update", &[domain, ("ns_list", &list)]).await?;
            }
            Operation::Contact => {
                let c = &d.contact;
                let phone = format!("+{}.{}", c.phone_cc, c.phone);
                let mut owned: Vec<(String, String)> = Vec::new();
                for role in ["Registrant", "Admin", "Technical", "Billing"] {
                    for (field, value) in [
                        ("Organization", &c.company),
                        ("FirstName", &c.first_name),
                        ("LastName", &c.last_name),
                        ("Email", &c.email),
                        ("PhoneNumber", &phone),
                        ("Street", &c.address1),
                        ("Street2", &c.address2),
                        ("City", &c.city),
                        ("CountryCode", &c.country),
                        ("PostalCode", &c.postcode),
                    ] {
                        owned.push((format!("{role}_{field}"), value.clone()));
                    }
                    owned.push((format!("{role}_Language"), "en".into()));
                }
                let mut params = vec![domain];
                params.extend(owned.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                self.call("/Domain/Update", &params).await?;
            }
            Operation::Lock => {
                self.call("/Domain/RegistrarLock/Enable", &[domain]).await?;
            }
            Operation::Unlock => {
                self.call("/Domain/RegistrarLock/Disable", &[domain]).await?;
            }
            Operation::PrivacyOn => {
                self.call("/Domain/PrivateWhois/Enable", &[domain]).await?;
            }
            Operation::PrivacyOff => {
                self.call("/Domain/PrivateWhois/Disable", &[domain]).await?;
            }
            Operation::TransferCode => {
                let info = self.call("/Domain/Info", &[domain]).await?;
                if info.get("status").map(|s| s.eq_ignore_ascii_case("SUCCESS")) != Some(true) {
                    return Err(ApiError::new(
                        info.get("message")
                            .cloned()
                            .unwrap_or_else(|| "Domain information is not available yet".into()),
                    ));
                }
                return Ok(Reply {
                    value: Outcome::TransferCode(info.get("transferauthinfo").cloned().unwrap_or_default()),
                    notice: None,
                });
            }
        }
        Ok(Reply::done())
    }
}
