//! A store that misbehaves the way DynamoDB does in production and neither moto nor SQLite
//! ever will: it wraps either backend and, on chosen calls, answers a transaction conflict, a
//! throttle, a partial batch, or commits and then loses the answer.

use async_trait::async_trait;
use bb_core::store::{Batch, Cond, Item, Key, Page, Query, Returning, Store, StoreError, StoreResult, TxOp, Update};
use std::sync::{Arc, Mutex};

/// Which store call a fault is armed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Get,
    Batch,
    Put,
    Update,
    Delete,
    Query,
    Transact,
}

/// What the armed call answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `TransactionConflict` (or `TransactionConflictException` on a single item); nothing written.
    Conflict,
    /// Throttled; nothing written.
    Throttle,
    /// A batch read that leaves the second half of its keys unprocessed.
    Partial,
    /// The write is applied, then its answer is lost (a timeout after the commit).
    LoseResponse,
}

#[derive(Clone, Debug)]
struct Rule {
    call: Call,
    /// Only calls touching a key whose partition starts with this.
    pk_prefix: Option<String>,
    /// How many more matching calls get the fault.
    times: usize,
    fault: Fault,
}

/// The plan of faults, shared between a test and its [`FaultyStore`].
#[derive(Default)]
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
    injected: Mutex<Vec<(Call, Fault)>>,
}

impl Faults {
    pub fn new() -> Arc<Faults> {
        Arc::new(Faults::default())
    }

    /// The next `times` calls of kind `call` answer `fault`.
    pub fn arm(&self, call: Call, fault: Fault, times: usize) {
        self.arm_on(call, None, fault, times);
    }

    /// As [`Faults::arm`], for calls touching a partition that starts with `pk_prefix`.
    pub fn arm_on(&self, call: Call, pk_prefix: Option<&str>, fault: Fault, times: usize) {
        self.rules.lock().unwrap().push(Rule {
            call,
            pk_prefix: pk_prefix.map(String::from),
            times,
            fault,
        });
    }

    /// Faults armed but not yet delivered.
    pub fn pending(&self) -> usize {
        self.rules.lock().unwrap().iter().map(|r| r.times).sum()
    }

    /// Every fault delivered so far.
    pub fn injected(&self) -> Vec<(Call, Fault)> {
        self.injected.lock().unwrap().clone()
    }

    fn take(&self, call: Call, keys: &[&Key]) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap();
        let rule = rules.iter_mut().find(|r| {
            r.call == call
                && r.times > 0
                && r.pk_prefix
                    .as_ref()
                    .is_none_or(|p| keys.iter().any(|k| k.pk.starts_with(p.as_str())))
        })?;
        rule.times -= 1;
        let fault = rule.fault;
        self.injected.lock().unwrap().push((call, fault));
        Some(fault)
    }
}

pub struct FaultyStore {
    inner: Arc<dyn Store>,
    faults: Arc<Faults>,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn Store>, faults: Arc<Faults>) -> FaultyStore {
        FaultyStore { inner, faults }
    }
}

fn refused(fault: Fault) -> Option<StoreError> {
    match fault {
        Fault::Conflict => Some(StoreError::Conflict),
        Fault::Throttle => Some(StoreError::Throttled),
        Fault::Partial | Fault::LoseResponse => None,
    }
}

fn lost<T>(answer: StoreResult<T>) -> StoreResult<T> {
    answer.and(Err(StoreError::Indeterminate(
        "the answer was lost after the write (injected)".into(),
    )))
}

/// Runs `call` under the fault armed for it, if any.
macro_rules! faulty {
    ($self:ident, $call:expr, $keys:expr, $inner:expr) => {{
        match $self.faults.take($call, $keys) {
            Some(fault) => match refused(fault) {
                Some(e) => Err(e),
                None if fault == Fault::LoseResponse => lost($inner.await),
                None => $inner.await,
            },
            None => $inner.await,
        }
    }};
}

#[async_trait]
impl Store for FaultyStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        faulty!(self, Call::Get, &[key], self.inner.get(key))
    }

    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Batch> {
        let refs: Vec<&Key> = keys.iter().collect();
        match self.faults.take(Call::Batch, &refs) {
            Some(Fault::Partial) if keys.len() > 1 => {
                let (now, later) = keys.split_at(keys.len() / 2);
                let mut batch = self.inner.batch_get(now).await?;
                batch.unprocessed.extend_from_slice(later);
                Ok(batch)
            }
            Some(fault) => match refused(fault) {
                Some(e) => Err(e),
                None => self.inner.batch_get(keys).await,
            },
            None => self.inner.batch_get(keys).await,
        }
    }

    async fn put(&self, item: Item, cond: Option<Cond>) -> StoreResult<()> {
        let key = Key::of(&item).unwrap_or_else(|| Key::new("", ""));
        faulty!(self, Call::Put, &[&key], self.inner.put(item, cond))
    }

    async fn update(&self, update: Update, returning: Returning) -> StoreResult<Option<Item>> {
        let key = update.key.clone();
        faulty!(self, Call::Update, &[&key], self.inner.update(update, returning))
    }

    async fn delete(&self, key: &Key, cond: Option<Cond>) -> StoreResult<Option<Item>> {
        faulty!(self, Call::Delete, &[key], self.inner.delete(key, cond))
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        let key = Key::new(query.pk.clone(), "");
        faulty!(self, Call::Query, &[&key], self.inner.query(query))
    }

    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        let keys: Vec<Key> = ops.iter().filter_map(TxOp::key).collect();
        let refs: Vec<&Key> = keys.iter().collect();
        faulty!(self, Call::Transact, &refs, self.inner.transact(ops))
    }
}
