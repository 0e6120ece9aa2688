//! `/api/guest/product/*`: the public catalogue a shop page needs.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::catalog::{Catalog, PricingType, Product, ProductStatus};
use bb_core::domain::money;
use bb_core::module::StoreUse;
use bb_core::prelude::*;

pub fn module() -> Module {
    Module::new("product")
        .summary("the public catalogue")
        .store(StoreUse::ReadOnly)
        .method(Access::Read, "get_list", get_list)
        .method(Access::Read, "get", get)
        .method(Access::Read, "get_pairs", get_pairs)
        .method(Access::Read, "category_get_list", category_get_list)
}

fn pricing_view(p: &Product) -> Value {
    let price = |x: &bb_core::domain::catalog::Price| json!({"price": money::text(x.price), "setup": money::text(x.setup), "enabled": x.enabled});
    let recurrent: ParamMap = p
        .pricing
        .recurrent
        .iter()
        .map(|(period, x)| (period.clone(), price(x)))
        .collect();
    let kind = match p.pricing.kind {
        PricingType::Free => "free",
        PricingType::Once => "once",
        PricingType::Recurrent => "recurrent",
    };
    json!({
        "type": kind,
        "free": {"price": "0.00", "setup": "0.00"},
        "once": p.pricing.once.as_ref().map(price),
        "recurrent": recurrent,
    })
}

/// A product as the shop shows it.
pub fn view(catalog: &Catalog, p: &Product) -> Value {
    let addons: Vec<Value> = p
        .addons
        .iter()
        .filter_map(|id| catalog.product(*id))
        .map(|a| json!({"id": a.id, "title": a.title, "pricing": pricing_view(a)}))
        .collect();
    json!({
        "id": p.id,
        "product_category_id": p.category_id,
        "type": p.kind,
        "title": p.title,
        "form_id": p.form_id,
        "slug": p.slug,
        "description": p.description,
        "unit": p.unit,
        "priority": p.priority,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "pricing": pricing_view(p),
        "config": p.config,
        "addons": addons,
        "price_starting_from": money::text(p.price_starting_from()),
        "icon_url": p.icon_url,
        "allow_quantity_select": p.allow_quantity_select,
        "quantity_in_stock": p.quantity_in_stock,
        "stock_control": p.stock_control,
    })
}

#[derive(Params)]
struct ListParams {
    /// Product type (`custom`, `hosting`, ...).
    #[param(rename = "type")]
    kind: Option<String>,
    /// Part of the title.
    search: Option<String>,
    /// Also products hidden from the shop front.
    show_hidden: Option<bool>,
    category_id: Option<i64>,
}

/// Products on sale, by priority.
async fn get_list(ctx: GuestCtx, p: ListParams) -> ApiResult<Page<Value>> {
    let paging = ctx.paging()?;
    let catalog = ctx.app.catalog().await?;
    let search = p
        .search
        .as_deref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let list: Vec<&Product> = catalog
        .products
        .iter()
        .filter(|x| x.status == ProductStatus::Enabled && !x.is_addon && (p.show_hidden.unwrap_or(false) || !x.hidden))
        .filter(|x| p.kind.as_deref().is_none_or(|k| k.is_empty() || x.kind == k))
        .filter(|x| p.category_id.is_none_or(|c| x.category_id == Some(c)))
        .filter(|x| search.as_deref().is_none_or(|q| x.title.to_lowercase().contains(q)))
        .collect();
    Ok(paging.paginate(list, |x| view(&catalog, x)))
}

#[derive(Params)]
struct GetParams {
    id: Option<i64>,
    slug: Option<String>,
}

async fn get(ctx: GuestCtx, p: GetParams) -> ApiResult<Value> {
    if p.id.is_none() && p.slug.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::new("Product ID or slug is missing"));
    }
    let catalog = ctx.app.catalog().await?;
    let found = match p.id {
        Some(id) => catalog.product(id),
        None => catalog
            .products
            .iter()
            .find(|x| Some(x.slug.as_str()) == p.slug.as_deref()),
    };
    let product = found
        .filter(|x| x.status == ProductStatus::Enabled)
        .ok_or_else(|| ApiError::new("Product not found"))?;
    Ok(view(&catalog, product))
}

/// `{id: title}` of products on sale.
async fn get_pairs(ctx: GuestCtx, _: NoParams) -> ApiResult<Value> {
    let catalog = ctx.app.catalog().await?;
    let pairs: ParamMap = catalog
        .products
        .iter()
        .filter(|x| x.is_public())
        .map(|x| (x.id.to_string(), Value::String(x.title.clone())))
        .collect();
    Ok(if pairs.is_empty() {
        json!([])
    } else {
        Value::Object(pairs)
    })
}

/// Categories with their products.
async fn category_get_list(ctx: GuestCtx, _: NoParams) -> ApiResult<Page<Value>> {
    let paging = ctx.paging()?;
    let catalog = ctx.app.catalog().await?;
    Ok(paging.paginate(catalog.categories.iter().collect(), |c| {
        let products: Vec<Value> = catalog
            .products
            .iter()
            .filter(|x| x.is_public() && x.category_id == Some(c.id))
            .map(|x| view(&catalog, x))
            .collect();
        json!({"id": c.id, "title": c.title, "description": c.description, "products": products})
    }))
}
