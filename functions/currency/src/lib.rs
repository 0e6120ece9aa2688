//! `/api/guest/currency/*`: currencies and BoxBilling's price formatting.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::catalog::Currency;
use bb_core::domain::money;
use bb_core::module::StoreUse;
use bb_core::prelude::*;
use rust_decimal::Decimal;

pub fn module() -> Module {
    Module::new("currency")
        .summary("currencies and price formatting, read from the catalogue")
        .store(StoreUse::ReadOnly)
        .method(Access::Read, "get_pairs", get_pairs)
        .method(Access::Read, "get", get)
        .method(Access::Read, "format", format)
}

/// `{code: title}`.
async fn get_pairs(ctx: GuestCtx, _: NoParams) -> ApiResult<PhpMap<String>> {
    let catalog = ctx.app.catalog().await?;
    Ok(PhpMap(
        catalog
            .currencies
            .iter()
            .map(|c| (c.code.clone(), c.title.clone()))
            .collect(),
    ))
}

#[derive(Params)]
struct GetParams {
    /// Currency code; the default currency when omitted.
    code: Option<String>,
}

async fn get(ctx: GuestCtx, p: GetParams) -> ApiResult<bb_core::domain::catalog::CurrencyView> {
    let catalog = ctx.app.catalog().await?;
    let currency = match p.code.as_deref().filter(|c| !c.is_empty()) {
        Some(code) => catalog.currency(code),
        None => catalog.default_currency(),
    };
    currency
        .map(Currency::view)
        .ok_or_else(|| ApiError::new("Currency not found"))
}

#[derive(Params)]
struct FormatParams {
    /// Amount in the default currency.
    price: Option<Decimal>,
    /// Currency to show it in; the default currency when omitted.
    code: Option<String>,
    /// Convert from the default currency (default true).
    convert: Option<bool>,
    /// The number only, without the currency's symbol.
    without_currency: Option<bool>,
}

/// An amount formatted as the currency prints it (`$1,234.50`).
async fn format(ctx: GuestCtx, p: FormatParams) -> ApiResult<String> {
    let catalog = ctx.app.catalog().await?;
    let currency = match p.code.as_deref().filter(|c| !c.is_empty()) {
        Some(code) => catalog.currency(code),
        None => catalog.default_currency(),
    }
    .ok_or_else(|| ApiError::new("Currency not found"))?;
    let mut amount = p.price.unwrap_or_default();
    if p.convert.unwrap_or(true) {
        amount = money::round(amount * currency.conversion_rate);
    }
    let template = if p.without_currency.unwrap_or(false) {
        "{{price}}"
    } else {
        currency.format.as_str()
    };
    Ok(money::format_price(amount, &currency.price_format, template))
}
