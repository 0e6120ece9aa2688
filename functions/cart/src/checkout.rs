//! `client/cart/checkout`: the cart becomes orders and (unless free) an invoice, in one
//! transaction with the cart's removal, the promo's use, the activations and the e-mails.
//!
//! Idempotent twice over: on an `Idempotency-Key` header, and on the cart itself (a second
//! checkout of the same cart, e.g. a double click, answers the first checkout's result).

use crate::pricing::{Priced, price_cart};
use crate::{cart_currency, load};
use bb_core::domain::activity;
use bb_core::domain::cart::CartOwner;
use bb_core::domain::catalog::{Product, SetupMode};
use bb_core::domain::client::{self as clients, ClientRecord};
use bb_core::domain::invoice::{self, LineDraft, LineKind, LineTask, NewInvoice, PaidBy};
use bb_core::domain::money;
use bb_core::domain::order::{self, Order};
use bb_core::idempotency;
use bb_core::keys;
use bb_core::notifier::{Notice, TemplateCode};
use bb_core::prelude::*;
use bb_core::store::Ids;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Params)]
pub struct CheckoutParams {
    /// Payment gateway the invoice will be paid with.
    gateway_id: Option<i64>,
}

/// What a checkout answers (and what its idempotency records keep for a repeat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Answer)]
pub struct CheckoutAnswer {
    pub gateway_id: Option<i64>,
    /// The invoice to pay; none when the balance paid it or nothing was due.
    pub invoice_hash: Option<String>,
    /// The first (master) order.
    pub order_id: i64,
    pub orders: Vec<i64>,
}

/// The record of a checkout by its `Idempotency-Key`.
fn by_header(client_id: i64, key: &str) -> Key {
    idempotency::key(client_id, "checkout", key)
}

/// The record of the checkout of one cart (its natural key).
fn by_cart(client_id: i64, cart_id: &str) -> Key {
    idempotency::key(client_id, "cart", cart_id)
}

fn stored_result(item: Option<&Item>) -> Option<CheckoutAnswer> {
    item.and_then(idempotency::stored)
        .and_then(|value| serde_json::from_value(value).ok())
}

fn promo_refused() -> ApiError {
    ApiError::coded(
        9874,
        "You have already used this promo code. Please remove promo code and checkout again.",
    )
}

