//! `/api/client/order/*`: the caller's orders, their addons, service records and upgrades.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::clock::{date_filter, day_of, within};
use bb_core::domain::activity;
use bb_core::domain::client as clients;
use bb_core::domain::invoice::{self, Invoice, LineKind, LineStatus};
use bb_core::domain::order::{self as orders, ORDER_PREFIX, Order, OrderView};
use bb_core::domain::service::ServiceShown;
use bb_core::error::changed_meanwhile;
use bb_core::prelude::*;
use bb_core::store::listing::list_changes;
use rust_decimal::Decimal;

pub fn module() -> Module {
    Module::new("order")
        .method(Access::Read, "get_list", get_list)
        .method(Access::Read, "get", get)
        .method(Access::Read, "addons", addons)
        .method(Access::Read, "service", service)
        .method(Access::Read, "upgradables", upgradables)
        .method(Access::Write, "delete", delete)
}

fn not_found() -> ApiError {
    ApiError::new("Order not found")
}

/// Every order of the caller, and the `[client]` view from the collection header.
async fn own_orders(ctx: &ClientCtx) -> ApiResult<(Vec<Order>, Value)> {
    clients::collection(ctx.store(), ctx.client_id, ORDER_PREFIX).await
}

#[derive(Params)]
struct ListParams {
    /// `pending_setup`, `failed_setup`, `active`, `suspended`, `canceled`.
    status: Option<String>,
    id: Option<i64>,
    /// Any of these order ids.
    ids: Option<Vec<i64>>,
    product_id: Option<i64>,
    /// Service type (`custom`, `hosting`, ...).
    #[param(rename = "type")]
    kind: Option<String>,
    /// Part of the title.
    title: Option<String>,
    period: Option<String>,
    invoice_option: Option<String>,
    /// Only orders that are not addons.
    hide_addons: Option<bool>,
    created_at: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
    /// An order id, or part of the title.
    search: Option<String>,
    /// `meta[name]=value prefix`.
    meta: Option<ParamMap>,
    /// Present (any value): active orders due for renewal within the configured days instead.
    #[param(rename = "expiring")]
    _expiring: Ignored,
    #[param(rename = "client_id")]
    _client_id: Ignored,
}

/// The caller's orders, newest first, with BoxBilling's filters.
async fn get_list(ctx: ClientCtx, p: ListParams) -> ApiResult<Page<OrderView>> {
    let paging = ctx.paging()?;
    let created = date_filter("created_at", &p.created_at)?;
    let from = date_filter("date_from", &p.date_from)?;
    let to = date_filter("date_to", &p.date_to)?;
    let (mut list, client) = own_orders(&ctx).await?;
    if ctx.params.contains_key("expiring") {
        let settings = ctx.app.settings().await?;
        let days = settings
            .text("invoice_issue_days_before_expire")
            .and_then(|d| d.parse::<i64>().ok())
            .unwrap_or(14);
        let horizon = bb_core::clock::format_datetime(ctx.now() + bb_core::clock::Duration::days(days));
        list.retain(|o| {
            o.status == orders::OrderStatus::Active
                && o.invoice_option == "issue-invoice"
                && o.period.as_deref().is_some_and(|p| !p.is_empty())
                && o.unpaid_invoice_hash.is_none()
                && o.expires_at.as_deref().is_some_and(|e| e <= horizon.as_str())
        });
    } else {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_lowercase)
        };
        let (title, search) = (text(&p.title), text(&p.search));
        let meta: Vec<(String, String)> = p
            .meta
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(String::from).unwrap_or_else(|| v.to_string())))
            .collect();
        list.retain(|o| {
            p.status
                .as_deref()
                .is_none_or(|s| s.is_empty() || o.status.as_str() == s)
                && p.id.is_none_or(|id| o.id == id)
                && p.ids.as_ref().is_none_or(|ids| ids.is_empty() || ids.contains(&o.id))
                && p.product_id.is_none_or(|id| o.product_id == id)
                && p.kind.as_deref().is_none_or(|k| k.is_empty() || o.service_type == k)
                && title.as_deref().is_none_or(|t| o.title.to_lowercase().contains(t))
                && p.period
                    .as_deref()
                    .is_none_or(|x| x.is_empty() || o.period.as_deref() == Some(x))
                && p.invoice_option
                    .as_deref()
                    .is_none_or(|x| x.is_empty() || o.invoice_option == x)
                && (!p.hide_addons.unwrap_or(false) || o.group_master)
                && created.is_none_or(|d| day_of(&o.created_at) == Some(d))
                && within(&o.created_at, from, to)
                && search
                    .as_deref()
                    .is_none_or(|q| o.id.to_string() == q || o.title.to_lowercase().contains(q))
                && meta.iter().all(|(k, prefix)| {
                    o.meta
                        .get(k)
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.starts_with(prefix.as_str()))
                })
        });
    }
    list.sort_by_key(|x| std::cmp::Reverse(x.id));
    Ok(paging.paginate(list, |o| o.view(&client)))
}

#[derive(Params)]
struct IdParams {
    #[param(required = "Order id required")]
    id: i64,
}

