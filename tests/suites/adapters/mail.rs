//! Mail port conformance: a message handed to the adapter arrives intact.

use bb_core::mail::{Mailer, OutgoingEmail};
use bb_tests::moto;

fn message(from: &str) -> OutgoingEmail {
    OutgoingEmail {
        from: from.into(),
        from_name: Some("Demo Hosting".into()),
        to: vec!["client@example.com".into()],
        subject: "Invoice BOX00042 — ünïcödé".into(),
        html: "<p>Total <b>10.00</b> USD</p>".into(),
        text: "Total 10.00 USD".into(),
    }
}

#[tokio::test]
async fn outbox_writes_readable_eml() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = bb_local::OutboxMailer::new(dir.path()).unwrap();
    let id = outbox.send(&message("billing@example.com")).await.unwrap();
    assert!(!id.is_empty());
    let sent = outbox.read_all();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "Invoice BOX00042 — ünïcödé");
    assert_eq!(sent[0].to, "client@example.com");
    assert_eq!(sent[0].from, "\"Demo Hosting\" <billing@example.com>");
    assert_eq!(sent[0].html, "<p>Total <b>10.00</b> USD</p>");
    assert_eq!(sent[0].text, "Total 10.00 USD");
    let raw = std::fs::read_to_string(&sent[0].file).unwrap();
    assert!(raw.contains("MIME-Version: 1.0") && raw.contains("multipart/alternative"));
    let mut none = message("billing@example.com");
    none.to.clear();
    assert!(outbox.send(&none).await.is_err());
}

#[tokio::test]
async fn ses_sends_through_the_emulator() {
    let res = moto::Resources::create().await;
    let (_, mailer, _) = res.adapters();
    let id = mailer.send(&message(&res.sender)).await.unwrap();
    assert!(!id.is_empty());
    let sent = res.sent_mail().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "client@example.com");
    assert_eq!(sent[0].subject, "Invoice BOX00042 — ünïcödé");
    assert_eq!(sent[0].body, "<p>Total <b>10.00</b> USD</p>");
    // An unverified sender is refused, and the refusal is an error the notifier records.
    let refused = mailer.send(&message("stranger@unverified.example")).await;
    assert!(refused.is_err());
}
