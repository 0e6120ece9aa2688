//! The file port on Amazon S3: private objects, downloads through presigned GET URLs.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use bb_ports::files::{FileError, FileStore, check_key};
use std::time::Duration;

pub struct S3Files {
    client: Client,
    bucket: String,
}

impl S3Files {
    pub fn new(client: Client, bucket: impl Into<String>) -> S3Files {
        S3Files {
            client,
            bucket: bucket.into(),
        }
    }
}

fn s3_error(e: impl std::error::Error) -> FileError {
    FileError(format!("s3: {}", DisplayErrorContext(&e)))
}

#[async_trait]
impl FileStore for S3Files {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), FileError> {
        check_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(s3_error)?;
        Ok(())
    }

    async fn exists(&self, key: &str) -> Result<bool, FileError> {
        check_key(key)?;
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(_) => Ok(true),
            Err(e) => match e.into_service_error() {
                e if e.is_not_found() => Ok(false),
                e => Err(s3_error(e)),
            },
        }
    }

    async fn download_url(&self, key: &str, filename: &str, valid_for: Duration) -> Result<String, FileError> {
        check_key(key)?;
        let config = PresigningConfig::expires_in(valid_for).map_err(|e| FileError(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(bb_ports::files::attachment_disposition(filename))
            .presigned(config)
            .await
            .map_err(s3_error)?;
        Ok(request.uri().to_string())
    }
}
