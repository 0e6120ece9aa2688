//! The `Email` registrar: each request becomes an e-mail to the configured address, for staff
//! to carry out by hand. In test mode requests are only logged.

use super::{Domain, Operation, Outcome, Registrar, Reply, setting};
use async_trait::async_trait;
use bb_domain::notice::{Notice, TemplateCode};
use bb_domain::service::staff::Registrar as RegistrarAccount;
use bb_ports::error::{ApiError, ApiResult};
use serde_json::json;

/// The template the request is sent with (subject and text come in its variables).
pub const TEMPLATE: TemplateCode = TemplateCode::ServicedomainRegistrarRequest;

pub struct Email {
    to: String,
    test_mode: bool,
}

impl Email {
    pub fn new(account: &RegistrarAccount) -> ApiResult<Email> {
        let to = setting(account, "email");
        if to.is_empty() {
            return Err(ApiError::new("Email Registrar config requires param \"email\""));
        }
        Ok(Email {
            to,
            test_mode: account.test_mode,
        })
    }
}

fn wording(operation: Operation) -> (&'static str, &'static str) {
    match operation {
        Operation::Nameservers => (
            "Modify Name Servers",
            "A request to change domain nameservers has been received.",
        ),
        Operation::Contact => (
            "Modify Domain Contact",
            "A request to change domain contact details has been received.",
        ),
        Operation::PrivacyOn => (
            "Turn On Domain privacy protection",
            "A request to turn on domain privacy protection has been received.",
        ),
        Operation::PrivacyOff => (
            "Turn Off Domain privacy protection",
            "A request to turn off domain privacy protection has been received.",
        ),
        Operation::TransferCode => (
            "Request for Epp code was received",
            "A request for the domain transfer (EPP) code has been received.",
        ),
        Operation::Lock => (
            "Request to lock domain received",
            "A request to lock the domain has been received.",
        ),
        Operation::Unlock => (
            "Request to unlock domain received",
            "A request to unlock the domain has been received.",
        ),
    }
}

/// The domain as staff should configure it.
fn describe(d: &Domain) -> String {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let c = &d.contact;
    let mut lines = vec![
        format!("Name: {}", d.name()),
        format!("TLD: {}", d.tld),
        format!("SLD: {}", d.sld),
        format!("EPP: {}", d.transfer_code),
        format!("Registration period: {} year(s)", d.period),
        format!("Registered at: {}", or_dash(&d.registered_at)),
        format!("Expires at: {}", or_dash(&d.expires_at)),
        format!("Privacy protection: {}", if d.privacy { "Yes" } else { "No" }),
        format!("Locked: {}", if d.locked { "Yes" } else { "No" }),
    ];
    for (n, ns) in d.ns.iter().enumerate() {
        lines.push(format!("Nameserver #{}: {}", n + 1, ns.clone().unwrap_or_default()));
    }
    lines.push(String::new());
    lines.push("Registrant contact:".into());
    lines.push(format!("Name: {} {}", c.first_name, c.last_name));
    lines.push(format!("Company: {}", c.company));
    lines.push(format!("E-mail: {}", c.email));
    lines.push(format!("Address: {} {}", c.address1, c.address2));
    lines.push(format!("City: {}, {} {}", c.city, c.state, c.postcode));
    lines.push(format!("Country: {}", c.country));
    lines.push(format!("Phone: +{} {}", c.phone_cc, c.phone));
    lines.join("\n")
}

#[async_trait]
impl Registrar for Email {
    async fn perform(&self, operation: Operation, domain: &Domain) -> ApiResult<Reply> {
        let (subject, intro) = wording(operation);
        let text = format!(
            "{intro}\n\nDomain should be configured as follows:\n\n{}",
            describe(domain)
        );
        if self.test_mode {
            tracing::info!(target: "bb::registrar", domain = %domain.name(), subject, "email registrar (test mode): not sent");
            return Ok(Reply::done());
        }
        Ok(Reply {
            value: Outcome::Done,
            notice: Some(Notice::to_address(
                TEMPLATE,
                &self.to,
                json!({"subject": subject, "text": text, "domain": domain.name()}),
            )),
        })
    }
}
