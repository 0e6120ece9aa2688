//! Invoices with their lines, the client's balance entries and payment transactions, and the
//! settlement that marks an invoice paid (with account credit or by a gateway payment).
//!
//! Keys: `C#<client>` / `INV#<hash>` (lines embedded; the hash is the handle clients use),
//! `BAL#<id>`, `TXN#<id>`. Guests reach an invoice by hash through gsi1 `INVOICE#<hash>`.

use crate::catalog::Catalog;
use crate::client::ClientRecord;
use crate::clock::format_datetime;
use crate::error::{ApiError, ApiResult};
use crate::keys::{self, pad};
use crate::money;
use crate::notice::{Notice, TemplateCode};
use crate::order::{self, Order};
use crate::settings::Settings;
use crate::store::listing::{ListWrites, Listed, Listing, Placement, Rank};
use crate::store::{Cond, IdKind, Ids, Key, Record, StoreError, TxOp, Update};
use bb_macros::Answer;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::str::FromStr;
use time::OffsetDateTime;

named! {
    /// An invoice's state, as BoxBilling names it.
    pub enum InvoiceStatus {
        Unpaid = "unpaid",
        Paid = "paid",
        Refunded = "refunded",
        Canceled = "canceled",
    }
}

pub const INVOICE_PREFIX: &str = "INV#";
pub const BALANCE_PREFIX: &str = "BAL#";
pub const TRANSACTION_PREFIX: &str = "TXN#";

pub fn invoice_key(client_id: i64, hash: &str) -> Key {
    Key::new(keys::client_partition(client_id), format!("{INVOICE_PREFIX}{hash}"))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, Answer)]
pub struct Seller {
    pub company: Option<String>,
    pub company_vat: Option<String>,
    pub company_number: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub account_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, Answer)]
pub struct Buyer {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub company_vat: Option<String>,
    pub company_number: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
    pub phone_cc: Option<String>,
    pub email: Option<String>,
    pub zip: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Line {
    pub id: i64,
    pub title: String,
    #[serde(default)]
    pub period: Option<String>,
    pub quantity: i64,
    #[serde(default)]
    pub unit: Option<String>,
    pub price: Decimal,
    pub taxed: bool,
    #[serde(default)]
    pub charged: bool,
    #[serde(rename = "type")]
    pub kind: LineKind,
    #[serde(default)]
    pub rel_id: Option<i64>,
    pub task: LineTask,
    pub status: LineStatus,
}

named! {
    /// What an invoice line is for (BoxBilling's `invoice_item.type`).
    pub enum LineKind {
        /// An order's period (`rel_id` is the order).
        Order = "order",
        /// Money added to the client's balance.
        Deposit = "deposit",
        /// Anything else (setup fees, discounts).
        Custom = "custom",
    }
}

named! {
    /// What paying the line does.
    pub enum LineTask {
        /// Activates its order.
        Activate = "activate",
        /// Extends its order by a period.
        Renew = "renew",
        /// Nothing beyond the payment.
        Void = "void",
    }
}

named! {
    /// Where a line's work stands.
    pub enum LineStatus {
        PendingPayment = "pending_payment",
        PendingSetup = "pending_setup",
        Executed = "executed",
    }
}

impl Line {
    pub fn total(&self) -> Decimal {
        self.price * Decimal::from(self.quantity)
    }

