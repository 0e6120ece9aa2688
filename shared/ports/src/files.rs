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

/// `Content-Disposition` for a download named `filename` (RFC 6266): an ASCII `filename=`
/// fallback for old clients, and, when the name is not plain ASCII, `filename*=UTF-8''…` with
/// the name percent-encoded (RFC 8187), so "Sąskaita.pdf" arrives as itself and a header never
/// carries raw non-ASCII bytes (which S3 and HTTP libraries refuse).
pub fn attachment_disposition(filename: &str) -> String {
    let clean: String = filename
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\'))
        .collect();
    let fallback: String = clean.chars().map(|c| if c.is_ascii() { c } else { '_' }).collect();
    let fallback = if fallback.trim().is_empty() {
        "download".to_string()
    } else {
        fallback
    };
    if clean.is_ascii() && !clean.is_empty() {
        return format!("attachment; filename=\"{clean}\"");
    }
    // attr-char of RFC 8187: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else percent-encoded.
    const NOT_ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(&clean, NOT_ATTR_CHAR);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_names_get_an_ascii_fallback_and_an_encoded_utf8_name() {
        assert_eq!(
            attachment_disposition("guide.pdf"),
            "attachment; filename=\"guide.pdf\""
        );
        assert_eq!(
            attachment_disposition("Sąskaita 2026.pdf"),
            "attachment; filename=\"S_skaita 2026.pdf\"; filename*=UTF-8''S%C4%85skaita%202026.pdf"
        );
        assert_eq!(
            attachment_disposition("a\"b\r\n.txt"),
            "attachment; filename=\"ab.txt\""
        );
        assert!(attachment_disposition("Šviesa.zip").is_ascii());
        assert_eq!(
            attachment_disposition("文件"),
            "attachment; filename=\"__\"; filename*=UTF-8''%E6%96%87%E4%BB%B6"
        );
    }
}
