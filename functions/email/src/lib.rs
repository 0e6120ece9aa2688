//! `/api/client/email/*`: the e-mails the system sent the caller (their e-mail log).

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::activity;
use bb_core::keys;
use bb_core::notifier::{self, EmailLog, EmailView, email_listing};
use bb_core::prelude::*;
use bb_core::store::listing::{self, Listed, Listing, list_changes};
use bb_core::store::{from_item, query_all};

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

/// The caller's e-mails, newest first, each shortened to the list's bound. A page reads that
/// page of the log's list; `search` reads the whole log (the full mails, so a match past a
/// shortened body is found), filters, then pages.
async fn get_list(ctx: ClientCtx, p: ListParams) -> ApiResult<Page<EmailView>> {
    let paging = ctx.paging()?;
    let search = p
        .search
        .as_deref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let Some(q) = search else {
        let (offset, limit) = paging.window();
        let page = listing::read_page(ctx.store(), &email_listing(ctx.client_id), offset, limit, false).await?;
        let list = page
            .entries
            .iter()
            .map(from_item)
            .collect::<Result<Vec<EmailView>, _>>()?;
        return Ok(paging.page(page.total, list));
    };
    let items = query_all(
        ctx.store(),
        Query::partition(keys::client_partition(ctx.client_id)).sk(Listing::records_of(keys::EMAIL_LOG_PREFIX)),
    )
    .await?;
    let mut list: Vec<EmailLog> = items.iter().map(from_item).collect::<Result<_, _>>()?;
    list.retain(|m| {
        m.seq.is_some()
            && [&m.sender, &m.recipients, &m.subject, &m.content_text, &m.content_html]
                .iter()
                .any(|f| f.to_lowercase().contains(&q))
    });
    list.sort_by_key(|m| std::cmp::Reverse(m.seq));
    Ok(paging.paginate(list, Listed::entry))
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
    let mut ids = ctx.ids(&[(IdKind::Email, 1)]).await?;
    let (id, seq) = ids.next_listed(IdKind::Email)?;
    let mut copy = original.resent(id, &ctx.now_text());
    copy.seq = Some(seq);
    let mut ops = vec![TxOp::put_new(copy.to_item()?)];
    ops.extend(list_changes(None, Some(&copy))?);
    ops.push(activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Resent email #{}", p.id),
    ));
    ctx.store().transact(ops).await?;
    notifier::dispatch_one(&ctx.app, &copy);
    Ok(true)
}

/// Deletes the mail and its place in the log's list together; the mail must be as read (a
/// concurrent delete makes this one "not found").
async fn delete(ctx: ClientCtx, p: IdParams) -> ApiResult<bool> {
    let mail = load(&ctx, p.id).await?;
    let mut ops = vec![TxOp::Delete {
        key: mail.key(),
        cond: Some(Cond::exists()),
    }];
    ops.extend(list_changes(Some(&mail), None)?);
    match ctx.store().transact(ops).await {
        Ok(()) => Ok(true),
        Err(e) if e.is_condition_failure() => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}