/// One of the caller's orders with the `[client]` view.
async fn load(ctx: &ClientCtx, id: i64) -> ApiResult<(Order, Value)> {
    let key = orders::order_key(ctx.client_id, id);
    let (order, client) = clients::one_with_view(ctx.store(), ctx.client_id, &key, ORDER_PREFIX).await?;
    Ok((order.ok_or_else(not_found)?, client))
}

async fn get(ctx: ClientCtx, p: IdParams) -> ApiResult<OrderView> {
    let (order, client) = load(&ctx, p.id).await?;
    Ok(order.view(&client))
}

/// The addon orders bought with an order (same cart, not the master).
async fn addons(ctx: ClientCtx, p: IdParams) -> ApiResult<Vec<OrderView>> {
    let (list, client) = own_orders(&ctx).await?;
    let order = list.iter().find(|o| o.id == p.id).ok_or_else(not_found)?;
    Ok(list
        .iter()
        .filter(|o| o.id != order.id && o.group_id == order.group_id && !o.group_master)
        .map(|o| o.view(&client))
        .collect())
}

/// The order's service record (null until the order is set up).
async fn service(ctx: ClientCtx, p: IdParams) -> ApiResult<Option<ServiceShown>> {
    let key = orders::order_key(ctx.client_id, p.id);
    let svc = orders::service_key(ctx.client_id, p.id);
    let items = ctx.store().get_many(&[key.clone(), svc.clone()]).await?;
    let order = Order::from_item(items.get(&key).ok_or_else(not_found)?)?;
    match order.status {
        orders::OrderStatus::PendingSetup | orders::OrderStatus::FailedSetup => return Ok(None),
        orders::OrderStatus::Active => {}
        _ => return Err(ApiError::new("Order is not activated")),
    }
    let Some(record) = items.get(&svc) else {
        return Ok(None);
    };
    let map = match bb_core::store::Attr::M(record.clone()).to_json() {
        Value::Object(m) => m,
        _ => ParamMap::new(),
    };
    let Some(kind) = bb_core::domain::service::kind(&order.service_type) else {
        return Ok(None);
    };
    kind.show(ctx.store(), &ctx.app.sealer, &map).await.map(Some)
}

/// Products the order's product may be upgraded to: `{id: title}`.
async fn upgradables(ctx: ClientCtx, p: IdParams) -> ApiResult<PhpMap<String>> {
    let (order, _) = load(&ctx, p.id).await?;
    let catalog = ctx.app.catalog().await?;
    let product = catalog
        .product(order.product_id)
        .ok_or_else(|| ApiError::new("Product not found"))?;
    Ok(PhpMap(
        product
            .upgrades
            .iter()
            .filter(|id| **id != product.id)
            .filter_map(|id| catalog.product(*id))
            .filter(|p| p.status == bb_core::domain::catalog::ProductStatus::Enabled)
            .map(|p| (p.id.to_string(), p.title.clone()))
            .collect(),
    ))
}

/// Deletes a pending or failed order; its lines leave its unpaid invoice (an invoice left with
/// no lines goes too) and its addons become orders of their own.
async fn delete(ctx: ClientCtx, p: IdParams) -> ApiResult<bool> {
    let (list, _) = own_orders(&ctx).await?;
    let order = list.iter().find(|o| o.id == p.id).ok_or_else(not_found)?;
    if order.status != orders::OrderStatus::PendingSetup && order.status != orders::OrderStatus::FailedSetup {
        return Err(ApiError::new("Only pending and failed setup orders can be deleted."));
    }
    let mut ops = vec![TxOp::Delete {
        key: order.key(),
        cond: Some(Cond::version(order.version)),
    }];
    ops.push(TxOp::delete(orders::service_key(ctx.client_id, order.id)));
    if let Some(hash) = &order.unpaid_invoice_hash
        && let Some(item) = ctx.store().get(&invoice::invoice_key(ctx.client_id, hash)).await?
    {
        let mut inv = Invoice::from_item(&item)?;
        if inv.is_unpaid() {
            let before = inv.clone();
            let version = inv.version;
            inv.lines
                .retain(|l| l.rel_id != Some(order.id) || l.status != LineStatus::PendingPayment);
            if inv.lines.is_empty()
                || inv.total() <= Decimal::ZERO && inv.lines.iter().all(|l| l.kind != LineKind::Order)
            {
                ops.push(TxOp::Delete {
                    key: inv.key(),
                    cond: Some(Cond::version(version)),
                });
                ops.extend(list_changes(Some(&before), None)?);
            } else {
                inv.version += 1;
                inv.updated_at = ctx.now_text();
                ops.push(inv.put_when(Cond::version(version))?);
                ops.extend(list_changes(Some(&before), Some(&inv))?);
            }
        }
    }
    if order.group_master {
        for addon in list
            .iter()
            .filter(|o| o.group_id == order.group_id && !o.group_master && o.id != order.id)
        {
            let mut master = addon.clone();
            master.group_master = true;
            ops.push(TxOp::Update(master.update_from(addon)?));
        }
    }
    ops.push(activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Deleted order #{}", order.id),
    ));
    ctx.store().transact(ops).await.map_err(changed_meanwhile("order"))?;
    Ok(true)
}
