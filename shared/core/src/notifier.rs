//! The notifier every module sends e-mail through.
//!
//! An action prepares its notices before it commits: each client notice becomes an entry of the
//! client's e-mail log (what `email/get_list` shows), written *in the action's own transaction*
//! with status `queued`, so a committed action always has its log and an aborted one has none.
//! After the commit the messages go out through the mail port, and one more write records each
//! outcome (`sent`, or `failed` with the reason). A failed send never fails the action; queued
//! and failed entries stay findable through a sparse index (`gsi1pk = MAILQ`) for retries.
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
        Notice { template: template.into(), to: Recipient::Client { id, email: email.into(), name: name.into() }, vars }
    }

    pub fn to_staff(template: &str, vars: Value) -> Notice {
        Notice { template: template.into(), to: Recipient::Staff, vars }
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

impl Template {
    pub fn to_item(&self) -> Result<Item, crate::store::StoreError> {
        let mut item = to_item(self)?;
        let key = keys::template(&self.code);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        Ok(item)
    }
}

/// A client's e-mail log entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EmailLog {
    pub id: i64,
    pub client_id: i64,
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
        keys::email_log(self.client_id, self.id)
    }

    pub fn to_item(&self) -> Result<Item, crate::store::StoreError> {
        let mut item = to_item(self)?;
        let key = self.key();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        if self.status != "sent" {
            item.insert("gsi1pk".into(), keys::MAIL_QUEUE_GSI.into());
            item.insert("gsi1sk".into(), format!("{}#{}#{}", self.created_at, self.client_id, self.id).into());
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

/// Notices rendered and ready: `ops` go into the action's transaction, `send` after it.
#[derive(Debug, Default)]
pub struct Prepared {
    pub ops: Vec<TxOp>,
    outgoing: Vec<(Option<Key>, OutgoingEmail)>,
}

impl Prepared {
    pub fn is_empty(&self) -> bool {
        self.outgoing.is_empty()
    }
    pub fn messages(&self) -> impl Iterator<Item = &OutgoingEmail> {
        self.outgoing.iter().map(|(_, m)| m)
    }
}

/// Renders `notices`; `email_ids` supplies one id per client notice, in order (allocate them
/// with the action's other ids in one counter call).
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
    let mut ids = email_ids.iter();
    for notice in notices {
        let id = if notice.is_for_client() { ids.next().copied() } else { None };
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
        let subject = render(&template.subject, &vars, Escape::None);
        let html = render(&template.content, &vars, Escape::Html);
        let text = render(&html_to_text(&template.content), &vars, Escape::None);
        let to = match &notice.to {
            Recipient::Client { email, .. } => vec![email.clone()],
            Recipient::Staff => staff.clone(),
        };
        if to.is_empty() {
            continue;
        }
        let message = OutgoingEmail {
            from: from.clone(),
            from_name: from_name.clone(),
            to: to.clone(),
            subject: subject.clone(),
            html: html.clone(),
            text: text.clone(),
        };
        let log_key = match (&notice.to, id) {
            (Recipient::Client { id: client_id, .. }, Some(email_id)) => {
                let log = EmailLog {
                    id: email_id,
                    client_id: *client_id,
                    sender: crate::mail::mailbox(&from, from_name.as_deref()),
                    recipients: to.join(", "),
                    subject,
                    content_html: html,
                    content_text: text,
                    status: "queued".into(),
                    template: Some(template.code.clone()),
                    error: None,
                    created_at: now.clone(),
                    updated_at: now.clone(),
                };
                prepared.ops.push(TxOp::put_new(log.to_item()?));
                Some(log.key())
            }
            _ => None,
        };
        prepared.outgoing.push((log_key, message));
    }
    Ok(prepared)
}

/// Sends prepared messages and records each outcome on its log entry. Never fails: problems
/// are recorded (`failed`) and logged.
pub async fn send(app: &App, prepared: Prepared) {
    let mut outcomes = Vec::new();
    for (log_key, message) in prepared.outgoing {
        let result = app.mailer.send(&message).await;
        if let Err(e) = &result {
            tracing::warn!(target: "bb::mail", error = %e, to = message.to.len(), "e-mail not sent");
        }
        if let Some(key) = log_key {
            outcomes.push(record_outcome(app, key, result.err().map(|e| e.0)));
        }
    }
    if outcomes.is_empty() {
        return;
    }
    for chunk in outcomes.chunks(crate::store::MAX_TX_ITEMS) {
        if let Err(e) = app.store.transact(chunk.to_vec()).await {
            tracing::error!(target: "bb::mail", error = %e, "could not record e-mail outcomes");
        }
    }
}

/// The update that records a send's outcome on a log entry.
pub fn record_outcome(app: &App, key: Key, error: Option<String>) -> TxOp {
    let now = format_datetime(app.clock.now());
    let update = Update::new(key).set("updated_at", Attr::S(now)).when(crate::store::Cond::exists());
    TxOp::Update(match error {
        None => update.set("status", "sent").remove("error").remove("gsi1pk").remove("gsi1sk"),
        Some(reason) => update.set("status", "failed").set("error", Attr::S(reason)),
    })
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
        out.push_str(&if escape == Escape::Html { escape_html(&value) } else { value });
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
