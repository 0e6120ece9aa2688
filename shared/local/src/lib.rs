//! Embedded adapters of the ports, for local runs and fast tests: an SQLite file store, an
//! outbox folder of `.eml` files, and a folder of downloadable files behind signed URLs.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod files;
mod outbox;
mod sqlite;

pub use files::FolderFiles;
pub use outbox::{OutboxMailer, StoredEmail};
pub use sqlite::SqliteStore;
