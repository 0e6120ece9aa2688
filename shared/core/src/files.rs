//! The file port: S3 with presigned GET URLs in AWS (`bb-aws`), a folder served through
//! HMAC-signed local URLs locally (`bb-local`). Keys come from stored records, never from a
//! client's input.

use async_trait::async_trait;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct FileError(pub String);

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "file store: {}", self.0)
    }
}

impl std::error::Error for FileError {}

#[async_trait]
pub trait FileStore: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), FileError>;
    async fn exists(&self, key: &str) -> Result<bool, FileError>;
    /// A URL that downloads `key` as `filename` until `valid_for` has passed.
    async fn download_url(&self, key: &str, filename: &str, valid_for: Duration) -> Result<String, FileError>;
}

/// Rejects keys that could escape a folder or confuse a URL.
pub fn check_key(key: &str) -> Result<(), FileError> {
    let ok = !key.is_empty()
        && key.len() <= 512
        && !key.starts_with('/')
        && key
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(FileError(format!("invalid file key {key:?}")))
    }
}
