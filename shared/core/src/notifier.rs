//! The notifier every module sends e-mail through: a transactional outbox.
//!
//! An action prepares its notices before it commits. Each becomes a mail item written *in the
//! action's own transaction* with status `queued`: client notices in the client's e-mail log
//! (what `email/get_list` shows), staff notices in the staff log. A committed action therefore
//! always has its mail, an aborted one has none, and sending costs the request nothing.
//! Delivery happens after the commit, outside the request:
//!
//! - `background` (default; local server, `cargo lambda watch`, tests): an in-process worker
//!   sends and records the outcome;
//! - `stream` (AWS): the table's stream triggers the mailer function, which does the same.
//!
//! The outcome is `sent`, or `failed` with the reason; a failed send never fails the action.
//! Queued and failed items carry a sparse index key (`gsi1pk = MAILQ`) so they can be found
//! and retried without a scan.
//!
//! Templates are data (items `TEMPLATE`/`<code>`, defaults from the fixtures) chosen by
//! BoxBilling's action code. Rendering substitutes `{{ path.to.value }}` once; values are
//! escaped in HTML and never rendered again, so user text cannot act as template code.

use crate::app::App;
use crate::clock::format_datetime;
use crate::error::ApiResult;
use crate::keys;
use crate::mail::OutgoingEmail;
use crate::store::{Attr, Item, Key, Query, Store, TxOp, Update, from_item, query_all, to_item};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who a notice goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipient {
    /// A client: logged in their e-mail log.
    Client { id: i64, email: String, name: String },
    /// The staff addresses from the settings (`staff_emails`, else `company_email`).
    Staff,
    /// Another address of the company's (a helpdesk's); logged with the staff mail.
    Address(String),
}

/// One e-mail an action wants sent.
#[derive(Debug, Clone)]
pub struct Notice {
    pub template: String,
    pub to: Recipient,
    /// Template variables (a JSON object).
    pub vars: Value,
}

impl Notice {
    pub fn to_client(template: &str, id: i64, email: &str, name: &str, vars: Value) -> Notice {
        Notice {
            template: template.into(),
            to: Recipient::Client {
                id,
                email: email.into(),
                name: name.into(),
            },
            vars,
        }
    }

    pub fn to_address(template: &str, email: &str, vars: Value) -> Notice {
        Notice {
            template: template.into(),
            to: Recipient::Address(email.into()),
            vars,
        }
    }

    pub fn to_staff(template: &str, vars: Value) -> Notice {
        Notice {
            template: template.into(),
            to: Recipient::Staff,
            vars,
        }
    }

    pub fn is_for_client(&self) -> bool {
        matches!(self.to, Recipient::Client { .. })
    }
}

/// An e-mail template as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Template {
    pub code: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub subject: String,
    /// HTML body; the text part is derived from it.
    pub content: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

fn yes() -> bool {
    true
}

fn mail_kind() -> String {
    MAIL_KIND.into()
}

pub const MAIL_KIND: &str = "mail";

/// The partition of staff mail (no client's log).
pub const STAFF_CLIENT_ID: i64 = 0;