    /// round(price × rate / 100) × quantity on taxed lines.
    pub fn tax(&self, rate: Decimal) -> Decimal {
        if !self.taxed || rate <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        money::round(self.price * rate / Decimal::from(100)) * Decimal::from(self.quantity)
    }
}

/// A line before it has an id.
#[derive(Debug, Clone)]
pub struct LineDraft {
    pub title: String,
    pub period: Option<String>,
    pub quantity: i64,
    pub unit: Option<String>,
    pub price: Decimal,
    pub taxed: bool,
    pub kind: LineKind,
    pub rel_id: Option<i64>,
    pub task: LineTask,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Invoice {
    pub id: i64,
    pub client_id: i64,
    pub hash: String,
    #[serde(default)]
    pub serie: Option<String>,
    #[serde(default)]
    pub nr: Option<String>,
    pub status: InvoiceStatus,
    pub approved: bool,
    pub currency: String,
    #[serde(default)]
    pub currency_rate: Option<Decimal>,
    #[serde(default)]
    pub gateway_id: Option<i64>,
    #[serde(default)]
    pub taxname: Option<String>,
    pub taxrate: Decimal,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub text_1: Option<String>,
    #[serde(default)]
    pub text_2: Option<String>,
    #[serde(default)]
    pub due_at: Option<String>,
    #[serde(default)]
    pub paid_at: Option<String>,
    /// The gateway's reference of the payment that paid it, when one was given: an operator
    /// recording the same payment again is told it is done, not that it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_txn: Option<String>,
    #[serde(default)]
    pub reminded_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub credit: Option<Decimal>,
    #[serde(default)]
    pub refund: Option<Decimal>,
    #[serde(default)]
    pub base_income: Option<Decimal>,
    #[serde(default)]
    pub base_refund: Option<Decimal>,
    pub seller: Seller,
    pub buyer: Buyer,
    pub lines: Vec<Line>,
    #[serde(default)]
    pub version: i64,
    /// The owner's sequence number: where the invoice sorts in the client's lists.
    #[serde(default)]
    pub seq: i64,
}

/// The client's invoice lists: all approved ones, and those of each status, newest first.
pub fn invoice_listing(client_id: i64, status: Option<InvoiceStatus>) -> Listing {
    let pk = keys::client_partition(client_id);
    match status {
        None => Listing::whole(pk, INVOICE_PREFIX),
        Some(s) => Listing::filtered(pk, INVOICE_PREFIX, "status", s.as_str()),
    }
}

impl Listed for Invoice {
    type Entry = Invoice;
    /// Only approved invoices are listed (BoxBilling's client list).
    fn placements(&self) -> Vec<Placement> {
        if !self.approved {
            return Vec::new();
        }
        let lists = [None, Some(self.status)].map(|status| invoice_listing(self.client_id, status));
        Placement::in_each(lists, &Rank::newest_first(self.seq))
    }
    /// The invoice as stored, without its version (a copy is never written under a lock).
    fn entry(&self) -> Invoice {
        Invoice {
            version: 0,
            ..self.clone()
        }
    }
}

impl crate::store::Versioned for Invoice {
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
}

impl crate::store::Record for Invoice {
    const KIND: Option<&'static str> = Some("invoice");
    fn key(&self) -> Key {
        invoice_key(self.client_id, &self.hash)
    }
    /// Staff find an invoice by its hash alone (`bb invoice pay <hash>`).
    fn index_entries(&self) -> Vec<crate::store::IndexEntry> {
        vec![crate::store::IndexEntry::new(
            crate::store::Index::Gsi1,
            by_hash_partition(&self.hash),
            "INVOICE",
        )]
    }
}

/// The index partition that finds an invoice by its hash.
pub fn by_hash_partition(hash: &str) -> String {
    format!("INVOICE#{hash}")
}

impl Invoice {
    pub fn subtotal(&self) -> Decimal {
        self.lines.iter().map(Line::total).sum()
    }

    pub fn tax(&self) -> Decimal {
        self.lines.iter().map(|l| l.tax(self.taxrate)).sum()
    }

    pub fn total(&self) -> Decimal {
        self.subtotal() + self.tax()
    }

    /// `BOX00042`: series and the number padded to five digits.
    pub fn serie_nr(&self) -> String {
        let nr = self
            .nr
            .clone()
            .filter(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty());
        format!(
            "{}{:0>5}",
            self.serie.clone().unwrap_or_default(),
            nr.unwrap_or_else(|| self.id.to_string())
        )
    }

    pub fn is_unpaid(&self) -> bool {
        self.status == InvoiceStatus::Unpaid
    }

    /// A write's guard: the invoice is still at the version it was read at, and unpaid.
    pub fn still_unpaid(read_at: i64) -> Cond {
        Cond::version(read_at).and(Self::unpaid_stored())
    }

    /// The stored invoice is unpaid.
    fn unpaid_stored() -> Cond {
        Cond::eq("status", InvoiceStatus::Unpaid)
    }

    /// The write from `before` (as read) to `self`, refused unless the invoice is still at
    /// the version it was read at and unpaid.
    pub fn unpaid_update_from(&self, before: &Invoice) -> Result<Update, StoreError> {
        let update = crate::store::Versioned::update_from(self, before)?;
        Ok(update.when(Self::unpaid_stored()))
    }

