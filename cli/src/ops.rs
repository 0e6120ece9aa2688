//! Operator commands: what staff do to accounts, since the product has no admin API.
//! Each works on whichever backend the environment names, and tests use them as ops would.

use bb_core::app::App;
use bb_core::auth;
use bb_core::domain::client::{self as clients, ClientRecord};
use bb_core::store::listing::list_changes;
use bb_core::store::{Cond, IdKind, Ids, TxOp};
use bb_core::store::{Record, Versioned};

/// Sets a client's status. Anything but `active` ends every session and stops the API key at
/// once (the credential items carry the status the pipeline checks).
pub async fn set_client_status(app: &App, client_id: i64, status: &str) -> Result<ClientRecord, String> {
    let status = clients::ClientStatus::parse(status).ok_or_else(|| {
        let names: Vec<&str> = clients::ClientStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("status must be one of {}", names.join(", "))
    })?;
    let client = clients::load(app.store.as_ref(), client_id)
        .await
        .map_err(|_| format!("client #{client_id} not found"))?;
    let now = bb_core::clock::format_datetime(app.clock.now());
    let mut changed = client.clone();
    changed.status = status;
    let mut ops = Vec::new();
    if status != clients::ClientStatus::Active {
        changed.sessions.clear();
        ops.extend(auth::end_sessions(&client.sessions));
    }
    ops.push(TxOp::Update(
        clients::update(&client, &changed, &now).map_err(|e| e.to_string())?,
    ));
    if let Some(hash) = &client.api_key_hash {
        ops.push(auth::api_key_status(hash, status));
    }
    app.store.transact(ops).await.map_err(|e| e.to_string())?;
    clients::load(app.store.as_ref(), client_id)
        .await
        .map_err(|e| e.to_string())
}

/// What `bb mail retry` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MailRetry {
    /// This process sends: every unsent item was claimed and tried (`sent` of them went out).
    Sent { sent: usize, failing: usize, busy: usize },
    /// This process does not send (a live table without SES): failed items were made due now,
    /// for the mailer's next sweep.
    Requeued(usize),
    #[default]
    Nothing,
}

/// Sends again every unsent mail item (queued, failed, or given up on) and finishes unfinished
/// fan-outs, found through the unsent-mail index; each is claimed first, so this can run while
/// the stream mailer and the sweeper work. Where this process cannot send, hands them to the
/// sweeper instead.
pub async fn retry_mail(app: &App) -> Result<MailRetry, String> {
    use bb_core::notifier::{self, Claimer, Delivery, FANOUT_KIND};
    let err = |e: bb_core::error::ApiError| e.to_string();
    if !app.mailer.sends_here() {
        return notifier::requeue_failed(app)
            .await
            .map(MailRetry::Requeued)
            .map_err(err);
    }
    let (items, _) = notifier::unsent(app.store.as_ref(), None, usize::MAX)
        .await
        .map_err(|e| err(e.into()))?;
    let (mut sent, mut failing, mut busy) = (0, 0, 0);
    for item in items {
        let Some(key) = bb_core::store::Key::of(&item) else {
            continue;
        };
        if item.get("kind").and_then(bb_core::store::Attr::as_str) == Some(FANOUT_KIND) {
            notifier::run_fanout(app, &key).await.map_err(err)?;
            continue;
        }
        let now = app.clock.now();
        match notifier::deliver(app.store.as_ref(), app.mailer.as_ref(), now, &key, Claimer::Operator)
            .await
            .map_err(|e| err(e.into()))?
        {
            Delivery::Sent => sent += 1,
            Delivery::Retrying | Delivery::GaveUp => failing += 1,
            Delivery::NotClaimed => busy += 1,
        }
    }
    app.mail_dispatch.flush().await;
    Ok(MailRetry::Sent { sent, failing, busy })
}

