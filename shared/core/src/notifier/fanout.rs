//! Fan-out: one notice to every subscriber of a topic but its author, expanded after the
//! action's commit (1,000 subscribers never slow a post down), resumable and exactly once.
//!
//! The job item, written in the action's transaction, keeps a cursor: the last subscriber
//! handled. Each step reads the next subscribers after the cursor and writes their mail items
//! *in one transaction with the cursor's advance*, conditional on the cursor being where the
//! step read it. So a subscriber's mail is written exactly when the cursor passes them: a
//! step that dies before its commit wrote nothing, and two workers on one job (a stream
//! redelivery and the sweeper) cannot both write one step (the second one's condition fails
//! and it carries on from the new cursor). A step is bounded by count (a transaction holds 100
//! items) and by size (4 MB; mail with a long message is large), and the job stays in the
//! unsent index until it is done, so a failed job is retried, never dropped.

use super::outbox::{EmailLog, Prepared, prepare};
use crate::app::App;
use crate::mail_queue::{STREAM_GRACE_SECONDS, Work, queue_entry};
use crate::store::Record;
use bb_domain::client::ClientRecord;
use bb_domain::keys;
use bb_domain::notice::{Notice, TemplateCode};
use bb_ports::clock::format_datetime;
use bb_ports::error::ApiResult;
use bb_ports::store::{
    Attr, Cond, GSI1_PK, GSI1_SK, IdKind, Ids, Item, Key, MAX_TX_ITEMS, Query, Returning, SkCond, StoreError, TxOp,
    Update, from_item, to_item,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const FANOUT_KIND: &str = "fanout";

/// After the action committed: hands a fan-out to delivery.
pub fn dispatch_fanout(app: &App, job: &FanoutJob) {
    app.mail_dispatch.enqueue(vec![Work::Fanout(job.key())]);
}

/// Writes of one subscriber's mail: the item, its entry in the client's log list, the list's
/// total and its count.
const WRITES_PER_MAIL: usize = 4;

/// Subscribers read per step (the mail of one step must fit one transaction with the job).
const STEP: usize = (MAX_TX_ITEMS - 1) / WRITES_PER_MAIL;

/// Most bytes of mail items one step writes: well under a transaction's 4 MB.
const STEP_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FanoutStatus {
    Pending,
    Done,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FanoutJob {
    /// Always `fanout` (stream filters select on it).
    #[serde(default = "fanout_kind")]
    pub kind: String,
    pub id: String,
    pub template: TemplateCode,
    /// Template variables; each recipient's `[client]` is added as `c`.
    pub vars: Value,
    /// Partition holding the subscriptions (`SUB#<client>` items with `client_id`).
    pub subscribers: String,
    pub except_client: Option<i64>,
    pub status: FanoutStatus,
    /// The last subscriber (client id) whose mail is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<i64>,
    pub created_at: String,
}

fn fanout_kind() -> String {
    FANOUT_KIND.into()
}

impl FanoutJob {
    pub fn new(
        id: String,
        template: TemplateCode,
        vars: Value,
        subscribers: String,
        except_client: Option<i64>,
        now: &str,
    ) -> Self {
        FanoutJob {
            kind: FANOUT_KIND.into(),
            id,
            template,
            vars,
            subscribers,
            except_client,
            status: FanoutStatus::Pending,
            cursor: None,
            created_at: now.into(),
        }
    }

    pub fn key(&self) -> Key {
        Key::new(format!("FANOUT#{}", self.id), "JOB")
    }

    /// The job as an item (kept a week), written in the action's transaction; in the unsent
    /// index until done.
    pub fn to_item(&self, now: i64) -> Result<Item, StoreError> {
        let mut item = to_item(self)?;
        let key = self.key();
        item.extend(queue_entry(&key, now + STREAM_GRACE_SECONDS));
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert(bb_ports::store::TTL.into(), Attr::from(now + 7 * 24 * 3600));
        Ok(item)
    }
}

/// The condition that the job's cursor is where this step read it.
fn cursor_is(cursor: Option<i64>) -> Cond {
    match cursor {
        Some(c) => Cond::eq("cursor", Attr::from(c)),
        None => Cond::NotExists("cursor".into()),
    }
}

fn size_of(op: &TxOp) -> usize {
    match op {
        TxOp::Put { item, .. } => bb_ports::store::item_size(item),
        _ => 0,
    }
}

/// Runs the job at `key` to its end (or to the first store failure, which is returned: the
/// caller reports it and the job is retried). Returns how many mail items it wrote.
pub async fn run_fanout(app: &App, key: &Key) -> ApiResult<usize> {
    let store = app.store.as_ref();
    let mut written = 0;
    loop {
        let Some(item) = store.get(key).await? else {
            return Ok(written);
        };
        let job: FanoutJob = from_item(&item)?;
        if job.status == FanoutStatus::Done {
            return Ok(written);
        }
        let from = job
            .cursor
            .map_or_else(|| "SUB#".to_string(), |c| format!("SUB#{:012}", c + 1));
        let page = store
            .query(
                Query::partition(&job.subscribers)
                    .sk(SkCond::Between(from, "SUB#~".into()))
                    .limit(STEP),
            )
            .await?;
        let subscribers: Vec<i64> = page
            .items
            .iter()
            .filter_map(|i| i.get("client_id").and_then(Attr::as_i64))
            .collect();
        let Some(&last_seen) = subscribers.last() else {
            finish(app, &job).await?;
            return Ok(written);
        };
        let wanted: Vec<i64> = subscribers
            .iter()
            .copied()
            .filter(|id| Some(*id) != job.except_client)
            .collect();
        let keys: Vec<Key> = wanted.iter().map(|id| keys::client(*id)).collect();
        let mut clients: Vec<ClientRecord> = store
            .get_many(&keys)
            .await?
            .items()
            .filter_map(|i| ClientRecord::from_item(i).ok())
            .filter(ClientRecord::is_active)
            .collect();
        clients.sort_by_key(|c| c.id);
        let notices: Vec<Notice> = clients
            .iter()
            .map(|c| {
                let mut vars = job.vars.clone();
                if let Value::Object(m) = &mut vars {
                    m.insert("c".into(), serde_json::json!(c.view(false)));
                }
                Notice::to_client(job.template.clone(), c.id, &c.email, &c.full_name(), vars)
            })
            .collect();
        let mut ids = Ids::allocate(store, &[(IdKind::Email, notices.len())]).await?;
        let prepared = prepare(app, &notices, &mut ids).await?;
        // Take mail in subscriber order while it fits one step; the cursor stops at the last
        // subscriber taken (or passes the whole page when all of it fits). Each mail is in a
        // different client's log, so its writes are its own.
        let (mut ops, mut bytes, mut reached) = (Vec::new(), 0, last_seen);
        for mail in &prepared.mail {
            let writes = Prepared::ops_of(std::slice::from_ref(mail))?;
            let size: usize = writes.iter().map(size_of).sum();
            if !ops.is_empty() && bytes + size > STEP_BYTES {
                reached = subscribers
                    .iter()
                    .copied()
                    .take_while(|id| *id < mail.client_id)
                    .last()
                    .unwrap_or(last_seen);
                break;
            }
            bytes += size;
            ops.extend(writes);
        }
        let taken: Vec<Key> = prepared
            .mail
            .iter()
            .filter(|m| m.client_id <= reached)
            .map(EmailLog::key)
            .collect();
        let advance = Update::new(key.clone())
            .set("cursor", Attr::from(reached))
            .when(cursor_is(job.cursor));
        let step = if ops.is_empty() {
            store.update(advance, Returning::Nothing).await.map(|_| ())
        } else {
            ops.push(TxOp::Update(advance));
            store.transact(ops).await
        };
        match step {
            Ok(()) => {
                written += taken.len();
                app.mail_dispatch.enqueue(taken.into_iter().map(Work::Mail).collect());
            }
            // Another worker took this step: carry on from where it left the cursor.
            Err(e) if e.is_condition_failure() => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Marks the job done and takes it out of the unsent index.
async fn finish(app: &App, job: &FanoutJob) -> ApiResult<()> {
    let update = Update::new(job.key())
        .set("status", Attr::S("done".into()))
        .set("updated_at", Attr::S(format_datetime(app.clock.now())))
        .remove(GSI1_PK)
        .remove(GSI1_SK)
        .when(cursor_is(job.cursor));
    match app.store.update(update, Returning::Nothing).await {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
