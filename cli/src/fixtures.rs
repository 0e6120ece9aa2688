//! Loading a fixtures file (settings, e-mail templates, demo clients, the catalogue) into the
//! configured store. Re-loading is safe: settings and templates are replaced, existing clients
//! are left as they are.

use bb_core::app::App;
use bb_core::auth;
use bb_core::crypto;
use bb_core::domain::catalog;
use bb_core::domain::client::{self as clients, ClientRecord, ClientStatus};
use bb_core::domain::settings::StoredSettings;
use bb_core::keys;
use bb_core::notifier::Template;
use bb_core::store::Record;
use bb_core::store::{Attr, Cond, IdKind, Item, Key, Returning, StoreError, Tx, TxOp, Update};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    #[serde(default)]
    pub settings: Map<String, Value>,
    #[serde(default)]
    pub templates: Vec<Template>,
    #[serde(default)]
    pub clients: Vec<FixtureClient>,
    #[serde(default)]
    pub catalog: FixtureCatalog,
    /// Registrars, hosting servers and plans, SolusVM, CentovaCast, module API keys.
    #[serde(default)]
    pub services: bb_core::domain::service::staff::StaffFixtures,
}

/// The catalogue a shop sells from (re-loading replaces these items, promo counters included).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FixtureCatalog {
    #[serde(default)]
    pub currencies: Vec<catalog::Currency>,
    #[serde(default)]
    pub categories: Vec<catalog::Category>,
    #[serde(default)]
    pub products: Vec<catalog::Product>,
    #[serde(default)]
    pub taxes: Vec<catalog::Tax>,
    #[serde(default)]
    pub promos: Vec<catalog::Promo>,
    #[serde(default)]
    pub gateways: Vec<catalog::Gateway>,
    #[serde(default)]
    pub helpdesks: Vec<catalog::Helpdesk>,
    #[serde(default)]
    pub canned: Vec<catalog::CannedReply>,
    #[serde(default)]
    pub forums: Vec<bb_core::domain::forum::Forum>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct FixtureClient {
    pub id: Option<i64>,
    pub email: String,
    /// The password, hashed on loading; or `password_hash`, an Argon2id hash in PHC form
    /// (clients moved from another installation, or many test clients without hashing each).
    pub password: Option<String>,
    pub password_hash: Option<String>,
    /// An API key to install (e.g. one imported from BoxBilling); none when absent.
    pub api_key: Option<String>,
    #[serde(default)]
    pub status: ClientStatus,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub phone_cc: Option<String>,
    pub phone: Option<String>,
    pub address_1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub currency: Option<String>,
    #[serde(default)]
    pub balance: Option<String>,
}

/// What a load did, for the operator.
#[derive(Debug, Default, PartialEq)]
pub struct Report {
    pub settings: usize,
    pub templates: usize,
    pub catalog_items: usize,
    pub service_configs: usize,
    pub clients_created: Vec<String>,
    pub clients_kept: Vec<String>,
}

pub fn parse(text: &str) -> Result<Fixtures, String> {
    serde_json::from_str(text).map_err(|e| format!("fixtures: {e}"))
}

pub async fn load(app: &App, fixtures: &Fixtures, name: &str) -> Result<Report, String> {
    let store = app.store.as_ref();
    let mut report = Report::default();
    let err = |e: StoreError| e.to_string();
    if !fixtures.settings.is_empty() {
        // Settings merge into what is there, key by key.
        let mut stored = match store.get(&keys::settings()).await.map_err(err)? {
            Some(item) => StoredSettings::from_item(&item).map_err(err)?,
            None => StoredSettings::default(),
        };
        for (k, v) in &fixtures.settings {
            stored.values.insert(k.clone(), v.clone());
        }
        store.put(stored.to_item().map_err(err)?, None).await.map_err(err)?;
        report.settings = fixtures.settings.len();
    }
    let templates = fixtures
        .templates
        .iter()
        .map(|t| t.to_item().map_err(err))
        .collect::<Result<Vec<_>, _>>()?;
    report.templates = templates.len();
    put_all(app, templates).await?;
    report.catalog_items = load_catalog(app, &fixtures.catalog).await?;
    let staff = fixtures.services.items(&app.sealer).map_err(|e| e.to_string())?;
    report.service_configs = staff.len();
    put_all(app, staff).await?;
    for client in &fixtures.clients {
        if create_client(app, client).await? {
            report.clients_created.push(client.email.clone());
        } else {
            report.clients_kept.push(client.email.clone());
        }
    }
    mark_loaded(app, name).await?;
    app.forget_cached();
    Ok(report)
}