pub async fn checkout(ctx: ClientCtx, p: CheckoutParams) -> ApiResult<CheckoutAnswer> {
    let client_id = ctx.client_id;
    let explicit = idempotency::header_key(&ctx.meta)?;
    let owner = CartOwner::Client(client_id);
    let mut wanted = vec![keys::client(client_id), owner.key()];
    if let Some(k) = &explicit {
        wanted.push(by_header(client_id, k));
    }
    let found = ctx.store().get_many(&wanted).await?;
    let by_key = |key: &Key| found.get(key);
    if let Some(k) = &explicit
        && let Some(result) = stored_result(by_key(&by_header(client_id, k)))
    {
        return Ok(result);
    }
    let mut client = ClientRecord::from_item(by_key(&keys::client(client_id)).ok_or_else(|| ApiError::auth(201))?)?;
    let before = client.clone();
    let (cart, cart_cond) = match by_key(&owner.key()) {
        Some(item) => {
            let cart = bb_core::domain::cart::Cart::from_item(item)?;
            let cond = Cond::version(cart.version);
            (cart, cond)
        }
        None => load(&ctx, &owner).await?,
    };
    // The same checkout sent again after its answer was lost finds the empty cart that
    // replaced the one it checked out: answer that checkout's outcome.
    if cart.items.is_empty()
        && let Some(previous) = &cart.checked_out
        && let Some(item) = ctx.store().get(&by_cart(client_id, previous)).await?
        && let Some(result) = stored_result(Some(&item))
    {
        return Ok(result);
    }
    let natural = by_cart(client_id, &cart.cart_id);

    let catalog = ctx.app.catalog().await?;
    let settings = ctx.app.settings().await?;
    let now = ctx.now();
    let now_text = ctx.now_text();

    let promo = match &cart.promo_code {
        Some(code) => {
            let promo = catalog.promo(code).ok_or_else(|| ApiError::new("Promo not found"))?;
            let used_before = promo.once_per_client && client.promos_used.contains(&promo.id);
            let group_ok =
                promo.client_groups.is_empty() || client.group_id.is_some_and(|g| promo.client_groups.contains(&g));
            if !promo.is_usable(&now_text) || used_before || !group_ok {
                return Err(promo_refused());
            }
            Some(promo)
        }
        None => None,
    };
    if cart.items.is_empty() {
        return Err(ApiError::new("Can not checkout empty cart."));
    }
    let currency = cart_currency(&catalog, &cart)
        .map_err(|_| ApiError::new("Currency not found."))?
        .clone();
    match &client.currency {
        None => client.currency = Some(currency.code.clone()),
        Some(code) if !code.eq_ignore_ascii_case(&currency.code) => {
            return Err(ApiError::new(format!(
                "Selected currency {} does not match your profile currency {code}. Please change cart currency to continue.",
                currency.code
            )));
        }
        Some(_) => {}
    }
    if let Some(g) = p.gateway_id
        && !catalog.gateway(g).is_some_and(|g| g.enabled)
    {
        return Err(ApiError::new("Payment method not found"));
    }
    let priced = price_cart(&catalog, &cart, promo)?;
    let taxed = invoice::is_taxable(&settings, &client);
    let rate = currency.conversion_rate;
    let convert = |amount: Decimal| money::round(amount * rate);
    let cart_total: Decimal = priced.iter().map(|x| x.total + x.setup - x.discount()).sum();

    let n = priced.len();
    let mut ids = ctx
        .ids(&[
            (IdKind::Order, n),
            (IdKind::Invoice, 1),
            (IdKind::InvoiceLine, 3 * n),
            (IdKind::Service, n),
            (IdKind::Balance, 3 * n),
            (IdKind::Email, 2 * n + 3),
        ])
        .await?;

    // Orders and the invoice lines they bring.
    let mut orders = Vec::with_capacity(n);
    let mut drafts = Vec::new();
    for (i, item) in priced.iter().enumerate() {
        let order = new_order(
            NewOrder {
                client_id,
                group: &cart.cart_id,
                master: i == 0,
                currency: &currency.code,
                promo: promo.map(|p| (p.id, p.recurring)),
                now: &now_text,
            },
            &mut ids,
            item,
            &convert,
        )?;
        drafts.extend(order_lines(&order, item, taxed, &convert));
        orders.push(order);
    }

    let mut ops = Tx::new();
    let mut notices = Vec::new();
    let name = client.full_name();
    let mut invoice = if cart_total > Decimal::ZERO {
        let inv = invoice::build(
            NewInvoice {
                settings: &settings,
                catalog: &catalog,
                client: &client,
                currency: currency.code.clone(),
                gateway_id: p.gateway_id,
                approved: true,
                due_at: None,
                now,
            },
            &mut ids,
            drafts,
        )?;
        notices.push(Notice::to_client(
            TemplateCode::InvoiceCreated,
            client.id,
            &client.email,
            &name,
            json!({"c": client.view(false), "invoice": inv.view(&Value::Null)}),
        ));
        Some(inv)
    } else {
        None
    };

    // Paid at once when the balance covers it; otherwise the orders wait for the invoice.
    let mut paid = false;
    if let Some(inv) = invoice.as_mut() {
        if invoice::covered_by_balance(&client, inv)? {
            let terms = invoice::Terms {
                settings: &settings,
                catalog: &catalog,
                sealer: &ctx.app.sealer,
                now,
                ip: Some(&ctx.meta.ip),
            };
            let books = invoice::Books {
                client: &mut client,
                invoice: inv,
                orders: &mut orders,
            };
            let settlement = invoice::settle(terms, books, &PaidBy::Credits, &mut ids)?;
            ops.extend(settlement.ops);
            notices.extend(settlement.notices);
            paid = true;
        } else {
            for order in &mut orders {
                order.unpaid_invoice_id = Some(inv.id);
                order.unpaid_invoice_hash = Some(inv.hash.clone());
            }
        }
    }
    // Activation by each product's setup mode (orders the payment activated are active now).
    for (order, item) in orders.iter_mut().zip(&priced) {
        if order.status != order::OrderStatus::PendingSetup {
            continue;
        }
        let owed = order.total() - order.discount.unwrap_or_default();
        let activate = match item.product.setup {
            SetupMode::AfterOrder => true,
            SetupMode::AfterPayment => paid || (cart_total <= Decimal::ZERO && owed <= Decimal::ZERO),
            SetupMode::Manual => false,
        };
        if activate {
            let activation = bb_core::domain::activation::activate(
                order,
                Some(item.product),
                ids.next(IdKind::Service)?,
                now,
                &ctx.app.sealer,
            )?;
            ops.extend(activation.ops);
            notices.push(Notice::to_client(
                activation.notice_template.clone(),
                client.id,
                &client.email,
                &name,
                json!({"c": client.view(false), "order": order.view(&Value::Null)}),
            ));
        }
    }
    let master = orders.first().map(|o| o.id).unwrap_or_default();
    notices.push(Notice::to_staff(
        TemplateCode::StaffClientOrder,
        json!({"c": client.view(false), "order": orders.first().map(|o| o.view(&Value::Null)), "orders": orders.len()}),
    ));

    let result = CheckoutAnswer {
        gateway_id: p.gateway_id,
        invoice_hash: invoice.as_ref().filter(|i| i.is_unpaid()).map(|i| i.hash.clone()),
        order_id: master,
        orders: orders.iter().map(|o| o.id).collect(),
    };
    let kept = serde_json::to_value(&result).map_err(|e| ApiError::internal(e.to_string()))?;

    for order in &orders {
        ops.push(TxOp::put_new(order.to_item()?));
    }
    if let Some(inv) = &invoice {
        ops.push(TxOp::put_new(inv.to_item()?));
        ops.extend(bb_core::store::listing::list_changes(None, Some(inv))?);
    }
    let mut promo_use = None;
    if let Some(promo) = promo {
        promo_use = Some(ops.add(TxOp::Update(promo.used(n as i64))));
        if !client.promos_used.contains(&promo.id) {
            client.promos_used.push(promo.id);
        }
    }
    ops.push(TxOp::Update(clients::update(&before, &client, &now_text)?));
    if before.currency != client.currency {
        ops.extend(clients::header_ops(&client)?);
    }
    let emptied = cart
        .after_checkout(&now_text)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let cart_unchanged = ops.add(TxOp::Put {
        item: emptied.to_item(&owner, ctx.epoch())?,
        cond: Some(cart_cond),
    });
    let natural_record = ops.add(idempotency::record(natural.clone(), &kept, ctx.epoch()));
    let explicit_record = explicit
        .as_ref()
        .map(|k| ops.add(idempotency::record(by_header(client_id, k), &kept, ctx.epoch())));
    ops.push(activity::log(&ctx.origin(), client_id, "Checked out shopping cart"));
    let commit = Commit::new(&ctx.app, ops.into_ops(), &notices, &mut ids).await?;
    if commit.len() > bb_core::store::MAX_TX_ITEMS {
        return Err(ApiError::new("The cart has too many items to check out at once"));
    }

    match commit.run(&ctx.app).await {
        Ok(()) => Ok(result),
        Err(e)
            if e.failed(cart_unchanged)
                || e.failed(natural_record)
                || explicit_record.is_some_and(|record| e.failed(record)) =>
        {
            // Another checkout of this cart (or with this key) won: answer what it answered.
            let mut again = vec![natural];
            again.extend(explicit.as_deref().map(|k| by_header(client_id, k)));
            let stored = ctx.store().get_many(&again).await?;
            stored
                .items()
                .find_map(|i| stored_result(Some(i)))
                .ok_or_else(|| ApiError::new("Can not checkout empty cart."))
        }
        // The promo's last uses went to someone else since the catalogue was read.
        Err(e) if promo_use.is_some_and(|used| e.failed(used)) => Err(promo_refused()),
        // Stock ran out, or the account changed meanwhile.
        Err(e) if e.is_condition_failure() => Err(ApiError::new(
            "An item is no longer available or your account changed. Please review your cart.",
        )),
        Err(e) => Err(e.into()),
    }
}

