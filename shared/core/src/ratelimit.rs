//! Fixed-window rate limits that reject (429 + `Retry-After`) instead of sleeping.
//!
//! Per source IP: one counter item per (class, address, window) with a TTL, one atomic ADD per
//! request. Per client: counters kept on the credential item itself (API key or session), so the
//! same UpdateItem that authenticates also counts, and authentication plus rate limiting cost
//! two round trips in all.

use crate::config::RateLimits;
use bb_domain::keys;
use bb_ports::store::{Attr, Item, Returning, Store, StoreResult, TTL, Update};

/// Which allowance a call draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateClass {
    General,
    /// Login, sign-up and password calls.
    Login,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub span: u64,
    pub limit: u64,
    pub used: u64,
    /// Epoch second at which the window ends.
    pub resets_at: i64,
}

impl Quota {
    pub fn remaining(&self) -> i64 {
        self.limit as i64 - self.used as i64
    }
    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }
    pub fn retry_after(&self, now: i64) -> i64 {
        (self.resets_at - now).max(1)
    }
    /// The tighter of two quotas (the one with fewer calls left).
    pub fn tighter(self, other: Quota) -> Quota {
        if other.remaining() < self.remaining() {
            other
        } else {
            self
        }
    }
}

fn window(span: u64, now: i64) -> (u64, i64) {
    let w = (now.max(0) as u64) / span;
    (w, ((w + 1) * span) as i64)
}

/// Counts one call from `ip` and returns the window's quota.
pub async fn count_ip(
    store: &dyn Store,
    limits: &RateLimits,
    class: RateClass,
    ip: &str,
    now: i64,
) -> StoreResult<Quota> {
    let (span, limit, name) = match class {
        RateClass::General => (limits.span, limits.limit, "ip"),
        RateClass::Login => (limits.login_span, limits.login_limit, "login"),
    };
    let (w, resets_at) = window(span, now);
    let update = Update::new(keys::rate_counter(name, ip, w))
        .add("n", 1)
        .set(TTL, Attr::from(resets_at + 60));
    let item = store.update(update, Returning::AllNew).await?;
    let used = item
        .as_ref()
        .and_then(|i| i.get("n"))
        .and_then(Attr::as_i64)
        .unwrap_or(1);
    Ok(Quota {
        span,
        limit,
        used: used.max(0) as u64,
        resets_at,
    })
}

fn counter_name(w: u64) -> String {
    format!("rl_{w}")
}

/// Adds the per-client counting to the update that authenticates a credential: this window's
/// counter goes up, the two before it are dropped so the item does not grow.
pub fn count_on_credential(update: Update, limits: &RateLimits, now: i64) -> Update {
    let (w, _) = window(limits.span, now);
    let mut update = update.add(&counter_name(w), 1);
    for back in 1..=2 {
        if let Some(prev) = w.checked_sub(back) {
            update = update.remove(&counter_name(prev));
        }
    }
    update
}

/// The per-client quota read back from the credential item after [`count_on_credential`].
pub fn credential_quota(item: &Item, limits: &RateLimits, now: i64) -> Quota {
    let (w, resets_at) = window(limits.span, now);
    let used = item.get(&counter_name(w)).and_then(Attr::as_i64).unwrap_or(1);
    Quota {
        span: limits.span,
        limit: limits.client_limit,
        used: used.max(0) as u64,
        resets_at,
    }
}
