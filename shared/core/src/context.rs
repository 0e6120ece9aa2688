//! What a method receives: the application, the request's facts, its parameters, and for
//! client methods the authenticated identity.

use crate::app::App;
use crate::auth::{Credential, Identity};
use crate::params::ParamMap;
use crate::route::Role;
use bb_domain::activity::Origin;
use bb_ports::answer::Answer;
use bb_ports::clock::format_datetime;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::store::Store;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// Facts about the request, fixed when it arrives.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    /// The method name as called (what a module's dispatcher forwards).
    pub method: String,
    pub ip: String,
    pub user_agent: Option<String>,
    pub now: OffsetDateTime,
    /// The session cookie as sent (not yet checked).
    pub session_token: Option<String>,
    /// Request headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The CSRF token sent as a parameter (`CSRFToken`), taken out of the parameters.
    pub csrf_param: Option<String>,
}

impl RequestMeta {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The CSRF token the request carries (header first, then parameter).
    pub fn csrf(&self) -> Option<&str> {
        self.header(crate::auth::CSRF_HEADER).or(self.csrf_param.as_deref())
    }
}

/// Pagination asked for by the caller, checked when a list method reads it.
#[derive(Debug, Clone, Default)]
pub struct RawPaging {
    pub page: Option<Value>,
    pub per_page: Option<Value>,
}

pub const DEFAULT_PER_PAGE: u64 = 100;
pub const MAX_PER_PAGE: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    pub fn offset(&self) -> usize {
        usize::try_from((self.page - 1).saturating_mul(self.per_page)).unwrap_or(usize::MAX)
    }

    /// BoxBilling's list envelope over an already filtered and ordered list; only the rows of
    /// the page are rendered.
    pub fn paginate<T, V: Answer>(&self, rows: Vec<T>, view: impl Fn(&T) -> V) -> Page<V> {
        let total = rows.len() as u64;
        let list = rows
            .iter()
            .skip(self.offset())
            .take(self.per_page as usize)
            .map(view)
            .collect();
        self.page(total, list)
    }

    /// BoxBilling's list envelope around one page read from a list of `total` items.
    pub fn page<V: Answer>(&self, total: u64, list: Vec<V>) -> Page<V> {
        Page {
            pages: total.div_ceil(self.per_page),
            page: self.page,
            per_page: self.per_page,
            total,
            list,
        }
    }

    /// The page's first position and its size, as a list read takes them.
    pub fn window(&self) -> (u64, usize) {
        (
            (self.page - 1).saturating_mul(self.per_page),
            usize::try_from(self.per_page).unwrap_or(usize::MAX),
        )
    }
}

/// One page of a list, as BoxBilling answers it (in its key order).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Page<V> {
    pub pages: u64,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub list: Vec<V>,
}

impl<V: Answer> Answer for Page<V> {
    fn schema() -> Value {
        let count = json!({"type": "integer", "minimum": 0});
        json!({
            "type": "object",
            "required": ["pages", "page", "per_page", "total", "list"],
            "additionalProperties": false,
            "properties": {
                "pages": count,
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "total": count,
                "list": <Vec<V>>::schema(),
            },
        })
    }
}

fn whole_number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Headers a method adds to its answer (cookies, the CSRF token).
pub type Outgoing = Arc<Mutex<Vec<(String, String)>>>;

#[derive(Clone)]
pub struct Ctx {
    pub app: App,
    pub meta: Arc<RequestMeta>,
    /// The parameters as received (for methods that echo or inspect them).
    pub params: Arc<ParamMap>,
    pub raw_paging: RawPaging,
    pub outgoing: Outgoing,
}

impl Ctx {
    pub fn store(&self) -> &dyn Store {
        self.app.store.as_ref()
    }

    pub fn now(&self) -> OffsetDateTime {
        self.meta.now
    }

    /// `now` as BoxBilling prints dates.
    pub fn now_text(&self) -> String {
        format_datetime(self.meta.now)
    }

    pub fn epoch(&self) -> i64 {
        self.meta.now.unix_timestamp()
    }

    /// Where and when this request acts, as the activity log records it.
    pub fn origin(&self) -> Origin {
        Origin {
            at: self.now_text(),
            request_id: self.meta.request_id.clone(),
            ip: self.meta.ip.clone(),
        }
    }

    /// Answers with `302 Found` to `url` (the envelope still carries the result).
    pub fn redirect(&self, url: &str) {
        self.add_header("Location", url);
    }

    pub fn add_header(&self, name: &str, value: impl Into<String>) {
        if let Ok(mut out) = self.outgoing.lock() {
            out.push((name.to_string(), value.into()));
        }
    }

