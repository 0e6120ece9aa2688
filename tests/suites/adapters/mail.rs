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
    // An unverified sender is refused as the sandbox does: a refusal worth trying again once
    // ops verify the identity, not a final failure.
    let refused = mailer.send(&message("stranger@unverified.example")).await;
    assert!(
        matches!(refused, Err(bb_core::mail::MailError::Transient(_))),
        "{refused:?}"
    );
}

// A company called "UAB Šviesa": SES refuses a raw non-ASCII display name in `Source`, so it
// goes as an RFC 2047 encoded word, with the address untouched.
#[tokio::test]
async fn non_ascii_sender_names_reach_ses_encoded() {
    let res = moto::Resources::create().await;
    let (_, mailer, _) = res.adapters();
    let mut lithuanian = message(&res.sender);
    lithuanian.from_name = Some("UAB Šviesa".into());
    mailer.send(&lithuanian).await.unwrap();
    let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", res.endpoint))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let source = data["ses"]["Message"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["source"].as_str())
        .find(|s| s.contains(&res.sender))
        .unwrap()
        .to_string();
    assert!(source.is_ascii(), "{source}");
    assert!(
        source.starts_with("=?UTF-8?B?") && source.ends_with(&format!("<{}>", res.sender)),
        "{source}"
    );
}
