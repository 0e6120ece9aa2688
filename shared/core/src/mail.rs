//! The mail port: SES in AWS (`bb-aws`), `.eml` files in an outbox folder locally (`bb-local`).

use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEmail {
    pub from: String,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MailError(pub String);

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mail not sent: {}", self.0)
    }
}

impl std::error::Error for MailError {}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hands the message to the transport; returns the transport's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError>;
}

/// Renders `"Name" <addr>` for headers, or the bare address.
pub fn mailbox(address: &str, name: Option<&str>) -> String {
    match name.filter(|n| !n.trim().is_empty()) {
        Some(n) => format!("\"{}\" <{address}>", n.replace(['"', '\r', '\n'], "")),
        None => address.to_string(),
    }
}
