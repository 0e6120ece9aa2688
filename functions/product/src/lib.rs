//! `/api/guest/product/*`: the public catalogue a shop page needs.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::catalog::{CategoryView, Product, ProductStatus, ProductView};
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
async fn get_list(ctx: GuestCtx, p: ListParams) -> ApiResult<Page<ProductView>> {
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
    Ok(paging.paginate(list, |x| x.view(&catalog)))
}

#[derive(Params)]
struct GetParams {
    id: Option<i64>,
    slug: Option<String>,
}

async fn get(ctx: GuestCtx, p: GetParams) -> ApiResult<ProductView> {
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
    Ok(product.view(&catalog))
}

/// `{id: title}` of products on sale.
async fn get_pairs(ctx: GuestCtx, _: NoParams) -> ApiResult<PhpMap<String>> {
    let catalog = ctx.app.catalog().await?;
    Ok(PhpMap(
        catalog
            .products
            .iter()
            .filter(|x| x.is_public())
            .map(|x| (x.id.to_string(), x.title.clone()))
            .collect(),
    ))
}

/// Categories with their products.
async fn category_get_list(ctx: GuestCtx, _: NoParams) -> ApiResult<Page<CategoryView>> {
    let paging = ctx.paging()?;
    let catalog = ctx.app.catalog().await?;
    Ok(paging.paginate(catalog.categories.iter().collect(), |c| CategoryView {
        id: c.id,
        title: c.title.clone(),
        description: c.description.clone(),
        products: catalog
            .products
            .iter()
            .filter(|x| x.is_public() && x.category_id == Some(c.id))
            .map(|x| x.view(&catalog))
            .collect(),
    }))
}
