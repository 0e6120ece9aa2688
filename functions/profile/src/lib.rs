//! `/api/client/profile/*`: the caller's own account.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::auth::{self, Credential};
use bb_core::crypto;
use bb_core::domain::activity;
use bb_core::domain::client::{self as clients, ClientRecord, SessionRef};
use bb_core::error::changed_meanwhile;
use bb_core::forms::ProfileFields;
use bb_core::keys;
use bb_core::module::PASSWORD_HASHING_MEMORY_MB;
use bb_core::prelude::*;
use bb_core::validate::{self, GivenEmail};

pub fn module() -> Module {
    Module::new("profile")
        .summary("password changes: Argon2id hashing")
        .memory(PASSWORD_HASHING_MEMORY_MB)
        .method(Access::Read, "get", get)
        .method(Access::Write, "update", update)
        .method(Access::Read, "api_key_get", api_key_get)
        .method(Access::Sensitive, "api_key_reset", api_key_reset)
        .method(Access::Sensitive, "change_password", change_password)
        .method(Access::Write, "logout", logout)
}

/// `[client]` with its balance.
async fn get(ctx: ClientCtx, _: NoParams) -> ApiResult<bb_core::domain::client::ClientView> {
    let client = clients::load(ctx.store(), ctx.client_id).await?;
    Ok(client.view(true))
}

#[derive(Params)]
struct UpdateParams {
    /// New e-mail address (must be unused; refused when the operator disabled e-mail changes).
    email: Patch<GivenEmail>,
    first_name: Patch<String>,
    /// Ignored: the alternative id is set by staff only.
    #[param(rename = "aid")]
    _aid: Ignored,
    #[param(flatten)]
    fields: ProfileFields,
}

async fn update(ctx: ClientCtx, p: UpdateParams) -> ApiResult<bool> {
    let current = clients::load(ctx.store(), ctx.client_id).await?;
    let mut client = current.clone();
    let mut email_change = None;
    if let Patch::Set(email) = p.email
        && email.as_str() != current.email
    {
        let settings = ctx.app.settings().await?;
        if settings.module("client").is_switched_off("allow_change_email") {
            return Err(ApiError::new("Email can not be changed"));
        }
        let email = email.parse()?.into_string();
        client.email = email.clone();
        email_change = Some(email);
    }
    match &p.first_name {
        Patch::Set(name) => {
            validate::max_len("First name", name, 255)?;
            client.first_name = Some(name.clone());
        }
        Patch::Clear => client.first_name = None,
        Patch::Keep => {}
    }
    p.fields.apply(&mut client)?;

    let mut tx = Tx::new();
    tx.push(TxOp::Update(clients::update(&current, &client, &ctx.now_text())?));
    let mut email_claim = None;
    if let Some(email) = &email_change {
        email_claim = Some(tx.add(clients::email_claim(email, client.id)));
        tx.push(clients::email_release(&current.email, client.id));
    }
    tx.extend(clients::header_ops(&client)?);
    tx.push(activity::log(&ctx.origin(), client.id, "Updated profile"));
    match ctx.store().transact(tx.into_ops()).await {
        Ok(()) => Ok(true),
        Err(e) if email_claim.is_some_and(|claim| e.failed(claim)) => {
            Err(ApiError::new("Can not change email. It is already registered."))
        }
        Err(e) => Err(changed_meanwhile("profile")(e)),
    }
}

/// The client's API key, or null when none was generated yet.
async fn api_key_get(ctx: ClientCtx, _: NoParams) -> ApiResult<Option<String>> {
    let client = clients::load(ctx.store(), ctx.client_id).await?;
    client
        .api_key_sealed
        .map(|sealed| {
            ctx.app
                .sealer
                .open(&sealed)
                .map_err(|e| ApiError::internal(e.to_string()))
        })
        .transpose()
}

/// A new API key; the old one stops working at once.
async fn api_key_reset(ctx: ClientCtx, _: NoParams) -> ApiResult<String> {
    let client = clients::load(ctx.store(), ctx.client_id).await?;
    let new = auth::new_api_key(&ctx.app, &client, ctx.epoch())?;
    let mut changed = client.clone();
    changed.api_key_hash = Some(new.hash);
    changed.api_key_sealed = Some(new.sealed);
    let mut ops = vec![
        TxOp::put_new(new.item),
        TxOp::Update(clients::update(&client, &changed, &ctx.now_text())?),
        activity::log(&ctx.origin(), client.id, "Generated new API key"),
    ];
    if let Some(old) = &client.api_key_hash {
        ops.push(TxOp::delete(keys::api_key(old)));
    }
    ctx.store().transact(ops).await.map_err(changed_meanwhile("profile"))?;
    Ok(new.key)
}

#[derive(Params)]
struct ChangePasswordParams {
    /// The new password: at least 7 characters with a digit and a lower-case letter.
    #[param(required = "Password required", alias = "new_password")]
    password: String,
    #[param(required = "Password confirmation required", alias = "confirm_password")]
    password_confirm: String,
    /// The password in use now.
    current_password: Option<String>,
}

/// Changes the password; every other session of the account ends.
async fn change_password(ctx: ClientCtx, p: ChangePasswordParams) -> ApiResult<bool> {
    if p.password != p.password_confirm {
        return Err(ApiError::new("Passwords do not match."));
    }
    let current_password = p
        .current_password
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::new("Current password required"))?;
    let client = clients::load(ctx.store(), ctx.client_id).await?;
    if !crypto::verify_password(&current_password, &client.password_hash) {
        return Err(ApiError::new("Current password is incorrect"));
    }
    validate::password_strength(&p.password)?;
    let hash = crypto::hash_password(&p.password).map_err(|e| ApiError::internal(e.to_string()))?;
    let (kept, ended) = split_sessions(&client, &ctx.credential, ctx.epoch());
    let mut changed = client.clone();
    changed.password_hash = hash;
    changed.sessions = kept;
    let mut ops = vec![
        TxOp::Update(clients::update(&client, &changed, &ctx.now_text())?),
        activity::log(&ctx.origin(), client.id, "Changed profile password"),
    ];
    ops.extend(auth::end_sessions(&ended));
    ctx.store().transact(ops).await.map_err(changed_meanwhile("profile"))?;
    Ok(true)
}

/// The caller's own live session stays; every other one ends.
fn split_sessions(client: &ClientRecord, credential: &Credential, now: i64) -> (Vec<SessionRef>, Vec<SessionRef>) {
    let own = match credential {
        Credential::Session { token_hash, .. } => Some(token_hash.as_str()),
        Credential::ApiKey { .. } => None,
    };
    client
        .sessions
        .iter()
        .filter(|s| s.expires > now || Some(s.hash.as_str()) == own)
        .cloned()
        .partition(|s| Some(s.hash.as_str()) == own)
}

/// Ends the cookie session (a Basic call has none to end).
async fn logout(ctx: ClientCtx, _: NoParams) -> ApiResult<bool> {
    let log = activity::entry(&ctx.origin(), ctx.client_id, "Logged out");
    match &ctx.credential {
        Credential::Session { token_hash, .. } => {
            ctx.store()
                .transact(vec![TxOp::delete(keys::session(token_hash)), TxOp::put(log)])
                .await?;
            ctx.add_header("Set-Cookie", auth::session_cookie(&ctx.app.config, "", 0));
        }
        Credential::ApiKey { .. } => ctx.store().put(log, None).await?,
    }
    Ok(true)
}
