//! Sending queued mail exactly once, whoever sends it.
//!
//! Four senders may reach one mail item: the mailer function on the table's stream (which
//! redelivers records after failures), the scheduled sweeper, `bb mail retry`, and locally the
//! background worker. Each **claims** the item before sending: one conditional update from
//! `queued` or `failed` (or from `sending` whose lease ran out: its sender died) to `sending`
//! with a lease and a token of its own. Only the claimer sends, and only the claimer's token
//! records the outcome. Two senders racing for one item: one claim succeeds, the other sees its
//! condition fail and moves on.
//!
//! What this cannot rule out is a sender that dies after SES took the message but before the
//! outcome was recorded: the lease runs out and the sweeper sends it again. SES has no
//! idempotency key, so that window (a send's duration) is the one at-least-once case.
//!
//! Unsent items are in a sparse index, sharded so that no single key takes every write:
//! `gsi1pk = MAILQ#<0..QUEUE_SHARDS>` (by a hash of the item's key), `gsi1sk = <due>#<pk>#<sk>`
//! where `due` (epoch seconds, 12 digits) is when the sweeper should look at it: a while after
//! it was written (the stream sends it first), or when its next try is due. Items given up on
//! sort after every due time (`~`), so the sweeper's range skips them and `bb mail retry`
//! still finds them.

use super::fanout::{FANOUT_KIND, run_fanout};
use super::outbox::{EmailLog, MailStatus};
use crate::app::{App, AppParts};
use crate::mail_queue::{QUEUE_SHARDS, Work, Worker, queue_entry};
use bb_domain::keys;
use bb_ports::clock::format_datetime;
use bb_ports::error::ApiResult;
use bb_ports::mail::{MailError, Mailer};
use bb_ports::store::{
    Attr, Cond, GSI1_PK, GSI1_SK, Index, Item, Key, Query, Returning, SkCond, Store, StoreError, StoreResult, Update,
    from_item,
};
use futures::future::BoxFuture;
use std::sync::Arc;
use time::OffsetDateTime;

/// How long a claim holds. A send is one SES call (3 s per attempt, 3 attempts at most).
const LEASE_SECONDS: i64 = 120;

/// Tries before an item is given up on (the operator can still retry it).
pub const MAX_ATTEMPTS: i64 = 6;

/// Wait before try n+1 after n failed tries (1 min, 5 min, 30 min, 2 h, 6 h).
const BACKOFF_SECONDS: [i64; 5] = [60, 300, 1800, 7200, 21_600];

fn given_up_sort(key: &Key) -> String {
    format!("~#{}#{}", key.pk, key.sk)
}

/// Who is sending, which decides what it may claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimer {
    /// The stream mailer, the sweeper, the background worker: new items, failed ones whose
    /// retry is due, and ones whose sender's lease ran out.
    Automatic,
    /// `bb mail retry`: also items given up on or not yet due.
    Operator,
}

fn claimable(claimer: Claimer, now: i64) -> Cond {
    let status = |s: MailStatus| Cond::eq("status", status_attr(s));
    let stale = status(MailStatus::Sending).and(Cond::Lt("lease_until".into(), Attr::from(now)));
    let failed = match claimer {
        Claimer::Automatic => status(MailStatus::Failed)
            .and(Cond::Ne("gave_up".into(), Attr::Bool(true)))
            .and(Cond::Or(vec![
                Cond::NotExists("retry_at".into()),
                Cond::Le("retry_at".into(), Attr::from(now)),
            ])),
        Claimer::Operator => status(MailStatus::Failed),
    };
    Cond::Or(vec![status(MailStatus::Queued), failed, stale]).and(Cond::exists())
}

fn status_attr(status: MailStatus) -> Attr {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(s)) => Attr::S(s),
        _ => Attr::Null,
    }
}

/// What became of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Not sent; tried again at `retry_at`.
    Retrying,
    /// Not sent, and no automatic try is left.
    GaveUp,
    /// Someone else holds it, or it was sent already, or it is not due.
    NotClaimed,
}

