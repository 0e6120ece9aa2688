//! `/api/client/support/*`: the caller's tickets.
//!
//! The ticket records and their rules are `bb_domain::support`.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::clock::{date_filter, day_of, parse_datetime, within};
use bb_core::domain::activity;
use bb_core::domain::client as clients;
use bb_core::domain::order;
use bb_core::domain::support::{
    Message, RequestStatus, Ticket, TicketEntry, TicketRequest, TicketStatus, TicketView, header_key, last_ticket_at,
    message_limit, ticket_listing, ticket_opened,
};
use bb_core::error::changed_meanwhile;
use bb_core::keys::{self, TICKET_PREFIX};
use bb_core::notifier::{Notice, TemplateCode};
use bb_core::prelude::*;
use bb_core::store::Ids;
use bb_core::store::from_item;
use bb_core::store::listing::list_changes;

pub fn module() -> Module {
    Module::new("support")
        .method(Access::Read, "ticket_get_list", ticket_get_list)
        .method(Access::Read, "ticket_get", ticket_get)
        .method(Access::Read, "helpdesk_get_pairs", helpdesk_get_pairs)
        .method(Access::Write, "ticket_create", ticket_create)
        .method(Access::Write, "ticket_reply", ticket_reply)
        .method(Access::Write, "ticket_close", ticket_close)
}

fn not_found() -> ApiError {
    ApiError::new("Ticket not found")
}

#[derive(Params)]
struct ListParams {
    /// `open`, `on_hold`, `closed`.
    status: Option<String>,
    id: Option<i64>,
    priority: Option<i64>,
    support_helpdesk_id: Option<i64>,
    /// Tickets about this order.
    order_id: Option<i64>,
    /// Part of the subject.
    subject: Option<String>,
    /// Part of any message.
    content: Option<String>,
    /// A ticket id, or part of the subject or of any message.
    search: Option<String>,
    created_at: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
    #[param(rename = "client_id")]
    _client_id: Ignored,
    #[param(rename = "client")]
    _client: Ignored,
}

/// The caller's tickets, priority first, then newest, each shortened to the list item's
/// budget (its first and latest messages). All of them or one status: a page reads that
/// page of the list. Any other filter reads the whole collection (message text is searched
/// in full), filters, then pages.
async fn ticket_get_list(ctx: ClientCtx, p: ListParams) -> ApiResult<Page<TicketView>> {
    let paging = ctx.paging()?;
    let created = date_filter("created_at", &p.created_at)?;
    let from = date_filter("date_from", &p.date_from)?;
    let to = date_filter("date_to", &p.date_to)?;
    let catalog = ctx.app.catalog().await?;
    let lower = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase)
    };
    let (subject, content, search) = (lower(&p.subject), lower(&p.content), lower(&p.search));
    let status = p.status.as_deref().filter(|s| !s.is_empty());
    let by_list = [p.id, p.priority, p.support_helpdesk_id, p.order_id]
        .iter()
        .all(Option::is_none)
        && [&subject, &content, &search].iter().all(|v| v.is_none())
        && created.is_none()
        && from.is_none()
        && to.is_none();
    if by_list {
        let status = match status {
            None => None,
            Some(s) => match TicketStatus::parse(s) {
                Some(s) => Some(s),
                None => return Ok(paging.page(0, Vec::new())),
            },
        };
        let (offset, limit) = paging.window();
        let (page, client) =
            clients::list_page_with_view(ctx.store(), &ticket_listing(ctx.client_id, status), offset, limit).await?;
        let list = page
            .entries
            .iter()
            .map(|item| from_item::<TicketEntry>(item).map(|t| t.view(&catalog, &client)))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(paging.page(page.total, list));
    }
    let (mut tickets, client): (Vec<Ticket>, Value) =
        clients::family_with_view(ctx.store(), ctx.client_id, TICKET_PREFIX).await?;
    let in_messages = |t: &Ticket, q: &str| t.messages.iter().any(|m| m.content.to_lowercase().contains(q));
    tickets.retain(|t| {
        status.is_none_or(|s| t.status.as_str() == s)
            && p.id.is_none_or(|id| t.id == id)
            && p.priority.is_none_or(|x| t.priority == x)
            && p.support_helpdesk_id.is_none_or(|x| t.support_helpdesk_id == x)
            && p.order_id
                .is_none_or(|o| t.rel_type.as_deref() == Some("order") && t.rel_id == Some(o))
            && subject.as_deref().is_none_or(|q| t.subject.to_lowercase().contains(q))
            && content.as_deref().is_none_or(|q| in_messages(t, q))
            && search
                .as_deref()
                .is_none_or(|q| t.id.to_string() == q || t.subject.to_lowercase().contains(q) || in_messages(t, q))
            && created.is_none_or(|d| day_of(&t.created_at) == Some(d))
            && within(&t.created_at, from, to)
    });
    tickets.sort_by_key(|t| (t.priority, std::cmp::Reverse(t.seq), std::cmp::Reverse(t.id)));
    Ok(paging.paginate(tickets, |t| t.list_entry().view(&catalog, &client)))
}

