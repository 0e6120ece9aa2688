//! `/api/client/invoice/*` and the guest gateway list `/api/guest/invoice/gateways`.
//!
//! Invoices are reached by hash within the caller's own partition: another client's hash is
//! simply not found. Changes touch only the caller's unpaid invoices.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::clock::{date_filter, day_of, within};
use bb_core::domain::activity;
use bb_core::domain::catalog::PromoType;
use bb_core::domain::client::{self as clients, ClientRecord};
use bb_core::domain::invoice::{
    self, INVOICE_PREFIX, Invoice, InvoiceStatus, InvoiceView, LineDraft, LineKind, LineTask, NewInvoice, PaidBy,
    Transaction, TransactionStatus, TransactionView,
};
use bb_core::domain::money;
use bb_core::domain::order::{self as orders, Order};
use bb_core::error::changed_meanwhile;
use bb_core::idempotency;
use bb_core::keys;
use bb_core::notifier::{Notice, TemplateCode};
use bb_core::prelude::*;
use bb_core::store::from_item;
use bb_core::store::listing::{self, list_changes};
use rust_decimal::Decimal;
use std::str::FromStr;

pub fn module() -> Module {
    Module::new("invoice")
        .method(Access::Read, "get_list", get_list)
        .method(Access::Read, "get", get)
        .method(Access::Write, "update", update)
        .method(Access::Write, "renewal_invoice", renewal_invoice)
        .method(Access::Write, "funds_invoice", funds_invoice)
        .method(Access::Write, "delete", delete)
        .method(Access::Read, "transaction_get_list", transaction_get_list)
        .method(Access::Read, "gateways", gateways)
}

fn not_found() -> ApiError {
    ApiError::new("Invoice was not found")
}

#[derive(Params)]
struct ListParams {
    /// Matches the id, the number or a line's title.
    search: Option<String>,
    /// Invoices with a line of this order.
    order_id: Option<i64>,
    id: Option<i64>,
    /// Number or id.
    nr: Option<String>,
    /// `unpaid`, `paid`, `refunded`, `canceled`.
    status: Option<String>,
    currency: Option<String>,
    /// Created on this day.
    created_at: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
    /// Paid on this day.
    paid_at: Option<String>,
    /// Ignored: the list is always the caller's own.
    #[param(rename = "client_id")]
    _client_id: Ignored,
    #[param(rename = "client")]
    _client: Ignored,
}

/// The caller's approved invoices, newest first, with BoxBilling's filters. No filter or
/// `status` alone reads the page from its list; other filters read the (status) list whole
/// and filter it (ARCHITECTURE.md, "Lists": their cost is the client's invoice count).
async fn get_list(ctx: ClientCtx, p: ListParams) -> ApiResult<Page<InvoiceView>> {
    let paging = ctx.paging()?;
    let created = date_filter("created_at", &p.created_at)?;
    let from = date_filter("date_from", &p.date_from)?;
    let to = date_filter("date_to", &p.date_to)?;
    let paid = date_filter("paid_at", &p.paid_at)?;
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let status = match given(&p.status) {
        None => None,
        Some(s) => match InvoiceStatus::parse(&s) {
            Some(status) => Some(status),
            // No invoice has a status BoxBilling does not know.
            None => return Ok(paging.page(0, Vec::new())),
        },
    };
    let listing = invoice::invoice_listing(ctx.client_id, status);
    let search = given(&p.search).map(|s| s.to_lowercase());
    let (nr, currency) = (given(&p.nr), given(&p.currency));
    let filtered = search.is_some()
        || nr.is_some()
        || currency.is_some()
        || p.id.is_some()
        || p.order_id.is_some()
        || [created, from, to, paid].iter().any(Option::is_some);
    if !filtered {
        let (offset, limit) = paging.window();
        let (page, client) = clients::list_page_with_view(ctx.store(), &listing, offset, limit).await?;
        let list = page
            .entries
            .iter()
            .map(|item| Invoice::from_item(item).map(|inv| inv.view(&client)))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(paging.page(page.total, list));
    }
    let (entries, client) = clients::list_all_with_view(ctx.store(), &listing).await?;
    let mut invoices = entries.iter().map(Invoice::from_item).collect::<Result<Vec<_>, _>>()?;
    invoices.retain(|inv| {
        let day = day_of(&inv.created_at);
        within(&inv.created_at, from, to)
            && p.id.is_none_or(|id| inv.id == id)
            && nr
                .as_deref()
                .is_none_or(|nr| inv.nr.as_deref() == Some(nr) || inv.id.to_string() == nr)
            && currency.as_deref().is_none_or(|c| inv.currency.eq_ignore_ascii_case(c))
            && p.order_id.is_none_or(|o| {
                inv.lines
                    .iter()
                    .any(|l| l.kind == LineKind::Order && l.rel_id == Some(o))
            })
            && created.is_none_or(|d| day == Some(d))
            && paid.is_none_or(|d| inv.paid_at.as_deref().and_then(day_of) == Some(d))
            && search.as_deref().is_none_or(|q| {
                inv.id.to_string().contains(q)
                    || inv.serie_nr().to_lowercase().contains(q)
                    || inv.nr.as_deref().is_some_and(|n| n.contains(q))
                    || inv.lines.iter().any(|l| l.title.to_lowercase().contains(q))
            })
    });
    Ok(paging.paginate(invoices, |i| i.view(&client)))
}