/// Claims the item at `key`, sends it, records the outcome. Store failures are returned (the
/// stream then redelivers the record); transport failures are recorded on the item.
pub async fn deliver(
    store: &dyn Store,
    mailer: &dyn Mailer,
    now: OffsetDateTime,
    key: &Key,
    claimer: Claimer,
) -> StoreResult<Delivery> {
    let epoch = now.unix_timestamp();
    let token = bb_ports::crypto::random_token().map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let claim = Update::new(key.clone())
        .set("status", status_attr(MailStatus::Sending))
        .set("claim", Attr::S(token.clone()))
        .set("lease_until", Attr::from(epoch + LEASE_SECONDS))
        .add("attempts", 1)
        .when(claimable(claimer, epoch));
    let mail = match store.update(claim, Returning::AllNew).await {
        Ok(Some(item)) => from_item::<EmailLog>(&item)?,
        Ok(None) | Err(StoreError::ConditionFailed) => return Ok(Delivery::NotClaimed),
        Err(e) => return Err(e),
    };
    let sent = mailer.send(&mail.message()).await;
    if let Err(e) = &sent {
        tracing::warn!(target: "bb::mail", error = %e, mail = mail.id, attempts = mail.attempts, "e-mail not sent");
    }
    let (update, delivery) = outcome(&mail, key, &token, epoch, sent.err());
    match store.update(update, Returning::Nothing).await {
        Ok(_) => Ok(delivery),
        // The lease ran out mid-send and another sender took over: its outcome stands.
        Err(StoreError::ConditionFailed) => Ok(delivery),
        Err(e) => {
            tracing::error!(target: "bb::mail", error = %e, mail = mail.id, "could not record the e-mail outcome");
            Err(e)
        }
    }
}

/// The update recording a send's outcome, made by the claimer only.
fn outcome(mail: &EmailLog, key: &Key, token: &str, now: i64, error: Option<MailError>) -> (Update, Delivery) {
    let update = Update::new(key.clone())
        .set("attempted_at", Attr::S(format_datetime_epoch(now)))
        .remove("claim")
        .remove("lease_until")
        .when(Cond::eq("claim", Attr::S(token.to_string())));
    match error {
        None => (
            update
                .set("status", status_attr(MailStatus::Sent))
                .remove("error")
                .remove("retry_at")
                .remove(GSI1_PK)
                .remove(GSI1_SK),
            Delivery::Sent,
        ),
        Some(e) => {
            let update = update
                .set("status", status_attr(MailStatus::Failed))
                .set("error", Attr::S(e.reason().to_string()));
            let retry_in = usize::try_from(mail.attempts - 1)
                .ok()
                .and_then(|n| BACKOFF_SECONDS.get(n))
                .copied();
            match retry_in.filter(|_| e.is_transient() && mail.attempts < MAX_ATTEMPTS) {
                Some(wait) => {
                    let [_, (_, sort)] = queue_entry(key, now + wait);
                    (
                        update.set("retry_at", Attr::from(now + wait)).set(GSI1_SK, sort),
                        Delivery::Retrying,
                    )
                }
                None => (
                    update
                        .set("gave_up", Attr::Bool(true))
                        .remove("retry_at")
                        .set(GSI1_SK, Attr::S(given_up_sort(key))),
                    Delivery::GaveUp,
                ),
            }
        }
    }
}

fn format_datetime_epoch(epoch: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch).map_or_else(|_| String::new(), format_datetime)
}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub sent: usize,
    pub retrying: usize,
    pub gave_up: usize,
    /// Items another sender held, or that turned out sent or not due.
    pub skipped: usize,
    pub fanouts: usize,
    /// The pass stopped at its limit; the rest is the next pass's.
    pub more: bool,
}

