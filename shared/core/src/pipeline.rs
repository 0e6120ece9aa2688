//! The one request pipeline. Every Lambda function, the local server and the tests call
//! [`Api::handle`]; the order of its steps decides which error wins:
//!
//! 1. body size (413) and HTTP method (405);
//! 2. route (879 malformed path, 701 role);
//! 3. parameters: query for GET, body for POST, `page`/`per_page` from either (400 malformed);
//! 4. rate limit per source IP (429);
//! 5. client role: authentication (201-206) with the per-client limit (429), then CSRF for
//!    cookie sessions on state-changing methods (403);
//! 6. module (715) and method (740);
//! 7. the method: typed parameters (its own required-parameter texts), then its work.

use crate::app::App;
use crate::auth::{self, CSRF_HEADER, CSRF_PARAM, Credential, SESSION_COOKIE};
use crate::config::MAX_BODY;
use crate::context::{Call, Ctx, RawPaging, RequestMeta};
use crate::http::{ApiRequest, ApiResponse};
use crate::module::{Access, MethodDef, Registry};
use crate::params::{ParamMap, parse_body, parse_form};
use crate::ratelimit::{self, Quota, RateClass};
use crate::route::{Role, parse as parse_route};
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::store::metrics;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the pipeline learned about a request, for the answer's headers and the log line.
#[derive(Default)]
struct Trace {
    route: Option<String>,
    client_id: Option<i64>,
    quota: Option<Quota>,
    headers: Vec<(String, String)>,
}

/// The API: the application and the method tables it serves. Every entry point (the Lambda
/// adapter, the local server, the tests) holds one; the methods see only the [`App`].
#[derive(Clone)]
pub struct Api {
    app: App,
    registry: Arc<Registry>,
}

impl Api {
    pub fn new(app: App, registry: Registry) -> Api {
        Api {
            app,
            registry: Arc::new(registry),
        }
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Handles one API request end to end. Never panics on input; faults become 9998.
    pub async fn handle(&self, req: ApiRequest) -> ApiResponse {
        let started = Instant::now();
        let now = self.app.clock.now();
        let mut trace = Trace::default();
        let deadline = req.deadline.unwrap_or_else(|| started + self.app.config.request_budget);
        let (result, store_calls) = metrics::count_round_trips(bb_ports::deadline::within(
            deadline,
            self.process(&req, now, &mut trace),
        ))
        .await;
        let mut response = self.render(result, &mut trace, now.unix_timestamp(), store_calls.round_trips, &req);
        response.capacity = store_calls.capacity;
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            target: "bb::request",
            request_id = %req.request_id,
            method = %req.method,
            route = trace.route.as_deref().unwrap_or("-"),
            client_id = trace.client_id,
            status = response.status,
            code = response.error_code,
            duration_ms = (duration_ms * 1000.0).round() / 1000.0,
            store_calls = store_calls.round_trips,
            store_retries = store_calls.retries,
            read_units = store_calls.capacity.read_units(),
            write_units = store_calls.capacity.write_units,
            "request"
        );
        response
    }

    async fn process(&self, req: &ApiRequest, now: time::OffsetDateTime, trace: &mut Trace) -> ApiResult<Value> {
        if req.body.len() > MAX_BODY {
            return Err(ApiError::too_large());
        }
        let is_get = req.method.eq_ignore_ascii_case("GET");
        if !is_get && !req.method.eq_ignore_ascii_case("POST") {
            trace.headers.push(("Allow".into(), "GET, POST".into()));
            return Err(ApiError::coded(405, "Method not allowed").with_status(405));
        }
        let route = parse_route(&req.path)?;
        trace.route = Some(route.label());

        let query = parse_form(req.query.as_deref().unwrap_or(""))?;
        let mut params = if is_get {
            query.clone()
        } else {
            parse_body(req.header("content-type"), &req.body)?
        };
        // Pagination may come in the query string of a POST too; the body wins.
        let raw_paging = RawPaging {
            page: params.get("page").or_else(|| query.get("page")).cloned(),
            per_page: params.get("per_page").or_else(|| query.get("per_page")).cloned(),
        };
        let csrf_param = take_text(&mut params, CSRF_PARAM)
            .or_else(|| query.get(CSRF_PARAM).and_then(Value::as_str).map(String::from));

        let def = self
            .registry
            .module(&route.module)
            .and_then(|m| m.find(route.role, &route.method));
        let class = match def.map(|d| d.access) {
            Some(Access::Sensitive) => RateClass::Login,
            _ => RateClass::General,
        };
        let ip = req.source_ip.clone().unwrap_or_else(|| "unknown".into());
        let epoch = now.unix_timestamp();
        // A guest call that presents a credential (the cart of a client with a key or a
        // session) is authenticated here, and counts on the credential as a client call does.
        let presented = auth::presents_credential(req.header("authorization"), req.cookie(SESSION_COOKIE));
        let guest = match route.role {
            Role::Guest if presented && class == RateClass::General => {
                match auth::authenticate(&self.app, req, epoch).await {
                    Ok(identity) => Some(identity),
                    Err(e) if e.is_internal() => return Err(e),
                    Err(_) => None,
                }
            }
            _ => None,
        };
        // Per address: a guest call without a credential that authenticated, a failed
        // authentication, and the login class (password guesses). An authenticated call counts
        // on its credential only, in the update that authenticates it: one store call for both
        // (API Gateway's throttling is the coarse guard).
        if (route.role == Role::Guest && guest.is_none()) || class == RateClass::Login {
            self.count_address(class, &ip, epoch, trace).await?;
        }

        let identity = match route.role {
            Role::Guest => guest.map(|identity| admit(identity, trace)).transpose()?,
            Role::Client => {
                let identity = match auth::authenticate(&self.app, req, epoch).await {
                    Ok(identity) => identity,
                    Err(refused) => {
                        // Guessing credentials costs the address its allowance.
                        if class != RateClass::Login {
                            self.count_address(class, &ip, epoch, trace).await?;
                        }
                        return Err(refused);
                    }
                };
                let identity = admit(identity, trace)?;
                if let (Credential::Session { csrf, .. }, Some(d)) = (&identity.credential, def)
                    && d.access.changes_state()
                    && !auth::csrf_ok(csrf, req.header(CSRF_HEADER), csrf_param.as_deref())
                {
                    return Err(ApiError::csrf());
                }
                Some(identity)
            }
        };

        let Some(module) = self.registry.module(&route.module) else {
            return Err(ApiError::coded(
                715,
                format!("BoxBilling module {} is not installed/activated", route.module),
            ));
        };
        let def: &MethodDef = module.find(route.role, &route.method).ok_or_else(|| {
            let role = match route.role {
                Role::Guest => "Guest",
                Role::Client => "Client",
            };
            ApiError::coded(
                740,
                format!(
                    "{role} API call {} does not exist in module {}",
                    route.method, route.module
                ),
            )
        })?;

        let params = Arc::new(params);
        let outgoing = Arc::new(Mutex::new(Vec::new()));
        let ctx = Ctx {
            app: self.app.clone(),
            meta: Arc::new(RequestMeta {
                request_id: req.request_id.clone(),
                method: route.method.clone(),
                ip,
                user_agent: req.header("user-agent").map(String::from),
                now,
                session_token: req.cookie(SESSION_COOKIE).map(String::from),
                headers: req.headers.clone(),
                csrf_param: csrf_param.clone(),
            }),
            params: params.clone(),
            raw_paging,
            outgoing: outgoing.clone(),
        };
        let result = def.call(Call { ctx, identity, params }).await;
        if let Ok(mut extra) = outgoing.lock() {
            trace.headers.append(&mut extra);
        }
        result
    }

