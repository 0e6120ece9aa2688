//! Operator commands: what staff do to accounts, since the product has no admin API.
//! Each works on whichever backend the environment names, and tests use them as ops would.

use bb_core::app::App;
use bb_core::auth;
use bb_core::domain::client::{self as clients, ClientRecord};
use bb_core::keys;
use bb_core::store::{Attr, Cond, TxOp, Update};

pub const STATUSES: &[&str] = &["active", "suspended", "canceled"];

/// Sets a client's status. Anything but `active` ends every session and stops the API key at
/// once (the credential items carry the status the pipeline checks).
pub async fn set_client_status(app: &App, client_id: i64, status: &str) -> Result<ClientRecord, String> {
    if !STATUSES.contains(&status) {
        return Err(format!("status must be one of {}", STATUSES.join(", ")));
    }
    let client = clients::load(app.store.as_ref(), client_id)
        .await
        .map_err(|_| format!("client #{client_id} not found"))?;
    let now = bb_core::clock::format_datetime(app.clock.now());
    let mut update = clients::versioned_update(&client, &now).set("status", status);
    let mut ops = Vec::new();
    if status != "active" {
        update = update.set("sessions", clients::sessions_attr(&[]));
        ops.extend(auth::end_sessions(&client.sessions));
    }
    ops.push(TxOp::Update(update));
    if let Some(hash) = &client.api_key_hash {
        ops.push(TxOp::Update(
            Update::new(keys::api_key(hash))
                .set("status", Attr::S(status.into()))
                .when(Cond::exists()),
        ));
    }
    app.store.transact(ops).await.map_err(|e| e.to_string())?;
    clients::load(app.store.as_ref(), client_id)
        .await
        .map_err(|e| e.to_string())
}

/// Sends again every mail item that is queued or failed (found through the `MAILQ` index).
/// Returns (delivered now, still failing).
pub async fn retry_mail(app: &App) -> Result<(usize, usize), String> {
    use bb_core::notifier::{self, EmailLog};
    use bb_core::store::{Index, Query, from_item, query_all};
    let items = query_all(
        app.store.as_ref(),
        Query::partition(keys::MAIL_QUEUE_GSI).on(Index::Gsi1),
    )
    .await
    .map_err(|e| e.to_string())?;
    let (mut sent, mut failing) = (0, 0);
    for item in items {
        let Ok(mail) = from_item::<EmailLog>(&item) else {
            continue;
        };
        let now = bb_core::clock::format_datetime(app.clock.now());
        notifier::deliver(app.store.as_ref(), app.mailer.as_ref(), &now, &mail).await;
        let after = app.store.get(&mail.key()).await.map_err(|e| e.to_string())?;
        match after.and_then(|i| from_item::<EmailLog>(&i).ok()).map(|m| m.status) {
            Some(status) if status == notifier::SENT => sent += 1,
            _ => failing += 1,
        }
    }
    Ok((sent, failing))
}
