//! Orders: the record, its status history, renewal and status changes.
//!
//! An order lives at `C#<client>` / `ORD#<id>` with its status history embedded, its service
//! record at `SVC#<order>`. Service types plug in through `ServiceKind`: what a record
//! of that type holds when an order activates, and how it is shown (`domain::service`).

use crate::clock::format_datetime;
use crate::error::{ApiError, ApiResult};
use crate::keys::{self, pad};
use crate::money::Money;
use crate::period::Period;
use crate::store::Key;
use bb_macros::Answer;
use bb_ports::answer::PhpMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

named! {
    /// An order's state, as BoxBilling names it.
    pub enum OrderStatus {
        /// Waiting for payment or for its setup.
        PendingSetup = "pending_setup",
        /// Its setup failed; staff or a retry can still activate it.
        FailedSetup = "failed_setup",
        Active = "active",
        Suspended = "suspended",
        Canceled = "canceled",
    }
}

pub const ORDER_PREFIX: &str = "ORD#";

pub fn order_key(client_id: i64, order_id: i64) -> Key {
    Key::new(
        keys::client_partition(client_id),
        format!("{ORDER_PREFIX}{}", pad(order_id)),
    )
}

pub fn service_key(client_id: i64, order_id: i64) -> Key {
    Key::new(keys::client_partition(client_id), format!("SVC#{}", pad(order_id)))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Order {
    pub id: i64,
    pub client_id: i64,
    pub product_id: i64,
    #[serde(default)]
    pub form_id: Option<i64>,
    #[serde(default)]
    pub promo_id: Option<i64>,
    #[serde(default)]
    pub promo_recurring: bool,
    #[serde(default)]
    pub promo_used: i64,
    /// The cart the order came from; addons share it with their master.
    pub group_id: String,
    pub group_master: bool,
    pub invoice_option: String,
    pub title: String,
    pub currency: String,
    #[serde(default)]
    pub unpaid_invoice_id: Option<i64>,
    #[serde(default)]
    pub unpaid_invoice_hash: Option<String>,
    #[serde(default)]
    pub service_id: Option<i64>,
    pub service_type: String,
    #[serde(default)]
    pub period: Option<String>,
    pub quantity: i64,
    pub unit: String,
    /// Unit price in the order's currency.
    pub price: Decimal,
    #[serde(default)]
    pub discount: Option<Decimal>,
    /// Setup fee charged with the first invoice.
    #[serde(default)]
    pub setup_price: Decimal,
    pub status: OrderStatus,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub config: Map<String, Value>,
    #[serde(default)]
    pub referred_by: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub activated_at: Option<String>,
    #[serde(default)]
    pub suspended_at: Option<String>,
    #[serde(default)]
    pub unsuspended_at: Option<String>,
    #[serde(default)]
    pub canceled_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub meta: Map<String, Value>,
    /// Open or on-hold tickets about this order (kept by the support module).
    #[serde(default)]
    pub active_tickets: i64,
    /// Status history (staff-facing; not part of the client's `[order]`).
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    #[serde(default)]
    pub version: i64,
}

impl Order {
    /// A write's guard: the order is still at the version it was read at and has no unpaid
    /// invoice (a renewal invoice is issued once).
    pub fn without_unpaid_invoice(read_at: i64) -> crate::store::Cond {
        crate::store::Cond::version(read_at).and(crate::store::Cond::NotExists("unpaid_invoice_hash".into()))
    }
}

impl crate::store::Versioned for Order {
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
}

impl crate::store::Record for Order {
    const KIND: Option<&'static str> = Some("order");
    fn key(&self) -> Key {
        order_key(self.client_id, self.id)
    }
}

impl Order {
    /// Unit price × quantity (the discount is shown apart, as BoxBilling does).
    pub fn total(&self) -> Decimal {
        self.price * Decimal::from(self.quantity)
    }

    /// BoxBilling's `[order]` shape, in its key order; `client` is the owner's `[client]`.
    pub fn view(&self, client: &Value) -> OrderView {
        OrderView {
            id: self.id,
            client_id: self.client_id,
            product_id: self.product_id,
            form_id: self.form_id,
            promo_id: self.promo_id,
            promo_recurring: self.promo_recurring,
            promo_used: self.promo_used,
            group_id: self.group_id.clone(),
            group_master: self.group_master,
            invoice_option: self.invoice_option.clone(),
            title: self.title.clone(),
            currency: self.currency.clone(),
            unpaid_invoice_id: self.unpaid_invoice_id,
            service_id: self.service_id,
            service_type: self.service_type.clone(),
            period: self.period.clone(),
            quantity: self.quantity,
            unit: self.unit.clone(),
            price: Money(self.price),
            discount: self.discount.map(Money),
            status: self.status,
            reason: self.reason.clone(),
            notes: self.notes.clone(),
            config: (!self.config.is_empty()).then(|| self.config.clone()),
            referred_by: self.referred_by.clone(),
            expires_at: self.expires_at.clone(),
            activated_at: self.activated_at.clone(),
            suspended_at: self.suspended_at.clone(),
            unsuspended_at: self.unsuspended_at.clone(),
            canceled_at: self.canceled_at.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            total: Money(self.total()),
            // BoxBilling keeps meta values as text.
            meta: PhpMap(
                self.meta
                    .iter()
                    .map(|(name, value)| {
                        let text = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                        (name.clone(), text)
                    })
                    .collect(),
            ),
            active_tickets: self.active_tickets,
            client: client.clone(),
        }
    }
}

/// `[order]`, as BoxBilling answers it.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct OrderView {
    pub id: i64,
    pub client_id: i64,
    pub product_id: i64,
    pub form_id: Option<i64>,
    pub promo_id: Option<i64>,
    pub promo_recurring: bool,
    pub promo_used: i64,
    pub group_id: String,
    pub group_master: bool,
    pub invoice_option: String,
    pub title: String,
    pub currency: String,
    pub unpaid_invoice_id: Option<i64>,
    pub service_id: Option<i64>,
    pub service_type: String,
    pub period: Option<String>,
    pub quantity: i64,
    pub unit: String,
    pub price: Money,
    pub discount: Option<Money>,
    pub status: OrderStatus,
    pub reason: Option<String>,
    pub notes: Option<String>,
    /// The options the client chose; null when none.
    pub config: Option<Map<String, Value>>,
    pub referred_by: Option<String>,
    pub expires_at: Option<String>,
    pub activated_at: Option<String>,
    pub suspended_at: Option<String>,
    pub unsuspended_at: Option<String>,
    pub canceled_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub total: Money,
    pub meta: PhpMap<String>,
    pub active_tickets: i64,
    /// The owner's `[client]`.
    pub client: Value,
}

