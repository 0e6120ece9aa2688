//! Retries of what DynamoDB refuses without writing anything: transaction conflicts, throttling
//! and unprocessed batch keys. Every application wraps its store in [`Resilient`], so no method
//! and no adapter repeats this, and a client never sees a fault for a refusal that a second try
//! would have turned into success.
//!
//! What is *not* retried here: a condition that failed (that is an answer), and a request whose
//! outcome is unknown (a timeout or a lost answer after the SDK's own attempts): sending a
//! conditional write again could report a failure for a write that in fact succeeded. Those
//! surface as a "try again" answer, and the methods that create things are idempotent on the
//! client's retry instead.

use super::{
    Batch, Cond, Item, Key, Page, Query, Returning, Store, StoreError, StoreResult, TxOp, Update, UpdateOp, metrics,
};
use async_trait::async_trait;
use std::cell::Cell;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Capped exponential backoff with full jitter (AWS's recommendation for contended retries):
/// attempt n waits a random time in `[0, min(cap, base * 2^n))`.
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    retries_left: u32,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration, retries: u32) -> Backoff {
        Backoff {
            base,
            cap,
            retries_left: retries,
            attempt: 0,
        }
    }

    /// Conflicts and throttling of single requests: up to 8 retries, at most ~2.5 s in all.
    pub fn request() -> Backoff {
        Backoff::new(Duration::from_millis(20), Duration::from_millis(640), 8)
    }

    /// Unprocessed keys of a batch read: up to 6 more batches.
    pub fn batch() -> Backoff {
        Backoff::new(Duration::from_millis(20), Duration::from_millis(640), 6)
    }

    /// Waits before the next attempt; `false` (without waiting) when no retry is left, or
    /// when the wait would pass the request's deadline.
    pub async fn wait(&mut self) -> bool {
        if self.retries_left == 0 {
            return false;
        }
        self.retries_left -= 1;
        let ceiling = self.base.saturating_mul(1u32 << self.attempt.min(16)).min(self.cap);
        self.attempt += 1;
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        let pause = Duration::from_nanos(if nanos == 0 { 0 } else { jitter() % nanos });
        if crate::deadline::remaining().is_some_and(|left| left <= pause) {
            return false;
        }
        tokio::time::sleep(pause).await;
        true
    }
}

/// A cheap per-thread random number for jitter (xorshift, seeded from the clock and the
/// thread); it needs to spread retries apart, not to be unpredictable.
fn jitter() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64);
            let here = &now as *const u64 as u64;
            (now ^ here.rotate_left(32)) | 1
        });
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    })
}

/// The store every application uses: the adapter (or a test's wrapper of it) with retries of
/// conflicts, throttling and unprocessed keys. A transaction sent again is built again, so
/// the DynamoDB adapter gives it a client request token of its own.
pub struct Resilient {
    inner: Arc<dyn Store>,
}

impl Resilient {
    pub fn new(inner: Arc<dyn Store>) -> Resilient {
        Resilient { inner }
    }

    async fn retrying<T, F, Fut>(&self, mut attempt: F) -> StoreResult<T>
    where
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = StoreResult<T>> + Send,
        T: Send,
    {
        let mut backoff = Backoff::request();
        loop {
            // A backend call never outlives the request that waits for it.
            let answer = match crate::deadline::remaining() {
                Some(left) => tokio::time::timeout(left, attempt())
                    .await
                    .unwrap_or_else(|_| Err(StoreError::Indeterminate("the request's deadline passed".into()))),
                None => attempt().await,
            };
            match answer {
                Err(e) if e.is_retryable() => {
                    metrics::retried();
                    if !backoff.wait().await {
                        tracing::warn!(target: "bb::store", error = %e, "gave up after retries");
                        return Err(e);
                    }
                }
                other => return other,
            }
        }
    }
}

/// Bytes an update writes: the attributes it names and their values (see [`metrics::Capacity`]).
fn update_size(update: &Update) -> usize {
    let attr = |name: &str, value: &super::Attr| super::item_size(&Item::from([(name.to_string(), value.clone())]));
    let named: usize = update
        .ops
        .iter()
        .map(|op| match op {
            UpdateOp::Set(name, value) | UpdateOp::SetIfAbsent(name, value) => attr(name, value),
            UpdateOp::Add(name, _) => name.len() + 8,
            UpdateOp::Remove(name) => name.len(),
            UpdateOp::Append(name, values) => values.iter().map(|v| attr(name, v)).sum(),
        })
        .sum();
    update.key.pk.len() + update.key.sk.len() + named
}

/// Write units of one transaction item, before the transaction's doubling; a condition check
/// reads (its units come back as read halves).
fn op_units(op: &TxOp) -> (u32, u32) {
    match op {
        TxOp::Put { item, .. } => (0, metrics::write_units(super::item_size(item))),
        TxOp::Update(update) => (0, metrics::write_units(update_size(update))),
        TxOp::Delete { .. } => (0, 1),
        TxOp::Check { .. } => (metrics::read_halves(0, true), 0),
    }
}

