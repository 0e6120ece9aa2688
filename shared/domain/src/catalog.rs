//! The catalogue: currencies, categories, products with their pricing, tax rules, promo codes
//! and payment gateways. All of it lives in the `CATALOG` partition, is read whole in one
//! Query and cached per process like the settings. Operators load it with the fixtures command.

use crate::error::{ApiError, ApiResult};
use crate::money::Money;
use crate::store::{Item, Key, StoreError, from_item, to_item};
use bb_macros::Answer;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const PARTITION: &str = "CATALOG";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Currency {
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub is_default: bool,
    /// Units of this currency per unit of the default currency.
    #[serde(default = "one")]
    pub conversion_rate: Decimal,
    /// e.g. `${{price}}`.
    #[serde(default = "price_only")]
    pub format: String,
    /// BoxBilling's `1`…`5` (see `money::format_price`).
    #[serde(default = "format_one")]
    pub price_format: String,
}

impl Currency {
    /// `[currency]` (the rate as decimal text).
    pub fn view(&self) -> CurrencyView {
        let mut rate = self.conversion_rate;
        rate.rescale(6);
        CurrencyView {
            code: self.code.clone(),
            title: self.title.clone(),
            conversion_rate: rate.to_string(),
            format: self.format.clone(),
            price_format: self.price_format.clone(),
            default: self.is_default,
        }
    }
}

/// `[currency]`.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct CurrencyView {
    pub code: String,
    pub title: String,
    /// Units per unit of the default currency, six decimal places.
    pub conversion_rate: String,
    /// e.g. `${{price}}`.
    pub format: String,
    pub price_format: String,
    pub default: bool,
}

fn one() -> Decimal {
    Decimal::ONE
}
fn price_only() -> String {
    "{{price}}".into()
}
fn format_one() -> String {
    "1".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Category {
    pub id: i64,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub priority: i64,
}

named! {
    /// How a product is priced.
    pub enum PricingType {
        Free = "free",
        Once = "once",
        Recurrent = "recurrent",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Price {
    #[serde(default)]
    pub price: Decimal,
    #[serde(default)]
    pub setup: Decimal,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pricing {
    #[serde(rename = "type")]
    pub kind: PricingType,
    #[serde(default)]
    pub once: Option<Price>,
    /// Period code (`1M`, `1Y`, ...) → price.
    #[serde(default)]
    pub recurrent: BTreeMap<String, Price>,
}

/// A product as the shop shows it (`guest/product/get`, the rows of `get_list`).
#[derive(Debug, Clone, Serialize, Answer)]
pub struct ProductView {
    pub id: i64,
    pub product_category_id: Option<i64>,
    /// Service type: `custom`, `hosting`, `domain`, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub form_id: Option<i64>,
    pub slug: String,
    pub description: Option<String>,
    pub unit: String,
    pub priority: i64,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub pricing: PricingView,
    pub config: Map<String, Value>,
    pub addons: Vec<AddonView>,
    pub price_starting_from: Money,
    pub icon_url: Option<String>,
    pub allow_quantity_select: bool,
    pub quantity_in_stock: i64,
    pub stock_control: bool,
}

/// An addon offered with a product.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct AddonView {
    pub id: i64,
    pub title: String,
    pub pricing: PricingView,
}

/// A product's prices.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct PricingView {
    #[serde(rename = "type")]
    pub kind: PricingType,
    pub free: FreePrice,
    pub once: Option<PriceView>,
    /// Period code (`1M`, `1Y`, ...) → price.
    pub recurrent: BTreeMap<String, PriceView>,
}

/// What a free product costs: nothing, in BoxBilling's shape.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct FreePrice {
    pub price: Money,
    pub setup: Money,
}

#[derive(Debug, Clone, Serialize, Answer)]
pub struct PriceView {
    pub price: Money,
    pub setup: Money,
    pub enabled: bool,
}

impl PriceView {
    fn of(price: &Price) -> PriceView {
        PriceView {
            price: Money(price.price),
            setup: Money(price.setup),
            enabled: price.enabled,
        }
    }
}

impl Product {
    fn pricing_view(&self) -> PricingView {
        PricingView {
            kind: self.pricing.kind,
            free: FreePrice {
                price: Money(Decimal::ZERO),
                setup: Money(Decimal::ZERO),
            },
            once: self.pricing.once.as_ref().map(PriceView::of),
            recurrent: self
                .pricing
                .recurrent
                .iter()
                .map(|(period, price)| (period.clone(), PriceView::of(price)))
                .collect(),
        }
    }

    /// The product as the shop shows it, with the addons `catalog` offers with it.
    pub fn view(&self, catalog: &Catalog) -> ProductView {
        ProductView {
            id: self.id,
            product_category_id: self.category_id,
            kind: self.kind.clone(),
            title: self.title.clone(),
            form_id: self.form_id,
            slug: self.slug.clone(),
            description: self.description.clone(),
            unit: self.unit.clone(),
            priority: self.priority,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            pricing: self.pricing_view(),
            config: self.config.clone(),
            addons: self
                .addons
                .iter()
                .filter_map(|id| catalog.product(*id))
                .map(|a| AddonView {
                    id: a.id,
                    title: a.title.clone(),
                    pricing: a.pricing_view(),
                })
                .collect(),
            price_starting_from: Money(self.price_starting_from()),
            icon_url: self.icon_url.clone(),
            allow_quantity_select: self.allow_quantity_select,
            quantity_in_stock: self.quantity_in_stock,
            stock_control: self.stock_control,
        }
    }
}

/// A row of `guest/product/category_get_list`: a category with its public products.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct CategoryView {
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub products: Vec<ProductView>,
}

