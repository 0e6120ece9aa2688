//! Every key of the single table, in one place. ARCHITECTURE.md carries the same table with
//! its access patterns; a new record type adds a function here, not an index.
//!
//! Client-owned records live in the owner's partition `C#<client id>`, so a foreign id is
//! simply not found. Integer parts of sort keys are zero-padded to keep numeric order.

use crate::store::Key;

/// Width of zero-padded ids in sort keys.
pub fn pad(id: i64) -> String {
    format!("{id:012}")
}

pub fn client_partition(client_id: i64) -> String {
    format!("C#{client_id}")
}

/// The client record (profile, status, balance, credentials' hashes, live sessions).
pub fn client(client_id: i64) -> Key {
    Key::new(client_partition(client_id), "PROFILE")
}

/// Unique e-mail guard: lower-cased e-mail → client id.
pub fn client_email(email: &str) -> Key {
    Key::new(format!("EMAIL#{}", email.trim().to_lowercase()), "EMAIL")
}

/// API key item, by the SHA-256 of the key: client id, client status, per-key rate counters.
pub fn api_key(key_hash: &str) -> Key {
    Key::new(format!("KEY#{key_hash}"), "KEY")
}

/// Session item, by the SHA-256 of the cookie token.
pub fn session(token_hash: &str) -> Key {
    Key::new(format!("SESSION#{token_hash}"), "SESSION")
}

/// Activity log line of a client (`log: ...` in BoxBilling), newest last.
pub fn activity(client_id: i64, at: &str, suffix: &str) -> Key {
    Key::new(client_partition(client_id), format!("LOG#{at}#{suffix}"))
}

/// Fixed-window rate counter for one subject (`ip` or `login` class, address, window number).
pub fn rate_counter(class: &str, subject: &str, window: u64) -> Key {
    Key::new(format!("RL#{class}#{subject}#{window}"), "RL")
}

/// The id counters, one attribute per [`crate::store::IdKind`] (defined beside the allocator).
pub use crate::store::id_counters;

/// System settings (company block, invoice series, module configs), one item.
pub fn settings() -> Key {
    Key::new("CONFIG", "SETTINGS")
}

/// Partition of e-mail templates, one item per BoxBilling action code.
pub const TEMPLATES: &str = "TEMPLATE";

pub fn template(code: &str) -> Key {
    Key::new(TEMPLATES, code)
}

/// A client's e-mail log entry (what `email/get_list` shows).
pub fn email_log(client_id: i64, email_id: i64) -> Key {
    Key::new(client_partition(client_id), format!("EMAIL#{}", pad(email_id)))
}

pub const EMAIL_LOG_PREFIX: &str = "EMAIL#";

/// Staff mail (notices to the company's own addresses).
pub fn staff_email(email_id: i64) -> Key {
    Key::new("STAFF", format!("EMAIL#{}", pad(email_id)))
}

/// One shard of the sparse index (gsi1) of unsent mail and unfinished fan-out jobs, so the
/// sweeper finds them without a scan; the notifier picks the shard by a hash of the item's key.
pub fn mail_queue_shard(shard: u64) -> String {
    format!("MAILQ#{shard}")
}

/// A forum (`FORUM` partition: every forum in one read).
pub fn forum(id: i64) -> Key {
    Key::new("FORUM", format!("F#{}", pad(id)))
}

pub const FORUMS: &str = "FORUM";

/// How many items share a forum's topic and post counts. Every post adds to one of them (by
/// its id), so posts to a busy forum do not all write one item and conflict in their
/// transactions; the forum list reads them with the forums (same partition) and sums.
pub const FORUM_COUNTER_SHARDS: i64 = 8;

/// One shard of a forum's counts (`FORUM` / `FC#<forum>#<shard>`).
pub fn forum_counter(forum_id: i64, spread_by: i64) -> Key {
    Key::new(
        "FORUM",
        format!("FC#{}#{}", pad(forum_id), spread_by.rem_euclid(FORUM_COUNTER_SHARDS)),
    )
}

/// A topic (`TOPICS` partition: every topic in one read, newest by id).
pub fn topic(id: i64) -> Key {
    Key::new("TOPICS", format!("T#{}", pad(id)))
}

pub const TOPICS: &str = "TOPICS";

/// A topic's messages and subscribers live in the topic's own partition.
pub fn topic_partition(id: i64) -> String {
    format!("TOPIC#{id}")
}

pub fn topic_message(topic_id: i64, message_id: i64) -> Key {
    Key::new(topic_partition(topic_id), format!("M#{}", pad(message_id)))
}

pub fn subscription(topic_id: i64, client_id: i64) -> Key {
    Key::new(topic_partition(topic_id), format!("SUB#{}", pad(client_id)))
}

/// Unique topic slug guard.
pub fn topic_slug(slug: &str) -> Key {
    Key::new(format!("TSLUG#{slug}"), "SLUG")
}

pub fn favorite(client_id: i64, topic_id: i64) -> Key {
    Key::new(client_partition(client_id), format!("FAV#{}", pad(topic_id)))
}

pub fn forum_profile(client_id: i64) -> Key {
    Key::new(client_partition(client_id), "FORUMPROFILE")
}

/// A client's ticket (messages embedded).
pub fn ticket(client_id: i64, ticket_id: i64) -> Key {
    Key::new(client_partition(client_id), format!("TKT#{}", pad(ticket_id)))
}

pub const TICKET_PREFIX: &str = "TKT#";

/// Guard of a pending request ticket (duplicate-request rule).
pub fn ticket_request(client_id: i64, rel_type: &str, rel_id: i64, task: &str) -> Key {
    Key::new(
        client_partition(client_id),
        format!("TKTREL#{rel_type}#{rel_id}#{task}"),
    )
}
