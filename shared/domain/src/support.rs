//! Support tickets. A ticket is one item in the owner's partition (`TKT#<id>`) with its
//! conversation embedded, so a ticket or the whole list is one read; a request ticket (cancel
//! an order, ...) holds a claim (`TKTREL#<type>#<id>#<task>`) so the same request is not filed
//! twice. Text is stored exactly as sent (escaping is the renderer's job).

use crate::bounded::shorten;
use crate::catalog::{Catalog, Helpdesk};
use crate::error::{ApiError, ApiResult};
use crate::keys;
use crate::order;
use crate::settings::Settings;
use crate::store::listing::{Listed, Listing, Placement, Rank};
use crate::store::{Cond, Item, Key, Record, TxOp, Update};
use bb_macros::Answer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest message by default (`mod_support.max_message_length` changes it).
pub const MESSAGE_MAX: usize = 20_000;
/// A conversation stops growing well before DynamoDB's 400 KB item limit.
pub const TICKET_MAX_BYTES: usize = 300_000;

/// What the messages of a ticket in a list may take in the answer (their views as JSON), so
/// the whole item, with its `[client]` and helpdesk, stays within
/// [`crate::bounded::LIST_ITEM_BYTES`].
const LIST_MESSAGES_BYTES: usize = 5_000;
/// The first message's text in a list (it says what the ticket is about).
const LIST_FIRST_TEXT: usize = 1_500;
/// Each later message's text in a list.
const LIST_LATEST_TEXT: usize = 1_000;

named! {
    /// Where a ticket stands: `open` waits on staff, `on_hold` on the client.
    pub enum TicketStatus {
        Open = "open",
        OnHold = "on_hold",
        Closed = "closed",
    }
}

named! {
    /// Whether the request a ticket carries (`rel_task`) is still to be done.
    pub enum RequestStatus {
        Pending = "pending",
        Complete = "complete",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub support_ticket_id: i64,
    #[serde(default)]
    pub client_id: Option<i64>,
    #[serde(default)]
    pub admin_id: Option<i64>,
    pub content: String,
    #[serde(default)]
    pub attachment: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
    pub author_name: String,
    #[serde(default)]
    pub author_email: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Message {
    /// `[message]`.
    pub fn view(&self) -> MessageView {
        MessageView {
            id: self.id,
            support_ticket_id: self.support_ticket_id,
            client_id: self.client_id,
            admin_id: self.admin_id,
            content: self.content.clone(),
            attachment: self.attachment.clone(),
            ip: self.ip.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            author: MessageAuthor {
                name: self.author_name.clone(),
                email: self.author_email.clone(),
            },
        }
    }
}

/// `[message]` of a ticket's conversation.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct MessageView {
    pub id: i64,
    pub support_ticket_id: i64,
    pub client_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub content: String,
    pub attachment: Option<String>,
    pub ip: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub author: MessageAuthor,
}

#[derive(Debug, Clone, Serialize, Answer)]
pub struct MessageAuthor {
    pub name: String,
    pub email: Option<String>,
}

/// `[ticket]` with its conversation.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct TicketView {
    pub id: i64,
    pub support_helpdesk_id: i64,
    pub client_id: i64,
    pub priority: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub rel_type: Option<String>,
    pub rel_id: Option<i64>,
    pub rel_task: Option<String>,
    pub rel_new_value: Option<String>,
    pub rel_status: RequestStatus,
    pub created_at: String,
    pub updated_at: String,
    /// How many messages the conversation holds.
    pub replies: u64,
    pub first: Option<MessageView>,
    pub helpdesk: Option<HelpdeskView>,
    /// The owner's `[client]`.
    pub client: Value,
    pub messages: Vec<MessageView>,
    /// In a list only, when the conversation was cut to the list item's budget
    /// (`ticket_get` has all of it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shortened: bool,
}

/// `[helpdesk]`.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct HelpdeskView {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub close_after: i64,
    pub can_reopen: bool,
    pub signature: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ticket {
    pub id: i64,
    pub support_helpdesk_id: i64,
    pub client_id: i64,
    pub priority: i64,
    pub subject: String,
    pub status: TicketStatus,
    #[serde(default)]
    pub rel_type: Option<String>,
    #[serde(default)]
    pub rel_id: Option<i64>,
    #[serde(default)]
    pub rel_task: Option<String>,
    #[serde(default)]
    pub rel_new_value: Option<String>,
    pub rel_status: RequestStatus,
    pub created_at: String,
    pub updated_at: String,
    pub messages: Vec<Message>,
    #[serde(default)]
    pub version: i64,
    /// The client's sequence number ranking it in their ticket lists.
    #[serde(default)]
    pub seq: i64,
}

impl Record for Ticket {
    const KIND: Option<&'static str> = Some("ticket");
    fn key(&self) -> Key {
        keys::ticket(self.client_id, self.id)
    }
}