/// A line of an order's status history.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryEntry {
    pub status: OrderStatus,
    pub notes: String,
    pub created_at: String,
}

impl Order {
    pub fn record(&mut self, status: OrderStatus, notes: &str, now: &str) {
        self.history.push(HistoryEntry {
            status,
            notes: notes.into(),
            created_at: now.into(),
        });
    }
}

/// Extends an order by its period from its expiry (or now when already past), as a paid
/// renewal does.
pub fn renew(order: &mut Order, now: OffsetDateTime) -> ApiResult<()> {
    let Some(code) = order.period.clone().filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let from = order
        .expires_at
        .as_deref()
        .and_then(crate::clock::parse_datetime)
        .filter(|e| *e > now)
        .unwrap_or(now);
    order.expires_at = Some(format_datetime(Period::parse(&code)?.add_to(from)));
    order.updated_at = format_datetime(now);
    Ok(())
}

/// Status changes an operator makes (activation is [`activate`]).
pub fn change_status(order: &mut Order, to: OrderStatus, now: OffsetDateTime) -> ApiResult<()> {
    use OrderStatus::*;
    let now_text = format_datetime(now);
    match (order.status, to) {
        (Active, Suspended) => order.suspended_at = Some(now_text.clone()),
        (Suspended, Active) => {
            order.unsuspended_at = Some(now_text.clone());
            order.suspended_at = None;
        }
        (Active | Suspended | PendingSetup | FailedSetup, Canceled) => order.canceled_at = Some(now_text.clone()),
        (from, to) => return Err(ApiError::new(format!("Order can not change from {from} to {to}"))),
    }
    order.status = to;
    order.record(to, &format!("Order {to}"), &now_text);
    order.updated_at = now_text;
    Ok(())
}