/// Marks an invoice paid as a gateway payment (what the payment callback would do): records the
/// transaction, credits deposits, activates or renews its orders, sends the e-mails.
pub async fn pay_invoice(
    app: &App,
    hash: &str,
    gateway_id: Option<i64>,
    txn_id: Option<String>,
) -> Result<String, String> {
    use bb_core::domain::invoice::{self, Invoice, LineKind, PaidBy};
    use bb_core::domain::order::Order;
    use bb_core::notifier;
    use bb_core::store::{Ids, Index, Query};
    let err = |e: bb_core::error::ApiError| e.to_string();
    let store_err = |e: bb_core::store::StoreError| bb_core::error::ApiError::from(e).to_string();
    // The index names the owner; the invoice itself is read from the table, strongly (an index
    // answer may be stale, and whether it is still unpaid decides everything here).
    let found = app
        .store
        .query(Query::partition(invoice::by_hash_partition(hash.trim())).on(Index::Gsi1))
        .await
        .map_err(store_err)?;
    let owner = found
        .items
        .first()
        .and_then(|i| i.get("client_id"))
        .and_then(bb_core::store::Attr::as_i64)
        .ok_or_else(|| format!("invoice {hash} not found"))?;
    let item = app
        .store
        .get(&invoice::invoice_key(owner, hash.trim()))
        .await
        .map_err(store_err)?
        .ok_or_else(|| format!("invoice {hash} not found"))?;
    let mut inv = Invoice::from_item(&item).map_err(|e| e.to_string())?;
    let order_count = |inv: &Invoice| {
        let mut ids: Vec<i64> = inv
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Order)
            .filter_map(|l| l.rel_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    // The same payment recorded again (the first run's answer was lost): done already.
    if !inv.is_unpaid() && txn_id.is_some() && inv.paid_txn == txn_id {
        return Ok(format!(
            "invoice {} paid ({} orders updated)",
            inv.serie_nr(),
            order_count(&inv)
        ));
    }
    let mut client = clients::load(app.store.as_ref(), inv.client_id).await.map_err(err)?;
    let before_client = client.clone();
    let order_keys: Vec<_> = inv
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Order)
        .filter_map(|l| l.rel_id)
        .map(|id| bb_core::domain::order::order_key(inv.client_id, id))
        .collect();
    let mut orders: Vec<Order> = if order_keys.is_empty() {
        Vec::new()
    } else {
        app.store
            .get_many(&order_keys)
            .await
            .map_err(|e| e.to_string())?
            .items()
            .map(Order::from_item)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?
    };
    // A batch answers in no particular order; settle the orders in the invoice's id order.
    orders.sort_by_key(|o| o.id);
    let versions: Vec<(i64, i64)> = orders.iter().map(|o| (o.id, o.version)).collect();
    let settings = app.settings().await.map_err(|e| e.to_string())?;
    let catalog = app.catalog().await.map_err(|e| e.to_string())?;
    let mut ids = Ids::allocate_owned(
        app.store.as_ref(),
        &bb_core::keys::client_partition(inv.client_id),
        &invoice::settlement_ids(&inv),
    )
    .await
    .map_err(|e| e.to_string())?;
    let version = inv.version;
    let unpaid = inv.clone();
    let paid_by = PaidBy::Gateway {
        gateway_id: gateway_id.or(inv.gateway_id),
        txn_id,
    };
    let now = app.clock.now();
    let terms = invoice::Terms {
        settings: &settings,
        catalog: &catalog,
        sealer: &app.sealer,
        now,
        ip: None,
    };
    let books = invoice::Books {
        client: &mut client,
        invoice: &mut inv,
        orders: &mut orders,
    };
    let settlement = invoice::settle(terms, books, &paid_by, &mut ids).map_err(err)?;
    let now_text = bb_core::clock::format_datetime(now);
    let mut ops = settlement.ops;
    inv.version += 1;
    ops.push(
        inv.put_when(Invoice::still_unpaid(version))
            .map_err(|e| e.to_string())?,
    );
    ops.extend(list_changes(Some(&unpaid), Some(&inv)).map_err(|e| e.to_string())?);
    ops.push(TxOp::Update(
        clients::update(&before_client, &client, &now_text).map_err(|e| e.to_string())?,
    ));
    for order in orders.iter_mut().filter(|o| settlement.orders_changed.contains(&o.id)) {
        let before = versions.iter().find(|(id, _)| *id == order.id).map_or(0, |(_, v)| *v);
        order.version = before + 1;
        ops.push(order.put_when(Cond::version(before)).map_err(|e| e.to_string())?);
    }
    let commit = notifier::Commit::new(app, ops, &settlement.notices, &mut ids)
        .await
        .map_err(err)?;
    commit.run(app).await.map_err(store_err)?;
    Ok(format!(
        "invoice {} paid ({} orders updated)",
        inv.serie_nr(),
        order_count(&inv)
    ))
}

pub const ORDER_ACTIONS: &[&str] = &["activate", "suspend", "unsuspend", "cancel"];