#[derive(Params)]
struct GetParams {
    #[param(required = "Ticket id required")]
    id: i64,
}

/// One of the caller's tickets and the `[client]` view.
async fn load(ctx: &ClientCtx, id: i64) -> ApiResult<(Ticket, Value)> {
    let key = keys::ticket(ctx.client_id, id);
    let (ticket, client) = clients::one_with_view(ctx.store(), ctx.client_id, &key, TICKET_PREFIX).await?;
    Ok((ticket.ok_or_else(not_found)?, client))
}

async fn ticket_get(ctx: ClientCtx, p: GetParams) -> ApiResult<TicketView> {
    let (ticket, client) = load(&ctx, p.id).await?;
    let catalog = ctx.app.catalog().await?;
    Ok(ticket.view(&catalog, &client))
}

/// `{id: name}` of the helpdesks.
async fn helpdesk_get_pairs(ctx: ClientCtx, _: NoParams) -> ApiResult<PhpMap<String>> {
    let catalog = ctx.app.catalog().await?;
    Ok(PhpMap(
        catalog
            .helpdesks
            .iter()
            .map(|h| (h.id.to_string(), h.name.clone()))
            .collect(),
    ))
}

#[derive(Params)]
struct CreateParams {
    /// The first message.
    #[param(required = "Ticket content required")]
    content: String,
    #[param(required = "Ticket subject required")]
    subject: String,
    #[param(required = "Ticket support_helpdesk_id required")]
    support_helpdesk_id: i64,
    /// `order` to ask about one of the caller's orders.
    rel_type: Option<String>,
    rel_id: Option<i64>,
    /// What is asked for the related order (`cancel`, `upgrade`, ...); makes the ticket a pending request.
    rel_task: Option<String>,
    rel_new_value: Option<String>,
}

fn client_name(client: &Value) -> String {
    let part = |k: &str| client.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    format!("{} {}", part("first_name"), part("last_name"))
        .trim()
        .to_string()
}

