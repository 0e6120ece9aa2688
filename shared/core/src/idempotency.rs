//! Idempotency of the methods that create things (checkout, renewal, deposits): a client that
//! sends a request again, because its first answer timed out or was lost, gets the first
//! outcome instead of a second order or invoice.
//!
//! The record (`IDEM#<client>#<key>` / `IDEM`, kept a day) is written *in the same transaction*
//! as what it describes, conditional on being new; so either both exist or neither does, and
//! of two racing requests exactly one commits. Keys come from the client (`Idempotency-Key`
//! header) or from the request's natural identity (the cart being checked out).

use crate::context::RequestMeta;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::store::{Attr, Item, Key, TTL, TxOp};
use serde_json::Value;

/// How long a first outcome is kept for retries.
pub const WINDOW_SECONDS: i64 = 24 * 3600;

/// The request's `Idempotency-Key` header, checked (1 to 128 visible ASCII characters).
pub fn header_key(meta: &RequestMeta) -> ApiResult<Option<String>> {
    match meta.header("idempotency-key").map(str::trim) {
        Some(k) if !k.is_empty() && k.len() <= 128 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(k.to_string()))
        }
        Some(_) => Err(ApiError::new("Idempotency-Key must be 1 to 128 visible characters")),
        None => Ok(None),
    }
}

/// Where the first outcome of `key` for this client is kept. `scope` separates methods, so one
/// header value used for a checkout and for a deposit names two records.
pub fn key(client_id: i64, scope: &str, key: &str) -> Key {
    Key::new(format!("IDEM#{client_id}#{scope}:{key}"), "IDEM")
}

/// The record of a first outcome, to write (new only) in the transaction that produced it.
pub fn record(at: Key, result: &Value, now: i64) -> TxOp {
    let mut item = Item::new();
    item.insert("pk".into(), at.pk.into());
    item.insert("sk".into(), at.sk.into());
    item.insert("result".into(), Attr::from_json(result));
    item.insert(TTL.into(), Attr::from(now + WINDOW_SECONDS));
    TxOp::put_new(item)
}

/// The outcome a record holds.
pub fn stored(item: &Item) -> Option<Value> {
    item.get("result").map(Attr::to_json)
}

/// Messages (ticket replies, forum posts) have no key of their own: the same text from the same
/// author on the same thread within this many seconds is taken as the same message sent again.
pub const REPEAT_SECONDS: i64 = 600;

/// Whether something written at `created_at` is recent enough to be a repeat at `now`.
pub fn is_repeat_window(created_at: &str, now: time::OffsetDateTime) -> bool {
    bb_ports::clock::parse_datetime(created_at).is_some_and(|at| {
        let age = (now - at).whole_seconds();
        (0..REPEAT_SECONDS).contains(&age)
    })
}
