//! The mailer function: what the table's stream and the sweep schedule bring.
//!
//! - A stream batch (`Records`): inserted mail items are claimed and sent, inserted fan-out
//!   jobs are expanded into mail items (which come back through the stream). A record whose
//!   work failed on the store is reported in `batchItemFailures`, so Lambda delivers it again
//!   (claims make the redelivery of anything already sent a no-op); mail the transport refused
//!   is recorded on its item instead and retried by the sweeper.
//! - A scheduled event (`{"sweep": true}`): one sweeper pass over the unsent-mail index.

use bb_core::app::App;
use bb_core::notifier::{self, Claimer, FANOUT_KIND, MAIL_KIND};
use bb_core::store::{Attr, Item, Key};
use serde_json::{Value, json};

/// How many items one sweep takes at most; the rest waits for the next pass.
const SWEEP_LIMIT: usize = 2_000;

pub async fn handle(app: &App, event: Value) -> Value {
    match event.get("Records").and_then(Value::as_array) {
        Some(records) => stream_batch(app, records).await,
        None => match notifier::sweep(app, SWEEP_LIMIT).await {
            Ok(report) => {
                tracing::info!(target: "bb::mail", ?report, "sweep");
                json!({"sent": report.sent, "retrying": report.retrying, "gave_up": report.gave_up,
                       "skipped": report.skipped, "fanouts": report.fanouts, "more": report.more})
            }
            // The next scheduled pass tries again; the error is the function's, for its alarm.
            Err(e) => {
                tracing::error!(target: "bb::mail", error = %e, detail = ?e.detail, "sweep failed");
                json!({"error": e.message})
            }
        },
    }
}

/// A record's new image as an item (DynamoDB's tagged JSON).
fn new_image(record: &Value) -> Option<Item> {
    let Some(Value::Object(image)) = record.pointer("/dynamodb/NewImage") else {
        return None;
    };
    image
        .iter()
        .map(|(k, v)| Attr::from_tagged(v).ok().map(|a| (k.clone(), a)))
        .collect()
}

async fn stream_batch(app: &App, records: &[Value]) -> Value {
    let mut failures = Vec::new();
    for record in records {
        if record.get("eventName").and_then(Value::as_str) != Some("INSERT") {
            continue;
        }
        let Some((item, key)) = new_image(record).and_then(|i| Key::of(&i).map(|k| (i, k))) else {
            tracing::warn!(target: "bb::mail", "stream record without a readable image; skipped");
            continue;
        };
        let done = match item.get("kind").and_then(Attr::as_str) {
            Some(MAIL_KIND) => notifier::deliver(
                app.store.as_ref(),
                app.mailer.as_ref(),
                app.clock.now(),
                &key,
                Claimer::Automatic,
            )
            .await
            .map(|_| ())
            .map_err(bb_core::error::ApiError::from),
            Some(FANOUT_KIND) => notifier::run_fanout(app, &key).await.map(|_| ()),
            _ => Ok(()),
        };
        if let Err(e) = done {
            tracing::error!(target: "bb::mail", error = %e, detail = ?e.detail, key = %key, "stream record failed; reported for redelivery");
            if let Some(sequence) = record.pointer("/dynamodb/SequenceNumber").and_then(Value::as_str) {
                failures.push(json!({"itemIdentifier": sequence}));
            }
        }
    }
    json!({"batchItemFailures": failures})
}
