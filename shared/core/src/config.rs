//! Deployment configuration, read once per process from the environment. The README lists
//! every variable; `Config::default()` is what tests and the local server start from.

use std::time::Duration;

/// How queued mail leaves the process (`BB_MAIL_DELIVERY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// An in-process worker sends after the commit.
    Background,
    /// The table's stream feeds the mailer function; nothing is sent in process.
    Stream,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    /// Window and allowance per source IP for ordinary calls (`BB_RATE_SPAN`, `BB_RATE_LIMIT`).
    pub span: u64,
    pub limit: u64,
    /// Window and allowance per source IP for login and password calls
    /// (`BB_RATE_SPAN_LOGIN`, `BB_RATE_LIMIT_LOGIN`).
    pub login_span: u64,
    pub login_limit: u64,
    /// Allowance per client credential (API key or session) per `span` (`BB_RATE_LIMIT_CLIENT`).
    pub client_limit: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            span: 3600,
            limit: 1000,
            login_span: 60,
            login_limit: 20,
            client_limit: 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub rate: RateLimits,
    /// Session lifetime without activity (`BB_SESSION_IDLE`, seconds).
    pub session_idle: u64,
    /// Session lifetime from login (`BB_SESSION_TTL`, seconds).
    pub session_ttl: u64,
    /// Most live sessions per client; the oldest is ended beyond it.
    pub max_sessions: usize,
    /// `Secure` on the session cookie (`BB_COOKIE_SECURE`); off only for plain-HTTP local runs.
    pub cookie_secure: bool,
    /// How long settings and templates are cached per process (`BB_SETTINGS_TTL`, seconds).
    pub settings_ttl: Duration,
    /// Base URL used in links (`BB_PUBLIC_URL`).
    pub public_url: String,
    /// How queued mail is delivered (`BB_MAIL_DELIVERY`: `background` or `stream`).
    pub mail_delivery: DeliveryMode,
    /// The product version reported by the API.
    pub version: &'static str,
    /// How long a request may take when the platform gives no deadline of its own
    /// (`BB_REQUEST_BUDGET`, seconds): the local server and the tests.
    pub request_budget: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rate: RateLimits::default(),
            session_idle: 2 * 3600,
            session_ttl: 24 * 3600,
            max_sessions: 20,
            cookie_secure: true,
            settings_ttl: Duration::from_secs(30),
            public_url: "http://127.0.0.1:8080".into(),
            mail_delivery: DeliveryMode::Background,
            version: env!("CARGO_PKG_VERSION"),
            request_budget: Duration::from_secs(25),
        }
    }
}

/// The most a request body may carry.
pub const MAX_BODY: usize = 256 * 1024;

impl Config {
    /// Defaults overridden by whatever `BB_*` variables are set. A variable that is set but
    /// does not parse is an error, so a typo does not silently fall back.
    pub fn from_env() -> Result<Config, String> {
        let mut c = Config::default();
        fn num(name: &str, into: &mut u64) -> Result<(), String> {
            if let Ok(v) = std::env::var(name) {
                *into = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name}={v} is not a whole number"))?;
            }
            Ok(())
        }
        num("BB_RATE_SPAN", &mut c.rate.span)?;
        num("BB_RATE_LIMIT", &mut c.rate.limit)?;
        num("BB_RATE_SPAN_LOGIN", &mut c.rate.login_span)?;
        num("BB_RATE_LIMIT_LOGIN", &mut c.rate.login_limit)?;
        num("BB_RATE_LIMIT_CLIENT", &mut c.rate.client_limit)?;
        num("BB_SESSION_IDLE", &mut c.session_idle)?;
        num("BB_SESSION_TTL", &mut c.session_ttl)?;
        let mut ttl = c.settings_ttl.as_secs();
        num("BB_SETTINGS_TTL", &mut ttl)?;
        c.settings_ttl = Duration::from_secs(ttl);
        let mut budget = c.request_budget.as_secs();
        num("BB_REQUEST_BUDGET", &mut budget)?;
        c.request_budget = Duration::from_secs(budget.max(1));
        if let Ok(v) = std::env::var("BB_COOKIE_SECURE") {
            c.cookie_secure = !matches!(v.trim(), "0" | "false" | "no" | "off");
        }
        if let Ok(v) = std::env::var("BB_PUBLIC_URL") {
            c.public_url = v.trim_end_matches('/').to_string();
        }
        if let Ok(v) = std::env::var("BB_MAIL_DELIVERY") {
            c.mail_delivery = match v.trim() {
                "background" => DeliveryMode::Background,
                "stream" => DeliveryMode::Stream,
                other => return Err(format!("BB_MAIL_DELIVERY={other}: use background or stream")),
            };
        }
        if c.rate.span == 0 || c.rate.login_span == 0 {
            return Err("rate limit spans must be at least one second".into());
        }
        Ok(c)
    }
}