#[derive(Params)]
struct HashParams {
    #[param(required = "Invoice hash not passed")]
    hash: String,
}

/// The caller's invoice by hash, with the `[client]` view.
async fn load(ctx: &ClientCtx, hash: &str) -> ApiResult<(Invoice, Value)> {
    if hash.len() > 128 {
        return Err(not_found());
    }
    let key = invoice::invoice_key(ctx.client_id, hash.trim());
    let (invoice, client) = clients::one_with_view(ctx.store(), ctx.client_id, &key, INVOICE_PREFIX).await?;
    Ok((invoice.ok_or_else(not_found)?, client))
}

async fn get(ctx: ClientCtx, p: HashParams) -> ApiResult<InvoiceView> {
    let (inv, client) = load(&ctx, &p.hash).await?;
    Ok(inv.view(&client))
}

#[derive(Params)]
struct UpdateParams {
    #[param(required = "Invoice hash not passed")]
    hash: String,
    /// Payment gateway to pay with; omitted leaves it as it is.
    gateway_id: Option<i64>,
}

fn only_unpaid(inv: &Invoice) -> ApiResult<()> {
    match inv.status {
        InvoiceStatus::Unpaid => Ok(()),
        InvoiceStatus::Paid => Err(ApiError::new("Paid Invoice can not be modified")),
        other => Err(ApiError::new(format!("A {other} invoice can not be modified"))),
    }
}

fn conflict() -> ApiError {
    ApiError::new("The invoice was changed by another request. Please try again.")
}

/// Chooses the gateway of one of the caller's unpaid invoices.
async fn update(ctx: ClientCtx, p: UpdateParams) -> ApiResult<bool> {
    let (inv, _) = load(&ctx, &p.hash).await?;
    only_unpaid(&inv)?;
    let Some(gateway_id) = p.gateway_id else {
        return Ok(true);
    };
    let catalog = ctx.app.catalog().await?;
    if !catalog.gateway(gateway_id).is_some_and(|g| g.enabled) {
        return Err(ApiError::new("Payment method not found"));
    }
    let mut changed = inv.clone();
    changed.gateway_id = Some(gateway_id);
    changed.updated_at = ctx.now_text();
    let update = changed.unpaid_update_from(&inv)?;
    let mut ops = vec![
        TxOp::Update(update),
        activity::log(&ctx.origin(), ctx.client_id, format!("Updated invoice \"{}\"", inv.id)),
    ];
    ops.extend(list_changes(Some(&inv), Some(&changed))?);
    ctx.store().transact(ops).await.map_err(changed_meanwhile("invoice"))?;
    Ok(true)
}