fn helpdesk_view(h: &Helpdesk) -> HelpdeskView {
    HelpdeskView {
        id: h.id,
        name: h.name.clone(),
        email: h.email.clone(),
        close_after: h.close_after,
        can_reopen: h.can_reopen,
        signature: h.signature.clone(),
        created_at: h.created_at.clone(),
        updated_at: h.updated_at.clone(),
    }
}

impl Ticket {
    /// The item, refused when the conversation has outgrown [`TICKET_MAX_BYTES`].
    pub fn sized_item(&self) -> ApiResult<Item> {
        let item = self.to_item()?;
        let size = Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            .to_string()
            .len();
        if size > TICKET_MAX_BYTES {
            return Err(ApiError::new(
                "This ticket has grown too long. Please open a new ticket.",
            ));
        }
        Ok(item)
    }

    /// Writes the ticket if nobody changed it since `read_version` was read.
    pub fn put_if_version(&self, read_version: i64) -> ApiResult<TxOp> {
        Ok(TxOp::Put {
            item: self.sized_item()?,
            cond: Some(Cond::version(read_version)),
        })
    }

    /// What a ticket list shows: the first message and the latest ones that fit the list
    /// item's budget, texts cut, `shortened` when anything was left out or cut.
    pub fn list_entry(&self) -> TicketEntry {
        let mut shortened = false;
        let mut cut = |text: &str, max: usize| {
            let (text, was_cut) = shorten(text, max);
            shortened |= was_cut;
            text
        };
        let mut trimmed = |m: &Message, max: usize| Message {
            content: cut(&m.content, max),
            author_name: cut(&m.author_name, 256),
            author_email: m.author_email.as_deref().map(|e| cut(e, 256)),
            ..m.clone()
        };
        let size = |m: &Message| serde_json::to_string(&m.view()).map_or(usize::MAX, |s| s.len());
        let mut messages = Vec::new();
        let mut left_out = false;
        if let Some((first, rest)) = self.messages.split_first() {
            let first = trimmed(first, LIST_FIRST_TEXT);
            let mut used = size(&first);
            let mut latest = Vec::new();
            for m in rest.iter().rev() {
                let m = trimmed(m, LIST_LATEST_TEXT);
                used = used.saturating_add(size(&m));
                if used > LIST_MESSAGES_BYTES {
                    left_out = true;
                    break;
                }
                latest.push(m);
            }
            messages.push(first);
            messages.extend(latest.into_iter().rev());
        }
        let subject = cut(&self.subject, 512);
        TicketEntry {
            ticket: Ticket {
                subject,
                messages,
                ..self.clone()
            },
            replies: self.messages.len() as u64,
            shortened: shortened || left_out,
        }
    }

    /// `[ticket]` with its messages.
    pub fn view(&self, catalog: &Catalog, client: &Value) -> TicketView {
        TicketView {
            id: self.id,
            support_helpdesk_id: self.support_helpdesk_id,
            client_id: self.client_id,
            priority: self.priority,
            subject: self.subject.clone(),
            status: self.status,
            rel_type: self.rel_type.clone(),
            rel_id: self.rel_id,
            rel_task: self.rel_task.clone(),
            rel_new_value: self.rel_new_value.clone(),
            rel_status: self.rel_status,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            replies: self.messages.len() as u64,
            first: self.messages.first().map(Message::view),
            helpdesk: catalog.helpdesk(self.support_helpdesk_id).map(helpdesk_view),
            client: client.clone(),
            messages: self.messages.iter().map(Message::view).collect(),
            shortened: false,
        }
    }

    /// Whether the ticket counts among its order's active tickets.
    pub fn is_active(&self) -> bool {
        matches!(self.status, TicketStatus::Open | TicketStatus::OnHold)
    }

    /// The change to the order's count of active tickets, for a ticket about an order.
    pub fn order_counter(&self, by: i64) -> Option<TxOp> {
        match (self.rel_type.as_deref(), self.rel_id) {
            (Some("order"), Some(order_id)) => Some(TxOp::Update(
                Update::new(order::order_key(self.client_id, order_id))
                    .add("active_tickets", by)
                    .when(Cond::exists()),
            )),
            _ => None,
        }
    }
}

/// A ticket as its lists hold it: shortened to the list item's budget (see
/// [`Ticket::list_entry`]), with the size of the whole conversation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TicketEntry {
    #[serde(flatten)]
    pub ticket: Ticket,
    /// Messages in the whole conversation.
    pub replies: u64,
    #[serde(default)]
    pub shortened: bool,
}

impl TicketEntry {
    /// `[ticket]` as a list shows it.
    pub fn view(&self, catalog: &Catalog, client: &Value) -> TicketView {
        TicketView {
            replies: self.replies,
            shortened: self.shortened,
            ..self.ticket.view(catalog, client)
        }
    }
}

/// A client's tickets in BoxBilling's order (priority, then newest), all or of one status.
pub fn ticket_listing(client_id: i64, status: Option<TicketStatus>) -> Listing {
    let pk = keys::client_partition(client_id);
    match status {
        None => Listing::whole(pk, keys::TICKET_PREFIX),
        Some(s) => Listing::filtered(pk, keys::TICKET_PREFIX, "status", s.as_str()),
    }
}

