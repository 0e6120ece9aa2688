//! Domain registrars: the operations a client may ask for on a registered domain.
//! `Registrar::registrar` picks the adapter; each speaks its registrar's protocol.

mod email;
mod internetbs;
mod resellerclub;

use async_trait::async_trait;
use bb_domain::notice::Notice;
use bb_domain::service::staff::Registrar as RegistrarAccount;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::Outbound;
use serde_json::Value;
use std::sync::Arc;

/// What a client asks the registrar to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Nameservers,
    Contact,
    PrivacyOn,
    PrivacyOff,
    TransferCode,
    Lock,
    Unlock,
}

/// The WHOIS contact as sent (empty fields filled from the client's profile).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub company: String,
    pub address1: String,
    pub address2: String,
    pub city: String,
    pub state: String,
    pub postcode: String,
    pub country: String,
    pub phone_cc: String,
    pub phone: String,
}

/// The domain as the registrar is told about it (after the requested change).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Domain {
    pub sld: String,
    /// With its leading dot.
    pub tld: String,
    pub ns: [Option<String>; 4],
    pub contact: Contact,
    pub period: i64,
    pub locked: bool,
    pub privacy: bool,
    pub transfer_code: String,
    pub registered_at: Option<String>,
    pub expires_at: Option<String>,
}

impl Domain {
    /// `example.com`
    pub fn name(&self) -> String {
        format!("{}{}", self.sld, self.tld)
    }
}

/// A registrar's answer: the method's result, and mail to send with the change (the Email
/// registrar's request to staff).
#[derive(Debug, Clone)]
pub struct Reply {
    pub value: Outcome,
    pub notice: Option<Notice>,
}

impl Reply {
    pub fn done() -> Reply {
        Reply {
            value: Outcome::Done,
            notice: None,
        }
    }
}

/// What a registrar answers the client: `true` when done (or when staff will do it by hand),
/// or the transfer code it handed over.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done,
    TransferCode(String),
}

impl serde::Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Outcome::Done => serializer.serialize_bool(true),
            Outcome::TransferCode(code) => serializer.serialize_str(code),
        }
    }
}

impl bb_ports::answer::Answer for Outcome {
    fn schema() -> Value {
        serde_json::json!({"anyOf": [{"type": "string"}, {"const": true}]})
    }
}

#[async_trait]
pub trait Registrar: Send + Sync {
    async fn perform(&self, operation: Operation, domain: &Domain) -> ApiResult<Reply>;
}

/// The adapter of a registrar account, or its configuration error.
pub fn for_account(account: &RegistrarAccount, http: Arc<dyn Outbound>) -> ApiResult<Box<dyn Registrar>> {
    let name = account.registrar.trim();
    Ok(match name.to_ascii_lowercase().as_str() {
        "custom" => Box::new(Custom),
        "email" => Box::new(email::Email::new(account)?),
        "resellerclub" => Box::new(resellerclub::OrderBox::new(account, http, "ResellerClub")?),
        "resellbiz" => Box::new(resellerclub::OrderBox::new(account, http, "ResellBiz")?),
        "netearthone" => Box::new(resellerclub::OrderBox::new(account, http, "NetEarthOne")?),
        "resellerid" => Box::new(resellerclub::OrderBox::new(account, http, "ResellerID")?),
        "internetbs" => Box::new(internetbs::InternetBs::new(account, http)?),
        _ => return Err(ApiError::new(format!("Domain registrar {name} was not found"))),
    })
}

/// Text of a registrar setting.
fn setting(account: &RegistrarAccount, name: &str) -> String {
    match account.config.get(name) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The `Custom` registrar: a domain managed by hand; every request succeeds, and the transfer
/// code answer is `true` (as BoxBilling's).
struct Custom;

#[async_trait]
impl Registrar for Custom {
    async fn perform(&self, operation: Operation, domain: &Domain) -> ApiResult<Reply> {
        tracing::info!(target: "bb::registrar", domain = %domain.name(), ?operation, "custom registrar: recorded");
        Ok(Reply::done())
    }
}
