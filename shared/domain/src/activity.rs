//! The client's activity log (BoxBilling's `log:` lines), written inside the transaction of the
//! action it describes so it costs no extra round trip.

use crate::keys;
use crate::store::{Item, TxOp};

/// Where and when an action happened: what every activity line records besides its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The action's time as the store writes it (`YYYY-MM-DD HH:MM:SS`).
    pub at: String,
    /// The request's id: it keeps two lines of the same second apart.
    pub request_id: String,
    /// The caller's address.
    pub ip: String,
}

/// A log line for `client_id`, as a transaction operation.
pub fn log(origin: &Origin, client_id: i64, message: impl Into<String>) -> TxOp {
    TxOp::put(entry(origin, client_id, message))
}

/// A log line for `client_id`, as an item to write on its own.
pub fn entry(origin: &Origin, client_id: i64, message: impl Into<String>) -> Item {
    let key = keys::activity(client_id, &origin.at, &origin.request_id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("client_id".into(), client_id.into());
    item.insert("message".into(), message.into().into());
    item.insert("ip".into(), origin.ip.clone().into());
    item.insert("created_at".into(), origin.at.clone().into());
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Attr;

    #[test]
    fn a_line_records_its_client_time_address_and_text() {
        let origin = Origin {
            at: "2026-01-02 03:04:05".into(),
            request_id: "req-1".into(),
            ip: "192.0.2.7".into(),
        };
        let item = entry(&origin, 42, "Updated profile");
        assert_eq!(item.get("client_id"), Some(&Attr::from(42i64)));
        assert_eq!(item.get("message"), Some(&Attr::from("Updated profile")));
        assert_eq!(item.get("ip"), Some(&Attr::from("192.0.2.7")));
        assert_eq!(item.get("created_at"), Some(&Attr::from("2026-01-02 03:04:05")));
        // Two lines of the same second and client stay apart by their request.
        let other = entry(
            &Origin {
                request_id: "req-2".into(),
                ..origin
            },
            42,
            "Logged out",
        );
        assert_ne!(item.get("sk"), other.get("sk"));
    }
}
