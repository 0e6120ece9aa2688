//! The mail port on Amazon SES (v1 SendEmail, text and HTML parts).

use async_trait::async_trait;
use aws_sdk_ses::Client;
use aws_sdk_ses::error::DisplayErrorContext;
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use bb_core::mail::{MailError, Mailer, OutgoingEmail, mailbox};

pub struct SesMailer {
    client: Client,
}

impl SesMailer {
    pub fn new(client: Client) -> SesMailer {
        SesMailer { client }
    }
}

fn content(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(
                Body::builder()
                    .text(content(&email.text)?)
                    .html(content(&email.html)?)
                    .build(),
            )
            .build();
        let out = self
            .client
            .send_email()
            .source(mailbox(&email.from, email.from_name.as_deref()))
            .destination(Destination::builder().set_to_addresses(Some(email.to.clone())).build())
            .message(message)
            .send()
            .await
            .map_err(|e| MailError(format!("ses: {}", DisplayErrorContext(&e))))?;
        Ok(out.message_id().to_string())
    }
}
