//! Which adapters a process uses, decided by the environment:
//!
//! | variable | set | unset |
//! |---|---|---|
//! | `BB_TABLE_NAME` | DynamoDB table | SQLite file `<BB_DATA_DIR>/bb.sqlite3` |
//! | `BB_MAIL` | `ses`: Amazon SES; `outbox`: `.eml` files in `<BB_DATA_DIR>/outbox` | the outbox on the embedded store; on DynamoDB none: the mailer function sends (queued mail leaves through the table's stream) |
//! | `BB_FILES_BUCKET` | S3 bucket | folder `<BB_DATA_DIR>/files` behind signed local URLs |
//! | `BB_DATA_KEY_SECRET` | Secrets Manager secret (ARN or name) holding the key that seals stored secrets, read once at init | — |
//! | `BB_DATA_KEY` | base64 of 32 bytes (emulators, tests) | generated once into `<BB_DATA_DIR>/data.key` (local store only) |
//!
//! `BB_DATA_DIR` defaults to `.bb-data` in the working directory. AWS clients read the usual
//! `AWS_*` variables (an `AWS_ENDPOINT_URL` points them at an emulator).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bb_core::app::{App, AppBuilder};
use bb_core::clock::{Clock, SystemClock};
use bb_core::config::Config;
use bb_core::crypto::random_bytes;
use bb_core::files::FileStore;
use bb_core::mail::Mailer;
use bb_core::store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Backends {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub files: Arc<dyn FileStore>,
    /// The local file folder, when used (the local server serves its signed URLs).
    pub local_files: Option<Arc<LocalFiles>>,
    pub data_key: [u8; 32],
    pub data_dir: PathBuf,
    /// One line naming the adapters, for start-up messages.
    pub summary: String,
}

/// What the environment asks for (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Choice {
    pub table: Option<String>,
    pub ses: bool,
    /// `BB_MAIL=outbox`: the local outbox even on DynamoDB (development against an emulator).
    pub outbox: bool,
    /// Secrets Manager secret with the data key (`BB_DATA_KEY_SECRET`).
    pub data_key_secret: Option<String>,
    pub bucket: Option<String>,
    pub data_dir: PathBuf,
    /// Base64 of the 32-byte data key.
    pub data_key: Option<String>,
}

