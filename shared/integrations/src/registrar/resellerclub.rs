//! ResellerClub and its OrderBox white labels (ResellBiz, NetEarthOne, ResellerID): the
//! `httpapi.com` JSON API, `<command>.json` with `auth-userid`/`api-key` on every request.

use super::{Domain, Operation, Outcome, Registrar, Reply, setting};
use crate::exchange;
use async_trait::async_trait;
use bb_domain::service::staff::Registrar as RegistrarAccount;
use bb_ports::crypto::random_alphanumeric;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::{Outbound, OutboundRequest, join_url};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub struct OrderBox {
    http: Arc<dyn Outbound>,
    base: String,
    user_id: String,
    api_key: String,
}

impl OrderBox {
    pub fn new(account: &RegistrarAccount, http: Arc<dyn Outbound>, brand: &str) -> ApiResult<OrderBox> {
        let missing = |what: &str| {
            ApiError::new(format!(
                "Domain registrar \"{brand}\" is not configured properly. Please update configuration parameter \"{brand} {what}\" at \"Configuration -> Domain registration\"."
            ))
        };
        let user_id = setting(account, "userid");
        if user_id.is_empty() {
            return Err(missing("Reseller ID"));
        }
        let api_key = setting(account, "api-key");
        if api_key.is_empty() {
            return Err(missing("API Key"));
        }
        let base = match &account.endpoint {
            Some(e) if !e.trim().is_empty() => e.trim().to_string(),
            _ if account.test_mode => "https://test.httpapi.com/api/".into(),
            _ => "https://httpapi.com/api/".into(),
        };
        Ok(OrderBox {
            http,
            base,
            user_id,
            api_key,
        })
    }

    async fn call(&self, method: &str, command: &str, params: &[(&str, &str)]) -> ApiResult<Value> {
        let url = join_url(&self.base, &format!("{command}.json"));
        let mut all: Vec<(&str, &str)> = params.to_vec();
        all.push(("auth-userid", &self.user_id));
        all.push(("api-key", &self.api_key));
        let request = if method == "GET" {
            OutboundRequest::get(url).query(all)
        } else {
            OutboundRequest::post(url).form(all)
        }
        .timeout(Duration::from_secs(25));
        let response = exchange(self.http.as_ref(), "domain registrar", request).await?;
        let body = response.text();
        let json: Value = match serde_json::from_str(body.trim()) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => v,
            // Some commands answer a bare value (`domains/orderid` → 5523431).
            Ok(other) => return Ok(other),
            Err(_) => return Ok(Value::String(body.trim().to_string())),
        };
        let text = |name: &str| json.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
        match json.get("status").and_then(Value::as_str) {
            Some("ERROR") => Err(ApiError::coded(101, text("message"))),
            Some("error") => Err(ApiError::coded(102, text("error"))),
            Some("Failed") => Err(ApiError::coded(103, text("actionstatusdesc"))),
            _ => Ok(json),
        }
    }

    async fn order_id(&self, d: &Domain) -> ApiResult<String> {
        let name = d.name().trim_start_matches('.').to_string();
        let id = self.call("GET", "domains/orderid", &[("domain-name", &name)]).await?;
        match id {
            Value::Number(n) => Ok(n.to_string()),
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            _ => Err(ApiError::new("Domain order was not found at the registrar")),
        }
    }

    async fn customer_id(&self, c: &super::Contact) -> ApiResult<String> {
        let lookup = [("username", c.email.as_str())];
        let customer = match self.call("GET", "customers/details", &lookup).await {
            Ok(v) => v,
            Err(_) => {
                let password = random_alphanumeric(12).map_err(|e| ApiError::internal(e.to_string()))?;
                let phone: String = c.phone.chars().filter(char::is_ascii_digit).take(12).collect();
                let company = if c.company.is_empty() {
                    "N/A"
                } else {
                    c.company.as_str()
                };
                let name = format!("{} {}", c.first_name, c.last_name);
                self.call(
                    "POST",
                    "customers/signup",
                    &[
                        ("username", &c.email),
                        ("passwd", &password),
                        ("name", &name),
                        ("company", company),
                        ("address-line-1", &c.address1),
                        ("address-line-2", &c.address2),
                        ("address-line-3", ""),
                        ("city", &c.city),
                        ("state", &c.state),
                        ("country", &c.country),
                        ("zipcode", &c.postcode),
                        ("phone-cc", &c.phone_cc),
                        ("phone", &phone),
                        ("lang-pref", "en"),
                    ],
                )
                .await?;
                self.call("GET", "customers/details", &lookup).await?
            }
        };
        match customer.get("customerid") {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(ApiError::new("Customer was not found at the registrar")),
        }
    }
}

#[async_trait]
impl Registrar for OrderBox {
    async fn perform(&self, operation: Operation, d: &Domain) -> ApiResult<Reply> {
        match operation {
            Operation::Contact => {
                let c = &d.contact;
                let customer = self.customer_id(c).await?;
                let contacts = self
                    .call(
                        "POST",
                        "contacts/default",
                        &[("customer-id", &customer), ("type", "Contact")],
                    )
                    .await?;
                let contact_id = match contacts.pointer("/Contact/registrant") {
                    Some(Value::Number(n)) => n.to_string(),
                    Some(Value::String(s)) => s.clone(),
                    _ => return Err(ApiError::new("Registrant contact was not found at the registrar")),
                };
                let name = format!("{} {}", c.first_name, c.last_name);
                self.call(
                    "POST",
                    "contacts/modify",
                    &[
                        ("contact-id", &contact_id),
                        ("name", &name),
                        ("company", &c.company),
                        ("email", &c.email),
                        ("address-line-1", &c.address1),
                        ("address-line-2", &c.address2),
                        ("address-line-3", ""),
                        ("city", &c.city),
                        ("state", &c.state),
                        ("zipcode", &c.postcode),
                        ("phone-cc", &c.phone_cc),
                        ("phone", &c.phone),
                        ("country", &c.country),
                    ],
                )
                .await?;
                Ok(Reply::done())
            }
            _ => {
                let order_id = self.order_id(d).await?;
                let order = ("order-id", order_id.as_str());
                match operation {
                    Operation::Nameservers => {
                        let mut params = vec![order];
                        params.extend(
                            d.ns.iter()
                                .flatten()
                                .filter(|n| !n.is_empty())
                                .map(|n| ("ns", n.as_str())),
                        );
                        self.call("POST", "domains/modify-ns", &params).await?;
                    }
                    Operation::Lock => {
                        self.call("POST", "domains/enable-theft-protection", &[order]).await?;
                    }
                    Operation::Unlock => {
                        self.call("POST", "domains/disable-theft-protection", &[order]).await?;
                    }
                    Operation::PrivacyOn | Operation::PrivacyOff => {
                        let on = if operation == Operation::PrivacyOn {
                            "true"
                        } else {
                            "false"
                        };
                        self.call(
                            "POST",
                            "domains/modify-privacy-protection",
                            &[order, ("protect-privacy", on), ("reason", "Owners decision")],
                        )
                        .await?;
                    }
                    Operation::TransferCode => {
                        let details = self
                            .call("GET", "domains/details", &[order, ("options", "OrderDetails")])
                            .await?;
                        return match details.get("domsecret").and_then(Value::as_str) {
                            Some(code) if !code.is_empty() => Ok(Reply {
                                value: Outcome::TransferCode(code.to_string()),
                                notice: None,
                            }),
                            _ => Err(ApiError::new("Domain EPP code can be retrieved from domain registrar")),
                        };
                    }
                    Operation::Contact => {}
                }
                Ok(Reply::done())
            }
        }
    }
}
