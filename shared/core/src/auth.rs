//! Credentials: HTTP Basic `client:<api key>` and the session cookie with its CSRF token.
//!
//! Both are looked up by the SHA-256 of the secret. The credential item carries the client id
//! and a copy of the client's status, so one conditional UpdateItem authenticates, refuses a
//! suspended client, slides the session's idle expiry and counts the client's rate limit.

use crate::app::App;
use crate::config::Config;
use crate::http::ApiRequest;
use crate::ratelimit::{Quota, count_on_credential, credential_quota};
use base64::Engine;
use bb_domain::client::{ClientRecord, ClientStatus, SessionRef};
use bb_domain::keys;
use bb_ports::crypto::{self, constant_time_eq, random_token, sha256_hex};
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::store::{Attr, Cond, Item, Returning, StoreError, TTL, TxOp, Update};

pub const SESSION_COOKIE: &str = "bb_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_PARAM: &str = "CSRFToken";
/// Longest API key looked up; anything longer cannot be one.
const MAX_KEY_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    ApiKey { key_hash: String },
    Session { token_hash: String, csrf: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub client_id: i64,
    pub credential: Credential,
    pub quota: Quota,
}

enum Presented {
    Basic { user: String, password: Option<String> },
    Malformed,
    Cookie(String),
    Nothing,
}

/// How a guest cart's cookie starts: a token that never names a session, so a guest call
/// reads its cart without trying to authenticate it, and a client call refuses it without a
/// store call.
const GUEST_TOKEN_PREFIX: &str = "guest.";

/// A new guest cart token.
pub fn guest_token() -> ApiResult<String> {
    let token = random_token().map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(format!("{GUEST_TOKEN_PREFIX}{token}"))
}

pub fn is_guest_token(token: &str) -> bool {
    token.starts_with(GUEST_TOKEN_PREFIX)
}

/// Whether a call presents what may authenticate a client: a Basic header, or a cookie that
/// is not a guest cart's.
pub fn presents_credential(authorization: Option<&str>, session_token: Option<&str>) -> bool {
    authorization.is_some() || session_token.is_some_and(|t| !t.is_empty() && !is_guest_token(t))
}

fn presented(authorization: Option<&str>, session_token: Option<&str>) -> Presented {
    // A Basic header wins over a cookie: one request, one identity.
    if let Some(header) = authorization {
        let Some((scheme, encoded)) = header.trim().split_once(' ') else {
            return Presented::Malformed;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return Presented::Malformed;
        }
        let Some(decoded) = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            return Presented::Malformed;
        };
        return match decoded.split_once(':') {
            Some((user, password)) => Presented::Basic {
                user: user.to_string(),
                password: Some(password.to_string()),
            },
            None => Presented::Basic {
                user: decoded,
                password: None,
            },
        };
    }
    match session_token {
        Some(token) if !token.is_empty() => Presented::Cookie(token.to_string()),
        _ => Presented::Nothing,
    }
}

/// Authenticates a client call in one round trip (codes 201-206 as BoxBilling).
pub async fn authenticate(app: &App, req: &ApiRequest, now: i64) -> ApiResult<Identity> {
    authenticate_with(app, req.header("authorization"), req.cookie(SESSION_COOKIE), now).await
}

/// [`authenticate`] from the raw Authorization header and session cookie.
pub async fn authenticate_with(
    app: &App,
    authorization: Option<&str>,
    session_token: Option<&str>,
    now: i64,
) -> ApiResult<Identity> {
    let limits = &app.config.rate;
    match presented(authorization, session_token) {
        Presented::Nothing | Presented::Malformed => Err(ApiError::auth(201)),
        Presented::Basic { user, password } => {
            if user.is_empty() {
                return Err(ApiError::auth(201));
            }
            let password = password.ok_or_else(|| ApiError::auth(202))?;
            if password.is_empty() {
                return Err(ApiError::auth(206));
            }
            if user != "client" {
                return Err(ApiError::auth(203));
            }
            if password.len() > MAX_KEY_LEN {
                return Err(ApiError::auth(204));
            }
            let key_hash = sha256_hex(password.as_bytes());
            let update = count_on_credential(Update::new(keys::api_key(&key_hash)), limits, now).when(Cond::exists());
            let item = match app.store.update(update, Returning::AllNew).await {
                Ok(Some(item)) => item,
                Ok(None) | Err(StoreError::ConditionFailed) => return Err(ApiError::auth(204)),
                Err(e) => return Err(e.into()),
            };
            let client_id = active_client(&item).ok_or_else(|| ApiError::auth(204))?;
            Ok(Identity {
                client_id,
                credential: Credential::ApiKey { key_hash },
                quota: credential_quota(&item, limits, now),
            })
        }
        Presented::Cookie(token) if is_guest_token(&token) => Err(ApiError::auth(201)),
        Presented::Cookie(token) => {
            let token_hash = sha256_hex(token.as_bytes());
            let idle_until = now + app.config.session_idle as i64;
            let update = count_on_credential(Update::new(keys::session(&token_hash)), limits, now)
                .set("idle_until", Attr::from(idle_until))
                .when(Cond::exists())
                .when(Cond::Exists("client_id".into()))
                .when(Cond::Gt("expires".into(), Attr::from(now)))
                .when(Cond::Gt("idle_until".into(), Attr::from(now)));
            let item = match app.store.update(update, Returning::AllNew).await {
                Ok(Some(item)) => item,
                Ok(None) | Err(StoreError::ConditionFailed) => return Err(ApiError::auth(201)),
                Err(e) => return Err(e.into()),
            };
            let client_id = active_client(&item).ok_or_else(|| ApiError::auth(201))?;
            let csrf = item.get("csrf").and_then(Attr::as_str).unwrap_or_default().to_string();
            Ok(Identity {
                client_id,
                credential: Credential::Session { token_hash, csrf },
                quota: credential_quota(&item, limits, now),
            })
        }
    }
}