/// Opens a ticket; the client and the helpdesk (or staff) are told, and the auto-responder
/// answers when it is switched on.
async fn ticket_create(ctx: ClientCtx, p: CreateParams) -> ApiResult<i64> {
    let settings = ctx.app.settings().await?;
    let limit = message_limit(&settings);
    bb_core::validate::max_len("Ticket subject", &p.subject, 255)?;
    bb_core::validate::max_len("Ticket content", &p.content, limit)?;
    let catalog = ctx.app.catalog().await?;
    let helpdesk = catalog
        .helpdesk(p.support_helpdesk_id)
        .ok_or_else(|| ApiError::new("Helpdesk invalid"))?;
    let rel_type = p.rel_type.filter(|s| !s.is_empty());
    let rel_task = p.rel_task.filter(|s| !s.is_empty());
    let about_order = rel_type.as_deref() == Some("order") && p.rel_id.is_some();
    let mut wanted = vec![header_key(ctx.client_id)];
    if let (true, Some(order_id)) = (about_order, p.rel_id) {
        wanted.push(order::order_key(ctx.client_id, order_id));
    }
    let found = ctx.store().get_many(&wanted).await?;
    if let (true, Some(order_id)) = (about_order, p.rel_id)
        && !found.contains(&order::order_key(ctx.client_id, order_id))
    {
        return Err(ApiError::new("Order ID does not exist"));
    }
    let header = found.get(&header_key(ctx.client_id));
    let client = header
        .and_then(|h| h.get("client"))
        .map(Attr::to_json)
        .unwrap_or(Value::Null);
    let config = settings.module("support");
    if let Some(hours) = config
        .get("wait_hours")
        .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()))
        && hours > 0.0
        && let Some(last) = header.and_then(last_ticket_at).and_then(parse_datetime)
    {
        let elapsed = (ctx.now() - last).as_seconds_f64() / 3600.0;
        if elapsed < hours {
            return Err(ApiError::new(format!(
                "You can submit one ticket per {} hours. {} hours left",
                hours.round(),
                (hours - elapsed).round()
            )));
        }
    }
    let autorespond = config
        .is_on("autorespond_enable")
        .then(|| config.get("autorespond_message_id").and_then(Value::as_i64))
        .flatten()
        .and_then(|id| catalog.canned.iter().find(|c| c.id == id));
    let mut ids = ctx
        .ids(&[(IdKind::Ticket, 1), (IdKind::TicketMessage, 2), (IdKind::Email, 3)])
        .await?;
    let now = ctx.now_text();
    let (id, seq) = ids.next_listed(IdKind::Ticket)?;
    let name = client_name(&client);
    let email = client.get("email").and_then(Value::as_str).map(String::from);
    let mut ticket = Ticket {
        id,
        support_helpdesk_id: helpdesk.id,
        client_id: ctx.client_id,
        priority: 100,
        subject: p.subject,
        status: TicketStatus::Open,
        rel_type: rel_type.clone(),
        rel_id: p.rel_id,
        rel_task: rel_task.clone(),
        rel_new_value: p.rel_new_value,
        rel_status: if rel_task.is_some() {
            RequestStatus::Pending
        } else {
            RequestStatus::Complete
        },
        created_at: now.clone(),
        updated_at: now.clone(),
        messages: vec![Message {
            id: ids.next(IdKind::TicketMessage)?,
            support_ticket_id: id,
            client_id: Some(ctx.client_id),
            admin_id: None,
            content: p.content,
            attachment: None,
            ip: Some(ctx.meta.ip.clone()),
            author_name: name.clone(),
            author_email: email.clone(),
            created_at: now.clone(),
            updated_at: now.clone(),
        }],
        version: 0,
        seq,
    };
    let vars = |t: &Ticket| json!({"c": client, "ticket": t.view(&catalog, &Value::Null)});
    let mut notices = Vec::new();
    if let Some(address) = &email {
        notices.push(Notice::to_client(
            TemplateCode::SupportTicketOpen,
            ctx.client_id,
            address,
            &name,
            vars(&ticket),
        ));
    }
    notices.push(match &helpdesk.email {
        Some(desk) if !desk.is_empty() => {
            Notice::to_address(TemplateCode::SupportHelpdeskTicketOpen, desk, vars(&ticket))
        }
        _ => Notice::to_staff(TemplateCode::StaffTicketOpen, vars(&ticket)),
    });
    if let Some(canned) = autorespond {
        ticket.messages.push(Message {
            id: ids.next(IdKind::TicketMessage)?,
            support_ticket_id: id,
            client_id: None,
            admin_id: Some(0),
            content: canned.content.clone(),
            attachment: None,
            ip: None,
            author_name: settings.text("company_name").unwrap_or_else(|| "Support".into()),
            author_email: settings.text("company_email"),
            created_at: now.clone(),
            updated_at: now.clone(),
        });
        ticket.status = TicketStatus::OnHold;
        if let Some(address) = &email {
            notices.push(Notice::to_client(
                TemplateCode::SupportTicketStaffReply,
                ctx.client_id,
                address,
                &name,
                vars(&ticket),
            ));
        }
    }
    let mut tx = Tx::new();
    tx.push(TxOp::put_new(ticket.sized_item()?));
    tx.extend(list_changes(None, Some(&ticket))?);
    let mut request_guard = None;
    if let (Some(rt), Some(rid), Some(task)) = (&rel_type, p.rel_id, &rel_task) {
        let claim = TicketRequest {
            client_id: ctx.client_id,
            rel_type: rt.clone(),
            rel_id: rid,
            rel_task: task.clone(),
            ticket_id: id,
        };
        request_guard = Some(tx.add(claim.put_new()?));
    }
    tx.push(TxOp::Update(ticket_opened(ctx.client_id, &now)));
    tx.extend(ticket.order_counter(1));
    tx.push(activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Submitted new ticket \"{id}\""),
    ));
    let commit = Commit::new(&ctx.app, tx.into_ops(), &notices, &mut ids).await?;
    match commit.run(&ctx.app).await {
        Ok(()) => Ok(id),
        Err(e) if request_guard.is_some_and(|guard| e.failed(guard)) => {
            Err(ApiError::new("We have already received this request."))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Params)]