    /// BoxBilling's `[invoice]` shape; `client` is the owner's `[client]`.
    pub fn view(&self, client: &Value) -> InvoiceView {
        let lines = self
            .lines
            .iter()
            .map(|l| InvoiceLineView {
                id: l.id,
                title: l.title.clone(),
                period: l.period.clone(),
                quantity: l.quantity,
                unit: l.unit.clone(),
                price: money::Money(l.price),
                tax: money::Money(l.tax(self.taxrate)),
                taxed: l.taxed,
                charged: l.charged,
                total: money::Money(l.total()),
                order_id: if l.kind == LineKind::Order { l.rel_id } else { None },
                kind: l.kind,
                rel_id: l.rel_id,
                task: l.task,
                status: l.status,
            })
            .collect();
        let income = self.base_income.unwrap_or_default() - self.base_refund.unwrap_or_default();
        let subscribable = self.lines.len() == 1 && self.lines[0].period.as_deref().is_some_and(|p| !p.is_empty());
        let subscription = match self.lines.first().and_then(|l| l.period.as_ref()) {
            Some(code) if subscribable => crate::period::Period::parse(code).ok().map(|p| SubscriptionView {
                unit: p.unit.to_string(),
                cycle: i64::from(p.qty),
                period: code.clone(),
            }),
            _ => None,
        };
        InvoiceView {
            id: self.id,
            serie: self.serie.clone(),
            nr: self.nr.clone(),
            serie_nr: self.serie_nr(),
            hash: self.hash.clone(),
            gateway_id: self.gateway_id,
            taxname: self.taxname.clone().unwrap_or_default(),
            taxrate: self.taxrate.normalize().to_string(),
            currency: self.currency.clone(),
            currency_rate: self.currency_rate.map(|r| r.to_string()),
            tax: money::Money(self.tax()),
            subtotal: money::Money(self.subtotal()),
            total: money::Money(self.total()),
            status: self.status,
            notes: self.notes.clone(),
            text_1: self.text_1.clone(),
            text_2: self.text_2.clone(),
            due_at: self.due_at.clone(),
            paid_at: self.paid_at.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            lines,
            buyer: self.buyer.clone(),
            seller: self.seller.clone(),
            client: client.clone(),
            reminded_at: self.reminded_at.clone(),
            approved: self.approved,
            income: money::Money(income),
            refund: self.refund.map(money::Money),
            credit: self.credit.map(money::Money),
            subscribable,
            subscription,
        }
    }
}

/// `[invoice]`, as BoxBilling answers it.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct InvoiceView {
    pub id: i64,
    pub serie: Option<String>,
    pub nr: Option<String>,
    pub serie_nr: String,
    pub hash: String,
    pub gateway_id: Option<i64>,
    pub taxname: String,
    /// Percent, as decimal text.
    pub taxrate: String,
    pub currency: String,
    pub currency_rate: Option<String>,
    pub tax: money::Money,
    pub subtotal: money::Money,
    pub total: money::Money,
    pub status: InvoiceStatus,
    pub notes: Option<String>,
    pub text_1: Option<String>,
    pub text_2: Option<String>,
    pub due_at: Option<String>,
    pub paid_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub lines: Vec<InvoiceLineView>,
    pub buyer: Buyer,
    pub seller: Seller,
    /// The owner's `[client]`.
    pub client: Value,
    pub reminded_at: Option<String>,
    pub approved: bool,
    pub income: money::Money,
    pub refund: Option<money::Money>,
    pub credit: Option<money::Money>,
    /// One recurring line: the invoice can be paid by a subscription.
    pub subscribable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<SubscriptionView>,
}

/// A line of `[invoice]`.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct InvoiceLineView {
    pub id: i64,
    pub title: String,
    pub period: Option<String>,
    pub quantity: i64,
    pub unit: Option<String>,
    pub price: money::Money,
    pub tax: money::Money,
    pub taxed: bool,
    pub charged: bool,
    pub total: money::Money,
    pub order_id: Option<i64>,
    #[serde(rename = "type")]
    pub kind: LineKind,
    pub rel_id: Option<i64>,
    pub task: LineTask,
    pub status: LineStatus,
}

/// The subscription a one-line recurring invoice offers.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct SubscriptionView {
    pub unit: String,
    pub cycle: i64,
    pub period: String,
}

/// Whether a client pays tax: the `tax_enabled` setting is on and the client is not exempt.
pub fn is_taxable(settings: &Settings, client: &ClientRecord) -> bool {
    settings.get("tax_enabled").is_some_and(crate::settings::is_truthy) && !client.tax_exempt
}

fn setting_decimal(settings: &Settings, name: &str, default: i64) -> Decimal {
    settings
        .text(name)
        .and_then(|t| Decimal::from_str(&t).ok())
        .unwrap_or_else(|| Decimal::from(default))
}

