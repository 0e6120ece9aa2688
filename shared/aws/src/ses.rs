//! The mail port on Amazon SES (v1 SendEmail, text and HTML parts).

use async_trait::async_trait;
use aws_sdk_ses::Client;
use aws_sdk_ses::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use bb_ports::mail::{MailError, Mailer, OutgoingEmail, header_mailbox};

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
        .map_err(|e| MailError::Rejected(e.to_string()))
}

/// Whether SES may take the message later. Throttling ("Maximum sending rate exceeded"),
/// a paused account, an unverified MAIL FROM domain, the sandbox's "Email address is not
/// verified" and anything that never reached SES clear up without changing the message;
/// only a refusal of the message itself is final.
fn classify<E, R>(e: SdkError<E, R>) -> MailError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let text = format!("ses: {}", DisplayErrorContext(&e));
    let (code, message) = (
        e.code().unwrap_or_default().to_string(),
        e.message().unwrap_or_default(),
    );
    let transient = match &e {
        SdkError::ServiceError(_) => {
            matches!(
                code.as_str(),
                "Throttling"
                    | "ThrottlingException"
                    | "ServiceUnavailable"
                    | "InternalFailure"
                    | "AccountSendingPausedException"
                    | "ConfigurationSetSendingPausedException"
                    | "MailFromDomainNotVerifiedException"
            ) || (code == "MessageRejected" && message.contains("not verified"))
        }
        SdkError::ConstructionFailure(_) => false,
        _ => true,
    };
    if transient {
        MailError::Transient(text)
    } else {
        MailError::Rejected(text)
    }
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
            .source(header_mailbox(&email.from, email.from_name.as_deref()))
            .destination(Destination::builder().set_to_addresses(Some(email.to.clone())).build())
            .message(message)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.message_id().to_string())
    }
}