#[async_trait]
impl Store for Resilient {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        let found = self.retrying(|| self.inner.get(key)).await?;
        metrics::charge(
            metrics::read_halves(found.as_ref().map_or(0, super::item_size), true),
            0,
        );
        Ok(found)
    }

    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Batch> {
        let batch = self.retrying(|| self.inner.batch_get(keys)).await?;
        let halves = batch
            .items
            .iter()
            .map(|i| metrics::read_halves(super::item_size(i), true))
            .sum();
        metrics::charge(halves, 0);
        Ok(batch)
    }

    async fn put(&self, item: Item, cond: Option<Cond>) -> StoreResult<()> {
        metrics::charge(0, metrics::write_units(super::item_size(&item)));
        self.retrying(|| self.inner.put(item.clone(), cond.clone())).await
    }

    async fn update(&self, update: Update, returning: Returning) -> StoreResult<Option<Item>> {
        let written = self.retrying(|| self.inner.update(update.clone(), returning)).await;
        let bytes = match &written {
            Ok(Some(item)) => super::item_size(item).max(update_size(&update)),
            _ => update_size(&update),
        };
        metrics::charge(0, metrics::write_units(bytes));
        written
    }

    async fn delete(&self, key: &Key, cond: Option<Cond>) -> StoreResult<Option<Item>> {
        let deleted = self.retrying(|| self.inner.delete(key, cond.clone())).await;
        let bytes = match &deleted {
            Ok(Some(item)) => super::item_size(item),
            _ => 0,
        };
        metrics::charge(0, metrics::write_units(bytes));
        deleted
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        let consistent = query.index == super::Index::Table;
        let page = self.retrying(|| self.inner.query(query.clone())).await?;
        let bytes = page.items.iter().map(super::item_size).sum();
        metrics::charge(metrics::read_halves(bytes, consistent), 0);
        Ok(page)
    }

    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        let (reads, writes) = ops.iter().map(op_units).fold((0u32, 0u32), |(r, w), (or, ow)| {
            (r.saturating_add(or), w.saturating_add(ow))
        });
        metrics::charge(reads.saturating_mul(2), writes.saturating_mul(2));
        self.retrying(|| self.inner.transact(ops.clone())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Answers each call with the next scripted error, then with success.
    struct Scripted {
        errors: Mutex<Vec<StoreError>>,
        calls: Mutex<u32>,
    }

    impl Scripted {
        fn next(&self) -> StoreResult<()> {
            *self.calls.lock().unwrap() += 1;
            match self.errors.lock().unwrap().pop() {
                Some(e) => Err(e),
                None => Ok(()),
            }
        }
    }

    #[async_trait]
    impl Store for Scripted {
        async fn get(&self, _: &Key) -> StoreResult<Option<Item>> {
            self.next().map(|_| None)
        }
        async fn batch_get(&self, keys: &[Key]) -> StoreResult<Batch> {
            self.next()?;
            // Half of the keys each time, as DynamoDB under pressure.
            Ok(Batch {
                items: Vec::new(),
                unprocessed: keys[keys.len() / 2..].to_vec(),
            })
        }
        async fn put(&self, _: Item, _: Option<Cond>) -> StoreResult<()> {
            self.next()
        }
        async fn update(&self, _: Update, _: Returning) -> StoreResult<Option<Item>> {
            self.next().map(|_| None)
        }
        async fn delete(&self, _: &Key, _: Option<Cond>) -> StoreResult<Option<Item>> {
            self.next().map(|_| None)
        }
        async fn query(&self, _: Query) -> StoreResult<Page> {
            self.next().map(|_| Page::default())
        }
        async fn transact(&self, _: Vec<TxOp>) -> StoreResult<()> {
            self.next()
        }
    }

    fn scripted(errors: Vec<StoreError>) -> Arc<Scripted> {
        Arc::new(Scripted {
            errors: Mutex::new(errors),
            calls: Mutex::new(0),
        })
    }

    #[tokio::test]
    async fn conflicts_and_throttles_are_retried_conditions_and_unknown_outcomes_are_not() {
        let inner = scripted(vec![StoreError::Throttled, StoreError::Conflict, StoreError::Conflict]);
        let store = Resilient::new(inner.clone());
        store.transact(vec![TxOp::delete(Key::new("a", "b"))]).await.unwrap();
        assert_eq!(*inner.calls.lock().unwrap(), 4);

        for answer in [StoreError::ConditionFailed, StoreError::Indeterminate("timeout".into())] {
            let inner = scripted(vec![answer.clone()]);
            let store = Resilient::new(inner.clone());
            assert_eq!(store.put(Item::new(), None).await, Err(answer));
            assert_eq!(*inner.calls.lock().unwrap(), 1);
        }
    }

    #[tokio::test]
    async fn retries_end_with_the_refusal() {
        let inner = scripted(vec![StoreError::Conflict; 20]);
        let store = Resilient::new(inner.clone());
        assert_eq!(store.delete(&Key::new("a", "b"), None).await, Err(StoreError::Conflict));
        assert_eq!(*inner.calls.lock().unwrap(), 9);
    }

    #[tokio::test]
    async fn unprocessed_keys_are_read_again_until_none_are_left_or_retries_run_out() {
        let inner = scripted(Vec::new());
        let keys: Vec<Key> = (0..4).map(|i| Key::new("p", format!("{i}"))).collect();
        let store = Resilient::new(inner.clone());
        // 4 → 2 → 1 → 1 → ...: the last key never comes back, so the read gives up cleanly.
        assert_eq!(store.get_many(&keys).await, Err(StoreError::Throttled));
        assert_eq!(*inner.calls.lock().unwrap(), 7);
    }

    #[tokio::test]
    async fn backoff_allows_its_number_of_retries() {
        let mut b = Backoff::new(Duration::from_millis(1), Duration::from_millis(2), 3);
        assert!(b.wait().await && b.wait().await && b.wait().await);
        assert!(!b.wait().await);
    }
}