/// A fresh 40-hex-character invoice hash from the CSPRNG.
pub fn new_hash() -> ApiResult<String> {
    crate::crypto::random_bytes::<20>()
        .map(hex::encode)
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// What a new invoice needs besides its lines.
pub struct NewInvoice<'a> {
    pub settings: &'a Settings,
    pub catalog: &'a Catalog,
    pub client: &'a ClientRecord,
    pub currency: String,
    pub gateway_id: Option<i64>,
    pub approved: bool,
    pub due_at: Option<String>,
    pub now: OffsetDateTime,
}

/// Builds an unpaid invoice with seller and buyer snapshots, the client's tax rule and due date.
pub fn build(new: NewInvoice<'_>, ids: &mut Ids, drafts: Vec<LineDraft>) -> ApiResult<Invoice> {
    let (id, seq) = ids.next_listed(IdKind::Invoice)?;
    let now = format_datetime(new.now);
    let (taxname, taxrate) = if is_taxable(new.settings, new.client) {
        match new
            .catalog
            .tax_for(new.client.country.as_deref(), new.client.state.as_deref())
        {
            Some(t) => (Some(t.name.clone()), t.taxrate),
            None => (None, Decimal::ZERO),
        }
    } else {
        (None, Decimal::ZERO)
    };
    let due_days = setting_decimal(new.settings, "invoice_due_days", 5)
        .to_string()
        .parse::<i64>()
        .unwrap_or(1);
    let due_at = new
        .due_at
        .unwrap_or_else(|| format_datetime(new.now + time::Duration::days(due_days)));
    let s = |name: &str| new.settings.text(name);
    let address: Vec<String> = ["company_address_1", "company_address_2", "company_address_3"]
        .iter()
        .filter_map(|k| s(k))
        .collect();
    let c = new.client;
    let join = |a: &Option<String>, b: &Option<String>| {
        Some(
            format!("{} {}", a.clone().unwrap_or_default(), b.clone().unwrap_or_default())
                .trim()
                .to_string(),
        )
    };
    let mut lines = Vec::with_capacity(drafts.len());
    for d in drafts {
        lines.push(Line {
            id: ids.next(IdKind::InvoiceLine)?,
            title: d.title,
            period: d.period,
            quantity: d.quantity,
            unit: d.unit,
            price: money::round(d.price),
            taxed: d.taxed && taxrate > Decimal::ZERO,
            charged: false,
            kind: d.kind,
            rel_id: d.rel_id,
            task: d.task,
            status: LineStatus::PendingPayment,
        });
    }
    Ok(Invoice {
        id,
        client_id: c.id,
        hash: new_hash()?,
        serie: s("invoice_series"),
        nr: Some(id.to_string()),
        status: InvoiceStatus::Unpaid,
        approved: new.approved,
        currency: new.currency,
        currency_rate: None,
        gateway_id: new.gateway_id,
        taxname,
        taxrate,
        notes: None,
        text_1: None,
        text_2: None,
        due_at: Some(due_at),
        paid_at: None,
        paid_txn: None,
        reminded_at: None,
        created_at: now.clone(),
        updated_at: now,
        credit: None,
        refund: None,
        base_income: None,
        base_refund: None,
        seller: Seller {
            company: s("company_name"),
            company_vat: s("company_vat_number"),
            company_number: s("company_number"),
            address: (!address.is_empty()).then(|| address.join(" ")),
            phone: s("company_tel"),
            email: s("company_email"),
            account_number: s("company_account_number"),
        },
        buyer: Buyer {
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            company: c.company.clone(),
            company_vat: c.company_vat.clone(),
            company_number: c.company_number.clone(),
            address: join(&c.address_1, &c.address_2),
            city: c.city.clone(),
            state: c.state.clone(),
            country: c.country.clone(),
            phone: join(&c.phone_cc, &c.phone),
            phone_cc: c.phone_cc.clone(),
            email: Some(c.email.clone()),
            zip: c.postcode.clone(),
        },
        lines,
        version: 0,
        seq,
    })
}

named! {
    /// Why a balance entry was made.
    pub enum BalanceKind {
        /// A charge or deposit of an invoice.
        Invoice = "invoice",
        /// Credit given by an operator.
        Gift = "gift",
        Default = "default",
    }
}

named! {
    /// What a gateway transaction was.
    pub enum TransactionKind {
        Payment = "payment",
        Refund = "refund",
    }
}

named! {
    /// How far BoxBilling got with a gateway transaction.
    pub enum TransactionStatus {
        Received = "received",
        Approved = "approved",
        Processed = "processed",
        Error = "error",
    }
}

