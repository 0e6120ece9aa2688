//! Embedded adapters of the ports, for local runs and fast tests: an SQLite file store, an
//! outbox folder of `.eml` files, and a folder of downloadable files behind signed URLs.

mod files;
mod outbox;
mod sqlite;

pub use files::FolderFiles;
pub use outbox::{OutboxMailer, StoredEmail};
pub use sqlite::SqliteStore;
