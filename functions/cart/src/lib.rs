//! `/api/client/cart/checkout` and the guest cart `/api/guest/cart/*`.
//!
//! The cart belongs to the client once authenticated (Basic or a logged-in session), so
//! API-key clients can fill and check out a cart; a guest's cart hangs on their cookie until
//! login merges it. Prices, periods and addons always come from the catalogue.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod checkout;
mod pricing;

use bb_core::auth::{self, Credential};
use bb_core::domain::cart::{Cart, CartItem, CartOwner};
use bb_core::domain::catalog::{Catalog, Currency, ProductStatus};
use bb_core::domain::money::Money;
use bb_core::prelude::*;
use pricing::{price_cart, promo_usable_by};

pub fn module() -> Module {
    Module::new("cart")
        .summary("the guest cart, and checkout")
        .method(Access::Write, "checkout", checkout::checkout)
        .method(Access::Read, "get", get)
        .method(Access::Write, "reset", reset)
        .method(Access::Write, "set_currency", set_currency)
        .method(Access::Read, "get_currency", get_currency)
        .method(Access::Write, "apply_promo", apply_promo)
        .method(Access::Write, "remove_promo", remove_promo)
        .method(Access::Write, "remove_item", remove_item)
        .method(Access::Write, "add_item", add_item)
}

/// Whose cart a guest-route call works on. A Basic key or a logged-in session names a client
/// (the pipeline authenticated it); otherwise the cookie's token names a guest cart (a new
/// token is issued when there is none).
pub(crate) async fn owner(ctx: &GuestCtx, writes: bool) -> ApiResult<(CartOwner, Option<i64>)> {
    if let Some(identity) = &ctx.identity {
        if let Credential::Session { csrf, .. } = &identity.credential
            && writes
            && !auth::csrf_ok(csrf, ctx.meta.header(auth::CSRF_HEADER), ctx.meta.csrf_param.as_deref())
        {
            return Err(ApiError::csrf());
        }
        return Ok((CartOwner::Client(identity.client_id), Some(identity.client_id)));
    }
    let authorization = ctx.meta.header("authorization");
    if authorization.is_some() {
        // A key the pipeline could not authenticate: its refusal, as a client call answers it.
        let identity = auth::authenticate_with(&ctx.app, authorization, None, ctx.epoch()).await?;
        return Ok((CartOwner::Client(identity.client_id), Some(identity.client_id)));
    }
    if let Some(token) = ctx.meta.session_token.clone().filter(|t| !t.is_empty()) {
        // A session that did not authenticate (ended, expired) keeps naming its guest cart.
        return Ok((CartOwner::guest(&token), None));
    }
    let token = auth::guest_token()?;
    let config = &ctx.app.config;
    ctx.add_header(
        "Set-Cookie",
        auth::session_cookie(config, &token, bb_core::domain::cart::GUEST_CART_TTL),
    );
    Ok((CartOwner::guest(&token), None))
}

/// The cart and the condition its next write must meet (unchanged since read).
pub(crate) async fn load(ctx: &Ctx, owner: &CartOwner) -> ApiResult<(Cart, Cond)> {
    match ctx.store().get(&owner.key()).await? {
        Some(item) => {
            let cart = Cart::from_item(&item)?;
            let cond = Cond::version(cart.version);
            Ok((cart, cond))
        }
        None => Ok((
            Cart::new().map_err(|e| ApiError::internal(e.to_string()))?,
            Cond::absent(),
        )),
    }
}

pub(crate) async fn save(ctx: &Ctx, owner: &CartOwner, mut cart: Cart, cond: Cond) -> ApiResult<()> {
    cart.version += 1;
    cart.checked_out = None;
    cart.updated_at = Some(ctx.now_text());
    match ctx.store().put(cart.to_item(owner, ctx.epoch())?, Some(cond)).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(ApiError::new(
            "The cart was changed by another request. Please try again.",
        )),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn cart_currency<'a>(catalog: &'a Catalog, cart: &Cart) -> ApiResult<&'a Currency> {
    cart.currency
        .as_deref()
        .and_then(|code| catalog.currency(code))
        .or_else(|| catalog.default_currency())
        .ok_or_else(|| ApiError::new("Currency not found"))
}