/// A balance entry: credit (+) or charge (−) of the client's account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BalanceEntry {
    pub id: i64,
    pub client_id: i64,
    #[serde(rename = "type")]
    pub kind: BalanceKind,
    #[serde(default)]
    pub rel_id: Option<i64>,
    pub amount: Decimal,
    pub description: String,
    pub created_at: String,
    /// The owner's sequence number: where the entry sorts in the client's list.
    #[serde(default)]
    pub seq: i64,
}

/// The client's balance entries, newest first.
pub fn balance_listing(client_id: i64) -> Listing {
    Listing::whole(keys::client_partition(client_id), BALANCE_PREFIX)
}

impl Listed for BalanceEntry {
    type Entry = BalanceEntry;
    fn placements(&self) -> Vec<Placement> {
        vec![Placement {
            listing: balance_listing(self.client_id),
            rank: Rank::newest_first(self.seq),
        }]
    }
    fn entry(&self) -> BalanceEntry {
        self.clone()
    }
}

impl Record for BalanceEntry {
    fn key(&self) -> Key {
        Key::new(
            keys::client_partition(self.client_id),
            format!("{BALANCE_PREFIX}{}", pad(self.id)),
        )
    }
}

impl BalanceEntry {
    /// `[balance]`; `currency` is the client's current currency.
    pub fn view(&self, currency: Option<&str>) -> BalanceView {
        BalanceView {
            id: self.id,
            description: self.description.clone(),
            amount: money::Money(self.amount),
            currency: currency.map(String::from),
            created_at: self.created_at.clone(),
        }
    }
}

/// `[balance]`: one entry of the client's account.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct BalanceView {
    pub id: i64,
    pub description: String,
    pub amount: money::Money,
    /// The client's current currency.
    pub currency: Option<String>,
    pub created_at: String,
}

/// A payment received through a gateway.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Transaction {
    pub id: i64,
    pub client_id: i64,
    pub invoice_id: i64,
    pub invoice_hash: String,
    #[serde(default)]
    pub txn_id: Option<String>,
    #[serde(default)]
    pub txn_status: Option<String>,
    #[serde(default)]
    pub gateway_id: Option<i64>,
    pub amount: Decimal,
    pub currency: String,
    #[serde(rename = "type")]
    pub kind: TransactionKind,
    pub status: TransactionStatus,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The owner's sequence number: where the payment sorts in the client's list.
    #[serde(default)]
    pub seq: i64,
}

/// Checks every list of a client's billing records (invoices, balance entries, payments)
/// against the records, with the writes that repair what differs (`bb counters`).
pub async fn audit_lists(
    store: &dyn crate::store::Store,
    client_id: i64,
) -> Result<crate::store::listing::Audit, StoreError> {
    use crate::store::listing::audit_family;
    let pk = keys::client_partition(client_id);
    let mut audit = audit_family::<Invoice>(store, &pk, INVOICE_PREFIX).await?;
    for part in [
        audit_family::<BalanceEntry>(store, &pk, BALANCE_PREFIX).await?,
        audit_family::<Transaction>(store, &pk, TRANSACTION_PREFIX).await?,
    ] {
        audit.findings.extend(part.findings);
        audit.repairs.extend(part.repairs);
    }
    Ok(audit)
}

/// The client's processed payments, newest first (the only ones a client lists).
pub fn transaction_listing(client_id: i64) -> Listing {
    Listing::whole(keys::client_partition(client_id), TRANSACTION_PREFIX)
}

impl Listed for Transaction {
    type Entry = Transaction;
    fn placements(&self) -> Vec<Placement> {
        if self.status != TransactionStatus::Processed {
            return Vec::new();
        }
        vec![Placement {
            listing: transaction_listing(self.client_id),
            rank: Rank::newest_first(self.seq),
        }]
    }
    fn entry(&self) -> Transaction {
        self.clone()
    }
}

impl Record for Transaction {
    fn key(&self) -> Key {
        Key::new(
            keys::client_partition(self.client_id),
            format!("{TRANSACTION_PREFIX}{}", pad(self.id)),
        )
    }
}