impl Listed for Ticket {
    type Entry = TicketEntry;

    fn placements(&self) -> Vec<Placement> {
        let priority = u16::try_from(self.priority.clamp(0, 999)).unwrap_or(999);
        let lists = [None, Some(self.status)].map(|status| ticket_listing(self.client_id, status));
        Placement::in_each(lists, &Rank::grouped(priority, Rank::newest_first(self.seq)))
    }

    fn entry(&self) -> TicketEntry {
        self.list_entry()
    }
}

/// The claim a request ticket holds on its request (one per order, type and task).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TicketRequest {
    pub client_id: i64,
    pub rel_type: String,
    pub rel_id: i64,
    pub rel_task: String,
    pub ticket_id: i64,
}

impl Record for TicketRequest {
    fn key(&self) -> Key {
        keys::ticket_request(self.client_id, &self.rel_type, self.rel_id, &self.rel_task)
    }
}

/// The longest message `mod_support` allows.
/// The header item of a client's tickets (`C#<id>` / `TKT#`): the owner's `[client]` view for
/// the list answers, and when the client last opened a ticket (the `wait_hours` rule).
pub fn header_key(client_id: i64) -> Key {
    Key::new(keys::client_partition(client_id), keys::TICKET_PREFIX)
}

/// When the client last opened a ticket, from the header item.
pub fn last_ticket_at(header: &Item) -> Option<&str> {
    header.get("last_ticket_at").and_then(crate::store::Attr::as_str)
}

/// Records a ticket opened at `now` on the header item.
pub fn ticket_opened(client_id: i64, now: &str) -> Update {
    Update::new(header_key(client_id)).set("last_ticket_at", now)
}

pub fn message_limit(settings: &Settings) -> usize {
    settings
        .module("support")
        .get("max_message_length")
        .and_then(Value::as_u64)
        .map_or(MESSAGE_MAX, |n| n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(status: TicketStatus, messages: usize) -> Ticket {
        let message = |id| Message {
            id,
            support_ticket_id: 1,
            client_id: Some(7),
            admin_id: None,
            content: "x".repeat(1_000),
            attachment: None,
            ip: None,
            author_name: "A".into(),
            author_email: None,
            created_at: "2026-01-01 00:00:00".into(),
            updated_at: "2026-01-01 00:00:00".into(),
        };
        Ticket {
            id: 1,
            support_helpdesk_id: 1,
            client_id: 7,
            priority: 100,
            subject: "s".into(),
            status,
            rel_type: Some("order".into()),
            rel_id: Some(3),
            rel_task: None,
            rel_new_value: None,
            rel_status: RequestStatus::Complete,
            created_at: "2026-01-01 00:00:00".into(),
            updated_at: "2026-01-01 00:00:00".into(),
            messages: (1..=messages as i64).map(message).collect(),
            version: 0,
            seq: 1,
        }
    }

    #[test]
    fn statuses_keep_boxbillings_names() {
        let item = ticket(TicketStatus::OnHold, 1).to_item().unwrap();
        assert_eq!(item.get("status"), Some(&"on_hold".into()));
        assert_eq!(item.get("kind"), Some(&"ticket".into()));
        assert_eq!(Ticket::from_item(&item).unwrap().status, TicketStatus::OnHold);
    }

    #[test]
    fn only_open_and_held_tickets_count_on_their_order() {
        assert!(ticket(TicketStatus::Open, 1).is_active());
        assert!(ticket(TicketStatus::OnHold, 1).is_active());
        assert!(!ticket(TicketStatus::Closed, 1).is_active());
        assert!(ticket(TicketStatus::Open, 1).order_counter(1).is_some());
    }

    #[test]
    fn a_listed_ticket_keeps_its_first_and_latest_messages_within_the_budget() {
        let long = ticket(TicketStatus::Open, 250);
        let entry = long.list_entry();
        assert!(entry.shortened);
        assert_eq!(entry.replies, 250);
        let kept = &entry.ticket.messages;
        assert_eq!(kept.first().map(|m| m.id), Some(1), "the first message");
        assert_eq!(kept.last().map(|m| m.id), Some(250), "the latest message");
        assert!(kept.len() > 2 && kept.len() < 10, "{}", kept.len());
        let view = serde_json::to_string(&entry.view(&Catalog::default(), &serde_json::json!({}))).unwrap();
        assert!(view.len() <= crate::bounded::LIST_ITEM_BYTES, "{}", view.len());
        let short = ticket(TicketStatus::Open, 1).list_entry();
        assert!(!short.shortened);
        assert_eq!(short.ticket.messages.len(), 1);
    }

    #[test]
    fn a_conversation_past_the_item_budget_is_refused() {
        assert!(ticket(TicketStatus::Open, 10).sized_item().is_ok());
        assert!(ticket(TicketStatus::Open, 400).sized_item().is_err());
    }
}
