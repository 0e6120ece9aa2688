//! The shopping cart record. A client's cart is `C#<client>` / `CART`, so API-key clients can
//! fill and check out a cart; a guest's is `GCART#<sha256(cookie)>` / `CART` (expiring) until
//! login merges it into the client's.

use crate::keys;
use crate::store::{Attr, Item, Key, StoreError, TTL, from_item, to_item};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Guest carts expire a week after their last change.
pub const GUEST_CART_TTL: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartOwner {
    Client(i64),
    /// A guest, by the hash of their cookie token.
    Guest(String),
}

impl CartOwner {
    /// The guest cart behind a cookie token.
    pub fn guest(token: &str) -> CartOwner {
        CartOwner::Guest(crate::crypto::sha256_hex(token.as_bytes()))
    }

    pub fn key(&self) -> Key {
        match self {
            CartOwner::Client(id) => Key::new(keys::client_partition(*id), "CART"),
            CartOwner::Guest(hash) => Key::new(format!("GCART#{hash}"), "CART"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CartItem {
    pub id: i64,
    pub product_id: i64,
    /// Everything `add_item` was sent except `id` and `addons`; addon items also carry
    /// `parent_id`.
    #[serde(default)]
    pub config: Map<String, Value>,
}

impl CartItem {
    /// An item's settings: what `add_item` was sent, less what is not settings, with its
    /// quantity and, for a recurring product, its period.
    pub fn settings(sent: &Map<String, Value>, quantity: i64, period: Option<&str>) -> Map<String, Value> {
        let mut config = sent.clone();
        for reserved in ["id", "addons", "multiple", "_url"] {
            config.remove(reserved);
        }
        config.insert("quantity".into(), quantity.into());
        match period {
            Some(code) => config.insert("period".into(), code.into()),
            None => config.remove("period"),
        };
        config
    }

    /// The settings of an addon chosen with product `parent_id` (its period when recurring).
    pub fn addon_settings(period: Option<String>, parent_id: i64) -> Map<String, Value> {
        let mut config = Map::new();
        config.insert("selected".into(), true.into());
        if let Some(code) = period {
            config.insert("period".into(), code.into());
        }
        config.insert("quantity".into(), 1.into());
        config.insert("parent_id".into(), parent_id.into());
        config
    }

    /// An addon's item, under the cart item of its product.
    pub fn addon(id: i64, product_id: i64, mut config: Map<String, Value>, parent_item: i64) -> CartItem {
        config.insert("parent_item".into(), parent_item.into());
        CartItem { id, product_id, config }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cart {
    /// A fresh id per cart: the group of the orders it becomes, and checkout's natural
    /// idempotency key.
    pub cart_id: String,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub promo_code: Option<String>,
    #[serde(default)]
    pub items: Vec<CartItem>,
    #[serde(default)]
    pub next_item: i64,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The id of the cart this empty one replaced at checkout: a checkout sent again (its
    /// first answer lost) finds that checkout's outcome through it. Cleared by any change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_out: Option<String>,
}

impl Cart {
    pub fn new() -> Result<Cart, crate::crypto::CryptoError> {
        Ok(Cart {
            cart_id: hex::encode(crate::crypto::random_bytes::<8>()?),
            currency: None,
            promo_code: None,
            items: Vec::new(),
            next_item: 1,
            version: 0,
            updated_at: None,
            checked_out: None,
        })
    }

    /// The empty cart that replaces this one when it is checked out (a new id, the next
    /// version, and the way back to this checkout's outcome).
    pub fn after_checkout(&self, now: &str) -> Result<Cart, crate::crypto::CryptoError> {
        Ok(Cart {
            version: self.version + 1,
            updated_at: Some(now.to_string()),
            checked_out: Some(self.cart_id.clone()),
            ..Cart::new()?
        })
    }

    pub fn from_item(item: &Item) -> Result<Cart, StoreError> {
        from_item(item)
    }

    pub fn to_item(&self, owner: &CartOwner, now: i64) -> Result<Item, StoreError> {
        let mut item = to_item(self)?;
        let key = owner.key();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        if matches!(owner, CartOwner::Guest(_)) {
            item.insert(TTL.into(), Attr::from(now + GUEST_CART_TTL));
        }
        Ok(item)
    }

    /// Adds a guest cart's items to this one (at login), keeping this cart's currency and promo
    /// unless it has none.
    pub fn merge(&mut self, guest: &Cart) {
        for item in &guest.items {
            let id = self.next_item.max(1);
            self.next_item = id + 1;
            self.items.push(CartItem { id, ..item.clone() });
        }
        if self.currency.is_none() {
            self.currency = guest.currency.clone();
        }
        if self.promo_code.is_none() {
            self.promo_code = guest.promo_code.clone();
        }
    }
}