impl Transaction {
    /// `[transaction]`.
    pub fn view(&self, catalog: &Catalog) -> TransactionView {
        TransactionView {
            id: self.id,
            invoice_id: self.invoice_id,
            txn_id: self.txn_id.clone(),
            txn_status: self.txn_status.clone(),
            gateway_id: self.gateway_id,
            gateway: self.gateway_id.and_then(|g| catalog.gateway(g)).map(|g| g.name.clone()),
            amount: money::Money(self.amount),
            currency: self.currency.clone(),
            kind: self.kind,
            status: self.status,
            ip: self.ip.clone(),
            validate_ipn: (),
            error: (),
            error_code: (),
            note: self.note.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

/// `[transaction]`, as BoxBilling answers it.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct TransactionView {
    pub id: i64,
    pub invoice_id: i64,
    pub txn_id: Option<String>,
    pub txn_status: Option<String>,
    pub gateway_id: Option<i64>,
    /// The gateway's name.
    pub gateway: Option<String>,
    pub amount: money::Money,
    pub currency: String,
    #[serde(rename = "type")]
    pub kind: TransactionKind,
    pub status: TransactionStatus,
    pub ip: Option<String>,
    /// BoxBilling's IPN fields; gateways are not driven from the client API.
    pub validate_ipn: (),
    pub error: (),
    pub error_code: (),
    pub note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// How an invoice gets paid.
#[derive(Debug, Clone, PartialEq)]
pub enum PaidBy {
    /// From the client's account balance.
    Credits,
    /// Money received by a gateway (recorded as a transaction).
    Gateway {
        gateway_id: Option<i64>,
        txn_id: Option<String>,
    },
}

/// The effects of paying an invoice: writes for the transaction, notices, and the records as
/// they become (the caller writes `client` and `orders` it passed in, changed in place).
pub struct Settlement {
    pub ops: Vec<TxOp>,
    pub notices: Vec<Notice>,
    /// Orders that changed (activated, renewed, no longer waiting for this invoice).
    pub orders_changed: Vec<i64>,
}

/// Ids a settlement of `invoice` may take (allocate them with the caller's other ids).
pub fn settlement_ids(invoice: &Invoice) -> [(IdKind, usize); 4] {
    let n = invoice.lines.len();
    [
        (IdKind::Balance, n),
        (IdKind::Service, n),
        (IdKind::Transaction, 1),
        (IdKind::Email, n + 2),
    ]
}

/// What a payment is judged by: the operator's settings and catalogue, the time, the payer's
/// address, and the sealer for the secrets an activation writes.
#[derive(Clone, Copy)]
pub struct Terms<'a> {
    pub settings: &'a Settings,
    pub catalog: &'a Catalog,
    pub sealer: &'a crate::crypto::Sealer,
    pub now: OffsetDateTime,
    pub ip: Option<&'a str>,
}

/// The records a payment reads and changes.
pub struct Books<'a> {
    pub client: &'a mut ClientRecord,
    pub invoice: &'a mut Invoice,
    /// The orders the invoice's lines name.
    pub orders: &'a mut [Order],
}

/// Marks the invoice paid. Credits: each line is charged to the balance (negative lines credit
/// it back, unlike BoxBilling). Gateway: a processed transaction is recorded and deposits
/// credit the balance. Order lines activate (`activate`) or extend (`renew`) their orders. The
/// records change in place; the writes that are not theirs (entries, services, mail) are in
/// the answer.
pub fn settle(terms: Terms<'_>, books: Books<'_>, paid_by: &PaidBy, ids: &mut Ids) -> ApiResult<Settlement> {
    let Terms {
        settings,
        catalog,
        sealer,
        now,
        ip,
    } = terms;
    let Books {
        client,
        invoice,
        orders,
    } = books;
    if !invoice.is_unpaid() {
        return Err(ApiError::new("Invoice is already paid"));
    }
    let now_text = format_datetime(now);
    let mut ops = Vec::new();
    let mut notices = Vec::new();
    let mut balance = client
        .balance
        .as_deref()
        .map(money::parse)
        .transpose()?
        .unwrap_or_default();
    let mut touched_balance = false;
    let mut lists = ListWrites::default();
    let total = invoice.total();
    if let PaidBy::Gateway { gateway_id, txn_id } = paid_by {
        let (id, seq) = ids.next_listed(IdKind::Transaction)?;
        let txn = Transaction {
            id,
            seq,
            client_id: invoice.client_id,
            invoice_id: invoice.id,
            invoice_hash: invoice.hash.clone(),
            txn_id: txn_id.clone(),
            txn_status: Some("complete".into()),
            gateway_id: *gateway_id,
            amount: money::round(total),
            currency: invoice.currency.clone(),
            kind: TransactionKind::Payment,
            status: TransactionStatus::Processed,
            ip: ip.map(String::from),
            note: None,
            created_at: now_text.clone(),
            updated_at: now_text.clone(),
        };
        lists.change(None, Some(&txn))?;
        ops.push(txn.put_new()?);
        invoice.paid_txn = txn_id.clone();
    }
    let rate = invoice.taxrate;
    let mut orders_changed = Vec::new();
    let mut notes = invoice.notes.clone().unwrap_or_default();
    for line in invoice.lines.iter_mut().filter(|l| !l.charged) {
        let amount = money::round(line.total() + line.tax(rate));
        let entry = match (paid_by, line.kind) {
            (PaidBy::Gateway { .. }, LineKind::Deposit) => Some(amount),
            (PaidBy::Credits, LineKind::Deposit) => None,
            (PaidBy::Credits, _) => Some(-amount),
            (PaidBy::Gateway { .. }, _) => None,
        };
        if let Some(delta) = entry.filter(|d| !d.is_zero()) {
            let (id, seq) = ids.next_listed(IdKind::Balance)?;
            let e = BalanceEntry {
                id,
                seq,
                client_id: invoice.client_id,
                kind: BalanceKind::Invoice,
                rel_id: Some(invoice.id),
                amount: delta,
                description: line.title.clone(),
                created_at: now_text.clone(),
            };
            lists.change(None, Some(&e))?;
            ops.push(e.put_new()?);
            balance += delta;
            touched_balance = true;
            if delta.is_sign_negative() {
                notes.push_str(&format!(
                    "Charged clients balance with {} {} for {}\n",
                    money::text(-delta),
                    invoice.currency,
                    line.title
                ));
            }
        }
        line.charged = true;
        line.status = LineStatus::Executed;
        if line.kind != LineKind::Order {
            continue;
        }
        let Some(order) = line.rel_id.and_then(|id| orders.iter_mut().find(|o| o.id == id)) else {
            continue;
        };
        if order.unpaid_invoice_hash.as_deref() == Some(invoice.hash.as_str()) {
            order.unpaid_invoice_hash = None;
            order.unpaid_invoice_id = None;
        }
        match line.task {
            LineTask::Activate if order.status == order::OrderStatus::PendingSetup => {
                let product = catalog.product(order.product_id);
                let manual = product.is_some_and(|p| p.setup == crate::catalog::SetupMode::Manual);
                if !manual {
                    let activation =
                        crate::activation::activate(order, product, ids.next(IdKind::Service)?, now, sealer)?;
                    ops.extend(activation.ops);
                    notices.push((order.id, activation.notice_template));
                }
            }
            LineTask::Renew => order::renew(order, now)?,
            _ => {}
        }
        if !orders_changed.contains(&order.id) {
            orders_changed.push(order.id);
        }
    }
    if touched_balance {
        client.balance = Some(money::text(balance));
    }
    ops.extend(lists.into_ops());
    invoice.status = InvoiceStatus::Paid;
    invoice.approved = true;
    invoice.paid_at = Some(now_text.clone());
    invoice.updated_at = now_text;
    invoice.base_income = Some(money::round(total));
    if !notes.is_empty() {
        invoice.notes = Some(notes);
    }
    if let Some(series) = settings.text("invoice_series_paid") {
        invoice.serie = Some(series);
    }
    let name = client.full_name();
    let mut out = Vec::new();
    if total > Decimal::ZERO {
        out.push(Notice::to_client(
            TemplateCode::InvoicePaid,
            client.id,
            &client.email,
            &name,
            json!({"c": client.view(false), "invoice": invoice.view(&Value::Null)}),
        ));
    }
    for (order_id, template) in notices {
        if let Some(order) = orders.iter().find(|o| o.id == order_id) {
            out.push(Notice::to_client(
                template,
                client.id,
                &client.email,
                &name,
                json!({"c": client.view(false), "order": order.view(&Value::Null)}),
            ));
        }
    }
    Ok(Settlement {
        ops,
        notices: out,
        orders_changed,
    })
}

/// The client's balance covers the invoice (BoxBilling allowed 0.05 short; we do not).
pub fn covered_by_balance(client: &ClientRecord, invoice: &Invoice) -> ApiResult<bool> {
    let balance = client
        .balance
        .as_deref()
        .map(money::parse)
        .transpose()?
        .unwrap_or_default();
    Ok(invoice.total() > Decimal::ZERO && balance >= money::round(invoice.total()))
}

/// `funds_min_amount` / `funds_max_amount` (defaults 10 and 200).
pub fn funds_limits(settings: &Settings) -> (Decimal, Decimal) {
    (
        setting_decimal(settings, "funds_min_amount", 10),
        setting_decimal(settings, "funds_max_amount", 200),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::order::OrderStatus;

    fn at() -> OffsetDateTime {
        time::macros::datetime!(2026-12-02 10:00:00 UTC)
    }

    fn client(balance: &str) -> ClientRecord {
        ClientRecord {
            id: 7,
            email: "c@example.com".into(),
            currency: Some("USD".into()),
            balance: Some(balance.into()),
            ..Default::default()
        }
    }

    fn order(status: OrderStatus) -> Order {
        serde_json::from_value(json!({
            "id": 3, "client_id": 7, "product_id": 9, "group_id": "g", "group_master": true,
            "invoice_option": "no-invoice", "title": "Hosting", "currency": "USD",
            "service_type": "custom", "period": "1M", "quantity": 1, "unit": "product",
            "price": "10.00", "status": status.as_str(),
            "created_at": "2026-12-01 10:00:00", "updated_at": "2026-12-01 10:00:00",
        }))
        .unwrap()
    }

    fn invoice_for(client: &ClientRecord, task: LineTask) -> Invoice {
        let settings = Settings::default();
        let catalog = Catalog::default();
        let mut ids = Ids::given(IdKind::Invoice, [1]).with(IdKind::InvoiceLine, [1]);
        build(
            NewInvoice {
                settings: &settings,
                catalog: &catalog,
                client,
                currency: "USD".into(),
                gateway_id: None,
                approved: true,
                due_at: None,
                now: at(),
            },
            &mut ids,
            vec![LineDraft {
                title: "Hosting".into(),
                period: Some("1M".into()),
                quantity: 1,
                unit: Some("product".into()),
                price: Decimal::new(1000, 2),
                taxed: false,
                kind: LineKind::Order,
                rel_id: Some(3),
                task,
            }],
        )
        .unwrap()
    }

    /// Settles on the default settings and an empty catalogue, with ids to spare.
    fn pay(
        client: &mut ClientRecord,
        invoice: &mut Invoice,
        orders: &mut [Order],
        paid_by: &PaidBy,
        ip: Option<&str>,
    ) -> ApiResult<Settlement> {
        let (settings, catalog) = (Settings::default(), Catalog::default());
        let sealer = crate::crypto::Sealer::new(&[1; 32]).unwrap();
        let terms = Terms {
            settings: &settings,
            catalog: &catalog,
            sealer: &sealer,
            now: at(),
            ip,
        };
        let books = Books {
            client,
            invoice,
            orders,
        };
        let mut ids = Ids::given(IdKind::Balance, [1, 2])
            .with(IdKind::Service, [1, 2])
            .with(IdKind::Transaction, [1]);
        settle(terms, books, paid_by, &mut ids)
    }

    #[test]
    fn paying_from_credit_charges_the_balance_and_activates_the_order() {
        let mut client = client("25.00");
        let mut invoice = invoice_for(&client, LineTask::Activate);
        let mut orders = vec![order(OrderStatus::PendingSetup)];
        let paid = pay(&mut client, &mut invoice, &mut orders, &PaidBy::Credits, None).unwrap();
        assert_eq!(client.balance.as_deref(), Some("15.00"));
        assert_eq!(invoice.status, InvoiceStatus::Paid);
        assert_eq!(orders[0].status, OrderStatus::Active);
        assert_eq!(paid.orders_changed, vec![3]);
        assert!(!paid.notices.is_empty(), "the client hears of the payment");
        // Paying it again is refused: nothing is charged twice.
        assert!(pay(&mut client, &mut invoice, &mut orders, &PaidBy::Credits, None).is_err());
        assert_eq!(client.balance.as_deref(), Some("15.00"));
    }

    #[test]
    fn a_gateway_payment_records_a_transaction_and_leaves_the_balance() {
        let mut client = client("0.00");
        let mut invoice = invoice_for(&client, LineTask::Renew);
        let mut orders = vec![order(OrderStatus::Active)];
        let paid_by = PaidBy::Gateway {
            gateway_id: Some(1),
            txn_id: Some("T-1".into()),
        };
        let paid = pay(&mut client, &mut invoice, &mut orders, &paid_by, Some("192.0.2.1")).unwrap();
        assert_eq!(client.balance.as_deref(), Some("0.00"));
        assert_eq!(invoice.paid_txn.as_deref(), Some("T-1"));
        assert!(orders[0].expires_at.is_some(), "a renewal extends the order");
        let transactions = paid
            .ops
            .iter()
            .filter(|op| {
                op.key().is_some_and(|k| {
                    k.sk.strip_prefix(TRANSACTION_PREFIX)
                        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
                })
            })
            .count();
        assert_eq!(transactions, 1, "one transaction record (its list writes aside)");
    }
}
