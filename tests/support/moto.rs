//! The AWS emulator (moto server) for tests of the DynamoDB, SES and S3 adapters.
//!
//! `BB_TEST_MOTO_URL` names a running server (what `scripts/test` and `.ci/run` start). Without
//! it, the first test that needs one starts `moto_server` from `.venv` (or `PATH`) on a free
//! port; it stops when the test process ends.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The emulator's URL, and the watchdog shell of a moto this process started.
static ENDPOINT: OnceLock<(String, Option<Mutex<Child>>)> = OnceLock::new();

fn moto_binary() -> String {
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/moto_server");
    if std::path::Path::new(venv).exists() {
        venv.to_string()
    } else {
        "moto_server".to_string()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start() -> (String, Option<Mutex<Child>>) {
    let port = free_port();
    let moto = moto_binary();
    // The shell stops moto once this test process is gone.
    let script = format!(
        "{moto} -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; while kill -0 {pid} 2>/dev/null; do sleep 1; done; kill $m",
        pid = std::process::id()
    );
    let watchdog = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .spawn()
        .expect("moto_server could not start: run scripts/setup (or set BB_TEST_MOTO_URL)");
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not come up on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    (format!("http://127.0.0.1:{port}"), Some(Mutex::new(watchdog)))
}

/// The emulator's base URL.
pub fn endpoint() -> String {
    ENDPOINT
        .get_or_init(|| match std::env::var("BB_TEST_MOTO_URL") {
            Ok(url) => (url, None),
            Err(_) => start(),
        })
        .0
        .clone()
}

fn unique(prefix: &str) -> String {
    let bytes = bb_core::crypto::random_bytes::<6>().expect("random");
    format!("{prefix}-{}", &bb_core::crypto::sha256_hex(&bytes)[..12])
}

/// One test's own table, bucket and verified sender on the shared emulator.
pub struct Resources {
    pub endpoint: String,
    pub table: String,
    pub bucket: String,
    pub sender: String,
    pub sdk: bb_aws::SdkConfig,
}

impl Resources {
    pub async fn create() -> Resources {
        let endpoint = endpoint();
        let sdk = bb_aws::emulator_config(&endpoint).await;
        let table = unique("bb");
        let bucket = unique("bb-files");
        let sender = format!("{}@example.com", unique("billing"));
        bb_aws::create_table(&bb_aws::DynamoClient::new(&sdk), &table)
            .await
            .expect("create table");
        bb_aws::s3_client(&sdk)
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create bucket");
        bb_aws::SesClient::new(&sdk)
            .verify_email_identity()
            .email_address(&sender)
            .send()
            .await
            .expect("verify sender");
        Resources {
            endpoint,
            table,
            bucket,
            sender,
            sdk,
        }
    }

    pub fn store(&self) -> bb_aws::DynamoStore {
        bb_aws::DynamoStore::new(bb_aws::DynamoClient::new(&self.sdk), self.table.clone())
    }

    pub fn adapters(&self) -> crate::Adapters {
        self.adapters_at(Arc::new(bb_core::clock::SystemClock))
    }

    /// The adapters, the store judging time-to-live by `clock`.
    pub fn adapters_at(&self, clock: Arc<dyn bb_core::clock::Clock>) -> crate::Adapters {
        (
            Arc::new(self.store().with_clock(clock)),
            Arc::new(bb_aws::SesMailer::new(bb_aws::SesClient::new(&self.sdk))),
            Arc::new(bb_aws::S3Files::new(bb_aws::s3_client(&self.sdk), self.bucket.clone())),
        )
    }

    /// Messages SES accepted from this test's sender.
    pub async fn sent_mail(&self) -> Vec<crate::SentMail> {
        let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", self.endpoint))
            .await
            .expect("moto data")
            .json()
            .await
            .expect("moto json");
        data["ses"]["Message"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["source"].as_str().is_some_and(|s| s.contains(&self.sender)))
            .map(|m| crate::SentMail {
                to: m["destinations"]["ToAddresses"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
                subject: m["subject"].as_str().unwrap_or_default().to_string(),
                body: m["body"].as_str().unwrap_or_default().to_string(),
            })
            .collect()
    }
}
