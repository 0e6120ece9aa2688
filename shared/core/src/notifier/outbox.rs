//! The outbox: notices rendered into mail items written in the action's transaction, and
//! handed to delivery after its commit.

use crate::app::App;
use crate::mail_queue::{STREAM_GRACE_SECONDS, Work, queue_entry};
use bb_domain::bounded::shorten;
use bb_domain::keys;
use bb_domain::notice::template::{Escape, html_to_text, render};
use bb_domain::notice::{Notice, Recipient};
use bb_ports::clock::format_datetime;
use bb_ports::error::ApiResult;
use bb_ports::mail::OutgoingEmail;
use bb_ports::store::listing::{ListWrites, Listed, Listing, Placement, Rank};
use bb_ports::store::{IdKind, Ids, Item, Key, StoreError, TxOp, to_item};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

fn mail_kind() -> String {
    MAIL_KIND.into()
}

pub const MAIL_KIND: &str = "mail";

/// The partition of staff mail (no client's log).
pub const STAFF_CLIENT_ID: i64 = 0;

/// A mail item: an entry of a client's e-mail log (or of the staff log, `client_id` 0) that
/// also carries what the transport needs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EmailLog {
    /// Always `mail` (stream filters select on it).
    #[serde(default = "mail_kind")]
    pub kind: String,
    pub id: i64,
    pub client_id: i64,
    pub from_email: String,
    #[serde(default)]
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub sender: String,
    pub recipients: String,
    pub subject: String,
    pub content_html: String,
    pub content_text: String,
    pub status: MailStatus,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Sends tried so far.
    #[serde(default)]
    pub attempts: i64,
    /// While `sending`: until when the claimer may send (epoch seconds); after that another
    /// sender may claim it (the first one died).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<i64>,
    /// While `sending`: the claimer's token; only it records the outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    /// After a transient failure: when the next try is due (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<i64>,
    /// No more automatic tries (refused for good, or `MAX_ATTEMPTS` spent); `bb mail retry`
    /// and `email/resend` still can.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gave_up: bool,
    /// The client's sequence number ranking it in their log's list; none for staff mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// When a send was last tried. Delivery leaves `updated_at` alone: the log entry the
    /// client sees (and its copy in the list) is as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempted_at: Option<String>,
}

/// Where a mail item is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailStatus {
    /// Written by the action; nobody has tried to send it yet.
    Queued,
    /// Claimed by a sender, which holds a lease.
    Sending,
    Sent,
    /// The last try failed (see `error`, `retry_at`, `gave_up`).
    Failed,
}

impl EmailLog {
    pub fn key(&self) -> Key {
        if self.client_id == STAFF_CLIENT_ID {
            keys::staff_email(self.id)
        } else {
            keys::email_log(self.client_id, self.id)
        }
    }

    /// What the transport sends for this item.
    pub fn message(&self) -> OutgoingEmail {
        OutgoingEmail {
            from: self.from_email.clone(),
            from_name: self.from_name.clone(),
            to: self.to.clone(),
            subject: self.subject.clone(),
            html: self.content_html.clone(),
            text: self.content_text.clone(),
        }
    }

    /// The item as written by an action: queued, and due for the sweeper only after the
    /// stream has had its chance ([`STREAM_GRACE_SECONDS`]).
    pub fn to_item(&self) -> Result<Item, bb_ports::store::StoreError> {
        let mut item = to_item(self)?;
        let key = self.key();
        if self.status != MailStatus::Sent {
            let created = bb_ports::clock::parse_datetime(&self.created_at).map_or(0, |t| t.unix_timestamp());
            item.extend(queue_entry(&key, created + STREAM_GRACE_SECONDS));
        }
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        Ok(item)
    }

    /// A new queued item carrying this one's message (`email/resend`, as BoxBilling).
    pub fn resent(&self, id: i64, now: &str) -> EmailLog {
        EmailLog {
            id,
            status: MailStatus::Queued,
            error: None,
            created_at: now.to_string(),
            updated_at: now.to_string(),
            attempts: 0,
            lease_until: None,
            claim: None,
            retry_at: None,
            gave_up: false,
            seq: None,
            attempted_at: None,
            ..self.clone()
        }
    }

    /// BoxBilling's `[email]` shape.
    pub fn view(&self) -> EmailView {
        EmailView {
            id: self.id,
            client_id: self.client_id,
            sender: self.sender.clone(),
            recipients: self.recipients.clone(),
            subject: self.subject.clone(),
            content_html: self.content_html.clone(),
            content_text: self.content_text.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            shortened: false,
        }
    }
}

