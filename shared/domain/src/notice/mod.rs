//! What an action wants e-mailed: the notice (template code, recipient, variables). The
//! notifier (bb-core) turns notices into queued mail items in the action's transaction.

mod codes;
pub mod template;

pub use codes::TemplateCode;

use serde_json::Value;

/// Who a notice goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipient {
    /// A client: logged in their e-mail log.
    Client { id: i64, email: String, name: String },
    /// The staff addresses from the settings (`staff_emails`, else `company_email`).
    Staff,
    /// Another address of the company's (a helpdesk's); logged with the staff mail.
    Address(String),
}

/// One e-mail an action wants sent.
#[derive(Debug, Clone)]
pub struct Notice {
    pub template: TemplateCode,
    pub to: Recipient,
    /// Template variables (a JSON object).
    pub vars: Value,
}

impl Notice {
    pub fn to_client(template: TemplateCode, id: i64, email: &str, name: &str, vars: Value) -> Notice {
        Notice {
            template,
            to: Recipient::Client {
                id,
                email: email.into(),
                name: name.into(),
            },
            vars,
        }
    }

    pub fn to_address(template: TemplateCode, email: &str, vars: Value) -> Notice {
        Notice {
            template,
            to: Recipient::Address(email.into()),
            vars,
        }
    }

    pub fn to_staff(template: TemplateCode, vars: Value) -> Notice {
        Notice {
            template,
            to: Recipient::Staff,
            vars,
        }
    }

    pub fn is_for_client(&self) -> bool {
        matches!(self.to, Recipient::Client { .. })
    }
}
