//! What each cart item costs, from the catalogue only: unit price and setup fee for its period,
//! quantity, and the promo's discount (BoxBilling's rules).

use bb_core::domain::cart::{Cart, CartItem};
use bb_core::domain::catalog::CurrencyView;
use bb_core::domain::catalog::{Catalog, Product, Promo, PromoType};
use bb_core::domain::money::{self, Money};
use bb_core::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Map;

pub struct Priced<'a> {
    pub item: &'a CartItem,
    pub product: &'a Product,
    pub period: Option<String>,
    pub quantity: i64,
    /// Unit price for the period.
    pub price: Decimal,
    pub setup: Decimal,
    /// price × quantity.
    pub total: Decimal,
    pub discount_price: Decimal,
    pub discount_setup: Decimal,
}

impl Priced<'_> {
    pub fn discount(&self) -> Decimal {
        self.discount_price + self.discount_setup
    }

    /// `[cart item]`: the stored settings merged with the computed keys.
    pub fn view(&self) -> CartItemView {
        let computed = ItemFigures {
            id: self.item.id,
            product_id: self.product.id,
            form_id: self.product.form_id,
            title: self.product.title.clone(),
            kind: self.product.kind.clone(),
            quantity: self.quantity,
            unit: self.product.unit.clone(),
            period: self.period.clone(),
            price: Money(self.price),
            setup_price: Money(self.setup),
            discount: Money(self.discount()),
            discount_price: Money(self.discount_price),
            discount_setup: Money(self.discount_setup),
            total: Money(self.total),
        };
        let mut merged = self.item.config.clone();
        if let Ok(Value::Object(figures)) = serde_json::to_value(computed) {
            merged.extend(figures);
        }
        CartItemView(merged)
    }
}

/// What the cart computes for an item, over the settings it was added with.
#[derive(Serialize, Answer)]
struct ItemFigures {
    id: i64,
    product_id: i64,
    form_id: Option<i64>,
    title: String,
    #[serde(rename = "type")]
    kind: String,
    quantity: i64,
    unit: String,
    period: Option<String>,
    price: Money,
    setup_price: Money,
    discount: Money,
    discount_price: Money,
    discount_setup: Money,
    total: Money,
}

/// `[cart item]`: the settings given to `add_item` (period, quantity, a domain's or hosting's
/// own fields), with [`ItemFigures`] written over them.
#[derive(Serialize)]
pub struct CartItemView(Map<String, Value>);

impl bb_ports::answer::Answer for CartItemView {
    fn schema() -> Value {
        let mut schema = ItemFigures::schema();
        schema["additionalProperties"] = Value::Bool(true);
        schema
    }
}

/// `cart/get`: the items and the amounts in the cart's currency.
#[derive(Serialize, Answer)]
pub struct CartView {
    pub promocode: Option<String>,
    pub discount: Money,
    pub subtotal: Money,
    pub total: Money,
    pub items: Vec<CartItemView>,
    pub currency: CurrencyView,
}

pub fn promo_usable_by(promo: &Promo, now: &str) -> bool {
    promo.is_usable(now)
}

/// Prices every item; a product gone from the catalogue or a period no longer offered is an
/// error the client can act on.
pub fn price_cart<'a>(catalog: &'a Catalog, cart: &'a Cart, promo: Option<&Promo>) -> ApiResult<Vec<Priced<'a>>> {
    cart.items.iter().map(|item| price_item(catalog, item, promo)).collect()
}

fn price_item<'a>(catalog: &'a Catalog, item: &'a CartItem, promo: Option<&Promo>) -> ApiResult<Priced<'a>> {
    let product = catalog.product(item.product_id).ok_or_else(|| {
        ApiError::new(format!(
            "Product #{} is no longer available; remove it from the cart",
            item.product_id
        ))
    })?;
    let period = item.config.get("period").and_then(Value::as_str).map(String::from);
    let (price, setup) = product.price_for(period.as_deref())?;
    let quantity = item.config.get("quantity").and_then(Value::as_i64).unwrap_or(1).max(1);
    let total = price * Decimal::from(quantity);
    let (mut discount_price, mut discount_setup) = (Decimal::ZERO, Decimal::ZERO);
    if let Some(promo) = promo.filter(|p| p.applies_to(product, period.as_deref())) {
        discount_price = match promo.kind {
            PromoType::Absolute => promo.value,
            PromoType::Percentage => money::round(total * promo.value / Decimal::from(100)),
        };
        if promo.freesetup {
            discount_setup = setup;
        }
        // A discount never exceeds what the item costs.
        if discount_price > total {
            discount_price = total;
        }
    }
    Ok(Priced {
        item,
        product,
        period,
        quantity,
        price,
        setup,
        total,
        discount_price,
        discount_setup,
    })
}
