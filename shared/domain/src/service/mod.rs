//! Service records (`C#<client>` / `SVC#<order>`) and what every `service*` method starts with:
//! finding the caller's active order of the right type and its record.
//!
//! Each product type has a [`ServiceKind`] (in its own file here) saying what its record holds
//! when an order activates and how `order/service` shows it. The protocols the records are
//! used with (registrars, panels, ...) live in `bb-integrations`.

pub mod boxbillinglicense;
pub mod centovacast;
pub mod custom;
pub mod domain;
pub mod downloadable;
pub mod hosting;
pub mod license;
pub mod solusvm;
pub mod staff;
pub mod youhosting;

use crate::activity::{self, Origin};
use crate::catalog::Product;
use crate::crypto::Sealer;
use crate::error::{ApiError, ApiResult};
use crate::order::{self, Order, OrderStatus};
use crate::store::Record;
use crate::store::{Cond, Item, Key, Store, TxOp, Update, from_item, to_item};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// What an order's activation knows when it creates the service record.
pub struct ServiceInit<'a> {
    pub order: &'a Order,
    pub product: &'a Product,
    pub service_id: i64,
    pub now: &'a str,
    pub sealer: &'a Sealer,
}

/// What a product type keeps for an active order (`SVC#<order>`), and how it is shown.
#[async_trait::async_trait]
pub trait ServiceKind: Send + Sync {
    /// The product type this kind serves (`custom`, `hosting`, ...).
    fn name(&self) -> &'static str;
    /// The service record created when an order of this type activates.
    fn create(&self, init: &ServiceInit) -> ApiResult<Map<String, Value>>;
    /// The record as `order/service` shows it (secrets and keys never); by default the record
    /// as it is (a custom product's settings).
    fn view(&self, record: &Map<String, Value>) -> ApiResult<ServiceShown> {
        let mut shown = record.clone();
        for internal in ["pk", "sk", "kind", "service_type"] {
            shown.remove(internal);
        }
        shown.retain(|k, _| !k.ends_with("_sealed"));
        Ok(ServiceShown::Custom(shown))
    }
    /// The record with what it refers to (server, plan, ...), as `order/service` shows it.
    async fn show(&self, store: &dyn Store, sealer: &Sealer, record: &Map<String, Value>) -> ApiResult<ServiceShown> {
        let _ = (store, sealer);
        self.view(record)
    }
}

/// A service record as `order/service` shows it: its product type's own view.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum ServiceShown {
    Domain(domain::DomainShown),
    Hosting(hosting::HostingShown),
    Solusvm(solusvm::SolusvmShown),
    Centovacast(centovacast::CentovaShown),
    License(license::LicenseShown),
    Downloadable(downloadable::DownloadShown),
    PartnerLicense(boxbillinglicense::PartnerLicenseShown),
    Youhosting(youhosting::YouhostingShown),
    /// A custom product's record: the settings its product defines.
    Custom(Map<String, Value>),
}

impl bb_ports::answer::Answer for ServiceShown {
    fn schema() -> Value {
        serde_json::json!({"anyOf": [
            domain::DomainShown::schema(),
            hosting::HostingShown::schema(),
            solusvm::SolusvmShown::schema(),
            centovacast::CentovaShown::schema(),
            license::LicenseShown::schema(),
            downloadable::DownloadShown::schema(),
            boxbillinglicense::PartnerLicenseShown::schema(),
            youhosting::YouhostingShown::schema(),
            {"type": "object", "description": "A custom product's service record: the settings its product defines."},
        ]})
    }
}

/// The service kinds this deployment knows; an order of another type activates without a
/// service record (its `service` answer is null).
pub fn kinds() -> Vec<Box<dyn ServiceKind>> {
    vec![
        Box::new(custom::Kind),
        Box::new(domain::Kind),
        Box::new(hosting::Kind),
        Box::new(downloadable::Kind),
        Box::new(license::Kind),
        Box::new(solusvm::Kind),
        Box::new(centovacast::Kind),
        Box::new(boxbillinglicense::Kind),
        Box::new(youhosting::Kind),
    ]
}

pub fn kind(name: &str) -> Option<Box<dyn ServiceKind>> {
    kinds().into_iter().find(|k| k.name() == name)
}

pub fn service_key(client_id: i64, order_id: i64) -> Key {
    order::service_key(client_id, order_id)
}

/// A typed service record: serialized flat into its item, with the item keys added.
pub fn record_item<T: Serialize>(record: &T, client_id: i64, order_id: i64, service_type: &str) -> ApiResult<Item> {
    let mut item = to_item(record)?;
    let key = service_key(client_id, order_id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("kind".into(), "service".into());
    item.insert("service_type".into(), service_type.into());
    item.insert("order_id".into(), order_id.into());
    Ok(item)
}

/// The record as a JSON map (what [`ServiceKind::create`] returns).
pub fn record_map<T: Serialize>(record: &T) -> ApiResult<Map<String, Value>> {
    match serde_json::to_value(record) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::internal("service record is not an object")),
        Err(e) => Err(ApiError::internal(format!("service record: {e}"))),
    }
}

/// An order id as BoxBilling reads it: numbers or numeric text; anything else names no order
/// (so it ends in "Order not found", not in a type error).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderRef(pub Option<i64>);