/// `[cart]`: amounts in the default currency, as BoxBilling shows them before checkout.
async fn get(ctx: GuestCtx, _: NoParams) -> ApiResult<pricing::CartView> {
    let (owner, _) = owner(&ctx, false).await?;
    let (cart, _) = load(&ctx, &owner).await?;
    let catalog = ctx.app.catalog().await?;
    let promo = cart.promo_code.as_deref().and_then(|c| catalog.promo(c));
    let priced = price_cart(&catalog, &cart, promo)?;
    Ok(pricing::CartView {
        promocode: cart.promo_code.clone(),
        discount: Money(priced.iter().map(|p| p.discount()).sum()),
        subtotal: Money(priced.iter().map(|p| p.total + p.setup).sum()),
        total: Money(priced.iter().map(|p| p.total + p.setup - p.discount()).sum()),
        items: priced.iter().map(pricing::Priced::view).collect(),
        currency: cart_currency(&catalog, &cart)?.view(),
    })
}

async fn reset(ctx: GuestCtx, _: NoParams) -> ApiResult<bool> {
    let (owner, _) = owner(&ctx, true).await?;
    let (mut cart, cond) = load(&ctx, &owner).await?;
    cart.items.clear();
    cart.promo_code = None;
    save(&ctx, &owner, cart, cond).await?;
    Ok(true)
}

#[derive(Params)]
struct SetCurrencyParams {
    /// Currency code, e.g. `EUR`.
    #[param(required = "Currency code not passed")]
    currency: String,
}

async fn set_currency(ctx: GuestCtx, p: SetCurrencyParams) -> ApiResult<bool> {
    let catalog = ctx.app.catalog().await?;
    let currency = catalog
        .currency(p.currency.trim())
        .ok_or_else(|| ApiError::new("Currency not found"))?;
    let (owner, _) = owner(&ctx, true).await?;
    let (mut cart, cond) = load(&ctx, &owner).await?;
    cart.currency = Some(currency.code.clone());
    save(&ctx, &owner, cart, cond).await?;
    Ok(true)
}

async fn get_currency(ctx: GuestCtx, _: NoParams) -> ApiResult<bb_core::domain::catalog::CurrencyView> {
    let (owner, _) = owner(&ctx, false).await?;
    let (cart, _) = load(&ctx, &owner).await?;
    let catalog = ctx.app.catalog().await?;
    Ok(cart_currency(&catalog, &cart)?.view())
}

#[derive(Params)]
struct ApplyPromoParams {
    #[param(required = "Promo code not passed")]
    promocode: String,
}

fn expired() -> ApiError {
    ApiError::new("Promo code is expired or does not exist")
}

async fn apply_promo(ctx: GuestCtx, p: ApplyPromoParams) -> ApiResult<bool> {
    let catalog = ctx.app.catalog().await?;
    let promo = catalog.promo(&p.promocode).filter(|p| p.active).ok_or_else(expired)?;
    let (owner, client_id) = owner(&ctx, true).await?;
    let group = match client_id {
        Some(id) => bb_core::domain::client::load(ctx.store(), id).await?.group_id,
        None => None,
    };
    if !promo.client_groups.is_empty() && !group.is_some_and(|g| promo.client_groups.contains(&g)) {
        return Err(ApiError::new("Promo can not be applied to your account"));
    }
    if !promo_usable_by(promo, &ctx.now_text()) {
        return Err(expired());
    }
    let (mut cart, cond) = load(&ctx, &owner).await?;
    if cart
        .promo_code
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(&promo.code))
    {
        return Ok(true);
    }
    if cart.items.is_empty() {
        return Err(ApiError::new("Add products to cart before applying promo code"));
    }
    cart.promo_code = Some(promo.code.clone());
    save(&ctx, &owner, cart, cond).await?;
    Ok(true)
}

async fn remove_promo(ctx: GuestCtx, _: NoParams) -> ApiResult<bool> {
    let (owner, _) = owner(&ctx, true).await?;
    let (mut cart, cond) = load(&ctx, &owner).await?;
    cart.promo_code = None;
    save(&ctx, &owner, cart, cond).await?;
    Ok(true)
}

#[derive(Params)]
struct RemoveItemParams {
    /// Cart item id (from `get`).
    #[param(required = "Cart item id not passed")]
    id: i64,
}

