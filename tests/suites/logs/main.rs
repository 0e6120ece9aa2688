//! Logs, in a test binary of their own: the process-wide subscriber captures every line, with
//! no other test's threads racing tracing's per-callsite caches.
//!
//! Faults of ours: a generic 9998 answer, the detail only in the log with the request id; and
//! no secret in any log line.

use async_trait::async_trait;
use bb_core::store::*;
use bb_tests::*;
use serde_json::json;
use std::sync::{Arc, Mutex};

/// A store whose reads of client records fail like a misconfigured AWS account would.
struct Faulty(Arc<dyn Store>);

const DETAIL: &str = "dynamodb: AccessDeniedException arn:aws:iam::123456789012:role/secret-detail";

#[async_trait]
impl Store for Faulty {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        if key.sk == "PROFILE" && key.pk == "C#1" {
            return Err(StoreError::Unavailable(DETAIL.into()));
        }
        self.0.get(key).await
    }
    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Batch> {
        self.0.batch_get(keys).await
    }
    async fn put(&self, item: Item, cond: Option<Cond>) -> StoreResult<()> {
        self.0.put(item, cond).await
    }
    async fn update(&self, update: Update, returning: Returning) -> StoreResult<Option<Item>> {
        self.0.update(update, returning).await
    }
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> StoreResult<Option<Item>> {
        self.0.delete(key, cond).await
    }
    async fn query(&self, query: Query) -> StoreResult<Page> {
        self.0.query(query).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        self.0.transact(ops).await
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn faults_answer_9998_and_log_the_detail_only() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this binary");

    let t = TestApp::build(Backend::Sqlite, |_| {}, |s| Arc::new(Faulty(s))).await;
    let resp = t.call(Req::post("/api/client/profile/get").key(DEMO_KEY)).await;
    resp.assert_err(500, 9998, "Internal error. Please try again later.");
    assert!(
        !resp.body.contains("secret-detail") && !resp.body.contains("arn:"),
        "{}",
        resp.body
    );
    let text = logs.text();
    let fault = text
        .lines()
        .find(|l| l.contains("secret-detail"))
        .expect("the detail is logged");
    assert!(fault.contains("test-request"), "with the request id: {fault}");
    assert!(
        text.lines()
            .any(|l| l.contains("\"message\":\"request\"") && l.contains("\"status\":500"))
    );

    // Secrets never reach a log line: passwords, keys, session tokens, CSRF tokens.
    let login = t
        .call(Req::post("/api/guest/client/login").json(json!({"email": OTHER_EMAIL, "password": OTHER_PASSWORD})))
        .await;
    let mut jar = Session::default();
    jar.absorb(&login);
    let new_key = t
        .call(Req::post("/api/client/profile/api_key_reset").key(OTHER_KEY))
        .await
        .ok()
        .clone();
    let pw = json!({"password": "Brandnew123", "password_confirm": "Brandnew123", "current_password": OTHER_PASSWORD});
    t.call(jar.send_with_csrf(Req::post("/api/client/profile/change_password").json(pw)))
        .await
        .ok();
    let text = logs.text();
    let token = jar.cookies[0].1.clone();
    let csrf = jar.csrf.clone().unwrap();
    for secret in [
        OTHER_PASSWORD,
        "Brandnew123",
        OTHER_KEY,
        new_key.as_str().unwrap(),
        token.as_str(),
        csrf.as_str(),
    ] {
        assert!(!text.contains(secret), "a secret reached the log");
    }
    assert!(text.lines().filter(|l| l.contains("\"message\":\"request\"")).count() >= 4);
}
