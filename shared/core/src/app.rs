//! The application: ports, configuration and the method tables, built once per process and
//! shared by every request.

use crate::config::Config;
use crate::mail_queue::{Dispatcher, Worker};
use bb_domain::catalog::{self, Catalog};
use bb_domain::keys;
use bb_domain::notice::template::{Template, load_templates};
pub use bb_domain::settings::{ModuleConfig, Settings};
use bb_ports::clock::Clock;
use bb_ports::crypto::Sealer;
use bb_ports::error::ApiResult;
use bb_ports::files::FileStore;
use bb_ports::mail::Mailer;
use bb_ports::outbound::Outbound;
use bb_ports::store::{Query, Record, Store, StoreResult, query_all};
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub struct AppParts {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub files: Arc<dyn FileStore>,
    /// HTTP to external systems (registrars, panels, ...).
    pub outbound: Arc<dyn Outbound>,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    pub sealer: Sealer,
    /// Delivery of queued mail after commits (see `notifier`).
    pub mail_dispatch: Dispatcher,
    settings: Cached<Settings>,
    templates: Cached<Vec<Template>>,
    catalog: Cached<Catalog>,
}

/// Cheap to clone; every request holds one.
#[derive(Clone)]
pub struct App(Arc<AppParts>);

impl std::ops::Deref for App {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

pub struct AppBuilder {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub files: Arc<dyn FileStore>,
    pub outbound: Arc<dyn Outbound>,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    /// 32-byte key that seals stored secrets (`BB_DATA_KEY`).
    pub data_key: [u8; 32],
}

impl AppBuilder {
    pub fn build(self) -> Result<App, String> {
        let sealer = Sealer::new(&self.data_key).map_err(|e| e.to_string())?;
        let mode = self.config.mail_delivery;
        Ok(App(Arc::new_cyclic(|weak: &std::sync::Weak<AppParts>| AppParts {
            mail_dispatch: Dispatcher::new(mode, weak.clone() as std::sync::Weak<dyn Worker>),
            store: Arc::new(bb_ports::store::Resilient::new(self.store)),
            mailer: self.mailer,
            files: self.files,
            outbound: self.outbound,
            clock: self.clock,
            settings: Cached::new(self.config.settings_ttl),
            templates: Cached::new(self.config.settings_ttl),
            catalog: Cached::new(self.config.settings_ttl),
            config: self.config,
            sealer,
        })))
    }
}

impl App {
    /// The application behind a strong reference (the mail worker upgrades its weak one).
    pub fn from_parts(parts: Arc<AppParts>) -> App {
        App(parts)
    }

    /// System settings, read from the store at most once per `settings_ttl`.
    pub async fn settings(&self) -> StoreResult<Arc<Settings>> {
        if let Some(s) = self.settings.fresh() {
            return Ok(s);
        }
        let stored = match self.store.get(&keys::settings()).await? {
            Some(item) => bb_domain::settings::StoredSettings::from_item(&item)?,
            None => Default::default(),
        };
        Ok(self.settings.store(Settings(stored.values)))
    }

    /// E-mail templates, cached like the settings.
    pub async fn templates(&self) -> ApiResult<Arc<Vec<Template>>> {
        if let Some(t) = self.templates.fresh() {
            return Ok(t);
        }
        let loaded = load_templates(self.store.as_ref()).await?;
        Ok(self.templates.store(loaded))
    }

    /// The catalogue (products, currencies, taxes, promos, gateways), cached like the settings.
    /// Counters that move (promo uses, stock) are enforced by conditions on write, not by it.
    pub async fn catalog(&self) -> StoreResult<Arc<Catalog>> {
        if let Some(c) = self.catalog.fresh() {
            return Ok(c);
        }
        let items = query_all(self.store.as_ref(), Query::partition(catalog::PARTITION)).await?;
        Ok(self.catalog.store(Catalog::from_items(&items)))
    }

    /// Drops cached settings, templates and catalogue (after an operator command changed them).
    pub fn forget_cached(&self) {
        self.settings.clear();
        self.templates.clear();
        self.catalog.clear();
    }
}

/// A value cached for a fixed time per process.
struct Cached<T> {
    ttl: std::time::Duration,
    slot: Mutex<Option<(Instant, Arc<T>)>>,
}

impl<T> Cached<T> {
    fn new(ttl: std::time::Duration) -> Self {
        Cached {
            ttl,
            slot: Mutex::new(None),
        }
    }
    fn fresh(&self) -> Option<Arc<T>> {
        let slot = self.slot.lock().ok()?;
        slot.as_ref()
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }
    fn store(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((Instant::now(), value.clone()));
        }
        value
    }
    fn clear(&self) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = None;
        }
    }
}