fn set(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Choice {
    pub fn from_env() -> Choice {
        Choice {
            table: set("BB_TABLE_NAME"),
            ses: set("BB_MAIL").is_some_and(|m| m.eq_ignore_ascii_case("ses")),
            outbox: set("BB_MAIL").is_some_and(|m| m.eq_ignore_ascii_case("outbox")),
            data_key_secret: set("BB_DATA_KEY_SECRET"),
            bucket: set("BB_FILES_BUCKET"),
            data_dir: std::env::var_os("BB_DATA_DIR").map_or_else(|| PathBuf::from(".bb-data"), PathBuf::from),
            data_key: set("BB_DATA_KEY"),
        }
    }

    /// Everything local, under `dir`.
    pub fn local(dir: &Path) -> Choice {
        Choice {
            data_dir: dir.to_path_buf(),
            ..Choice::default()
        }
    }
}

fn decode_key(text: &str) -> Result<[u8; 32], String> {
    let raw = STANDARD
        .decode(text.trim())
        .map_err(|_| "BB_DATA_KEY is not base64".to_string())?;
    raw.try_into()
        .map_err(|_| "BB_DATA_KEY must decode to exactly 32 bytes".to_string())
}

/// The local data key: read from `data.key`, generated on first use.
fn local_data_key(dir: &Path) -> Result<[u8; 32], String> {
    let path = dir.join("data.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return decode_key(&text);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let key = random_bytes::<32>().map_err(|e| e.to_string())?;
    std::fs::write(&path, STANDARD.encode(key)).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(key)
}

/// Builds the adapters the environment asks for.
pub async fn from_env(config: &Config) -> Result<Backends, String> {
    build(&Choice::from_env(), config).await
}

/// Builds the adapters of a choice. A store this build left out (feature `local`) is refused;
/// a mailer or file store it left out (features `ses`, `s3`) stands in as a "not here" port,
/// because in AWS only the mailer function sends mail and only `servicedownloadable` signs files.
pub async fn build(choice: &Choice, config: &Config) -> Result<Backends, String> {
    let sdk = if choice.table.is_some() || choice.ses || choice.bucket.is_some() || choice.data_key_secret.is_some() {
        Some(bb_aws::sdk_config().await)
    } else {
        None
    };
    build_with(choice, config, sdk).await
}

/// As [`build`], with the AWS SDK configured by the caller (an emulator's, in tests).
pub async fn build_with(choice: &Choice, config: &Config, sdk: Option<bb_aws::SdkConfig>) -> Result<Backends, String> {
    let dir = choice.data_dir.clone();
    let mut summary = Vec::new();
    let store = store(choice, sdk.as_ref(), &mut summary)?;
    let data_key = match (&choice.data_key, &choice.data_key_secret, sdk.as_ref()) {
        (Some(text), _, _) => decode_key(text)?,
        (None, Some(secret), Some(sdk)) => {
            let text = bb_aws::secret_text(sdk, secret).await?;
            bb_core::crypto::data_key_from_secret(&text).map_err(|e| format!("{secret}: {e}"))?
        }
        _ if choice.table.is_none() => local_data_key(&dir)?,
        _ => return Err("set BB_DATA_KEY_SECRET (or BB_DATA_KEY) when the store is DynamoDB".into()),
    };
    let mailer = mailer(choice, sdk.as_ref(), &mut summary)?;
    let (files, local_files) = files(choice, sdk.as_ref(), config, &data_key, &mut summary)?;
    Ok(Backends {
        store,
        mailer,
        files,
        local_files,
        data_key,
        data_dir: dir,
        summary: summary.join("; "),
    })
}

fn store(
    choice: &Choice,
    sdk: Option<&bb_aws::SdkConfig>,
    summary: &mut Vec<String>,
) -> Result<Arc<dyn Store>, String> {
    if let (Some(table), Some(sdk)) = (&choice.table, sdk) {
        summary.push(format!("store: DynamoDB table {table}"));
        return Ok(Arc::new(bb_aws::DynamoStore::new(
            bb_aws::DynamoClient::new(sdk),
            table.clone(),
        )));
    }
    #[cfg(feature = "local")]
    {
        let file = choice.data_dir.join("bb.sqlite3");
        summary.push(format!("store: SQLite {}", file.display()));
        Ok(Arc::new(bb_local::SqliteStore::open(&file).map_err(|e| e.to_string())?))
    }
    #[cfg(not(feature = "local"))]
    Err("set BB_TABLE_NAME: this build has no embedded store (build with --features bb-runtime/local)".into())
}

fn mailer(
    choice: &Choice,
    sdk: Option<&bb_aws::SdkConfig>,
    summary: &mut Vec<String>,
) -> Result<Arc<dyn Mailer>, String> {
    #[cfg(feature = "ses")]
    if let (true, Some(sdk)) = (choice.ses, sdk) {
        summary.push("mail: Amazon SES".into());
        return Ok(Arc::new(bb_aws::SesMailer::new(bb_aws::SesClient::new(sdk))));
    }
    #[cfg(feature = "local")]
    if !choice.ses && (choice.outbox || choice.table.is_none()) {
        let outbox = choice.data_dir.join("outbox");
        summary.push(format!("mail: outbox {}", outbox.display()));
        return Ok(Arc::new(
            bb_local::OutboxMailer::new(&outbox).map_err(|e| e.to_string())?,
        ));
    }
    let _ = (choice, sdk);
    summary.push("mail: sent by the mailer function".into());
    Ok(Arc::new(NotHere("mail is sent by the mailer function")))
}

#[allow(clippy::type_complexity)]
fn files(
    choice: &Choice,
    sdk: Option<&bb_aws::SdkConfig>,
    config: &Config,
    data_key: &[u8; 32],
    summary: &mut Vec<String>,
) -> Result<(Arc<dyn FileStore>, Option<Arc<LocalFiles>>), String> {
    #[cfg(feature = "s3")]
    if let (Some(bucket), Some(sdk)) = (&choice.bucket, sdk) {
        summary.push(format!("files: S3 bucket {bucket}"));
        return Ok((
            Arc::new(bb_aws::S3Files::new(bb_aws::s3_client(sdk), bucket.clone())),
            None,
        ));
    }
    #[cfg(feature = "local")]
    if choice.bucket.is_none() {
        let folder = choice.data_dir.join("files");
        summary.push(format!("files: folder {}", folder.display()));
        let signing = bb_core::crypto::hmac_sha256(data_key, b"local file links");
        let local =
            Arc::new(bb_local::FolderFiles::new(&folder, &signing, &config.public_url).map_err(|e| e.to_string())?);
        return Ok((local.clone() as Arc<dyn FileStore>, Some(local)));
    }
    let _ = (choice, sdk, config, data_key);
    summary.push("files: signed by the servicedownloadable function".into());
    Ok((
        Arc::new(NotHere("files are signed by the servicedownloadable function")),
        None,
    ))
}

/// The folder of downloadable files the local server serves links to.
#[cfg(feature = "local")]
pub type LocalFiles = bb_local::FolderFiles;
#[cfg(not(feature = "local"))]
pub type LocalFiles = ();

/// A port this function does not use in this deployment.
struct NotHere(&'static str);

#[async_trait::async_trait]
impl Mailer for NotHere {
    async fn send(&self, _: &bb_core::mail::OutgoingEmail) -> Result<String, bb_core::mail::MailError> {
        Err(bb_core::mail::MailError::Transient(self.0.into()))
    }

    fn sends_here(&self) -> bool {
        false
    }
}

#[async_trait::async_trait]
impl FileStore for NotHere {
    async fn put(&self, _: &str, _: Vec<u8>, _: &str) -> Result<(), bb_core::files::FileError> {
        Err(bb_core::files::FileError(self.0.into()))
    }
    async fn exists(&self, _: &str) -> Result<bool, bb_core::files::FileError> {
        Err(bb_core::files::FileError(self.0.into()))
    }
    async fn download_url(
        &self,
        _: &str,
        _: &str,
        _: std::time::Duration,
    ) -> Result<String, bb_core::files::FileError> {
        Err(bb_core::files::FileError(self.0.into()))
    }
}

/// The application over these backends. A process that does not send mail itself (on DynamoDB
/// without SES: every API function, an operator command against a live table) leaves queued
/// mail to the stream mailer unless `BB_MAIL_DELIVERY` says otherwise: it never writes a local
/// outbox nor marks mail sent.
pub fn app(backends: &Backends, mut config: Config, clock: Arc<dyn Clock>) -> Result<App, String> {
    if !backends.mailer.sends_here() && std::env::var_os("BB_MAIL_DELIVERY").is_none() {
        config.mail_delivery = bb_core::notifier::DeliveryMode::Stream;
    }
    AppBuilder {
        store: backends.store.clone(),
        mailer: backends.mailer.clone(),
        files: backends.files.clone(),
        outbound: Arc::new(crate::outbound::HyperOutbound::new()),
        clock,
        config,
        data_key: backends.data_key,
    }
    .build()
}

/// Configuration and backends from the environment, with the real clock.
pub async fn app_from_env() -> Result<(App, Backends), String> {
    let config = Config::from_env()?;
    let backends = from_env(&config).await?;
    let app = app(&backends, config, Arc::new(SystemClock))?;
    Ok((app, backends))
}