/// Activates, suspends, unsuspends or cancels a client's order.
pub async fn order_action(app: &App, client_id: i64, order_id: i64, action: &str) -> Result<String, String> {
    use bb_core::domain::order::{self, Order};
    use bb_core::notifier::{self, Notice};
    let err = |e: bb_core::error::ApiError| e.to_string();
    let key = order::order_key(client_id, order_id);
    let item = app
        .store
        .get(&key)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("order #{order_id} of client #{client_id} not found"))?;
    let mut o = Order::from_item(&item).map_err(|e| e.to_string())?;
    let version = o.version;
    let now = app.clock.now();
    let mut ops = Vec::new();
    let mut notices = Vec::new();
    let mut ids = Ids::default();
    match action {
        "activate" => {
            if o.status != order::OrderStatus::PendingSetup && o.status != order::OrderStatus::FailedSetup {
                return Err(format!("order #{order_id} is {}, not waiting for setup", o.status));
            }
            let catalog = app.catalog().await.map_err(|e| e.to_string())?;
            ids = Ids::allocate_owned(
                app.store.as_ref(),
                &bb_core::keys::client_partition(client_id),
                &[(IdKind::Service, 1), (IdKind::Email, 1)],
            )
            .await
            .map_err(|e| e.to_string())?;
            let service_id = ids.next(IdKind::Service).map_err(|e| e.to_string())?;
            let product = catalog.product(o.product_id);
            let activation =
                bb_core::domain::activation::activate(&mut o, product, service_id, now, &app.sealer).map_err(err)?;
            ops.extend(activation.ops);
            let client = clients::load(app.store.as_ref(), client_id).await.map_err(err)?;
            notices.push(Notice::to_client(
                activation.notice_template.clone(),
                client.id,
                &client.email,
                &client.full_name(),
                serde_json::json!({"c": client.view(false), "order": o.view(&serde_json::Value::Null)}),
            ));
        }
        "suspend" => order::change_status(&mut o, order::OrderStatus::Suspended, now).map_err(err)?,
        "unsuspend" => order::change_status(&mut o, order::OrderStatus::Active, now).map_err(err)?,
        "cancel" => order::change_status(&mut o, order::OrderStatus::Canceled, now).map_err(err)?,
        other => {
            return Err(format!(
                "action must be one of {}, not {other}",
                ORDER_ACTIONS.join(", ")
            ));
        }
    }
    o.version = version + 1;
    ops.push(o.put_when(Cond::version(version)).map_err(|e| e.to_string())?);
    let commit = notifier::Commit::new(app, ops, &notices, &mut ids).await.map_err(err)?;
    commit.run(app).await.map_err(|e| e.to_string())?;
    Ok(format!("order #{order_id} is now {}", o.status))
}

/// Credits a client's balance (a `gift` entry), as staff do for goodwill or manual payments.
pub async fn add_funds(app: &App, client_id: i64, amount: &str, description: &str) -> Result<String, String> {
    use bb_core::domain::invoice::{self, BalanceEntry};
    use bb_core::domain::money;
    use std::str::FromStr;
    let amount = rust_decimal::Decimal::from_str(amount.trim()).map_err(|_| format!("{amount} is not an amount"))?;
    let client = clients::load(app.store.as_ref(), client_id)
        .await
        .map_err(|e| e.to_string())?;
    let balance = client
        .balance
        .as_deref()
        .map(money::parse)
        .transpose()
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let (id, seq) = Ids::allocate_owned(
        app.store.as_ref(),
        &bb_core::keys::client_partition(client_id),
        &[(IdKind::Balance, 1)],
    )
    .await
    .and_then(|mut ids| ids.next_listed(IdKind::Balance))
    .map_err(|e| e.to_string())?;
    let now = bb_core::clock::format_datetime(app.clock.now());
    let entry = BalanceEntry {
        id,
        seq,
        client_id,
        kind: invoice::BalanceKind::Gift,
        rel_id: None,
        amount: money::round(amount),
        description: description.to_string(),
        created_at: now.clone(),
    };
    let total = money::text(balance + entry.amount);
    let mut changed = client.clone();
    changed.balance = Some(total.clone());
    let mut ops = vec![
        entry.put_new().map_err(|e| e.to_string())?,
        TxOp::Update(clients::update(&client, &changed, &now).map_err(|e| e.to_string())?),
    ];
    ops.extend(list_changes(None, Some(&entry)).map_err(|e| e.to_string())?);
    app.store.transact(ops).await.map_err(|e| e.to_string())?;
    Ok(format!("client #{client_id} balance is now {total}"))
}