#[derive(Params)]
struct RenewalParams {
    #[param(required = "Order id required")]
    order_id: i64,
}

/// An invoice renewing one of the caller's orders; an unpaid one already there is reused, so
/// repeated or concurrent calls answer the same invoice.
async fn renewal_invoice(ctx: ClientCtx, p: RenewalParams) -> ApiResult<String> {
    let order_key = orders::order_key(ctx.client_id, p.order_id);
    let items = ctx
        .store()
        .get_many(&[order_key.clone(), keys::client(ctx.client_id)])
        .await?;
    let order_item = items.get(&order_key).ok_or_else(|| ApiError::new("Order not found"))?;
    let mut order = Order::from_item(order_item)?;
    let client_item = items
        .get(&keys::client(ctx.client_id))
        .ok_or_else(|| ApiError::auth(201))?;
    let mut client = ClientRecord::from_item(client_item)?;
    if let Some(hash) = &order.unpaid_invoice_hash {
        return Ok(hash.clone());
    }
    if order.status == orders::OrderStatus::Canceled {
        return Err(ApiError::new(format!(
            "Order {} is canceled. No need to generate invoice.",
            order.id
        )));
    }
    if order.price <= Decimal::ZERO {
        return Err(ApiError::new(format!(
            "Order {} is free. No need to generate invoice.",
            order.id
        )));
    }
    let settings = ctx.app.settings().await?;
    let catalog = ctx.app.catalog().await?;
    let taxed = invoice::is_taxable(&settings, &client);
    let mut drafts = vec![LineDraft {
        title: order.title.clone(),
        period: order.period.clone(),
        quantity: order.quantity,
        unit: Some(order.unit.clone()),
        price: order.price,
        taxed,
        kind: LineKind::Order,
        rel_id: Some(order.id),
        task: LineTask::Renew,
    }];
    let mut promo_used = false;
    if order.promo_recurring
        && let Some(promo) = order.promo_id.and_then(|id| catalog.promo_by_id(id))
    {
        let discount = order.discount.unwrap_or_default().min(order.total());
        if discount > Decimal::ZERO {
            let title = match promo.kind {
                PromoType::Absolute => {
                    format!(
                        "Promotional Code: {} - {} Discount",
                        promo.code,
                        money::text(promo.value)
                    )
                }
                PromoType::Percentage => format!("Promotional Code: {} - {}%", promo.code, promo.value.normalize()),
            };
            drafts.push(LineDraft {
                title,
                period: None,
                quantity: 1,
                unit: Some("discount".into()),
                price: -discount,
                taxed,
                kind: LineKind::Custom,
                rel_id: Some(order.id),
                task: LineTask::Void,
            });
            promo_used = true;
        }
    }
    let mut ids = ctx
        .ids(&[
            (IdKind::Invoice, 1),
            (IdKind::InvoiceLine, drafts.len()),
            (IdKind::Balance, 4),
            (IdKind::Service, 2),
            (IdKind::Email, 4),
        ])
        .await?;
    let currency = order.currency.clone();
    let mut inv = invoice::build(
        NewInvoice {
            settings: &settings,
            catalog: &catalog,
            client: &client,
            currency,
            gateway_id: None,
            approved: true,
            due_at: order.expires_at.clone(),
            now: ctx.now(),
        },
        &mut ids,
        drafts,
    )?;
    let before_order = order.version;
    let before_client = client.clone();
    let mut notices = vec![Notice::to_client(
        TemplateCode::InvoiceCreated,
        client.id,
        &client.email,
        &client.full_name(),
        json!({"c": client.view(false), "invoice": inv.view(&Value::Null)}),
    )];
    let mut ops = Tx::new();
    let mut orders_list = vec![order.clone()];
    if invoice::covered_by_balance(&client, &inv)? {
        let terms = invoice::Terms {
            settings: &settings,
            catalog: &catalog,
            sealer: &ctx.app.sealer,
            now: ctx.now(),
            ip: Some(&ctx.meta.ip),
        };
        let books = invoice::Books {
            client: &mut client,
            invoice: &mut inv,
            orders: &mut orders_list,
        };
        let s = invoice::settle(terms, books, &PaidBy::Credits, &mut ids)?;
        ops.extend(s.ops);
        notices.extend(s.notices);
        ops.push(TxOp::Update(clients::update(&before_client, &client, &ctx.now_text())?));
    }
    order = orders_list.remove(0);
    if inv.is_unpaid() {
        order.unpaid_invoice_hash = Some(inv.hash.clone());
        order.unpaid_invoice_id = Some(inv.id);
    }
    if promo_used {
        order.promo_used += 1;
    }
    order.version = before_order + 1;
    let order_unchanged = ops.add(order.put_when(Order::without_unpaid_invoice(before_order))?);
    ops.push(TxOp::put_new(inv.to_item()?));
    ops.extend(list_changes(None, Some(&inv))?);
    ops.push(activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Generated new renewal invoice #{}", inv.id),
    ));
    let commit = Commit::new(&ctx.app, ops.into_ops(), &notices, &mut ids).await?;
    match commit.run(&ctx.app).await {
        Ok(()) => Ok(inv.hash),
        Err(e) if e.failed(order_unchanged) => {
            // A concurrent call generated it first: answer with that invoice.
            let again = ctx
                .store()
                .get(&order_key)
                .await?
                .ok_or_else(|| ApiError::new("Order not found"))?;
            Order::from_item(&again)?.unpaid_invoice_hash.ok_or_else(conflict)
        }
        Err(e) if e.is_condition_failure() => Err(conflict()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Params)]
