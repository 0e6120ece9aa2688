//! One deadline per request, shared by everything the request waits for: store calls, their
//! retries and every outbound call (an ISPConfig change is four calls, and together they must
//! end before the function's own timeout, which ends before API Gateway's 30 s). The pipeline
//! sets it; code outside a request (the mailer, operator commands) runs without one.

use std::future::Future;
use std::time::{Duration, Instant};

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `fut` with `deadline` as the current request's deadline.
pub async fn within<F: Future>(deadline: Instant, fut: F) -> F::Output {
    DEADLINE.scope(deadline, fut).await
}

/// Time left before the current request's deadline (`None` outside a request).
pub fn remaining() -> Option<Duration> {
    DEADLINE.try_with(|d| d.saturating_duration_since(Instant::now())).ok()
}

/// `wanted`, shortened to what the current request has left.
pub fn bound(wanted: Duration) -> Duration {
    remaining().map_or(wanted, |left| left.min(wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_deadline_bounds_waits_only_inside_its_scope() {
        assert_eq!(bound(Duration::from_secs(5)), Duration::from_secs(5));
        let inside = within(Instant::now() + Duration::from_secs(2), async {
            bound(Duration::from_secs(5))
        })
        .await;
        assert!(inside <= Duration::from_secs(2));
        let past = within(Instant::now(), async { bound(Duration::from_secs(5)) }).await;
        assert_eq!(past, Duration::ZERO);
    }
}