struct ReplyParams {
    #[param(required = "Ticket ID required")]
    id: i64,
    #[param(required = "Ticket content required")]
    content: String,
}

/// Adds the caller's message; a closed ticket reopens where its helpdesk allows it.
async fn ticket_reply(ctx: ClientCtx, p: ReplyParams) -> ApiResult<bool> {
    let settings = ctx.app.settings().await?;
    bb_core::validate::max_len("Ticket content", &p.content, message_limit(&settings))?;
    let (mut ticket, client) = load(&ctx, p.id).await?;
    let catalog = ctx.app.catalog().await?;
    let can_reopen = catalog
        .helpdesk(ticket.support_helpdesk_id)
        .is_some_and(|h| h.can_reopen);
    if ticket.status == TicketStatus::Closed && !can_reopen {
        return Err(ApiError::new("Ticket can not be reopened."));
    }
    // The same reply sent again (its first answer was lost) is already the last message.
    if ticket.messages.last().is_some_and(|m| {
        m.client_id == Some(ctx.client_id)
            && m.content == p.content
            && bb_core::idempotency::is_repeat_window(&m.created_at, ctx.now())
    }) {
        return Ok(true);
    }
    let before = ticket.clone();
    let was_active = ticket.is_active();
    let version = ticket.version;
    let mut ids = Ids::allocate(ctx.store(), &[(IdKind::TicketMessage, 1), (IdKind::Email, 1)]).await?;
    let now = ctx.now_text();
    ticket.messages.push(Message {
        id: ids.next(IdKind::TicketMessage)?,
        support_ticket_id: ticket.id,
        client_id: Some(ctx.client_id),
        admin_id: None,
        content: p.content,
        attachment: None,
        ip: Some(ctx.meta.ip.clone()),
        author_name: client_name(&client),
        author_email: client.get("email").and_then(Value::as_str).map(String::from),
        created_at: now.clone(),
        updated_at: now.clone(),
    });
    ticket.status = TicketStatus::Open;
    ticket.updated_at = now;
    ticket.version += 1;
    let notices = [Notice::to_staff(
        TemplateCode::StaffTicketReply,
        json!({"c": client, "ticket": ticket.view(&catalog, &Value::Null)}),
    )];
    let mut ops = vec![ticket.put_if_version(version)?];
    ops.extend(list_changes(Some(&before), Some(&ticket))?);
    if !was_active {
        ops.extend(ticket.order_counter(1));
    }
    ops.push(activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Replied to ticket \"{}\"", ticket.id),
    ));
    let commit = Commit::new(&ctx.app, ops, &notices, &mut ids).await?;
    commit.run(&ctx.app).await.map_err(changed_meanwhile("ticket"))?;
    Ok(true)
}

#[derive(Params)]
struct CloseParams {
    #[param(required = "Ticket ID required")]
    id: i64,
}

/// Closes one of the caller's tickets (closing a closed ticket is fine).
async fn ticket_close(ctx: ClientCtx, p: CloseParams) -> ApiResult<bool> {
    let (mut ticket, client) = load(&ctx, p.id).await?;
    let catalog = ctx.app.catalog().await?;
    let before = ticket.clone();
    let was_active = ticket.is_active();
    let version = ticket.version;
    ticket.status = TicketStatus::Closed;
    ticket.updated_at = ctx.now_text();
    ticket.version += 1;
    // Staff mail: no client's log ranks it.
    let mut ids = Ids::allocate(ctx.store(), &[(IdKind::Email, 1)]).await?;
    let notices = [Notice::to_staff(
        TemplateCode::StaffTicketClose,
        json!({"c": client, "ticket": ticket.view(&catalog, &Value::Null)}),
    )];
    let mut ops = vec![ticket.put_if_version(version)?];
    ops.extend(list_changes(Some(&before), Some(&ticket))?);
    if was_active {
        ops.extend(ticket.order_counter(-1));
    }
    ops.push(activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Closed ticket \"{}\"", ticket.id),
    ));
    let commit = Commit::new(&ctx.app, ops, &notices, &mut ids).await?;
    commit.run(&ctx.app).await.map_err(changed_meanwhile("ticket"))?;
    Ok(true)
}
