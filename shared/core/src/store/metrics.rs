//! Store round trips per request. Adapters call [`round_trip`] once per backend request; the
//! pipeline runs each request inside [`count_round_trips`] and logs the total.

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static ROUND_TRIPS: Cell<u32>;
}

/// Records one backend request, if the current task is being counted.
pub fn round_trip() {
    let _ = ROUND_TRIPS.try_with(|n| n.set(n.get() + 1));
}

/// The round trips counted so far in the current task (0 outside a counted task).
pub fn current() -> u32 {
    ROUND_TRIPS.try_with(Cell::get).unwrap_or(0)
}

/// Runs `fut`, returning its output and the round trips it made.
pub async fn count_round_trips<F: Future>(fut: F) -> (F::Output, u32) {
    ROUND_TRIPS
        .scope(Cell::new(0), async {
            let out = fut.await;
            (out, current())
        })
        .await
}