fn active_client(item: &Item) -> Option<i64> {
    let status = item.get("status").and_then(Attr::as_str)?;
    (ClientStatus::parse(status) == Some(ClientStatus::Active)).then_some(())?;
    item.get("client_id").and_then(Attr::as_i64)
}

/// Whether a state-changing call carries the session's CSRF token (header or parameter).
pub fn csrf_ok(expected: &str, header: Option<&str>, param: Option<&str>) -> bool {
    let sent = header.or(param).unwrap_or("");
    !expected.is_empty() && constant_time_eq(sent.as_bytes(), expected.as_bytes())
}

/// A new session for a client, ready to be written with the rest of the login.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub token_hash: String,
    pub expires: i64,
    pub item: Item,
}

pub fn new_session(config: &Config, client: &ClientRecord, now: i64, ip: &str) -> ApiResult<NewSession> {
    let token = random_token().map_err(|e| ApiError::internal(e.to_string()))?;
    let csrf = random_token().map_err(|e| ApiError::internal(e.to_string()))?;
    let token_hash = sha256_hex(token.as_bytes());
    let expires = now + config.session_ttl as i64;
    let idle_until = (now + config.session_idle as i64).min(expires);
    let key = keys::session(&token_hash);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("client_id".into(), client.id.into());
    item.insert("status".into(), client.status.into());
    item.insert("csrf".into(), csrf.clone().into());
    item.insert("ip".into(), ip.into());
    item.insert("created".into(), now.into());
    item.insert("expires".into(), expires.into());
    item.insert("idle_until".into(), idle_until.into());
    item.insert(TTL.into(), expires.into());
    Ok(NewSession {
        token,
        csrf,
        token_hash,
        expires,
        item,
    })
}

/// The client's live sessions after adding one: expired ones dropped, the oldest ended when
/// over the cap. Returns (kept, ended).
pub fn rotate_sessions(
    config: &Config,
    existing: &[SessionRef],
    added: SessionRef,
    now: i64,
) -> (Vec<SessionRef>, Vec<SessionRef>) {
    let mut live: Vec<SessionRef> = existing.iter().filter(|s| s.expires > now).cloned().collect();
    live.push(added);
    let mut ended = Vec::new();
    while live.len() > config.max_sessions {
        ended.push(live.remove(0));
    }
    (live, ended)
}

/// The `Set-Cookie` value for a session (or for clearing it when `token` is empty).
pub fn session_cookie(config: &Config, token: &str, max_age: i64) -> String {
    let secure = if config.cookie_secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// Operations that end the given sessions (their items are deleted).
pub fn end_sessions(sessions: &[SessionRef]) -> Vec<TxOp> {
    sessions.iter().map(|s| TxOp::delete(keys::session(&s.hash))).collect()
}

/// Carries a client's new status to its API key's lookup item, which the pipeline checks.
pub fn api_key_status(hash: &str, status: bb_domain::client::ClientStatus) -> TxOp {
    TxOp::Update(
        crate::store::Update::new(keys::api_key(hash))
            .set("status", status)
            .when(crate::store::Cond::exists()),
    )
}

/// A freshly generated API key with its lookup item and its sealed copy.
pub struct NewApiKey {
    pub key: String,
    pub hash: String,
    pub sealed: String,
    pub item: Item,
}

pub fn new_api_key(app: &App, client: &ClientRecord, now: i64) -> ApiResult<NewApiKey> {
    let key = crypto::random_alphanumeric(32).map_err(|e| ApiError::internal(e.to_string()))?;
    api_key_item(app, client, key, now)
}

/// The lookup item and sealed copy of a given key (generated, or imported by an operator).
pub fn api_key_item(app: &App, client: &ClientRecord, key: String, now: i64) -> ApiResult<NewApiKey> {
    let hash = sha256_hex(key.as_bytes());
    let sealed = app.sealer.seal(&key).map_err(|e| ApiError::internal(e.to_string()))?;
    let k = keys::api_key(&hash);
    let mut item = Item::new();
    item.insert("pk".into(), k.pk.into());
    item.insert("sk".into(), k.sk.into());
    item.insert("client_id".into(), client.id.into());
    item.insert("status".into(), client.status.into());
    item.insert("created".into(), now.into());
    Ok(NewApiKey {
        key,
        hash,
        sealed,
        item,
    })
}