/// The client's e-mail log, newest first.
pub fn email_listing(client_id: i64) -> Listing {
    Listing::whole(keys::client_partition(client_id), keys::EMAIL_LOG_PREFIX)
}

impl Listed for EmailLog {
    type Entry = EmailView;

    fn placements(&self) -> Vec<Placement> {
        match self.seq {
            Some(seq) if self.client_id != STAFF_CLIENT_ID => vec![Placement {
                listing: email_listing(self.client_id),
                rank: Rank::newest_first(seq),
            }],
            _ => Vec::new(),
        }
    }

    fn entry(&self) -> EmailView {
        let mut shortened = false;
        let mut cut = |text: &str, max: usize| {
            let (text, was_cut) = shorten(text, max);
            shortened |= was_cut;
            text
        };
        EmailView {
            id: self.id,
            client_id: self.client_id,
            sender: cut(&self.sender, 256),
            recipients: cut(&self.recipients, 512),
            subject: cut(&self.subject, 512),
            content_html: cut(&self.content_html, 3_000),
            content_text: cut(&self.content_text, 3_000),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            shortened,
        }
    }
}

/// `[email]`: a mail of the client's log, as BoxBilling answers it. In `email/get_list` the
/// headers and bodies are cut so an item stays within [`bb_domain::bounded::LIST_ITEM_BYTES`],
/// and `shortened` (present only then) says `email/get` has the whole mail.
#[derive(Debug, Clone, Serialize, Deserialize, bb_macros::Answer)]
pub struct EmailView {
    pub id: i64,
    pub client_id: i64,
    pub sender: String,
    pub recipients: String,
    pub subject: String,
    pub content_html: String,
    pub content_text: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shortened: bool,
}

/// Notices rendered and ready: [`Prepared::ops`] go into the action's transaction, then
/// [`dispatch`].
#[derive(Debug, Default)]
pub(crate) struct Prepared {
    pub mail: Vec<EmailLog>,
}

impl Prepared {
    /// The writes of `mail`: each item, and its place in its client's log list (totals and
    /// counts merged, as a transaction writes an item once).
    pub fn ops_of(mail: &[EmailLog]) -> Result<Vec<TxOp>, StoreError> {
        let mut ops = Vec::with_capacity(mail.len() * 2 + 2);
        let mut lists = ListWrites::default();
        for m in mail {
            ops.push(TxOp::put_new(m.to_item()?));
            lists.change(None, Some(m))?;
        }
        ops.extend(lists.into_ops());
        Ok(ops)
    }

    pub fn ops(&self) -> Result<Vec<TxOp>, StoreError> {
        Prepared::ops_of(&self.mail)
    }
}

/// A transaction with the mail it sends: the mail items are written in it and go to delivery
/// only once it commits. Every action that sends notices commits through this.
pub struct Commit {
    ops: Vec<TxOp>,
    mail: Prepared,
}

impl Commit {
    /// `ops` with `notices` rendered into them; `ids` holds an e-mail id per notice (and,
    /// from [`Ids::allocate_owned`], the owner's sequence numbers for mail to the owner).
    pub async fn new(app: &App, mut ops: Vec<TxOp>, notices: &[Notice], ids: &mut Ids) -> ApiResult<Commit> {
        let mail = prepare(app, notices, ids).await?;
        ops.extend(mail.ops()?);
        Ok(Commit { ops, mail })
    }

    /// How many operations the transaction holds, mail included.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Commits, then hands the mail to delivery. A refusal comes back as the store's error, so
    /// the caller can tell by its handles which condition failed.
    pub async fn run(self, app: &App) -> Result<(), StoreError> {
        app.store.transact(self.ops).await?;
        dispatch(app, self.mail);
        Ok(())
    }
}

