//! The file port as a folder, with downloads through HMAC-signed URLs that the local server
//! checks (`/files/<key>?name=..&expires=..&sig=..`), as S3 presigned URLs work in AWS.

use async_trait::async_trait;
use bb_ports::crypto::{constant_time_eq, hmac_sha256};
use bb_ports::files::{FileError, FileStore, check_key};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct FolderFiles {
    root: PathBuf,
    signing_key: Vec<u8>,
    base_url: String,
}

fn now_epoch() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl FolderFiles {
    pub fn new(root: &Path, signing_key: &[u8], base_url: &str) -> Result<FolderFiles, FileError> {
        std::fs::create_dir_all(root).map_err(|e| FileError(format!("{}: {e}", root.display())))?;
        Ok(FolderFiles {
            root: root.to_path_buf(),
            signing_key: signing_key.to_vec(),
            base_url: base_url.trim_end_matches('/').to_string(),
        })
    }

    fn path(&self, key: &str) -> Result<PathBuf, FileError> {
        check_key(key)?;
        Ok(self.root.join(key))
    }

    fn signature(&self, key: &str, name: &str, expires: i64) -> String {
        hex::encode(hmac_sha256(
            &self.signing_key,
            format!("{key}\n{name}\n{expires}").as_bytes(),
        ))
    }

    /// The file behind a signed URL, if the signature matches and has not expired.
    pub fn open_signed(&self, key: &str, name: &str, expires: i64, sig: &str) -> Result<Vec<u8>, FileError> {
        if expires < now_epoch() {
            return Err(FileError("link expired".into()));
        }
        if !constant_time_eq(self.signature(key, name, expires).as_bytes(), sig.as_bytes()) {
            return Err(FileError("bad signature".into()));
        }
        std::fs::read(self.path(key)?).map_err(|e| FileError(format!("read {key}: {e}")))
    }
}

#[async_trait]
impl FileStore for FolderFiles {
    async fn put(&self, key: &str, bytes: Vec<u8>, _content_type: &str) -> Result<(), FileError> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| FileError(e.to_string()))?;
        }
        tokio::fs::write(&path, bytes)
            .await
            .map_err(|e| FileError(e.to_string()))
    }

    async fn exists(&self, key: &str) -> Result<bool, FileError> {
        Ok(tokio::fs::try_exists(self.path(key)?).await.unwrap_or(false))
    }

    async fn download_url(&self, key: &str, filename: &str, valid_for: Duration) -> Result<String, FileError> {
        check_key(key)?;
        let expires = now_epoch() + valid_for.as_secs() as i64;
        Ok(format!(
            "{}/files/{key}?name={}&expires={expires}&sig={}",
            self.base_url,
            percent(filename),
            self.signature(key, filename, expires)
        ))
    }
}