/// Ends an invoice's life by staff decision: `cancel` an unpaid one (its orders stop waiting for
/// it), or `refund` a paid one (the amount is recorded; `to_balance` credits it to the account).
pub async fn close_invoice(app: &App, hash: &str, action: &str, to_balance: bool) -> Result<String, String> {
    use bb_core::domain::invoice::{self, BalanceEntry, Invoice, LineKind};
    use bb_core::domain::money;
    use bb_core::domain::order::Order;
    use bb_core::store::{Index, Query};
    let found = app
        .store
        .query(Query::partition(invoice::by_hash_partition(hash.trim())).on(Index::Gsi1))
        .await
        .map_err(|e| e.to_string())?;
    let item = found.items.first().ok_or_else(|| format!("invoice {hash} not found"))?;
    let mut inv = Invoice::from_item(item).map_err(|e| e.to_string())?;
    let before = inv.clone();
    let version = inv.version;
    let now = bb_core::clock::format_datetime(app.clock.now());
    let mut ops = Vec::new();
    match (action, inv.status) {
        ("cancel", invoice::InvoiceStatus::Unpaid) => {
            inv.status = invoice::InvoiceStatus::Canceled;
            let order_keys: Vec<_> = inv
                .lines
                .iter()
                .filter_map(|l| l.rel_id.filter(|_| l.kind == LineKind::Order))
                .map(|id| bb_core::domain::order::order_key(inv.client_id, id))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            if !order_keys.is_empty() {
                for item in app
                    .store
                    .get_many(&order_keys)
                    .await
                    .map_err(|e| e.to_string())?
                    .items()
                {
                    let o = Order::from_item(item).map_err(|e| e.to_string())?;
                    if o.unpaid_invoice_hash.as_deref() == Some(inv.hash.as_str()) {
                        let mut freed = o.clone();
                        freed.unpaid_invoice_hash = None;
                        freed.unpaid_invoice_id = None;
                        ops.push(TxOp::Update(freed.update_from(&o).map_err(|e| e.to_string())?));
                    }
                }
            }
        }
        ("refund", invoice::InvoiceStatus::Paid) => {
            let total = money::round(inv.total());
            inv.status = invoice::InvoiceStatus::Refunded;
            inv.refund = Some(total);
            inv.base_refund = Some(total);
            // Deposits go back out of the account; the rest comes into it when asked to.
            let deposits: rust_decimal::Decimal = inv
                .lines
                .iter()
                .filter(|l| l.kind == LineKind::Deposit)
                .map(|l| l.total() + l.tax(inv.taxrate))
                .sum();
            let delta = if to_balance {
                total - deposits * rust_decimal::Decimal::TWO
            } else {
                -deposits
            };
            if !delta.is_zero() {
                let client = clients::load(app.store.as_ref(), inv.client_id)
                    .await
                    .map_err(|e| e.to_string())?;
                let balance = client
                    .balance
                    .as_deref()
                    .map(money::parse)
                    .transpose()
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
                let (id, seq) = Ids::allocate_owned(
                    app.store.as_ref(),
                    &bb_core::keys::client_partition(inv.client_id),
                    &[(IdKind::Balance, 1)],
                )
                .await
                .and_then(|mut ids| ids.next_listed(IdKind::Balance))
                .map_err(|e| e.to_string())?;
                let entry = BalanceEntry {
                    id,
                    seq,
                    client_id: inv.client_id,
                    kind: invoice::BalanceKind::Invoice,
                    rel_id: Some(inv.id),
                    amount: money::round(delta),
                    description: format!("Refund of invoice {}", inv.serie_nr()),
                    created_at: now.clone(),
                };
                ops.push(entry.put_new().map_err(|e| e.to_string())?);
                ops.extend(list_changes(None, Some(&entry)).map_err(|e| e.to_string())?);
                let mut changed = client.clone();
                changed.balance = Some(money::text(balance + delta));
                ops.push(TxOp::Update(
                    clients::update(&client, &changed, &now).map_err(|e| e.to_string())?,
                ));
            }
        }
        (action, status) => return Err(format!("cannot {action} a {status} invoice")),
    }
    inv.updated_at = now;
    inv.version += 1;
    ops.push(inv.put_when(Cond::version(version)).map_err(|e| e.to_string())?);
    ops.extend(list_changes(Some(&before), Some(&inv)).map_err(|e| e.to_string())?);
    app.store.transact(ops).await.map_err(|e| e.to_string())?;
    Ok(format!("invoice {} is now {}", inv.serie_nr(), inv.status))
}