    /// Checked pagination: page ≥ 1, 1 ≤ per_page (clamped to 500), default 100.
    pub fn paging(&self) -> ApiResult<Paging> {
        check_paging(&self.raw_paging)
    }
}

fn check_paging(raw: &RawPaging) -> ApiResult<Paging> {
    let page = match &raw.page {
        None | Some(Value::Null) => 1,
        Some(Value::String(s)) if s.is_empty() => 1,
        Some(v) => match whole_number(v) {
            Some(p) if p >= 1 => p as u64,
            _ => return Err(ApiError::new("Page must be a whole number of at least 1")),
        },
    };
    let per_page = match &raw.per_page {
        None | Some(Value::Null) => DEFAULT_PER_PAGE,
        Some(Value::String(s)) if s.is_empty() => DEFAULT_PER_PAGE,
        Some(v) => match whole_number(v) {
            Some(p) if p >= 1 => (p as u64).min(MAX_PER_PAGE),
            _ => return Err(ApiError::new("Per page must be a whole number of at least 1")),
        },
    };
    Ok(Paging { page, per_page })
}

/// Everything the pipeline hands a method.
pub struct Call {
    pub ctx: Ctx,
    pub identity: Option<Identity>,
    pub params: Arc<ParamMap>,
}

/// A method's context type; it fixes the role the method is served under.
pub trait FromCall: Sized + Send + 'static {
    const ROLE: Role;
    fn from_call(call: Call) -> ApiResult<Self>;
}

/// Context of `/api/client/*` methods: the caller is an authenticated, active client.
#[derive(Clone)]
pub struct ClientCtx {
    pub ctx: Ctx,
    pub client_id: i64,
    pub credential: Credential,
}

impl std::ops::Deref for ClientCtx {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}

impl ClientCtx {
    /// Fresh ids for an action of the caller's, with the caller's sequence numbers for the
    /// kinds their lists rank (its own mail included): two counter calls, sent together.
    pub async fn ids(&self, wants: &[(bb_ports::store::IdKind, usize)]) -> ApiResult<bb_ports::store::Ids> {
        let owner = bb_domain::keys::client_partition(self.client_id);
        Ok(bb_ports::store::Ids::allocate_owned(self.store(), &owner, wants).await?)
    }
}

impl FromCall for ClientCtx {
    const ROLE: Role = Role::Client;
    fn from_call(call: Call) -> ApiResult<Self> {
        let identity = call.identity.ok_or_else(|| ApiError::auth(201))?;
        Ok(ClientCtx {
            ctx: call.ctx,
            client_id: identity.client_id,
            credential: identity.credential,
        })
    }
}

/// Context of `/api/guest/*` methods: nobody need be authenticated; `identity` is the caller
/// when the call presented a credential that authenticated (the guest cart is then the
/// client's).
#[derive(Clone)]
pub struct GuestCtx {
    pub ctx: Ctx,
    pub identity: Option<Identity>,
}

impl std::ops::Deref for GuestCtx {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}

impl FromCall for GuestCtx {
    const ROLE: Role = Role::Guest;
    fn from_call(call: Call) -> ApiResult<Self> {
        Ok(GuestCtx {
            ctx: call.ctx,
            identity: call.identity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paging(page: Option<Value>, per_page: Option<Value>) -> ApiResult<Paging> {
        check_paging(&RawPaging { page, per_page })
    }

    #[test]
    fn paging_defaults_clamps_and_refuses() {
        assert_eq!(paging(None, None).unwrap(), Paging { page: 1, per_page: 100 });
        assert_eq!(
            paging(Some(json!("2")), Some(json!(10))).unwrap(),
            Paging { page: 2, per_page: 10 }
        );
        assert_eq!(paging(None, Some(json!("100000"))).unwrap().per_page, 500);
        assert!(paging(Some(json!(0)), None).is_err());
        assert!(paging(Some(json!(-1)), None).is_err());
        assert!(paging(Some(json!("x")), None).is_err());
        assert!(paging(None, Some(json!(0))).is_err());
    }

    #[test]
    fn pages_of_a_list() {
        let p = Paging { page: 2, per_page: 2 };
        let v = p.paginate(vec![1, 2, 3, 4, 5], |n| json!(n));
        assert_eq!(
            serde_json::to_value(v).unwrap(),
            json!({"pages": 3, "page": 2, "per_page": 2, "total": 5, "list": [3, 4]})
        );
        let empty = Paging { page: 1, per_page: 100 }.paginate(Vec::<i32>::new(), |n| json!(n));
        assert_eq!(
            serde_json::to_value(empty).unwrap(),
            json!({"pages": 0, "page": 1, "per_page": 100, "total": 0, "list": []})
        );
        let beyond = Paging { page: 9, per_page: 2 }.paginate(vec![1], |n| json!(n));
        assert!(beyond.list.is_empty());
    }
}
