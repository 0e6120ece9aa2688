//! `/api/client/client/*` and the guest account methods `/api/guest/client/*`
//! (sign-up and login, which start a client's life with the API).

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::auth::{self, NewSession};
use bb_core::crypto;
use bb_core::domain::activity;
use bb_core::domain::cart::{Cart, CartOwner};
use bb_core::domain::client::{self as clients, ClientRecord, ClientStatus, SessionRef};
use bb_core::error::changed_meanwhile;
use bb_core::forms::ProfileFields;
use bb_core::keys;
use bb_core::module::PASSWORD_HASHING_MEMORY_MB;
use bb_core::notifier::{Notice, TemplateCode};
use bb_core::prelude::*;
use bb_core::store::Ids;
use bb_core::validate::{self, GivenEmail};

pub fn module() -> Module {
    Module::new("client")
        .summary("balance; sign-up and login: Argon2id hashing")
        .memory(PASSWORD_HASHING_MEMORY_MB)
        .method(Access::Read, "balance_get_list", balance_get_list)
        .method(Access::Sensitive, "create", create)
        .method(Access::Sensitive, "login", login)
}

#[derive(Params)]
struct CreateParams {
    #[param(required = "Email required")]
    email: GivenEmail,
    #[param(required = "First name required")]
    first_name: String,
    /// At least 7 characters with a digit and a lower-case letter.
    #[param(required = "Password required")]
    password: String,
    #[param(required = "Password confirmation required")]
    password_confirm: String,
    /// Log in at once (sets the session cookie, as `login` does).
    auto_login: Option<bool>,
    /// Three-letter currency code for future orders.
    currency: Option<String>,
    #[param(flatten)]
    fields: ProfileFields,
}

/// Upper-cases the first letter of a word.
fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().collect::<String>() + chars.as_str())
}

/// `phone_cc` → `Phone Cc`, as BoxBilling names a missing required field.
fn field_title(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(capitalise)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Upper-cases the first letter of every word (BoxBilling's `ucwords` on first names).
fn capitalise_words(text: &str) -> String {
    text.split(' ').map(capitalise).collect::<Vec<_>>().join(" ")
}

/// The configured extra required fields (`mod_client.required`, `custom_fields`).
fn check_required_fields(config: &bb_core::app::ModuleConfig, client: &ClientRecord) -> ApiResult<()> {
    let view = json!(client.view(false));
    let value_of = |name: &str| -> Option<String> {
        match view.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            _ => client.custom.get(name).filter(|v| !v.trim().is_empty()).cloned(),
        }
    };
    if let Some(Value::Array(required)) = config.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if value_of(name).is_none() {
                return Err(ApiError::new(format!(
                    "It is required that you provide details for field \"{}\"",
                    field_title(name)
                )));
            }
        }
    }
    if let Some(Value::Object(custom)) = config.get("custom_fields") {
        for (name, spec) in custom {
            let on = |k: &str| spec.get(k).is_some_and(bb_core::params::is_truthy);
            if on("active") && on("required") && value_of(name).is_none() {
                let title = spec
                    .get("title")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                    .map_or_else(|| field_title(name), String::from);
                return Err(ApiError::new(format!(
                    "It is required that you provide details for field \"{title}\""
                )));
            }
        }
    }
    Ok(())
}

