//! Store round trips per request. Adapters call [`round_trip`] once per backend request and the
//! retrying layer calls [`retried`] before each retry; the pipeline runs each request inside
//! [`count_round_trips`] and logs both. A process-wide total of retries is kept as well (the
//! fault-injection suite reports it).

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
struct Counters {
    round_trips: Cell<u32>,
    retries: Cell<u32>,
}

tokio::task_local! {
    static COUNTERS: Counters;
}

static RETRIES: AtomicU64 = AtomicU64::new(0);

/// What one request cost in backend requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCalls {
    pub round_trips: u32,
    /// Of those, how many repeated a request the backend refused for a conflict or throttling.
    pub retries: u32,
}

/// Records one backend request, if the current task is being counted.
pub fn round_trip() {
    let _ = COUNTERS.try_with(|c| c.round_trips.set(c.round_trips.get() + 1));
}

/// Records one retry of a refused request.
pub fn retried() {
    RETRIES.fetch_add(1, Ordering::Relaxed);
    let _ = COUNTERS.try_with(|c| c.retries.set(c.retries.get() + 1));
}

/// Retries of this process so far.
pub fn total_retries() -> u64 {
    RETRIES.load(Ordering::Relaxed)
}

/// The round trips counted so far in the current task (0 outside a counted task).
pub fn current() -> u32 {
    COUNTERS.try_with(|c| c.round_trips.get()).unwrap_or(0)
}

/// Runs `fut`, returning its output and the backend requests it made.
pub async fn count_round_trips<F: Future>(fut: F) -> (F::Output, StoreCalls) {
    COUNTERS
        .scope(Counters::default(), async {
            let out = fut.await;
            let calls = COUNTERS
                .try_with(|c| StoreCalls {
                    round_trips: c.round_trips.get(),
                    retries: c.retries.get(),
                })
                .unwrap_or_default();
            (out, calls)
        })
        .await
}
