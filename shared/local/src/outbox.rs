//! The mail port as a folder of `.eml` files (RFC 5322, multipart/alternative), one per
//! message, readable by any mail client and by [`OutboxMailer::read_all`] in tests.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bb_ports::mail::{MailError, Mailer, OutgoingEmail, header_mailbox};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub struct OutboxMailer {
    dir: PathBuf,
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A message read back from the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmail {
    pub file: PathBuf,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl OutboxMailer {
    pub fn new(dir: &Path) -> Result<OutboxMailer, MailError> {
        std::fs::create_dir_all(dir).map_err(|e| MailError::Transient(format!("outbox {}: {e}", dir.display())))?;
        Ok(OutboxMailer { dir: dir.to_path_buf() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every message in the outbox, oldest first.
    pub fn read_all(&self) -> Vec<StoredEmail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.into_iter().filter_map(|f| parse(&f)).collect()
    }
}

/// Encoded-word for non-ASCII header text (RFC 2047).
fn header_text(text: &str) -> String {
    let clean = text.replace(['\r', '\n'], " ");
    if clean.is_ascii() {
        clean
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(clean.as_bytes()))
    }
}

fn wrapped_base64(text: &str) -> String {
    let encoded = STANDARD.encode(text.as_bytes());
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        if email.to.is_empty() {
            return Err(MailError::Rejected("no recipients".into()));
        }
        let now = time::OffsetDateTime::now_utc();
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}-{}-{seq}", now.unix_timestamp_nanos(), std::process::id());
        let boundary = format!("bb-{id}");
        let date = now
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default();
        let message = format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{id}@bb-lambda.local>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{text}\r\n--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{html}\r\n--{boundary}--\r\n",
            from = header_mailbox(&email.from, email.from_name.as_deref()),
            to = header_text(&email.to.join(", ")),
            subject = header_text(&email.subject),
            text = wrapped_base64(&email.text),
            html = wrapped_base64(&email.html),
        );
        let path = self.dir.join(format!("{id}.eml"));
        tokio::fs::write(&path, message)
            .await
            .map_err(|e| MailError::Transient(format!("outbox write: {e}")))?;
        Ok(id)
    }
}

fn decode_header(value: &str) -> String {
    value
        .strip_prefix("=?UTF-8?B?")
        .and_then(|v| v.strip_suffix("?="))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .unwrap_or_else(|| value.to_string())
}

fn parse(path: &Path) -> Option<StoredEmail> {
    let raw = std::fs::read_to_string(path).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .map(decode_header)
            .unwrap_or_default()
    };
    let part = |mime: &str| {
        let start = body.find(&format!("Content-Type: {mime}"))?;
        let rest = &body[start..];
        let (_, content) = rest.split_once("\r\n\r\n")?;
        let end = content.find("\r\n--")?;
        let joined: String = content[..end].split("\r\n").collect();
        String::from_utf8(STANDARD.decode(joined).ok()?).ok()
    };
    Some(StoredEmail {
        file: path.to_path_buf(),
        from: header("From"),
        to: header("To"),
        subject: header("Subject"),
        text: part("text/plain").unwrap_or_default(),
        html: part("text/html").unwrap_or_default(),
    })
}
