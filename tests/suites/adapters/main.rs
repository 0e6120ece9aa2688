//! The conformance suites every adapter passes: the same cases against the embedded backend
//! and against DynamoDB/SES/S3 on moto.

mod files;
mod mail;
mod store;