/// When an order of a product is set up.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SetupMode {
    AfterOrder,
    AfterPayment,
    Manual,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Product {
    pub id: i64,
    #[serde(default)]
    pub category_id: Option<i64>,
    pub title: String,
    pub slug: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Service type: `custom`, `hosting`, `domain`, `license`, `downloadable`, ...
    #[serde(rename = "type", default = "custom")]
    pub kind: String,
    #[serde(default = "unit")]
    pub unit: String,
    #[serde(default)]
    pub status: ProductStatus,
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub is_addon: bool,
    #[serde(default = "after_payment")]
    pub setup: SetupMode,
    /// Addon products offered with this one.
    #[serde(default)]
    pub addons: Vec<i64>,
    /// Products an order of this one may be upgraded to.
    #[serde(default)]
    pub upgrades: Vec<i64>,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub allow_quantity_select: bool,
    #[serde(default)]
    pub stock_control: bool,
    #[serde(default)]
    pub quantity_in_stock: i64,
    #[serde(default)]
    pub icon_url: Option<String>,
    #[serde(default)]
    pub form_id: Option<i64>,
    /// Type-specific settings (for `custom`: the plugin and its configuration).
    #[serde(default)]
    pub config: Map<String, Value>,
    pub pricing: Pricing,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

fn custom() -> String {
    "custom".into()
}
fn unit() -> String {
    "product".into()
}
named! {
    /// Whether a product can be ordered.
    #[derive(Default)]
    pub enum ProductStatus {
        #[default]
        Enabled = "enabled",
        Disabled = "disabled",
    }
}

fn after_payment() -> SetupMode {
    SetupMode::AfterPayment
}

impl Product {
    /// Unit price and setup fee for a billing period, checking the period is offered.
    pub fn price_for(&self, period: Option<&str>) -> ApiResult<(Decimal, Decimal)> {
        match self.pricing.kind {
            PricingType::Free => Ok((Decimal::ZERO, Decimal::ZERO)),
            PricingType::Once => {
                let p = self.pricing.once.clone().unwrap_or_default();
                Ok((p.price, p.setup))
            }
            PricingType::Recurrent => {
                let period = period
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| ApiError::new("Period parameter not passed"))?;
                match self.pricing.recurrent.get(period) {
                    Some(p) if p.enabled => Ok((p.price, p.setup)),
                    _ => Err(ApiError::new("Selected billing period is not valid")),
                }
            }
        }
    }

    pub fn is_recurrent(&self) -> bool {
        self.pricing.kind == PricingType::Recurrent
    }

    /// The lowest enabled price (shop listings).
    pub fn price_starting_from(&self) -> Decimal {
        match self.pricing.kind {
            PricingType::Free => Decimal::ZERO,
            PricingType::Once => self.pricing.once.as_ref().map_or(Decimal::ZERO, |p| p.price),
            PricingType::Recurrent => self
                .pricing
                .recurrent
                .values()
                .filter(|p| p.enabled)
                .map(|p| p.price)
                .min()
                .unwrap_or(Decimal::ZERO),
        }
    }

    pub fn is_public(&self) -> bool {
        self.status == ProductStatus::Enabled && !self.hidden && !self.is_addon
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tax {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    /// Percent, e.g. `21`.
    pub taxrate: Decimal,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PromoType {
    Percentage,
    Absolute,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Promo {
    pub id: i64,
    pub code: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: PromoType,
    pub value: Decimal,
    /// 0 = unlimited.
    #[serde(default)]
    pub maxuses: i64,
    /// Times used (one per ordered item); kept on the promo item by atomic adds.
    #[serde(default)]
    pub used: i64,
    #[serde(default)]
    pub freesetup: bool,
    #[serde(default)]
    pub once_per_client: bool,
    #[serde(default)]
    pub recurring: bool,
    #[serde(default = "yes")]
    pub active: bool,
    /// Products it applies to; empty = all.
    #[serde(default)]
    pub products: Vec<i64>,
    /// Periods it applies to; empty = all.
    #[serde(default)]
    pub periods: Vec<String>,
    /// Client groups allowed; empty = everyone.
    #[serde(default)]
    pub client_groups: Vec<i64>,
    #[serde(default)]
    pub start_at: Option<String>,
    #[serde(default)]
    pub end_at: Option<String>,
}

impl Promo {
    /// Counts `uses` uses of the promo in the checkout's transaction, refused if they would
    /// pass its `maxuses` (the catalogue may be stale; the count is not).
    pub fn used(&self, uses: i64) -> crate::store::Update {
        use crate::store::{Attr, Cond, Update};
        let update = Update::new(promo_key(&self.code))
            .add("used", uses)
            .when(Cond::exists());
        if self.maxuses > 0 {
            update.when(Cond::Le("used".into(), Attr::from(self.maxuses - uses)))
        } else {
            update
        }
    }

    /// Active, uses left, inside its date window.
    pub fn is_usable(&self, now: &str) -> bool {
        self.active
            && (self.maxuses <= 0 || self.used < self.maxuses)
            && self.start_at.as_deref().is_none_or(|s| s.is_empty() || s <= now)
            && self.end_at.as_deref().is_none_or(|e| e.is_empty() || e >= now)
    }

    pub fn applies_to(&self, product: &Product, period: Option<&str>) -> bool {
        !product.is_addon
            && (self.products.is_empty() || self.products.contains(&product.id))
            && (self.periods.is_empty() || period.is_some_and(|p| self.periods.iter().any(|x| x == p)))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Gateway {
    pub id: i64,
    pub name: String,
    /// Adapter code (`PayPalEmail`, `Custom`, ...).
    pub gateway: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Empty = every currency.
    #[serde(default)]
    pub accepted_currencies: Vec<String>,
    #[serde(default = "yes")]
    pub allow_single: bool,
    #[serde(default)]
    pub allow_recurrent: bool,
    #[serde(default)]
    pub test_mode: bool,
}

/// A support desk tickets are opened in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Helpdesk {
    pub id: i64,
    pub name: String,
    /// Where new tickets of this desk are announced (staff addresses otherwise).
    #[serde(default)]
    pub email: Option<String>,
    /// Hours after a staff reply before an unanswered ticket closes.
    #[serde(default = "day")]
    pub close_after: i64,
    /// Whether a client's reply reopens a closed ticket.
    #[serde(default)]
    pub can_reopen: bool,
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

fn day() -> i64 {
    24
}

/// A canned staff reply (the support auto-responder posts one).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CannedReply {
    pub id: i64,
    pub title: String,
    pub content: String,
}

/// The whole catalogue (and the other reference data staff maintain), as read from the store.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub currencies: Vec<Currency>,
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
    pub taxes: Vec<Tax>,
    pub promos: Vec<Promo>,
    pub gateways: Vec<Gateway>,
    pub helpdesks: Vec<Helpdesk>,
    pub canned: Vec<CannedReply>,
}

/// Sort-key prefixes of catalogue items.
pub mod sk {
    pub const CURRENCY: &str = "CURRENCY#";
    pub const CATEGORY: &str = "CATEGORY#";
    pub const PRODUCT: &str = "PRODUCT#";
    pub const TAX: &str = "TAX#";
    pub const PROMO: &str = "PROMO#";
    pub const GATEWAY: &str = "GATEWAY#";
    pub const HELPDESK: &str = "HELPDESK#";
    pub const CANNED: &str = "CANNED#";
}

pub fn key(prefix: &str, id: &str) -> Key {
    Key::new(PARTITION, format!("{prefix}{id}"))
}

pub fn product_key(id: i64) -> Key {
    key(sk::PRODUCT, &crate::keys::pad(id))
}

pub fn promo_key(code: &str) -> Key {
    key(sk::PROMO, &code.trim().to_uppercase())
}

/// A catalogue record as an item under `key`.
pub fn item<T: Serialize>(record: &T, key: Key) -> Result<Item, StoreError> {
    let mut item = to_item(record)?;
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    Ok(item)
}

impl Catalog {
    /// Sorts the items of the `CATALOG` partition into the catalogue.
    pub fn from_items(items: &[Item]) -> Catalog {
        let mut c = Catalog::default();
        for item in items {
            let Some(sk) = item.get("sk").and_then(|a| a.as_str()) else {
                continue;
            };
            let ok = if sk.starts_with(sk::CURRENCY) {
                from_item(item).map(|x| c.currencies.push(x))
            } else if sk.starts_with(sk::CATEGORY) {
                from_item(item).map(|x| c.categories.push(x))
            } else if sk.starts_with(sk::PRODUCT) {
                from_item(item).map(|x| c.products.push(x))
            } else if sk.starts_with(sk::TAX) {
                from_item(item).map(|x| c.taxes.push(x))
            } else if sk.starts_with(sk::PROMO) {
                from_item(item).map(|x| c.promos.push(x))
            } else if sk.starts_with(sk::GATEWAY) {
                from_item(item).map(|x| c.gateways.push(x))
            } else if sk.starts_with(sk::HELPDESK) {
                from_item(item).map(|x| c.helpdesks.push(x))
            } else if sk.starts_with(sk::CANNED) {
                from_item(item).map(|x| c.canned.push(x))
            } else {
                Ok(())
            };
            if let Err(e) = ok {
                tracing::error!(sk, error = %e, "catalogue item does not match its record type; skipped");
            }
        }
        c.products.sort_by_key(|p| (p.priority, p.id));
        c.currencies.sort_by_key(|x| (!x.is_default, x.code.clone()));
        c.categories.sort_by_key(|x| (x.priority, x.id));
        c
    }

    pub fn product(&self, id: i64) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    pub fn currency(&self, code: &str) -> Option<&Currency> {
        self.currencies.iter().find(|c| c.code.eq_ignore_ascii_case(code))
    }

    pub fn default_currency(&self) -> Option<&Currency> {
        self.currencies
            .iter()
            .find(|c| c.is_default)
            .or_else(|| self.currencies.first())
    }

    pub fn promo(&self, code: &str) -> Option<&Promo> {
        self.promos.iter().find(|p| p.code.eq_ignore_ascii_case(code.trim()))
    }

    pub fn promo_by_id(&self, id: i64) -> Option<&Promo> {
        self.promos.iter().find(|p| p.id == id)
    }

    pub fn helpdesk(&self, id: i64) -> Option<&Helpdesk> {
        self.helpdesks.iter().find(|h| h.id == id)
    }

    pub fn gateway(&self, id: i64) -> Option<&Gateway> {
        self.gateways.iter().find(|g| g.id == id)
    }

    /// BoxBilling's rule order: state and country, then country, then a rule for everyone.
    pub fn tax_for(&self, country: Option<&str>, state: Option<&str>) -> Option<&Tax> {
        let norm = |v: Option<&str>| v.map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty());
        let (country, state) = (norm(country), norm(state));
        let rule_country = |t: &Tax| norm(t.country.as_deref());
        let rule_state = |t: &Tax| norm(t.state.as_deref());
        self.taxes
            .iter()
            .find(|t| country.is_some() && rule_country(t) == country && state.is_some() && rule_state(t) == state)
            .or_else(|| {
                self.taxes
                    .iter()
                    .find(|t| country.is_some() && rule_country(t) == country && rule_state(t).is_none())
            })
            .or_else(|| {
                self.taxes
                    .iter()
                    .find(|t| rule_country(t).is_none() && rule_state(t).is_none())
            })
    }
}
