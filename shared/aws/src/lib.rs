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
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use std::time::Duration;

/// How long the SDK waits, so a hung call fails inside the function's time: one attempt 3 s
/// (DynamoDB answers in milliseconds; SES in well under a second), all attempts of one call
/// 8 s. A request's own deadline (`bb_ports::deadline`) cuts any call shorter still.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build()
}

/// The SDK's own retries: standard mode, 3 attempts (timeouts, 500s, throttling). Conflicts and
/// throttling that outlast them are retried once more by `bb_ports::store::Resilient`.
pub fn retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3)
}

/// The shared SDK configuration from the environment.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
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

/// The data key's secret text from Secrets Manager (`BB_DATA_KEY_SECRET`: its ARN or name),
/// read once per process at init. The function's policy allows exactly this one read.
pub async fn secret_text(config: &SdkConfig, secret_id: &str) -> Result<String, String> {
    let client = aws_sdk_secretsmanager::Client::new(config);
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            format!(
                "could not read the data key secret {secret_id}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            )
        })?;
    out.secret_string()
        .map(String::from)
        .ok_or_else(|| format!("the data key secret {secret_id} has no text value"))
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
