//! The mail port: SES in AWS (`bb-aws`), `.eml` files in an outbox folder locally (`bb-local`).

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEmail {
    pub from: String,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Why a message was not sent, and whether sending it later can succeed.
#[derive(Debug, Clone, PartialEq)]
pub enum MailError {
    /// The transport could not take it now: throttled (SES's maximum sending rate), paused,
    /// unreachable, or refused in the SES sandbox until ops verify the address. Sent again
    /// later with backoff.
    Transient(String),
    /// The message itself was refused (an address SES calls illegal, say); trying again
    /// would fail the same way.
    Rejected(String),
}

impl MailError {
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Transient(_))
    }

    pub fn reason(&self) -> &str {
        match self {
            MailError::Transient(r) | MailError::Rejected(r) => r,
        }
    }
}

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailError::Transient(r) => write!(f, "mail not sent yet: {r}"),
            MailError::Rejected(r) => write!(f, "mail refused: {r}"),
        }
    }
}

impl std::error::Error for MailError {}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hands the message to the transport; returns the transport's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError>;

    /// Whether this process sends mail itself; `false` where another function does (an API
    /// function in AWS, or an operator command against a live table without SES).
    fn sends_here(&self) -> bool {
        true
    }
}

/// Renders `"Name" <addr>` for display (the e-mail log's `sender`), or the bare address.
pub fn mailbox(address: &str, name: Option<&str>) -> String {
    match display_name(name) {
        Some(n) => format!("\"{n}\" <{address}>"),
        None => address.to_string(),
    }
}

/// The mailbox as a message header carries it: a display name with anything but printable
/// ASCII becomes an RFC 2047 encoded word (`=?UTF-8?B?...?=`), which SES requires of a
/// `Source` ("UAB Šviesa" <billing@example.lt> is refused as it is); the address stays as is.
pub fn header_mailbox(address: &str, name: Option<&str>) -> String {
    match display_name(name) {
        Some(n) if n.bytes().all(|b| (0x20..0x7f).contains(&b)) => format!("\"{n}\" <{address}>"),
        Some(n) => format!("{} <{address}>", encoded_word(&n)),
        None => address.to_string(),
    }
}

/// Header text (a subject) as RFC 2047 when it is not plain printable ASCII.
pub fn header_text(text: &str) -> String {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        text.to_string()
    } else {
        encoded_word(text)
    }
}

fn display_name(name: Option<&str>) -> Option<String> {
    name.map(|n| n.replace(['"', '\r', '\n', '\\'], ""))
        .filter(|n| !n.trim().is_empty())
}

/// RFC 2047 B-encoding, split into encoded words of at most 75 characters (each carries
/// whole UTF-8 characters), joined by folding white space.
fn encoded_word(text: &str) -> String {
    // 75 - len("=?UTF-8?B??=") = 63 base64 characters = 45 bytes before encoding (rounded down
    // to a multiple of 3).
    const MAX_BYTES: usize = 45;
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > MAX_BYTES {
            words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(words: &str) -> String {
        words
            .split("\r\n ")
            .map(|w| {
                let inner = w.strip_prefix("=?UTF-8?B?").and_then(|w| w.strip_suffix("?=")).unwrap();
                String::from_utf8(STANDARD.decode(inner).unwrap()).unwrap()
            })
            .collect()
    }

    #[test]
    fn non_ascii_display_names_are_encoded_words_and_the_address_is_not() {
        let header = header_mailbox("billing@example.lt", Some("UAB Šviesa"));
        let (name, address) = header.rsplit_once(' ').unwrap();
        assert_eq!(address, "<billing@example.lt>");
        assert!(name.starts_with("=?UTF-8?B?") && name.is_ascii(), "{header}");
        assert_eq!(decode(name), "UAB Šviesa");
        assert_eq!(header_mailbox("a@b.c", Some("Plain Co")), "\"Plain Co\" <a@b.c>");
        assert_eq!(header_mailbox("a@b.c", Some("  ")), "a@b.c");
        assert_eq!(mailbox("a@b.c", Some("UAB Šviesa")), "\"UAB Šviesa\" <a@b.c>");
    }

    #[test]
    fn long_text_splits_into_words_of_at_most_75_characters_on_character_boundaries() {
        let long = "Ąžuolynų ūkininkų kooperatyvas „Šviesa“ – sąskaita faktūra Nr. 2026/12";
        let encoded = header_text(long);
        assert!(encoded.split("\r\n ").all(|w| w.len() <= 75), "{encoded}");
        assert!(encoded.split("\r\n ").count() > 1);
        assert_eq!(decode(&encoded), long);
        assert_eq!(header_text("Invoice #1"), "Invoice #1");
    }
}
