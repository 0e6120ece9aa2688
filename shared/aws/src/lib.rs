//! AWS adapters of the ports: DynamoDB (store), SES (mail), S3 (files). Clients are built once
//! per process from the standard environment (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL`
//! for emulators) and reused across invocations.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod dynamodb;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "ses")]
mod ses;

pub use dynamodb::{DynamoStore, create_table, from_ddb, to_ddb};
#[cfg(feature = "s3")]
pub use s3::S3Files;
#[cfg(feature = "ses")]
pub use ses::SesMailer;

use aws_config::BehaviorVersion;

/// The shared SDK configuration from the environment.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

#[cfg(feature = "s3")]
/// An S3 client; path-style addressing when an endpoint override points at an emulator.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let path_style = config.endpoint_url().is_some();
    let s3 = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

pub use aws_config::SdkConfig;
pub use aws_sdk_dynamodb::Client as DynamoClient;
#[cfg(feature = "ses")]
pub use aws_sdk_ses::Client as SesClient;

/// SDK configuration for a local AWS emulator (moto) at `endpoint`, with dummy credentials.
pub async fn emulator_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "emulator",
        ))
        .load()
        .await
}