    /// Counts a call against its source address; refused (429) over the allowance. The
    /// headers show the tighter of this and any quota already known.
    async fn count_address(&self, class: RateClass, ip: &str, epoch: i64, trace: &mut Trace) -> ApiResult<()> {
        let quota = ratelimit::count_ip(self.app.store.as_ref(), &self.app.config.rate, class, ip, epoch).await?;
        trace.quota = Some(trace.quota.map_or(quota, |known| known.tighter(quota)));
        if quota.exceeded() {
            return Err(ApiError::rate_limited());
        }
        Ok(())
    }

    fn render(
        &self,
        result: ApiResult<Value>,
        trace: &mut Trace,
        now: i64,
        store_calls: u32,
        req: &ApiRequest,
    ) -> ApiResponse {
        let redirect = trace.headers.iter().any(|(k, _)| k == "Location");
        let (status, body, error_code) = match result {
            Ok(value) => (
                if redirect { 302 } else { 200 },
                json!({"result": value, "error": null}),
                None,
            ),
            Err(e) => {
                if let Some(detail) = &e.detail {
                    tracing::error!(target: "bb::fault", request_id = %req.request_id, route = trace.route.as_deref().unwrap_or("-"), detail = %detail, "fault");
                }
                if e.code == bb_ports::error::UNAVAILABLE {
                    trace.headers.push(("Retry-After".into(), "1".into()));
                }
                if e.code == 429
                    && let Some(q) = trace.quota
                {
                    trace
                        .headers
                        .push(("Retry-After".into(), q.retry_after(now).to_string()));
                }
                (
                    e.status,
                    json!({"result": null, "error": {"message": e.message, "code": e.code}}),
                    Some(e.code),
                )
            }
        };
        let mut headers = vec![
            (
                "Content-Type".to_string(),
                "application/json; charset=utf-8".to_string(),
            ),
            ("Cache-Control".into(), "no-cache, must-revalidate".into()),
            ("Expires".into(), "Mon, 26 Jul 1997 05:00:00 GMT".into()),
            ("X-Content-Type-Options".into(), "nosniff".into()),
        ];
        let (span, limit, remaining) = match trace.quota {
            Some(q) => (
                q.span.to_string(),
                q.limit.to_string(),
                q.remaining().max(0).to_string(),
            ),
            None => (
                self.app.config.rate.span.to_string(),
                self.app.config.rate.limit.to_string(),
                String::new(),
            ),
        };
        headers.push(("X-RateLimit-Span".into(), span));
        headers.push(("X-RateLimit-Limit".into(), limit));
        headers.push(("X-RateLimit-Remaining".into(), remaining));
        headers.append(&mut trace.headers);
        ApiResponse {
            status,
            headers,
            body: body.to_string(),
            error_code,
            store_calls,
            capacity: Default::default(),
        }
    }
}

fn take_text(params: &mut ParamMap, name: &str) -> Option<String> {
    match params.remove(name)? {
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// An authenticated caller, within its quota (which the answer's rate-limit headers show).
fn admit(identity: auth::Identity, trace: &mut Trace) -> ApiResult<auth::Identity> {
    trace.client_id = Some(identity.client_id);
    trace.quota = Some(trace.quota.map_or(identity.quota, |q| q.tighter(identity.quota)));
    if identity.quota.exceeded() {
        return Err(ApiError::rate_limited());
    }
    Ok(identity)
}