/// Record fields staff may not set: keys, ownership and the record's type.
const FIXED_SERVICE_FIELDS: &[&str] = &[
    "pk",
    "sk",
    "kind",
    "service_type",
    "id",
    "client_id",
    "order_id",
    "created_at",
];

/// Secrets staff may set; they are stored sealed as `<name>_sealed`.
const SECRET_SERVICE_FIELDS: &[&str] = &["rootpassword", "consolepassword", "password", "pass", "transfer_code"];

/// Records what staff provisioned on an order's service (a VPS id, a partner order id, a
/// server, ...): `fields` are `name=value` pairs; secrets are sealed.
pub async fn set_service_fields(
    app: &App,
    client_id: i64,
    order_id: i64,
    fields: &[(String, String)],
) -> Result<String, String> {
    let key = bb_core::domain::order::service_key(client_id, order_id);
    if app.store.get(&key).await.map_err(|e| e.to_string())?.is_none() {
        return Err(format!(
            "order #{order_id} of client #{client_id} has no service record (is it active?)"
        ));
    }
    let now = bb_core::clock::format_datetime(app.clock.now());
    let mut update = bb_core::domain::service::staff_update(key, &now);
    for (name, value) in fields {
        if FIXED_SERVICE_FIELDS.contains(&name.as_str()) || name.ends_with("_sealed") {
            return Err(format!("{name} cannot be set"));
        }
        update = if SECRET_SERVICE_FIELDS.contains(&name.as_str()) {
            let sealed = app.sealer.seal(value).map_err(|e| e.to_string())?;
            update.set(&format!("{name}_sealed"), sealed)
        } else {
            update.set(name, value.as_str())
        };
    }
    app.store
        .update(update, bb_core::store::Returning::Nothing)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!("order #{order_id}: {} field(s) recorded", fields.len()))
}

/// What `bb counters verify|repair` found, per client checked.
#[derive(Debug, Default)]
pub struct CounterCheck {
    pub clients: usize,
    pub findings: Vec<String>,
    /// Writes applied (repair) or that a repair would apply (verify).
    pub repairs: usize,
}

/// Recomputes the lists and counters of one client (or of every client id allocated so far)
/// from the records; `repair` writes the differences, 100 items to a transaction.
pub async fn check_counters(app: &App, client: Option<i64>, repair: bool) -> Result<CounterCheck, String> {
    use bb_core::domain::invoice;
    use bb_core::store::listing::audit_family;
    let err = |e: bb_core::store::StoreError| e.to_string();
    let clients: Vec<i64> = match client {
        Some(id) => vec![id],
        None => {
            let counters = app.store.get(&bb_core::store::id_counters()).await.map_err(err)?;
            let last = counters
                .as_ref()
                .and_then(|c| c.get(IdKind::Client.counter()))
                .and_then(bb_core::store::Attr::as_i64)
                .unwrap_or(0);
            (1..=last).collect()
        }
    };
    let mut check = CounterCheck::default();
    for id in clients {
        let store = app.store.as_ref();
        let pk = bb_core::keys::client_partition(id);
        let mut audit = invoice::audit_lists(store, id).await.map_err(err)?;
        let others = [
            audit_family::<bb_core::notifier::EmailLog>(store, &pk, bb_core::keys::EMAIL_LOG_PREFIX).await,
            audit_family::<bb_core::domain::support::Ticket>(store, &pk, bb_core::keys::TICKET_PREFIX).await,
        ];
        for part in others {
            let part = part.map_err(err)?;
            audit.findings.extend(part.findings);
            audit.repairs.extend(part.repairs);
        }
        check.clients += 1;
        check.repairs += audit.repairs.len();
        check.findings.extend(audit.findings);
        if repair {
            let mut ops = audit.repairs;
            while !ops.is_empty() {
                let rest = ops.split_off(ops.len().min(bb_core::store::MAX_TX_ITEMS));
                app.store.transact(ops).await.map_err(err)?;
                ops = rest;
            }
        }
    }
    Ok(check)
}