/// Every unsent item (mail and fan-out jobs) in the queue index, due ones first per shard.
/// `due_by`: only items due by then (the sweeper); `None`: all of them (the operator).
pub async fn unsent(store: &dyn Store, due_by: Option<i64>, limit: usize) -> StoreResult<(Vec<Item>, bool)> {
    let mut found = Vec::new();
    for shard in 0..QUEUE_SHARDS {
        let mut query = Query::partition(keys::mail_queue_shard(shard))
            .on(Index::Gsi1)
            .limit(100);
        if let Some(by) = due_by {
            query = query.sk(SkCond::Lt(format!("{:012}", by + 1)));
        }
        loop {
            let page = store.query(query.clone()).await?;
            found.extend(page.items);
            if found.len() >= limit {
                found.truncate(limit);
                return Ok((found, true));
            }
            match page.cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
    }
    Ok((found, false))
}

/// One pass of the sweeper: sends what is due (mail the stream missed, retries whose time
/// came, claims whose sender died) and finishes fan-outs left unfinished, at most `limit`
/// items, stopping early when the invocation's deadline nears.
pub async fn sweep(app: &App, limit: usize) -> ApiResult<SweepReport> {
    let now = app.clock.now();
    let (items, more) = unsent(app.store.as_ref(), Some(now.unix_timestamp()), limit).await?;
    let mut report = SweepReport {
        more,
        ..SweepReport::default()
    };
    for item in items {
        if bb_ports::deadline::remaining().is_some_and(|left| left < std::time::Duration::from_secs(5)) {
            report.more = true;
            break;
        }
        let Some(key) = Key::of(&item) else { continue };
        match item.get("kind").and_then(Attr::as_str) {
            Some(FANOUT_KIND) => {
                run_fanout(app, &key).await?;
                report.fanouts += 1;
            }
            _ => match deliver(
                app.store.as_ref(),
                app.mailer.as_ref(),
                app.clock.now(),
                &key,
                Claimer::Automatic,
            )
            .await?
            {
                Delivery::Sent => report.sent += 1,
                Delivery::Retrying => report.retrying += 1,
                Delivery::GaveUp => report.gave_up += 1,
                Delivery::NotClaimed => report.skipped += 1,
            },
        }
    }
    Ok(report)
}

/// For an operator whose process does not send (a live table without SES): makes every failed
/// item due now, given up or not, so the sweeper sends it on its next pass. Returns how many.
pub async fn requeue_failed(app: &App) -> ApiResult<usize> {
    let now = app.clock.now().unix_timestamp();
    let (items, _) = unsent(app.store.as_ref(), None, usize::MAX).await?;
    let mut requeued = 0;
    for item in items
        .iter()
        .filter(|i| i.get("status").and_then(Attr::as_str) == Some("failed"))
    {
        let Some(key) = Key::of(item) else { continue };
        let [_, (_, sort)] = queue_entry(&key, now);
        let update = Update::new(key)
            .set("retry_at", Attr::from(now))
            .remove("gave_up")
            .set(GSI1_SK, sort)
            .when(Cond::eq("status", status_attr(MailStatus::Failed)));
        match app.store.update(update, Returning::Nothing).await {
            Ok(_) => requeued += 1,
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(requeued)
}

/// Work for the in-process side of delivery.
impl Worker for AppParts {
    fn perform(self: Arc<Self>, work: Work) -> BoxFuture<'static, ()> {
        Box::pin(async move { perform(&App::from_parts(self), work).await })
    }
}

/// The background worker's step. Failures stay on the items (the sweeper retries them).
async fn perform(app: &App, work: Work) {
    let result = match &work {
        Work::Mail(key) => deliver(
            app.store.as_ref(),
            app.mailer.as_ref(),
            app.clock.now(),
            key,
            Claimer::Automatic,
        )
        .await
        .map(|_| ())
        .map_err(bb_ports::error::ApiError::from),
        Work::Fanout(key) => run_fanout(app, key).await.map(|_| ()),
    };
    if let Err(e) = result {
        tracing::error!(target: "bb::mail", error = %e, work = ?work, "delivery left for the sweeper");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail_queue::queue_partition;

    #[test]
    fn queue_keys_spread_over_the_shards_and_sort_by_due_time() {
        let shards: std::collections::HashSet<String> = (0..200)
            .map(|i| queue_partition(&bb_domain::keys::email_log(i, i)))
            .collect();
        assert_eq!(shards.len() as u64, QUEUE_SHARDS);
        let key = bb_domain::keys::email_log(7, 9);
        let sort = |due| match queue_entry(&key, due) {
            [_, (_, Attr::S(s))] => s,
            _ => unreachable!(),
        };
        assert!(sort(99) < sort(100) && sort(100) < sort(1_000_000_000_000));
        assert!(sort(1_900_000_000) < format!("{:012}", 1_900_000_001));
        assert!(given_up_sort(&key) > sort(999_999_999_999));
    }

    #[test]
    fn transient_failures_back_off_until_the_attempts_run_out() {
        let key = bb_domain::keys::email_log(1, 1);
        let mut mail: EmailLog = serde_json::from_value(serde_json::json!({
            "id": 1, "client_id": 1, "from_email": "a@b.c", "to": ["d@e.f"], "sender": "a@b.c",
            "recipients": "d@e.f", "subject": "s", "content_html": "h", "content_text": "t",
            "status": "sending", "created_at": "2026-12-02 10:00:00", "updated_at": "2026-12-02 10:00:00"
        }))
        .unwrap();
        let throttled = || Some(MailError::Transient("Maximum sending rate exceeded.".into()));
        for attempt in 1..MAX_ATTEMPTS {
            mail.attempts = attempt;
            let (update, delivery) = outcome(&mail, &key, "t", 1000, throttled());
            assert_eq!(delivery, Delivery::Retrying);
            let wait = BACKOFF_SECONDS[(attempt - 1) as usize];
            assert!(update.ops.contains(&bb_ports::store::UpdateOp::Set(
                "retry_at".into(),
                Attr::from(1000 + wait)
            )));
            update.validate().unwrap();
        }
        mail.attempts = MAX_ATTEMPTS;
        assert_eq!(outcome(&mail, &key, "t", 1000, throttled()).1, Delivery::GaveUp);
        mail.attempts = 1;
        let refused = Some(MailError::Rejected("Illegal address".into()));
        let (update, delivery) = outcome(&mail, &key, "t", 1000, refused);
        assert_eq!(delivery, Delivery::GaveUp);
        update.validate().unwrap();
        let (update, delivery) = outcome(&mail, &key, "t", 1000, None);
        assert_eq!(delivery, Delivery::Sent);
        update.validate().unwrap();
    }
}