/// How a module reports a missing or unsuitable order (BoxBilling's texts differ by module).
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    /// Core services (domain, hosting, downloadable, license): "Order not found".
    Core,
    /// Extension services: their own "… order not found" when the order is not of their type.
    Extension {
        not_found: &'static str,
        not_activated_with_id: bool,
    },
}

/// The caller's order and its service record.
pub struct Found<T> {
    pub order: Order,
    pub service: T,
    pub key: Key,
}

impl<T> Found<T> {
    /// An update of the record that fails (rather than recreating it) if it vanished meanwhile.
    pub fn update(&self) -> Update {
        Update::new(self.key.clone()).when(Cond::exists())
    }
}

impl<T: serde::Serialize> Found<T> {
    /// The update from the record as found to `changed`: the fields that differ, and
    /// `updated_at`; none when nothing differs. Callers change the typed record and never
    /// name an attribute.
    pub fn changes(&self, changed: &T, now: &str) -> ApiResult<Option<Update>> {
        let before = crate::store::to_item(&self.service)?;
        let after = crate::store::to_item(changed)?;
        let update = crate::store::changes(self.key.clone(), &before, &after)?;
        if update.ops.is_empty() {
            return Ok(None);
        }
        Ok(Some(update.set("updated_at", now).when(Cond::exists())))
    }
}

/// Finds the caller's active order `order_id` of `service_type` and its record, in one read.
/// Another client's order is not found, exactly like a missing one.
pub async fn find<T: DeserializeOwned>(
    store: &dyn Store,
    client_id: i64,
    order_id: Option<OrderRef>,
    service_type: &str,
    lookup: Lookup,
) -> ApiResult<Found<T>> {
    let id = order_id.ok_or_else(|| ApiError::new("Order id is required"))?;
    let (order, record) = load_order(store, client_id, id, lookup).await?;
    let wrong_type = order.service_type != service_type;
    let not_activated = || match lookup {
        Lookup::Extension {
            not_activated_with_id: true,
            ..
        } => ApiError::new(format!("Order {} is not activated", order.id)),
        _ => ApiError::new("Order is not activated"),
    };
    if wrong_type {
        return Err(match lookup {
            Lookup::Core => not_activated(),
            Lookup::Extension { not_found, .. } => ApiError::new(not_found),
        });
    }
    if order.status != OrderStatus::Active {
        return Err(not_activated());
    }
    let record = record.ok_or_else(not_activated)?;
    let service = from_item(&record).map_err(|e| ApiError::internal(format!("service record: {e}")))?;
    Ok(Found {
        key: service_key(order.client_id, order.id),
        order,
        service,
    })
}

/// The caller's order and its record (if any), whatever the order's status and type.
pub async fn load_order(
    store: &dyn Store,
    client_id: i64,
    id: OrderRef,
    lookup: Lookup,
) -> ApiResult<(Order, Option<Item>)> {
    let not_found = || match lookup {
        Lookup::Core => ApiError::new("Order not found"),
        Lookup::Extension { not_found, .. } => ApiError::new(not_found),
    };
    let id = id.0.filter(|id| *id > 0).ok_or_else(not_found)?;
    let order_key = order::order_key(client_id, id);
    let svc_key = service_key(client_id, id);
    let mut items = store.get_many(&[order_key.clone(), svc_key.clone()]).await?;
    let order = Order::from_item(items.get(&order_key).ok_or_else(not_found)?)?;
    let record = items.take(&svc_key);
    Ok((order, record))
}

/// An update of the service record at `key` made at `now` by staff (`bb service set`, whose
/// operator names the fields), refused if the record is gone.
pub fn staff_update(key: Key, now: &str) -> Update {
    Update::new(key).when(Cond::exists()).set("updated_at", now)
}

/// Stores what an action changed (`changed`, the record after it; none when only the log line
/// is written) with the activity line, in one transaction.
pub async fn commit<T: serde::Serialize>(
    store: &dyn Store,
    origin: &Origin,
    found: &Found<T>,
    changed: Option<&T>,
    line: String,
) -> ApiResult<()> {
    let mut ops = Vec::new();
    if let Some(changed) = changed
        && let Some(update) = found.changes(changed, &origin.at)?
    {
        ops.push(TxOp::Update(update));
    }
    ops.push(activity::log(origin, found.order.client_id, line));
    store
        .transact(ops)
        .await
        .map_err(crate::error::changed_meanwhile("service"))
}

/// Seals a secret for a record field; an empty secret stays absent.
pub fn seal(sealer: &Sealer, secret: &str) -> ApiResult<Option<String>> {
    if secret.is_empty() {
        return Ok(None);
    }
    sealer
        .seal(secret)
        .map(Some)
        .map_err(|e| ApiError::internal(format!("sealing: {e}")))
}

/// Opens a sealed record field; absent is the empty secret.
pub fn open(sealer: &Sealer, sealed: Option<&str>) -> ApiResult<String> {
    match sealed {
        None => Ok(String::new()),
        Some(s) => sealer
            .open(s)
            .map_err(|e| ApiError::internal(format!("opening a sealed field: {e}"))),
    }
}

/// Text of a config value (product or order config), numbers included.
pub fn config_text(config: &Map<String, Value>, name: &str) -> Option<String> {
    match config.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

pub fn config_id(config: &Map<String, Value>, name: &str) -> Option<i64> {
    config_text(config, name).and_then(|t| t.parse().ok())
}

pub fn config_flag(config: &Map<String, Value>, name: &str) -> bool {
    config.get(name).is_some_and(crate::settings::is_truthy)
}