struct NewOrder<'a> {
    client_id: i64,
    /// The cart's id: the group of its orders.
    group: &'a str,
    master: bool,
    currency: &'a str,
    /// The cart's promo (id, recurring).
    promo: Option<(i64, bool)>,
    now: &'a str,
}

fn new_order(
    o: NewOrder<'_>,
    ids: &mut Ids,
    item: &Priced<'_>,
    convert: &dyn Fn(Decimal) -> Decimal,
) -> ApiResult<Order> {
    let NewOrder {
        client_id,
        group,
        master,
        currency,
        promo,
        now,
    } = o;
    let product: &Product = item.product;
    let discount = convert(item.discount_price);
    let mut order = Order {
        id: ids.next(IdKind::Order)?,
        client_id,
        product_id: product.id,
        form_id: product.form_id,
        promo_id: promo.filter(|_| !item.discount().is_zero()).map(|(id, _)| id),
        promo_recurring: promo.is_some_and(|(_, r)| r) && !item.discount().is_zero(),
        promo_used: i64::from(promo.is_some() && !item.discount().is_zero()),
        group_id: group.to_string(),
        group_master: master,
        invoice_option: "issue-invoice".into(),
        title: product.title.clone(),
        currency: currency.to_string(),
        unpaid_invoice_id: None,
        unpaid_invoice_hash: None,
        service_id: None,
        service_type: product.kind.clone(),
        period: item.period.clone(),
        quantity: item.quantity,
        unit: product.unit.clone(),
        price: convert(item.price),
        discount: (!discount.is_zero()).then_some(discount),
        setup_price: convert(item.setup),
        status: order::OrderStatus::PendingSetup,
        reason: None,
        notes: item.item.config.get("notes").and_then(Value::as_str).map(String::from),
        config: item.item.config.clone(),
        referred_by: None,
        expires_at: None,
        activated_at: None,
        suspended_at: None,
        unsuspended_at: None,
        canceled_at: None,
        created_at: now.to_string(),
        updated_at: now.to_string(),
        meta: Default::default(),
        active_tickets: 0,
        history: Vec::new(),
        version: 0,
    };
    order.record(order::OrderStatus::PendingSetup, "Order created", now);
    Ok(order)
}

