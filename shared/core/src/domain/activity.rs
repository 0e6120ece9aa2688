//! The client's activity log (BoxBilling's `log:` lines), written inside the transaction of the
//! action it describes so it costs no extra round trip.

use crate::context::Ctx;
use crate::keys;
use crate::store::{Item, TxOp};

/// A log line for `client_id`, as a transaction operation.
pub fn log(ctx: &Ctx, client_id: i64, message: impl Into<String>) -> TxOp {
    TxOp::put(entry(ctx, client_id, message))
}

/// A log line for `client_id`, as an item to write on its own.
pub fn entry(ctx: &Ctx, client_id: i64, message: impl Into<String>) -> Item {
    let suffix = &ctx.meta.request_id;
    let key = keys::activity(client_id, &ctx.now_text(), suffix);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("client_id".into(), client_id.into());
    item.insert("message".into(), message.into().into());
    item.insert("ip".into(), ctx.meta.ip.clone().into());
    item.insert("created_at".into(), ctx.now_text().into());
    item
}