/// Writes items in transactions of up to 100 (one round trip each).
async fn put_all(app: &App, items: Vec<Item>) -> Result<(), String> {
    for chunk in items.chunks(bb_core::store::MAX_TX_ITEMS) {
        let ops = chunk.iter().cloned().map(TxOp::put).collect();
        app.store.transact(ops).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn load_catalog(app: &App, c: &FixtureCatalog) -> Result<usize, String> {
    use catalog::{item, key, sk};
    let pad = |id: i64| bb_core::keys::pad(id);
    let mut items = Vec::new();
    for x in &c.currencies {
        items.push(item(x, key(sk::CURRENCY, &x.code.to_uppercase())));
    }
    for x in &c.categories {
        items.push(item(x, key(sk::CATEGORY, &pad(x.id))));
    }
    for x in &c.products {
        items.push(item(x, catalog::product_key(x.id)));
    }
    for x in &c.taxes {
        items.push(item(x, key(sk::TAX, &pad(x.id))));
    }
    for x in &c.promos {
        items.push(item(x, catalog::promo_key(&x.code)));
    }
    for x in &c.gateways {
        items.push(item(x, key(sk::GATEWAY, &pad(x.id))));
    }
    for x in &c.helpdesks {
        items.push(item(x, key(sk::HELPDESK, &pad(x.id))));
    }
    for x in &c.canned {
        items.push(item(x, key(sk::CANNED, &pad(x.id))));
    }
    for forum in &c.forums {
        items.push(forum.to_item());
        reserve_id(app, IdKind::Forum, forum.id).await?;
    }
    let count = items.len();
    for item in items {
        app.store
            .put(item.map_err(|e| e.to_string())?, None)
            .await
            .map_err(|e| e.to_string())?;
    }
    let products = c.products.iter().map(|p| p.id).max().unwrap_or(0);
    if products > 0 {
        reserve_id(app, IdKind::Product, products).await?;
    }
    Ok(count)
}

/// Raises the id counter of `kind` to at least `id` (ids given by fixtures stay unique).
pub async fn reserve_id(app: &App, kind: IdKind, id: i64) -> Result<(), String> {
    let counter = kind.counter();
    let update = Update::new(bb_core::keys::id_counters())
        .set(counter, id)
        .when(Cond::Or(vec![
            Cond::NotExists(counter.into()),
            Cond::Lt(counter.into(), Attr::from(id)),
        ]));
    match app.store.update(update, Returning::Nothing).await {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

async fn create_client(app: &App, f: &FixtureClient) -> Result<bool, String> {
    let store = app.store.as_ref();
    let email = f.email.trim().to_lowercase();
    if store
        .get(&keys::client_email(&email))
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(false);
    }
    let id = match f.id {
        Some(id) => {
            reserve_id(app, IdKind::Client, id).await?;
            id
        }
        None => bb_core::store::next_ids(store, &[IdKind::Client])
            .await
            .map_err(|e| e.to_string())?[0],
    };
    let now = bb_core::clock::format_datetime(app.clock.now());
    let mut client = ClientRecord {
        id,
        email: email.clone(),
        status: f.status,
        password_hash: match (&f.password, &f.password_hash) {
            (Some(password), None) => crypto::hash_password(password).map_err(|e| e.to_string())?,
            (None, Some(hash)) if crypto::is_password_hash(hash) => hash.clone(),
            (None, Some(_)) => {
                return Err(format!(
                    "client {email}: password_hash is not an Argon2 hash in PHC form"
                ));
            }
            _ => return Err(format!("client {email}: give either password or password_hash")),
        },
        first_name: f.first_name.clone(),
        last_name: f.last_name.clone(),
        company: f.company.clone(),
        phone_cc: f.phone_cc.clone(),
        phone: f.phone.clone(),
        address_1: f.address_1.clone(),
        city: f.city.clone(),
        state: f.state.clone(),
        postcode: f.postcode.clone(),
        country: f.country.clone(),
        currency: f.currency.clone(),
        balance: f.balance.clone(),
        custom: BTreeMap::new(),
        created_at: now.clone(),
        updated_at: now,
        ..ClientRecord::default()
    };
    let mut tx = Tx::new();
    let email_claim = tx.add(clients::email_claim(&email, id));
    if let Some(key) = &f.api_key {
        let new = auth::api_key_item(app, &client, key.clone(), app.clock.now().unix_timestamp())
            .map_err(|e| e.to_string())?;
        client.api_key_hash = Some(new.hash);
        client.api_key_sealed = Some(new.sealed);
        tx.push(TxOp::put(new.item));
    }
    tx.push(TxOp::put_new(client.to_item().map_err(|e| e.to_string())?));
    tx.extend(clients::header_ops(&client).map_err(|e| e.to_string())?);
    match store.transact(tx.into_ops()).await {
        Ok(()) => Ok(true),
        Err(e) if e.failed(email_claim) => Ok(false),
        Err(e) => Err(format!("client {email}: {e}")),
    }
}

fn marker() -> Key {
    Key::new("CONFIG", "FIXTURES")
}

async fn mark_loaded(app: &App, name: &str) -> Result<(), String> {
    let now = bb_core::clock::format_datetime(app.clock.now());
    let update = Update::new(marker()).set(
        &format!("loaded_{}", name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")),
        now,
    );
    app.store
        .update(update, Returning::Nothing)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Whether any fixtures were ever loaded into this store.
pub async fn any_loaded(app: &App) -> Result<bool, String> {
    Ok(app.store.get(&marker()).await.map_err(|e| e.to_string())?.is_some())
}

/// The fixtures shipped in the repository, compiled in so the binary works from anywhere.
pub const BASE: &str = include_str!("../../fixtures/base.json");
pub const DEMO: &str = include_str!("../../fixtures/demo.json");
/// Offline service configuration and hidden free service products to try the service modules.
pub const SERVICES: &str = include_str!("../../fixtures/services.json");
