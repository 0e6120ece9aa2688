//! Test harness: an application on either backend (embedded SQLite, or DynamoDB/SES/S3 on
//! moto), requests in the three wire dialects, and the fixtures every test starts from.

pub mod events;
pub mod fake;
pub mod faults;
pub mod moto;
pub mod permissions;
pub mod runtime_api;
pub mod schema;
pub mod wire;

use async_trait::async_trait;
use bb_core::app::{App, AppBuilder};
use bb_core::clock::ManualClock;
use bb_core::config::Config;
use bb_core::files::FileStore;
use bb_core::mail::{MailError, Mailer, OutgoingEmail};
use bb_core::pipeline::Api;
use bb_core::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use wire::{Req, Resp, Session};

/// The demo clients of `fixtures/demo.json`.
pub const DEMO_KEY: &str = "DemoKey0000000000000000000000001";
pub const DEMO_EMAIL: &str = "demo@example.com";
pub const DEMO_PASSWORD: &str = "Demo12345";
pub const OTHER_KEY: &str = "OtherKey000000000000000000000002";
pub const OTHER_EMAIL: &str = "other@example.com";
pub const OTHER_PASSWORD: &str = "Other12345";

/// Store, mailer and file store of one backend.
pub type Adapters = (Arc<dyn Store>, Arc<dyn Mailer>, Arc<dyn FileStore>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Aws,
}

/// A mailer that can be told to fail, wrapping the backend's real one.
pub struct SwitchMailer {
    pub inner: Arc<dyn Mailer>,
    pub fail: AtomicBool,
    /// Fail as SES does when throttled (the message may be sent later).
    pub throttle: AtomicBool,
    /// Messages handed to the transport, whatever it answered.
    pub attempts: std::sync::atomic::AtomicUsize,
    /// Messages the transport accepted, in order. On the emulator this is what the tests read:
    /// asking moto for its sent mail dumps the whole emulator's state, which grows with every
    /// test sharing it (the SES adapter's own suite checks what moto stored).
    pub accepted: std::sync::Mutex<Vec<SentMail>>,
}

#[async_trait]
impl Mailer for SwitchMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(MailError::Rejected("transport refused the message (test)".into()));
        }
        if self.throttle.load(Ordering::SeqCst) {
            return Err(MailError::Transient(
                "Throttling: Maximum sending rate exceeded. (test)".into(),
            ));
        }
        let id = self.inner.send(email).await?;
        if let Ok(mut accepted) = self.accepted.lock() {
            accepted.push(SentMail {
                to: email.to.join(", "),
                subject: email.subject.clone(),
                body: email.html.clone(),
            });
        }
        Ok(id)
    }
}

pub struct TestApp {
    pub app: App,
    /// The app with every module's methods: what requests go through.
    pub api: Api,
    pub backend: Backend,
    pub clock: Arc<ManualClock>,
    pub mailer: Arc<SwitchMailer>,
    pub dir: tempfile::TempDir,
    /// Local: the outbox folder. AWS: the emulator and the names of this test's resources.
    pub outbox: Option<PathBuf>,
    pub aws: Option<moto::Resources>,
}

fn start_of_second() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

impl TestApp {
    /// A fresh application with the base and demo fixtures loaded.
    pub async fn new(backend: Backend) -> TestApp {
        TestApp::with_config(backend, |_| {}).await
    }

    pub async fn with_config(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::build(backend, adjust, |store| store).await
    }

    /// With the store wrapped (to inject faults or count calls).
    pub async fn build(
        backend: Backend,
        adjust: impl FnOnce(&mut Config),
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
    ) -> TestApp {
        TestApp::build_at(backend, start_of_second(), adjust, wrap).await
    }

    /// As [`TestApp::build`], with the application's clock starting at `start` (so two
    /// applications' answers can be compared field by field).
    pub async fn build_at(
        backend: Backend,
        start: time::OffsetDateTime,
        adjust: impl FnOnce(&mut Config),
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
    ) -> TestApp {
        if std::env::var_os("BB_TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        }
        let mut config = Config {
            cookie_secure: false,
            ..Config::default()
        };
        adjust(&mut config);
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ManualClock::new(start));
        let (adapters, outbox, aws): (Adapters, _, _) = match backend {
            Backend::Sqlite => {
                let store = bb_local::SqliteStore::open_with_clock(&dir.path().join("bb.sqlite3"), clock.clone())
                    .expect("sqlite");
                let outbox = dir.path().join("outbox");
                let mailer = bb_local::OutboxMailer::new(&outbox).expect("outbox");
                let files =
                    bb_local::FolderFiles::new(&dir.path().join("files"), b"test signing key", "http://127.0.0.1:9")
                        .expect("files");
                ((Arc::new(store), Arc::new(mailer), Arc::new(files)), Some(outbox), None)
            }
            Backend::Aws => {
                let res = moto::Resources::create().await;
                (res.adapters_at(clock.clone()), None, Some(res))
            }
        };
        let (store, mailer, files) = adapters;
        let store = permissions::Checked::install(wrap(store));
        let mailer = Arc::new(SwitchMailer {
            inner: mailer,
            fail: AtomicBool::new(false),
            throttle: AtomicBool::new(false),
            attempts: std::sync::atomic::AtomicUsize::new(0),
            accepted: std::sync::Mutex::new(Vec::new()),
        });
        let app = AppBuilder {
            store,
            mailer: mailer.clone(),
            files,
            outbound: Arc::new(bb_runtime::outbound::HyperOutbound::new()),
            clock: clock.clone(),
            config,
            data_key: [42; 32],
        }
        .build()
        .expect("app");
        for (name, text) in [("base", bb_cli::fixtures::BASE), ("demo", bb_cli::fixtures::DEMO)] {
            let fixtures = bb_cli::fixtures::parse(text).expect("fixtures parse");
            bb_cli::fixtures::load(&app, &fixtures, name)
                .await
                .expect("fixtures load");
        }
        if let Some(res) = &aws {
            // This test's own verified sender, so its mail can be told apart on the emulator.
            let sender = bb_cli::fixtures::Fixtures {
                settings: serde_json::json!({"company_email": res.sender})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                ..Default::default()
            };
            bb_cli::fixtures::load(&app, &sender, "sender").await.expect("sender");
        }
        TestApp {
            api: Api::new(app.clone(), bb_cli::registry()),
            app,
            backend,
            clock,
            mailer,
            dir,
            outbox,
            aws,
        }
    }