/// Removes an item and the addons added with it.
async fn remove_item(ctx: GuestCtx, p: RemoveItemParams) -> ApiResult<bool> {
    let (owner, _) = owner(&ctx, true).await?;
    let (mut cart, cond) = load(&ctx, &owner).await?;
    let removed = cart
        .items
        .iter()
        .find(|i| i.id == p.id)
        .cloned()
        .ok_or_else(|| ApiError::new("Product not found"))?;
    cart.items
        .retain(|i| i.id != removed.id && i.config.get("parent_item").and_then(Value::as_i64) != Some(removed.id));
    save(&ctx, &owner, cart, cond).await?;
    Ok(true)
}

#[derive(Params)]
struct AddItemParams {
    /// Product id.
    #[param(required = "Product id not passed")]
    id: i64,
    /// Keep what is in the cart (by default the cart holds one product at a time).
    multiple: Option<bool>,
    /// Billing period for recurrent products (`1M`, `1Y`, ...).
    period: Option<String>,
    /// How many; 1 by default.
    quantity: Option<i64>,
    /// Addons: `addons[<addon id>][selected]=1`, with `period` and `quantity`.
    addons: Option<ParamMap>,
}

/// Most settings an item may carry (custom form fields and the like).
const MAX_ITEM_CONFIG: usize = 16 * 1024;

async fn add_item(ctx: GuestCtx, p: AddItemParams) -> ApiResult<bool> {
    let catalog = ctx.app.catalog().await?;
    let product = catalog
        .product(p.id)
        .ok_or_else(|| ApiError::new("Product not found"))?;
    if product.is_addon || product.status != ProductStatus::Enabled {
        return Err(ApiError::new("Product not found"));
    }
    let period = p.period.filter(|s| !s.is_empty());
    product.price_for(period.as_deref())?;
    let quantity = p.quantity.unwrap_or(1);
    if !(1..=1000).contains(&quantity) {
        return Err(ApiError::new("Quantity must be between 1 and 1000"));
    }
    if quantity != 1 && !product.allow_quantity_select {
        return Err(ApiError::new("This product can only be ordered one at a time"));
    }
    if product.stock_control && product.quantity_in_stock < quantity {
        return Err(ApiError::new("I'm afraid we are out of stock."));
    }
    let period_kept = period.as_deref().filter(|_| product.is_recurrent());
    let config = CartItem::settings(&ctx.params, quantity, period_kept);
    if Value::Object(config.clone()).to_string().len() > MAX_ITEM_CONFIG {
        return Err(ApiError::new("Product settings are too large"));
    }
    let mut addons = Vec::new();
    for (addon_id, spec) in p.addons.unwrap_or_default() {
        let selected = spec.get("selected").is_some_and(bb_core::params::is_truthy);
        if !selected {
            continue;
        }
        let addon = addon_id
            .parse::<i64>()
            .ok()
            .and_then(|id| catalog.product(id))
            .filter(|a| a.is_addon && product.addons.contains(&a.id))
            .ok_or_else(|| ApiError::new(format!("Addon {addon_id} is not offered with this product")))?;
        let addon_period = spec
            .get("period")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from);
        if addon.is_recurrent() {
            let code = addon_period
                .as_deref()
                .ok_or_else(|| ApiError::new("Addon period parameter not passed"))?;
            addon
                .price_for(Some(code))
                .map_err(|_| ApiError::new("Selected billing period is not valid for addon"))?;
        }
        let recurring = addon.is_recurrent();
        addons.push((
            addon.id,
            CartItem::addon_settings(addon_period.filter(|_| recurring), product.id),
        ));
    }

    let (owner, _) = owner(&ctx, true).await?;
    let (mut cart, cond) = load(&ctx, &owner).await?;
    if !p.multiple.unwrap_or(false) {
        cart.items.clear();
        cart.promo_code = None;
    }
    let main_id = cart.next_item.max(1);
    cart.items.push(CartItem {
        id: main_id,
        product_id: product.id,
        config,
    });
    let mut next = main_id + 1;
    for (addon_id, addon_config) in addons {
        cart.items.push(CartItem::addon(next, addon_id, addon_config, main_id));
        next += 1;
    }
    cart.next_item = next;
    if cart.items.len() > 50 {
        return Err(ApiError::new("The cart can hold at most 50 items"));
    }
    save(&ctx, &owner, cart, cond).await?;
    Ok(true)
}