struct FundsParams {
    /// Amount to add to the account balance, in the client's currency.
    #[param(required = "Amount is required")]
    amount: Value,
}

fn parse_amount(value: &Value) -> ApiResult<Decimal> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => String::new(),
    };
    let plain =
        !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') && !text.contains("e");
    plain
        .then(|| Decimal::from_str(&text).ok())
        .flatten()
        .ok_or_else(|| ApiError::new("You need to enter numeric value"))
}

/// An invoice that adds funds to the account when paid.
async fn funds_invoice(ctx: ClientCtx, p: FundsParams) -> ApiResult<String> {
    let amount = parse_amount(&p.amount)?;
    // A deposit asked for again with the same Idempotency-Key answers the first invoice.
    let replay = idempotency::header_key(&ctx.meta)?.map(|k| idempotency::key(ctx.client_id, "funds", &k));
    let mut wanted = vec![keys::client(ctx.client_id)];
    wanted.extend(replay.clone());
    let found = ctx.store().get_many(&wanted).await?;
    if let Some(first) = replay
        .as_ref()
        .and_then(|k| found.get(k))
        .and_then(idempotency::stored)
        .and_then(|v| v.as_str().map(String::from))
    {
        return Ok(first);
    }
    let client = ClientRecord::from_item(
        found
            .get(&keys::client(ctx.client_id))
            .ok_or_else(|| ApiError::auth(201))?,
    )?;
    let currency = client.currency.clone().ok_or_else(|| {
        ApiError::new("You must have at least one active order before you can add funds so you cannot proceed at the current time!")
    })?;
    let settings = ctx.app.settings().await?;
    let (min, max) = invoice::funds_limits(&settings);
    if amount <= Decimal::ZERO || amount < min {
        return Err(ApiError::coded(981, "Amount is not valid"));
    }
    if amount > max {
        return Err(ApiError::coded(982, "Amount is not valid"));
    }
    if amount.scale() > money::SCALE && amount != money::round(amount) {
        return Err(ApiError::new("Amount can have at most 2 decimal places"));
    }
    let catalog = ctx.app.catalog().await?;
    let mut ids = ctx
        .ids(&[(IdKind::Invoice, 1), (IdKind::InvoiceLine, 1), (IdKind::Email, 1)])
        .await?;
    let inv = invoice::build(
        NewInvoice {
            settings: &settings,
            catalog: &catalog,
            client: &client,
            currency,
            gateway_id: None,
            approved: true,
            due_at: None,
            now: ctx.now(),
        },
        &mut ids,
        vec![LineDraft {
            title: "Add funds to account".into(),
            period: None,
            quantity: 1,
            unit: None,
            price: amount,
            taxed: false,
            kind: LineKind::Deposit,
            rel_id: None,
            task: LineTask::Void,
        }],
    )?;
    let notices = [Notice::to_client(
        TemplateCode::InvoiceCreated,
        client.id,
        &client.email,
        &client.full_name(),
        json!({"c": client.view(false), "invoice": inv.view(&Value::Null)}),
    )];
    let mut tx = Tx::new();
    tx.push(TxOp::put_new(inv.to_item()?));
    tx.extend(list_changes(None, Some(&inv))?);
    tx.push(activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Generated add funds invoice #{}", inv.id),
    ));
    let record = replay
        .as_ref()
        .map(|at| tx.add(idempotency::record(at.clone(), &json!(inv.hash), ctx.epoch())));
    let commit = Commit::new(&ctx.app, tx.into_ops(), &notices, &mut ids).await?;
    match commit.run(&ctx.app).await {
        Ok(()) => {}
        // The same key won a race with this request: answer its invoice.
        Err(e) if record.is_some_and(|record| e.failed(record)) => {
            let first = match &replay {
                Some(at) => ctx.store().get(at).await?.as_ref().and_then(idempotency::stored),
                None => None,
            };
            return first
                .and_then(|v| v.as_str().map(String::from))
                .ok_or_else(|| ApiError::unavailable("idempotency record vanished"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(inv.hash)
}

/// Deletes one of the caller's unpaid invoices that no order depends on.
async fn delete(ctx: ClientCtx, p: HashParams) -> ApiResult<bool> {
    let (inv, _) = load(&ctx, &p.hash).await?;
    if let Some(line) = inv.lines.iter().find(|l| l.kind == LineKind::Order) {
        return Err(ApiError::new(format!(
            "Invoice is related to order #{}. Please cancel order first.",
            line.rel_id.unwrap_or_default()
        )));
    }
    if !inv.is_unpaid() {
        return Err(ApiError::new("Only unpaid invoices can be deleted"));
    }
    let mut ops = vec![
        TxOp::Delete {
            key: inv.key(),
            cond: Some(Invoice::still_unpaid(inv.version)),
        },
        activity::log(&ctx.origin(), ctx.client_id, format!("Removed invoice #{}", inv.id)),
    ];
    ops.extend(list_changes(Some(&inv), None)?);
    ctx.store().transact(ops).await.map_err(changed_meanwhile("invoice"))?;
    Ok(true)
}

#[derive(Params)]
struct TransactionListParams {
    id: Option<i64>,
    invoice_hash: Option<String>,
    invoice_id: Option<i64>,
    gateway_id: Option<i64>,
    currency: Option<String>,
    #[param(rename = "type")]
    kind: Option<String>,
    txn_id: Option<String>,
    /// Only processed payments are listed; another status lists nothing.
    status: Option<String>,
    /// Matches the gateway's transaction id, the invoice hash or the note.
    search: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
}

/// The caller's processed payments, newest first. Without filters the page is read from the
/// list; filters read the list whole (the client's payment count).
async fn transaction_get_list(ctx: ClientCtx, p: TransactionListParams) -> ApiResult<Page<TransactionView>> {
    let paging = ctx.paging()?;
    let from = date_filter("date_from", &p.date_from)?;
    let to = date_filter("date_to", &p.date_to)?;
    let listing = invoice::transaction_listing(ctx.client_id);
    let catalog = ctx.app.catalog().await?;
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let (hash, currency, kind, txn, status, search) = (
        text(&p.invoice_hash),
        text(&p.currency),
        text(&p.kind),
        text(&p.txn_id),
        text(&p.status),
        text(&p.search),
    );
    let unfiltered = [&hash, &currency, &kind, &txn, &search].iter().all(|v| v.is_none())
        && [p.id, p.invoice_id, p.gateway_id].iter().all(Option::is_none)
        && from.is_none()
        && to.is_none()
        && status
            .as_deref()
            .is_none_or(|s| s == TransactionStatus::Processed.as_str());
    if unfiltered {
        let (offset, limit) = paging.window();
        let page = listing::read_page(ctx.store(), &listing, offset, limit, false).await?;
        let list = page
            .entries
            .iter()
            .map(|item| from_item::<Transaction>(item).map(|t| t.view(&catalog)))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(paging.page(page.total, list));
    }
    let items = listing::read_all(ctx.store(), &listing).await?;
    let mut list: Vec<Transaction> = items.iter().map(from_item).collect::<Result<_, _>>()?;
    list.retain(|t| {
        within(&t.created_at, from, to)
            && status.as_deref().is_none_or(|s| s == t.status.as_str())
            && p.id.is_none_or(|id| t.id == id)
            && hash.as_deref().is_none_or(|h| t.invoice_hash == h)
            && p.invoice_id.is_none_or(|i| t.invoice_id == i)
            && p.gateway_id.is_none_or(|g| t.gateway_id == Some(g))
            && currency.as_deref().is_none_or(|c| t.currency.eq_ignore_ascii_case(c))
            && kind.as_deref().is_none_or(|k| k == t.kind.as_str())
            && txn.as_deref().is_none_or(|x| t.txn_id.as_deref() == Some(x))
            && search.as_deref().is_none_or(|q| {
                let q = q.to_lowercase();
                t.txn_id.as_deref().is_some_and(|x| x.to_lowercase().contains(&q))
                    || t.invoice_hash.contains(&q)
                    || t.note.as_deref().is_some_and(|n| n.to_lowercase().contains(&q))
            })
    });
    Ok(paging.paginate(list, |t| t.view(&catalog)))
}

#[derive(Params)]
struct GatewaysParams {
    /// `pairs` for `{id: name}`.
    format: Option<String>,
}

/// A gateway as `invoice/gateways` lists it.
#[derive(serde::Serialize, Answer)]
struct GatewayView {
    id: i64,
    code: String,
    title: String,
    allow_single: bool,
    allow_recurrent: bool,
    /// Every currency when the gateway names none.
    accepted_currencies: Vec<String>,
}

/// Enabled payment gateways, newest first (guest): `{id: name}` with `format=pairs`.
async fn gateways(ctx: GuestCtx, p: GatewaysParams) -> ApiResult<OneOf<PhpMap<String>, Vec<GatewayView>>> {
    let catalog = ctx.app.catalog().await?;
    let mut list: Vec<_> = catalog.gateways.iter().filter(|g| g.enabled).collect();
    list.sort_by_key(|x| std::cmp::Reverse(x.id));
    if p.format.as_deref() == Some("pairs") {
        return Ok(OneOf::First(PhpMap(
            list.iter().map(|g| (g.id.to_string(), g.name.clone())).collect(),
        )));
    }
    let all: Vec<String> = catalog.currencies.iter().map(|c| c.code.clone()).collect();
    Ok(OneOf::Second(
        list.iter()
            .map(|g| GatewayView {
                id: g.id,
                code: g.gateway.clone(),
                title: g.name.clone(),
                allow_single: g.allow_single,
                allow_recurrent: g.allow_recurrent,
                accepted_currencies: if g.accepted_currencies.is_empty() {
                    all.clone()
                } else {
                    g.accepted_currencies.clone()
                },
            })
            .collect(),
    ))
}
