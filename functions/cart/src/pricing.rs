//! What each cart item costs, from the catalogue only: unit price and setup fee for its period,
//! quantity, and the promo's discount (BoxBilling's rules).

use bb_core::domain::cart::{Cart, CartItem};
use bb_core::domain::catalog::{Catalog, Product, Promo, PromoType};
use bb_core::domain::money;
use bb_core::prelude::*;
use rust_decimal::Decimal;

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
    pub fn view(&self) -> Value {
        let mut v = self.item.config.clone();
        let computed = json!({
            "id": self.item.id,
            "product_id": self.product.id,
            "form_id": self.product.form_id,
            "title": self.product.title,
            "type": self.product.kind,
            "quantity": self.quantity,
            "unit": self.product.unit,
            "period": self.period,
            "price": money::text(self.price),
            "setup_price": money::text(self.setup),
            "discount": money::text(self.discount()),
            "discount_price": money::text(self.discount_price),
            "discount_setup": money::text(self.discount_setup),
            "total": money::text(self.total),
        });
        if let Value::Object(c) = computed {
            v.extend(c);
        }
        Value::Object(v)
    }
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
