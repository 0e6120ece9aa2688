//! Which adapters a process uses, decided by the environment:
//!
//! | variable | set | unset |
//! |---|---|---|
//! | `BB_TABLE_NAME` | DynamoDB table | SQLite file `<BB_DATA_DIR>/bb.sqlite3` |
//! | `BB_MAIL=ses` | Amazon SES | `.eml` files in `<BB_DATA_DIR>/outbox` |
//! | `BB_FILES_BUCKET` | S3 bucket | folder `<BB_DATA_DIR>/files` behind signed local URLs |
//! | `BB_DATA_KEY` | base64 of 32 bytes sealing stored secrets | generated once into `<BB_DATA_DIR>/data.key` (local store only) |
//!
//! `BB_DATA_DIR` defaults to `.bb-data` in the working directory. AWS clients read the usual
//! `AWS_*` variables (an `AWS_ENDPOINT_URL` points them at an emulator).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bb_core::app::{App, AppBuilder};
use bb_core::clock::{Clock, SystemClock};
use bb_core::config::Config;
use bb_core::crypto::{hmac_sha256, random_bytes};
use bb_core::files::FileStore;
use bb_core::mail::Mailer;
use bb_core::module::Registry;
use bb_core::store::Store;
use bb_local::{FolderFiles, OutboxMailer, SqliteStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Backends {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub files: Arc<dyn FileStore>,
    /// The local file folder, when used (the local server serves its signed URLs).
    pub local_files: Option<Arc<FolderFiles>>,
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

/// Builds the adapters of a choice.
pub async fn build(choice: &Choice, config: &Config) -> Result<Backends, String> {
    let dir = choice.data_dir.clone();
    let table = choice.table.clone();
    let use_ses = choice.ses;
    let bucket = choice.bucket.clone();
    let sdk = if table.is_some() || use_ses || bucket.is_some() {
        Some(bb_aws::sdk_config().await)
    } else {
        None
    };
    let mut summary = Vec::new();

    let store: Arc<dyn Store> = match (&table, &sdk) {
        (Some(table), Some(sdk)) => {
            summary.push(format!("store: DynamoDB table {table}"));
            Arc::new(bb_aws::DynamoStore::new(bb_aws::DynamoClient::new(sdk), table.clone()))
        }
        _ => {
            let file = dir.join("bb.sqlite3");
            summary.push(format!("store: SQLite {}", file.display()));
            Arc::new(SqliteStore::open(&file).map_err(|e| e.to_string())?)
        }
    };
    let data_key = match &choice.data_key {
        Some(text) => decode_key(text)?,
        None if table.is_none() => local_data_key(&dir)?,
        None => return Err("BB_DATA_KEY must be set when the store is DynamoDB".into()),
    };
    let mailer: Arc<dyn Mailer> = match (use_ses, &sdk) {
        (true, Some(sdk)) => {
            summary.push("mail: Amazon SES".into());
            Arc::new(bb_aws::SesMailer::new(bb_aws::SesClient::new(sdk)))
        }
        _ => {
            let outbox = dir.join("outbox");
            summary.push(format!("mail: outbox {}", outbox.display()));
            Arc::new(OutboxMailer::new(&outbox).map_err(|e| e.to_string())?)
        }
    };
    let (files, local_files): (Arc<dyn FileStore>, _) = match (&bucket, &sdk) {
        (Some(bucket), Some(sdk)) => {
            summary.push(format!("files: S3 bucket {bucket}"));
            (
                Arc::new(bb_aws::S3Files::new(bb_aws::s3_client(sdk), bucket.clone())),
                None,
            )
        }
        _ => {
            let folder = dir.join("files");
            summary.push(format!("files: folder {}", folder.display()));
            let signing = hmac_sha256(&data_key, b"local file links");
            let local = Arc::new(FolderFiles::new(&folder, &signing, &config.public_url).map_err(|e| e.to_string())?);
            (local.clone() as Arc<dyn FileStore>, Some(local))
        }
    };
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

/// The application over these backends.
pub fn app(backends: &Backends, config: Config, registry: Registry, clock: Arc<dyn Clock>) -> Result<App, String> {
    AppBuilder {
        store: backends.store.clone(),
        mailer: backends.mailer.clone(),
        files: backends.files.clone(),
        clock,
        config,
        registry,
        data_key: backends.data_key,
    }
    .build()
}

/// Configuration and backends from the environment, with the real clock.
pub async fn app_from_env(registry: Registry) -> Result<(App, Backends), String> {
    let config = Config::from_env()?;
    let backends = from_env(&config).await?;
    let app = app(&backends, config, registry, Arc::new(SystemClock))?;
    Ok((app, backends))
}