/// The order's invoice lines: the service, its discount, its setup fee.
fn order_lines(order: &Order, item: &Priced<'_>, taxed: bool, convert: &dyn Fn(Decimal) -> Decimal) -> Vec<LineDraft> {
    let mut lines = vec![LineDraft {
        title: order.title.clone(),
        period: order.period.clone(),
        quantity: order.quantity,
        unit: Some(order.unit.clone()),
        price: order.price,
        taxed,
        kind: LineKind::Order,
        rel_id: Some(order.id),
        task: LineTask::Activate,
    }];
    if let Some(discount) = order.discount.filter(|d| *d > Decimal::ZERO) {
        lines.push(LineDraft {
            title: format!("Discount: {}", order.title),
            period: None,
            quantity: 1,
            unit: Some("discount".into()),
            price: -discount,
            taxed,
            kind: LineKind::Custom,
            rel_id: Some(order.id),
            task: LineTask::Void,
        });
    }
    let setup = convert(item.setup - item.discount_setup);
    if setup > Decimal::ZERO {
        lines.push(LineDraft {
            title: format!("{} setup", order.title),
            period: None,
            quantity: 1,
            unit: Some("service".into()),
            price: setup,
            taxed,
            kind: LineKind::Custom,
            rel_id: Some(order.id),
            task: LineTask::Void,
        });
    }
    lines
}