impl Template {
    pub fn to_item(&self) -> Result<Item, crate::store::StoreError> {
        let mut item = to_item(self)?;
        let key = keys::template(&self.code);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        Ok(item)
    }
}

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
    /// `queued`, `sent` or `failed`.
    pub status: String,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
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

    pub fn to_item(&self) -> Result<Item, crate::store::StoreError> {
        let mut item = to_item(self)?;
        let key = self.key();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        if self.status != SENT {
            item.insert("gsi1pk".into(), keys::MAIL_QUEUE_GSI.into());
            item.insert(
                "gsi1sk".into(),
                format!("{}#{}#{}", self.created_at, self.client_id, self.id).into(),
            );
        }
        Ok(item)
    }

    /// BoxBilling's `[email]` shape.
    pub fn view(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "client_id": self.client_id,
            "sender": self.sender,
            "recipients": self.recipients,
            "subject": self.subject,
            "content_html": self.content_html,
            "content_text": self.content_text,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

/// Notices rendered and ready: `ops` go into the action's transaction, then [`dispatch`].
#[derive(Debug, Default)]
pub struct Prepared {
    pub ops: Vec<TxOp>,
    mail: Vec<EmailLog>,
}

impl Prepared {
    pub fn is_empty(&self) -> bool {
        self.mail.is_empty()
    }
}

/// Renders `notices` into queued mail items. `email_ids` supplies one id per notice, in order
/// (allocate them with the action's other ids in one counter call).
pub async fn prepare(app: &App, notices: &[Notice], email_ids: &[i64]) -> ApiResult<Prepared> {
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
    for (notice, id) in notices.iter().zip(email_ids) {
        let Some(template) = templates.iter().find(|t| t.code == notice.template) else {
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
            id: *id,
            client_id,
            from_email: from.clone(),
            from_name: from_name.clone(),
            to: to.clone(),
            sender: crate::mail::mailbox(&from, from_name.as_deref()),
            recipients: to.join(", "),
            subject: render(&template.subject, &vars, Escape::None),
            content_html: render(&template.content, &vars, Escape::Html),
            content_text: render(&html_to_text(&template.content), &vars, Escape::None),
            status: QUEUED.into(),
            template: Some(template.code.clone()),
            error: None,
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        prepared.ops.push(TxOp::put_new(mail.to_item()?));
        prepared.mail.push(mail);
    }
    Ok(prepared)
}

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// After the action committed: hands its mail to delivery.
pub fn dispatch(app: &App, prepared: Prepared) {
    app.mail_dispatch
        .enqueue(prepared.mail.into_iter().map(Work::Mail).collect());
}

/// After a commit: hands one already written mail item to delivery.
pub fn dispatch_one(app: &App, mail: EmailLog) {
    app.mail_dispatch.enqueue(vec![Work::Mail(mail)]);
}

/// Sends one mail item and records the outcome on it. Never fails: problems are recorded
/// (`failed`) and logged.
pub async fn deliver(store: &dyn Store, mailer: &dyn crate::mail::Mailer, now: &str, mail: &EmailLog) {
    let result = mailer.send(&mail.message()).await;
    if let Err(e) = &result {
        tracing::warn!(target: "bb::mail", error = %e, mail = mail.id, "e-mail not sent");
    }
    let update = outcome(mail.key(), now, result.err().map(|e| e.0));
    if let Err(e) = store.update(update, crate::store::Returning::Nothing).await {
        tracing::error!(target: "bb::mail", error = %e, mail = mail.id, "could not record the e-mail outcome");
    }
}

/// The update that records a send's outcome on a mail item.
pub fn outcome(key: Key, now: &str, error: Option<String>) -> Update {
    let update = Update::new(key)
        .set("updated_at", Attr::S(now.to_string()))
        .when(crate::store::Cond::exists());
    match error {
        None => update
            .set("status", SENT)
            .remove("error")
            .remove("gsi1pk")
            .remove("gsi1sk"),
        Some(reason) => update.set("status", FAILED).set("error", Attr::S(reason)),
    }
}

/// How queued mail leaves the process (`BB_MAIL_DELIVERY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// An in-process worker sends after the commit.
    Background,
    /// The table's stream feeds the mailer function; nothing is sent in process.
    Stream,
}

/// Work for the delivery side: one mail item, or a fan-out to a topic's subscribers.
#[derive(Debug, Clone)]
pub enum Work {
    Mail(EmailLog),
    Fanout(FanoutJob),
}

/// The in-process side of delivery. It holds the application weakly (the application owns it).
pub struct Dispatcher {
    mode: DeliveryMode,
    app: std::sync::Weak<crate::app::AppParts>,
    queue: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Work>>,
    pending: std::sync::Arc<(std::sync::atomic::AtomicUsize, tokio::sync::Notify)>,
}

impl Dispatcher {
    pub fn new(mode: DeliveryMode, app: std::sync::Weak<crate::app::AppParts>) -> Self {
        Dispatcher {
            mode,
            app,
            queue: std::sync::OnceLock::new(),
            pending: std::sync::Arc::new((std::sync::atomic::AtomicUsize::new(0), tokio::sync::Notify::new())),
        }
    }

    pub fn mode(&self) -> DeliveryMode {
        self.mode
    }

    fn enqueue(&self, work: Vec<Work>) {
        if self.mode == DeliveryMode::Stream || work.is_empty() {
            return;
        }
        use std::sync::atomic::Ordering;
        let queue = self.queue.get_or_init(|| {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Work>();
            let (app, pending) = (self.app.clone(), self.pending.clone());
            tokio::spawn(async move {
                while let Some(work) = rx.recv().await {
                    if let Some(parts) = app.upgrade() {
                        let app = crate::app::App::from_parts(parts);
                        perform(&app, work).await;
                    }
                    if pending.0.fetch_sub(1, Ordering::SeqCst) == 1 {
                        pending.1.notify_waiters();
                    }
                }
            });
            tx
        });
        for w in work {
            self.pending.0.fetch_add(1, Ordering::SeqCst);
            if queue.send(w).is_err() {
                self.pending.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Waits until everything handed over so far was delivered (tests, shutdown).
    pub async fn flush(&self) {
        use std::sync::atomic::Ordering;
        loop {
            let notified = self.pending.1.notified();
            if self.pending.0.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

async fn perform(app: &App, work: Work) {
    match work {
        Work::Mail(mail) => {
            let now = format_datetime(app.clock.now());
            deliver(app.store.as_ref(), app.mailer.as_ref(), &now, &mail).await;
        }
        Work::Fanout(job) => {
            if let Err(e) = run_fanout(app, &job).await {
                tracing::error!(target: "bb::mail", error = %e, job = %job.id, "fan-out failed");
            }
        }
    }
}

/// A notice to every subscriber of a topic but its author, expanded after the commit (a large
/// subscriber list never slows the action that caused it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FanoutJob {
    /// Always `fanout`.
    #[serde(default = "fanout_kind")]
    pub kind: String,
    pub id: String,
    pub template: String,
    /// Template variables; each recipient's `[client]` is added as `c`.
    pub vars: Value,
    /// Partition holding the subscriptions (`SUB#<client>` items with `client_id`).
    pub subscribers: String,
    pub except_client: Option<i64>,
    pub status: String,
    pub created_at: String,
}

fn fanout_kind() -> String {
    FANOUT_KIND.into()
}

pub const FANOUT_KIND: &str = "fanout";

impl FanoutJob {
    pub fn key(&self) -> Key {
        Key::new(format!("FANOUT#{}", self.id), "JOB")
    }

    /// The job as an item (kept a week), written in the action's transaction.
    pub fn to_item(&self, now: i64) -> Result<crate::store::Item, crate::store::StoreError> {
        let mut item = to_item(self)?;
        let key = self.key();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert(crate::store::TTL.into(), Attr::from(now + 7 * 24 * 3600));
        Ok(item)
    }
}

/// After the action committed: hands a fan-out to delivery.
pub fn dispatch_fanout(app: &App, job: FanoutJob) {
    app.mail_dispatch.enqueue(vec![Work::Fanout(job)]);
}

/// Expands a fan-out: one mail item per active subscriber except the author, written in
/// transactions of up to 100 and handed to delivery. Returns how many were written.
pub async fn run_fanout(app: &App, job: &FanoutJob) -> ApiResult<usize> {
    let store = app.store.as_ref();
    let done = store
        .get(&job.key())
        .await?
        .and_then(|i| i.get("status").and_then(Attr::as_str).map(String::from));
    if done.as_deref() == Some(SENT) {
        return Ok(0);
    }
    let subscriptions = query_all(store, Query::partition(&job.subscribers).prefix("SUB#")).await?;
    let mut ids: Vec<i64> = subscriptions
        .iter()
        .filter_map(|i| i.get("client_id").and_then(Attr::as_i64))
        .filter(|id| Some(*id) != job.except_client)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut written = 0;
    for chunk in ids.chunks(crate::store::MAX_TX_ITEMS - 1) {
        let keys: Vec<Key> = chunk.iter().map(|id| keys::client(*id)).collect();
        let clients: Vec<crate::domain::client::ClientRecord> = store
            .get_many(&keys)
            .await?
            .iter()
            .filter_map(|i| crate::domain::client::ClientRecord::from_item(i).ok())
            .filter(|c| c.is_active())
            .collect();
        let notices: Vec<Notice> = clients
            .iter()
            .map(|c| {
                let mut vars = job.vars.clone();
                if let Value::Object(m) = &mut vars {
                    m.insert("c".into(), c.view(false));
                }
                Notice::to_client(&job.template, c.id, &c.email, &c.full_name(), vars)
            })
            .collect();
        if notices.is_empty() {
            continue;
        }
        let mut email_ids = crate::store::Ids::allocate(store, &[("email", notices.len())]).await?;
        let ids: Vec<i64> = notices
            .iter()
            .map(|_| email_ids.next("email"))
            .collect::<Result<_, _>>()?;
        let prepared = prepare(app, &notices, &ids).await?;
        written += prepared.mail.len();
        store.transact(prepared.ops.clone()).await?;
        dispatch(app, prepared);
    }
    let now = format_datetime(app.clock.now());
    store
        .update(
            Update::new(job.key()).set("status", SENT).set("updated_at", now),
            crate::store::Returning::Nothing,
        )
        .await?;
    Ok(written)
}

/// Delivers what a DynamoDB stream batch brings (the mailer function's work): inserted mail
/// items that are queued, and inserted fan-out jobs. Returns how many records were handled.
pub async fn deliver_stream_batch(app: &App, event: &Value) -> usize {
    let mut handled = 0;
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for record in &records {
        if record.get("eventName").and_then(Value::as_str) != Some("INSERT") {
            continue;
        }
        let Some(Value::Object(image)) = record.pointer("/dynamodb/NewImage") else {
            continue;
        };
        let Some(item) = image
            .iter()
            .map(|(k, v)| Attr::from_tagged(v).ok().map(|a| (k.clone(), a)))
            .collect::<Option<crate::store::Item>>()
        else {
            continue;
        };
        match item.get("kind").and_then(Attr::as_str) {
            Some(MAIL_KIND) => {
                let Ok(mail) = crate::store::from_item::<EmailLog>(&item) else {
                    continue;
                };
                if mail.status == QUEUED {
                    perform(app, Work::Mail(mail)).await;
                    handled += 1;
                }
            }
            Some(FANOUT_KIND) => {
                let Ok(job) = crate::store::from_item::<FanoutJob>(&item) else {
                    continue;
                };
                perform(app, Work::Fanout(job)).await;
                handled += 1;
            }
            _ => {}
        }
    }
    handled
}

/// Every template, from the `TEMPLATE` partition.
pub async fn load_templates(store: &dyn Store) -> ApiResult<Vec<Template>> {
    let items = query_all(store, Query::partition(keys::TEMPLATES)).await?;
    Ok(items.iter().filter_map(|i| from_item::<Template>(i).ok()).collect())
}

#[derive(Clone, Copy, PartialEq)]
enum Escape {
    None,
    Html,
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn lookup<'a>(vars: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(vars, |v, part| match v {
        Value::Object(m) => m.get(part),
        Value::Array(l) => part.parse::<usize>().ok().and_then(|i| l.get(i)),
        _ => None,
    })
}

fn display(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One pass of `{{ path }}` substitution. Substituted text is never scanned again.
fn render(template: &str, vars: &Value, escape: Escape) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let path = after[..end].trim();
        let value = lookup(vars, path).map(display).unwrap_or_default();
        out.push_str(&if escape == Escape::Html {
            escape_html(&value)
        } else {
            value
        });
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A plain-text rendering of simple template HTML (the templates' own markup only).
fn html_to_text(html: &str) -> String {
    let with_breaks = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p>", "\n\n")
        .replace("</li>", "\n");
    let mut out = String::with_capacity(with_breaks.len());
    let mut in_tag = false;
    for c in with_breaks.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn substitution_is_single_pass_and_escaped() {
        let vars = json!({"c": {"first_name": "<b>{{ secret }}</b>"}, "secret": "leak", "n": 5});
        let html = render("<p>Hi {{ c.first_name }}, {{n}} {{ missing }}</p>", &vars, Escape::Html);
        assert_eq!(html, "<p>Hi &lt;b&gt;{{ secret }}&lt;/b&gt;, 5 </p>");
        let text = render("Hi {{ c.first_name }}", &vars, Escape::None);
        assert_eq!(text, "Hi <b>{{ secret }}</b>");
        assert_eq!(html_to_text("<p>Line <b>one</b></p><p>two</p>"), "Line one\n\ntwo");
        assert_eq!(render("broken {{ tail", &vars, Escape::None), "broken {{ tail");
    }
}
