//! `/api/client/email/*`: the e-mails the system sent the caller (their e-mail log).

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::activity;
use bb_core::keys;
use bb_core::notifier::{self, EmailLog, EmailView};
use bb_core::prelude::*;
use bb_core::store::{from_item, next_ids, query_all};

pub fn module() -> Module {
    Module::new("email")
        .method(Access::Read, "get_list", get_list)
        .method(Access::Read, "get", get)
        .method(Access::Write, "resend", resend)
        .method(Access::Write, "delete", delete)
}

fn not_found() -> ApiError {
    ApiError::new("Email not found")
}

#[derive(Params)]
struct ListParams {
    /// Part of the sender, recipients, subject or text.
    search: Option<String>,
    #[param(rename = "client_id")]
    _client_id: Ignored,
}

/// The caller's e-mails, newest first.
async fn get_list(ctx: ClientCtx, p: ListParams) -> ApiResult<Page<EmailView>> {
    let paging = ctx.paging()?;
    let items = query_all(
        ctx.store(),
        Query::partition(keys::client_partition(ctx.client_id)).prefix(keys::EMAIL_LOG_PREFIX),
    )
    .await?;
    let mut list: Vec<EmailLog> = items.iter().map(from_item).collect::<Result<_, _>>()?;
    if let Some(q) = p
        .search
        .as_deref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
    {
        list.retain(|m| {
            [&m.sender, &m.recipients, &m.subject, &m.content_text, &m.content_html]
                .iter()
                .any(|f| f.to_lowercase().contains(&q))
        });
    }
    list.sort_by_key(|m| std::cmp::Reverse(m.id));
    Ok(paging.paginate(list, EmailLog::view))
}

#[derive(Params)]
struct IdParams {
    #[param(required = "Email ID is required")]
    id: i64,
}

async fn load(ctx: &ClientCtx, id: i64) -> ApiResult<EmailLog> {
    let item = ctx
        .store()
        .get(&keys::email_log(ctx.client_id, id))
        .await?
        .ok_or_else(not_found)?;
    Ok(from_item(&item)?)
}

async fn get(ctx: ClientCtx, p: IdParams) -> ApiResult<EmailView> {
    Ok(load(&ctx, p.id).await?.view())
}

/// Sends an e-mail again: a new entry of the log (as BoxBilling), delivered like any other.
async fn resend(ctx: ClientCtx, p: IdParams) -> ApiResult<bool> {
    let original = load(&ctx, p.id).await?;
    let id = next_ids(ctx.store(), &[IdKind::Email]).await?[0];
    let copy = original.resent(id, &ctx.now_text());
    let ops = vec![
        TxOp::put_new(copy.to_item()?),
        activity::log(&ctx.origin(), ctx.client_id, format!("Resent email #{}", p.id)),
    ];
    ctx.store().transact(ops).await?;
    notifier::dispatch_one(&ctx.app, &copy);
    Ok(true)
}

async fn delete(ctx: ClientCtx, p: IdParams) -> ApiResult<bool> {
    match ctx
        .store()
        .delete(&keys::email_log(ctx.client_id, p.id), Some(Cond::exists()))
        .await
    {
        Ok(_) => Ok(true),
        Err(StoreError::ConditionFailed) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}
