//! An order's activation: its service record (by product type), status, dates, stock and
//! history, as operations for the caller's transaction.

use crate::catalog::{self, Product};
use crate::clock::format_datetime;
use crate::crypto::Sealer;
use crate::error::ApiResult;
use crate::notice::TemplateCode;
use crate::order::{Order, OrderStatus, service_key};
use crate::period::Period;
use crate::service;
use crate::store::{Attr, Cond, Item, TxOp, Update};
use time::OffsetDateTime;

/// Everything an activation writes, and the notice it sends.
pub struct Activation {
    pub ops: Vec<TxOp>,
    pub notice_template: TemplateCode,
}

/// Activates an order: service record, status, dates, stock, history. `order` is updated in
/// place; the caller writes it (with its other changes) after this.
pub fn activate(
    order: &mut Order,
    product: Option<&Product>,
    service_id: i64,
    now: OffsetDateTime,
    sealer: &Sealer,
) -> ApiResult<Activation> {
    let now_text = format_datetime(now);
    let mut ops = Vec::new();
    if let (Some(kind), Some(product)) = (service::kind(&order.service_type), product) {
        let record = kind.create(&service::ServiceInit {
            order,
            product,
            service_id,
            now: &now_text,
            sealer,
        })?;
        let item: Item = record.iter().map(|(k, v)| (k.clone(), Attr::from_json(v))).collect();
        let mut item = item;
        let key = service_key(order.client_id, order.id);
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("kind".into(), "service".into());
        item.insert("service_type".into(), order.service_type.clone().into());
        item.insert("order_id".into(), order.id.into());
        ops.push(TxOp::put(item));
        order.service_id = Some(service_id);
    }
    if let Some(product) = product.filter(|p| p.stock_control) {
        ops.push(TxOp::Update(
            Update::new(catalog::product_key(product.id))
                .add("quantity_in_stock", -order.quantity)
                .when(Cond::Ge("quantity_in_stock".into(), Attr::from(order.quantity))),
        ));
    }
    order.status = OrderStatus::Active;
    order.activated_at = Some(now_text.clone());
    order.suspended_at = None;
    order.canceled_at = None;
    order.expires_at = match &order.period {
        Some(code) if !code.is_empty() => Some(format_datetime(Period::parse(code)?.add_to(now))),
        _ => None,
    };
    order.updated_at = now_text.clone();
    order.record(OrderStatus::Active, "Order activated", &now_text);
    Ok(Activation {
        ops,
        notice_template: TemplateCode::ServiceActivated(order.service_type.clone()),
    })
}