/// Renders `notices` into queued mail items. `ids` supplies one e-mail id per notice, in
/// order (allocate them with the action's other ids in one counter call), and the sequence
/// numbers ranking mail to `ids`' owner in that client's log; mail to any other client takes
/// its client's sequence numbers here (one counter call per such client).
pub(crate) async fn prepare(app: &App, notices: &[Notice], ids: &mut Ids) -> ApiResult<Prepared> {
    let mut prepared = Prepared::default();
    if notices.is_empty() {
        return Ok(prepared);
    }
    let templates = app.templates().await?;
    let settings = app.settings().await?;
    let from = settings.text("company_email").unwrap_or_default();
    let from_name = settings.text("company_name");
    let staff: Vec<String> = match settings.get("staff_emails") {
        Some(Value::Array(list)) => list.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        _ => from.is_empty().then(Vec::new).unwrap_or_else(|| vec![from.clone()]),
    };
    let now = format_datetime(app.clock.now());
    for notice in notices {
        let id = ids.next(IdKind::Email)?;
        let Some(template) = templates.iter().find(|t| t.code == notice.template.code()) else {
            tracing::warn!(template = %notice.template, "no such e-mail template; nothing sent");
            continue;
        };
        if !template.enabled {
            continue;
        }
        let mut vars = notice.vars.clone();
        if let Value::Object(map) = &mut vars {
            map.entry("company").or_insert_with(|| {
                serde_json::json!({
                    "name": settings.text("company_name"),
                    "email": settings.text("company_email"),
                    "url": app.config.public_url,
                })
            });
        }
        let (client_id, to) = match &notice.to {
            Recipient::Client { id, email, .. } => (*id, vec![email.clone()]),
            Recipient::Staff => (STAFF_CLIENT_ID, staff.clone()),
            Recipient::Address(email) => (STAFF_CLIENT_ID, vec![email.clone()]),
        };
        if to.is_empty() {
            continue;
        }
        let mail = EmailLog {
            kind: MAIL_KIND.into(),
            id,
            client_id,
            from_email: from.clone(),
            from_name: from_name.clone(),
            to: to.clone(),
            sender: bb_ports::mail::mailbox(&from, from_name.as_deref()),
            recipients: to.join(", "),
            subject: render(&template.subject, &vars, Escape::None),
            content_html: render(&template.content, &vars, Escape::Html),
            content_text: render(&html_to_text(&template.content), &vars, Escape::None),
            status: MailStatus::Queued,
            template: Some(template.code.clone()),
            error: None,
            created_at: now.clone(),
            updated_at: now.clone(),
            attempts: 0,
            lease_until: None,
            claim: None,
            retry_at: None,
            gave_up: false,
            seq: None,
            attempted_at: None,
        };
        prepared.mail.push(mail);
    }
    rank_in_logs(app, &mut prepared.mail, ids).await?;
    Ok(prepared)
}

/// Gives each client's mail its sequence number in that client's log: from `ids` for its
/// owner, otherwise from the client's own counter (one call per client, all together).
async fn rank_in_logs(app: &App, mail: &mut [EmailLog], ids: &mut Ids) -> ApiResult<()> {
    let mut wanted: BTreeMap<i64, usize> = BTreeMap::new();
    for m in mail.iter_mut().filter(|m| m.client_id != STAFF_CLIENT_ID) {
        let partition = keys::client_partition(m.client_id);
        m.seq = match ids.owner() == Some(partition.as_str()) {
            true => ids.next_seq(IdKind::Email),
            false => None,
        };
        if m.seq.is_none() {
            *wanted.entry(m.client_id).or_default() += 1;
        }
    }
    let store = app.store.as_ref();
    let allocations = futures::future::try_join_all(wanted.iter().map(|(client_id, n)| async move {
        let seqs = Ids::sequence(store, &keys::client_partition(*client_id), IdKind::Email, *n).await?;
        Ok::<_, StoreError>((*client_id, std::collections::VecDeque::from(seqs)))
    }))
    .await?;
    let mut allocated: BTreeMap<i64, std::collections::VecDeque<i64>> = allocations.into_iter().collect();
    for m in mail
        .iter_mut()
        .filter(|m| m.client_id != STAFF_CLIENT_ID && m.seq.is_none())
    {
        m.seq = allocated
            .get_mut(&m.client_id)
            .and_then(std::collections::VecDeque::pop_front);
    }
    Ok(())
}

/// After the action committed: hands its mail to delivery.
pub(crate) fn dispatch(app: &App, prepared: Prepared) {
    app.mail_dispatch
        .enqueue(prepared.mail.iter().map(|m| Work::Mail(m.key())).collect());
}

/// After a commit: hands one already written mail item to delivery.
pub fn dispatch_one(app: &App, mail: &EmailLog) {
    app.mail_dispatch.enqueue(vec![Work::Mail(mail.key())]);
}