    /// Sends a request through the pipeline, as the Lambda adapter and local server do; its
    /// answer must match its operation's schema in the OpenAPI document.
    pub async fn call(&self, req: Req) -> Resp {
        let scope = permissions::Scope::of_path(&req.path);
        let path = req.path.split('?').next().unwrap_or_default().to_string();
        let resp = Resp::from(permissions::within(scope, self.api.handle(req.into_api())).await);
        if resp.status == 200 {
            let broken = schema::violations(&path, &resp.json);
            assert!(
                broken.is_empty(),
                "{path} answered what its OpenAPI schema does not allow:\n  {}\n{}",
                broken.join("\n  "),
                resp.body
            );
        }
        resp
    }

    /// Mail the transport accepted, in sending order (after queued mail was delivered).
    pub async fn sent_mail(&self) -> Vec<SentMail> {
        self.app.mail_dispatch.flush().await;
        match &self.outbox {
            Some(dir) => bb_local::OutboxMailer::new(dir)
                .expect("outbox")
                .read_all()
                .into_iter()
                .map(|m| SentMail {
                    to: m.to,
                    subject: m.subject,
                    body: m.html,
                })
                .collect(),
            None => self.mailer.accepted.lock().map(|m| m.clone()).unwrap_or_default(),
        }
    }

    /// Makes the transport answer like a throttled SES (a failure worth retrying).
    pub fn throttle_mail(&self, throttle: bool) {
        self.mailer.throttle.store(throttle, Ordering::SeqCst);
    }

    pub fn fail_mail(&self, fail: bool) {
        self.mailer.fail.store(fail, Ordering::SeqCst);
    }

    /// Loads a fixtures document (catalogue, service configuration, ...) on top of the demo.
    pub async fn load(&self, fixtures: serde_json::Value) {
        let parsed = bb_cli::fixtures::parse(&fixtures.to_string()).expect("fixtures parse");
        bb_cli::fixtures::load(&self.app, &parsed, "test")
            .await
            .expect("fixtures load");
    }

    /// Orders `product` (free, set up on order) for the key's client through the cart, with
    /// `config` as the order form; returns the active order's id.
    pub async fn order_service(&self, key: &str, product: i64, config: serde_json::Value) -> i64 {
        let mut body = serde_json::json!({"id": product});
        if let serde_json::Value::Object(extra) = config {
            for (k, v) in extra {
                body[k] = v;
            }
        }
        let added = self
            .call(Req::post("/api/guest/cart/add_item").key(key).json(body))
            .await;
        assert_eq!(added.ok(), &serde_json::json!(true), "{}", added.body);
        let done = self
            .call(
                Req::post("/api/client/cart/checkout")
                    .key(key)
                    .json(serde_json::json!({})),
            )
            .await;
        let id = done.ok()["order_id"].as_i64().expect("order id");
        let order = self
            .call(
                Req::post("/api/client/order/get")
                    .key(key)
                    .json(serde_json::json!({"id": id})),
            )
            .await;
        assert_eq!(order.ok()["status"], "active", "{}", order.body);
        id
    }

    /// The caller's service record as `order/service` shows it.
    pub async fn service(&self, key: &str, order_id: i64) -> serde_json::Value {
        self.call(
            Req::post("/api/client/order/service")
                .key(key)
                .json(serde_json::json!({"id": order_id})),
        )
        .await
        .ok()
        .clone()
    }
}

/// A free product of `kind` that is set up as soon as it is ordered.
pub fn free_product(id: i64, kind: &str, config: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "title": format!("{kind} {id}"),
        "slug": format!("{kind}-{id}"),
        "type": kind,
        "setup": "after_order",
        "config": config,
        "pricing": {"type": "free"},
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct SentMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Runs an async test body once per backend, given the backend (for tests that build their
/// own applications): `each_backend!(name, |backend| async move { ... });`
#[macro_export]
macro_rules! each_backend {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn dynamodb() {
                ($body)($crate::Backend::Aws).await;
            }
        }
    };
}

/// Runs an async test body once per backend: `both!(name, |t| async move { ... });`
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::TestApp::new($crate::Backend::Sqlite).await;
                ($body)(t).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn dynamodb() {
                let t = $crate::TestApp::new($crate::Backend::Aws).await;
                ($body)(t).await;
            }
        }
    };
}
