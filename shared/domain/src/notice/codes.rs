//! The e-mail template codes bb-lambda sends, as BoxBilling names its actions. Each needs a
//! template item (`TEMPLATE` / `<code>`); the base fixtures carry one for every code, and a
//! test checks that.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum TemplateCode {
    ClientSignup,
    StaffClientSignup,
    StaffClientOrder,
    InvoiceCreated,
    InvoicePaid,
    SupportTicketOpen,
    SupportHelpdeskTicketOpen,
    SupportTicketStaffReply,
    StaffTicketOpen,
    StaffTicketReply,
    StaffTicketClose,
    ForumNewPost,
    ServicedomainRegistrarRequest,
    /// `mod_service<type>_activated`: an order of that product type was activated.
    ServiceActivated(String),
}

impl TemplateCode {
    /// Every code but the per-type activation notices.
    pub const FIXED: &'static [TemplateCode] = &[
        TemplateCode::ClientSignup,
        TemplateCode::StaffClientSignup,
        TemplateCode::StaffClientOrder,
        TemplateCode::InvoiceCreated,
        TemplateCode::InvoicePaid,
        TemplateCode::SupportTicketOpen,
        TemplateCode::SupportHelpdeskTicketOpen,
        TemplateCode::SupportTicketStaffReply,
        TemplateCode::StaffTicketOpen,
        TemplateCode::StaffTicketReply,
        TemplateCode::StaffTicketClose,
        TemplateCode::ForumNewPost,
        TemplateCode::ServicedomainRegistrarRequest,
    ];

    /// The template's code.
    pub fn code(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            TemplateCode::ClientSignup => "mod_client_signup",
            TemplateCode::StaffClientSignup => "mod_staff_client_signup",
            TemplateCode::StaffClientOrder => "mod_staff_client_order",
            TemplateCode::InvoiceCreated => "mod_invoice_created",
            TemplateCode::InvoicePaid => "mod_invoice_paid",
            TemplateCode::SupportTicketOpen => "mod_support_ticket_open",
            TemplateCode::SupportHelpdeskTicketOpen => "mod_support_helpdesk_ticket_open",
            TemplateCode::SupportTicketStaffReply => "mod_support_ticket_staff_reply",
            TemplateCode::StaffTicketOpen => "mod_staff_ticket_open",
            TemplateCode::StaffTicketReply => "mod_staff_ticket_reply",
            TemplateCode::StaffTicketClose => "mod_staff_ticket_close",
            TemplateCode::ForumNewPost => "mod_forum_new_post",
            TemplateCode::ServicedomainRegistrarRequest => "mod_servicedomain_registrar_request",
            TemplateCode::ServiceActivated(kind) => return Cow::Owned(format!("mod_service{kind}_activated")),
        })
    }
}

impl std::fmt::Display for TemplateCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

impl From<TemplateCode> for String {
    fn from(code: TemplateCode) -> String {
        code.code().into_owned()
    }
}

impl TryFrom<String> for TemplateCode {
    type Error = String;

    fn try_from(code: String) -> Result<Self, String> {
        if let Some(known) = TemplateCode::FIXED.iter().find(|c| c.code() == code.as_str()) {
            return Ok(known.clone());
        }
        code.strip_prefix("mod_service")
            .and_then(|rest| rest.strip_suffix("_activated"))
            .filter(|kind| !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase()))
            .map(|kind| TemplateCode::ServiceActivated(kind.to_string()))
            .ok_or_else(|| format!("not an e-mail template code bb-lambda sends: {code}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_as_themselves() {
        let mut all = TemplateCode::FIXED.to_vec();
        all.push(TemplateCode::ServiceActivated("hosting".into()));
        for code in all {
            assert_eq!(TemplateCode::try_from(code.code().into_owned()), Ok(code));
        }
        assert!(TemplateCode::try_from("mod_service_activated".to_string()).is_err());
        assert!(TemplateCode::try_from("mod_nothing".to_string()).is_err());
    }
}