/// Sign-up: an active client, the welcome e-mail and the staff notice. Returns the new id.
async fn create(ctx: GuestCtx, p: CreateParams) -> ApiResult<i64> {
    let settings = ctx.app.settings().await?;
    let config = settings.module("client");
    if config.is_switched_off("allow_signup") {
        return Err(ApiError::new("New registrations are temporary disabled"));
    }
    if p.password != p.password_confirm {
        return Err(ApiError::new("Passwords do not match."));
    }
    validate::max_len("First name", &p.first_name, 255)?;
    let mut client = ClientRecord {
        email: p.email.as_str().to_string(),
        status: ClientStatus::Active,
        first_name: Some(capitalise_words(p.first_name.trim())),
        ip: Some(ctx.meta.ip.clone()),
        created_at: ctx.now_text(),
        updated_at: ctx.now_text(),
        ..ClientRecord::default()
    };
    if let Some(code) = p.currency.filter(|c| !c.trim().is_empty()) {
        let code = code.trim().to_uppercase();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ApiError::new("Currency not found"));
        }
        client.currency = Some(code);
    }
    p.fields.apply(&mut client)?;
    check_required_fields(&config, &client)?;
    validate::password_strength(&p.password)?;
    let email = p.email.parse()?.into_string();
    client.password_hash = crypto::hash_password(&p.password).map_err(|e| ApiError::internal(e.to_string()))?;

    // The new client's sequence numbers come with its mail (it has no counter yet).
    let mut ids = Ids::allocate(ctx.store(), &[(IdKind::Client, 1), (IdKind::Email, 2)]).await?;
    client.id = ids.next(IdKind::Client)?;
    let mut tx = Tx::new();
    let email_claim = tx.add(clients::email_claim(&email, client.id));
    let session = if p.auto_login.unwrap_or(false) {
        let (session, session_ops) = start_session(&ctx, &mut client)?;
        tx.extend(session_ops);
        Some(session)
    } else {
        None
    };
    tx.push(TxOp::put_new(client.to_item()?));
    tx.extend(clients::header_ops(&client)?);
    tx.push(activity::log(
        &ctx.origin(),
        client.id,
        format!("Client #{} signed up", client.id),
    ));
    let vars = json!({"c": client.view(false)});
    let notices = [
        Notice::to_client(
            TemplateCode::ClientSignup,
            client.id,
            &client.email,
            &client.full_name(),
            vars.clone(),
        ),
        Notice::to_staff(TemplateCode::StaffClientSignup, vars),
    ];
    let commit = Commit::new(&ctx.app, tx.into_ops(), &notices, &mut ids).await?;
    match commit.run(&ctx.app).await {
        Ok(()) => {}
        Err(e) if e.failed(email_claim) => {
            return match signed_up_moments_ago(&ctx, &email, &p.password).await? {
                Some(id) => Ok(id),
                None => Err(ApiError::new(
                    "Email is already registered. You may want to login instead of registering.",
                )),
            };
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(session) = session {
        announce_session(&ctx, &session);
    }
    Ok(client.id)
}

/// A sign-up sent again after its answer was lost: the account this e-mail already has, when
/// it was created within the idempotency window and the same password opens it (its natural
/// key). Anyone else gets "already registered", as before; knowing the password, they could
/// log in anyway, so the id tells them nothing new. A retried `auto_login` gets no cookie:
/// the client logs in.
async fn signed_up_moments_ago(ctx: &Ctx, email: &str, password: &str) -> ApiResult<Option<i64>> {
    let Some(id) = ctx
        .store()
        .get(&keys::client_email(email))
        .await?
        .and_then(|i| i.get("client_id").and_then(Attr::as_i64))
    else {
        return Ok(None);
    };
    let client = clients::load(ctx.store(), id).await?;
    let recent = bb_core::clock::parse_datetime(&client.created_at)
        .is_some_and(|at| (ctx.now() - at).whole_seconds() < bb_core::idempotency::WINDOW_SECONDS);
    Ok((recent && crypto::verify_password(password, &client.password_hash)).then_some(id))
}

/// Session items for a login: the new session, the end of sessions over the cap, and the end of
/// the session the request came with (login rotates the token). Updates `client.sessions`.
fn start_session(ctx: &Ctx, client: &mut ClientRecord) -> ApiResult<(NewSession, Vec<TxOp>)> {
    let now = ctx.epoch();
    let session = auth::new_session(&ctx.app.config, client, now, &ctx.meta.ip)?;
    let previous = ctx
        .meta
        .session_token
        .as_deref()
        .map(|t| crypto::sha256_hex(t.as_bytes()));
    let existing: Vec<SessionRef> = client
        .sessions
        .iter()
        .filter(|s| Some(&s.hash) != previous.as_ref())
        .cloned()
        .collect();
    let added = SessionRef {
        hash: session.token_hash.clone(),
        expires: session.expires,
    };
    let (kept, ended) = auth::rotate_sessions(&ctx.app.config, &existing, added, now);
    client.sessions = kept;
    let mut ops = vec![TxOp::put_new(session.item.clone())];
    ops.extend(auth::end_sessions(&ended));
    if let Some(prev) = previous {
        ops.push(TxOp::delete(keys::session(&prev)));
    }
    Ok((session, ops))
}

/// The cookie and the CSRF header of a new session.
fn announce_session(ctx: &Ctx, session: &NewSession) {
    let config = &ctx.app.config;
    ctx.add_header(
        "Set-Cookie",
        auth::session_cookie(config, &session.token, config.session_ttl as i64),
    );
    ctx.add_header("X-CSRF-Token", session.csrf.clone());
}

#[derive(Params)]
struct LoginParams {
    #[param(required = "Email required")]
    email: GivenEmail,
    #[param(required = "Password required")]
    password: String,
    /// Accepted for compatibility; sessions last as configured.
    #[param(rename = "remember")]
    _remember: Ignored,
}

fn login_failed() -> ApiError {
    ApiError::coded(403, "Please check your login details")
}

/// Who logged in, and the CSRF token the session's writes must carry.
#[derive(serde::Serialize, Answer)]
struct LoginAnswer {
    id: i64,
    email: String,
    name: String,
    /// Always `client` here.
    role: &'static str,
    csrf_token: String,
}

/// Login with e-mail and password: a session cookie, and the CSRF token its writes must carry.
async fn login(ctx: GuestCtx, p: LoginParams) -> ApiResult<LoginAnswer> {
    let owner = ctx.store().get(&keys::client_email(p.email.as_str())).await?;
    let client_id = owner.as_ref().and_then(|i| i.get("client_id")).and_then(Attr::as_i64);
    // The client, its cart and the cart a guest filled before logging in, in one read.
    let guest_cart = ctx
        .meta
        .session_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(CartOwner::guest);
    let (client, carts) = match client_id {
        Some(id) => {
            let mut wanted = vec![keys::client(id), CartOwner::Client(id).key()];
            wanted.extend(guest_cart.as_ref().map(CartOwner::key));
            let mut found = ctx.store().get_many(&wanted).await?;
            let mut pick = |key: &Key| found.take(key);
            let client = pick(&keys::client(id))
                .map(|i| ClientRecord::from_item(&i))
                .transpose()?;
            let own = pick(&CartOwner::Client(id).key());
            let guest = guest_cart.as_ref().and_then(|g| pick(&g.key()));
            (client, (own, guest))
        }
        None => (None, (None, None)),
    };
    // Verify against a decoy when the account is unknown, so failures take equally long.
    let hash = client
        .as_ref()
        .map_or_else(|| crypto::decoy_password_hash(), |c| c.password_hash.as_str());
    let password_ok = crypto::verify_password(&p.password, hash);
    let Some(mut client) = client.filter(|c| password_ok && c.is_active()) else {
        return Err(login_failed());
    };
    let current = client.clone();
    let (session, mut ops) = start_session(&ctx, &mut client)?;
    client.ip = Some(ctx.meta.ip.clone());
    ops.push(TxOp::Update(clients::update(&current, &client, &ctx.now_text())?));
    ops.push(activity::log(
        &ctx.origin(),
        client.id,
        format!("Client #{} logged in", client.id),
    ));
    if let (Some(guest_item), Some(guest_owner)) = (&carts.1, &guest_cart) {
        ops.extend(merge_guest_cart(
            &ctx,
            client.id,
            carts.0.as_ref(),
            guest_item,
            guest_owner,
        )?);
    }
    ctx.store().transact(ops).await.map_err(changed_meanwhile("account"))?;
    announce_session(&ctx, &session);
    Ok(LoginAnswer {
        id: client.id,
        name: client.full_name(),
        email: client.email,
        role: "client",
        csrf_token: session.csrf,
    })
}

#[derive(Params)]
struct BalanceListParams {
    /// One entry.
    id: Option<i64>,
    date_from: Option<String>,
    date_to: Option<String>,
    #[param(rename = "client_id")]
    _client_id: Ignored,
}

/// The caller's balance entries (credits and charges), newest first. Without filters the page
/// is read from the list; filters read the list whole (the client's entry count).
async fn balance_get_list(
    ctx: ClientCtx,
    p: BalanceListParams,
) -> ApiResult<Page<bb_core::domain::invoice::BalanceView>> {
    use bb_core::domain::invoice::{self, BalanceEntry};
    let paging = ctx.paging()?;
    let from = bb_core::clock::date_filter("date_from", &p.date_from)?;
    let to = bb_core::clock::date_filter("date_to", &p.date_to)?;
    let listing = invoice::balance_listing(ctx.client_id);
    if p.id.is_none() && from.is_none() && to.is_none() {
        let (offset, limit) = paging.window();
        let (page, client) = clients::list_page_with_view(ctx.store(), &listing, offset, limit).await?;
        let currency = client.get("currency").and_then(Value::as_str);
        let list = page
            .entries
            .iter()
            .map(|item| BalanceEntry::from_item(item).map(|e| e.view(currency)))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(paging.page(page.total, list));
    }
    let (items, client) = clients::list_all_with_view(ctx.store(), &listing).await?;
    let currency = client.get("currency").and_then(Value::as_str);
    let mut entries = items
        .iter()
        .map(BalanceEntry::from_item)
        .collect::<Result<Vec<_>, _>>()?;
    entries.retain(|e| p.id.is_none_or(|id| e.id == id) && bb_core::clock::within(&e.created_at, from, to));
    Ok(paging.paginate(entries, |e| e.view(currency)))
}

/// Moves a guest's cart into the client's at login (the client's cart wins on currency and
/// promo; the guest's items are added).
fn merge_guest_cart(
    ctx: &Ctx,
    client_id: i64,
    own: Option<&Item>,
    guest_item: &Item,
    guest_owner: &CartOwner,
) -> ApiResult<Vec<TxOp>> {
    let guest = Cart::from_item(guest_item)?;
    if guest.items.is_empty() {
        return Ok(vec![TxOp::delete(guest_owner.key())]);
    }
    let owner = CartOwner::Client(client_id);
    let (mut cart, cond) = match own {
        Some(item) => {
            let cart = Cart::from_item(item)?;
            let cond = Cond::version(cart.version);
            (cart, cond)
        }
        None => (
            Cart::new().map_err(|e| ApiError::internal(e.to_string()))?,
            Cond::absent(),
        ),
    };
    cart.merge(&guest);
    cart.version += 1;
    cart.updated_at = Some(ctx.now_text());
    Ok(vec![
        TxOp::Put {
            item: cart.to_item(&owner, ctx.epoch())?,
            cond: Some(cond),
        },
        TxOp::delete(guest_owner.key()),
    ])
}
