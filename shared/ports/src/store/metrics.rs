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
    read_halves: Cell<u32>,
    write_units: Cell<u32>,
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
    pub capacity: Capacity,
}

/// Capacity units by DynamoDB's on-demand rules, computed from the sizes of the items read and
/// written (moto's `ConsumedCapacity` figures are constants, not measurements): a strongly
/// consistent read is one unit per 4 KB (half for an index read), a write one unit per 1 KB,
/// and a transaction doubles both. An update or delete counts the attributes it names, at
/// least one unit (DynamoDB counts the larger of the item before and after; every update on a
/// request path is of a small item: credentials, counters, ids).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capacity {
    /// Read units, in halves (an eventually consistent 4 KB is one half).
    pub read_halves: u32,
    pub write_units: u32,
}

impl Capacity {
    pub fn read_units(&self) -> f64 {
        f64::from(self.read_halves) / 2.0
    }
}

/// Read units (in halves) of one read of `bytes`: at least one unit.
pub fn read_halves(bytes: usize, consistent: bool) -> u32 {
    let units = u32::try_from(bytes.div_ceil(4096).max(1)).unwrap_or(u32::MAX);
    if consistent { units.saturating_mul(2) } else { units }
}

/// Write units of one write of `bytes`: at least one.
pub fn write_units(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024).max(1)).unwrap_or(u32::MAX)
}

/// Records capacity spent by the current task's request.
pub fn charge(read_halves: u32, write_units: u32) {
    let _ = COUNTERS.try_with(|c| {
        c.read_halves.set(c.read_halves.get().saturating_add(read_halves));
        c.write_units.set(c.write_units.get().saturating_add(write_units));
    });
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
                    capacity: Capacity {
                        read_halves: c.read_halves.get(),
                        write_units: c.write_units.get(),
                    },
                })
                .unwrap_or_default();
            (out, calls)
        })
        .await
}
