//! The store port: DynamoDB's item model, spoken by every module and implemented twice
//! (DynamoDB in `bb-aws`, an embedded SQLite file in `bb-local`).
//!
//! One table, keys `pk`/`sk`, two overloaded global secondary indexes (`gsi1pk`/`gsi1sk`,
//! `gsi2pk`/`gsi2sk`) and a TTL attribute `ttl` (epoch seconds). ARCHITECTURE.md lists which
//! record lives under which key. Expressions are typed values here, never strings, so that both
//! adapters can evaluate them the same way.

mod attr;
mod eval;
pub mod listing;
pub mod metrics;
mod record;
mod resilient;

pub use attr::{Attr, Item, TaggedItem, from_item, to_item};
pub use eval::{apply_update, condition_holds, is_expired};
pub use record::{IndexEntry, Record, Versioned, changes};
pub use resilient::{Backoff, Resilient};

use async_trait::async_trait;
use std::fmt;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const GSI2_PK: &str = "gsi2pk";
pub const GSI2_SK: &str = "gsi2sk";
/// Which kind of record an item is, where a partition holds several.
pub const KIND: &str = "kind";
/// Epoch seconds after which the item is treated as absent (and eventually deleted).
pub const TTL: &str = "ttl";
/// Bumped by every write of a versioned record; writes are conditional on the version read.
pub const VERSION: &str = "version";

/// The primary key of an item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key of a stored item, if it has one.
    pub fn of(item: &Item) -> Option<Key> {
        Some(Key::new(item.get(PK)?.as_str()?, item.get(SK)?.as_str()?))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", self.pk, self.sk)
    }
}

/// Which index a query reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
}

impl Index {
    pub fn key_names(self) -> (&'static str, &'static str) {
        match self {
            Index::Table => (PK, SK),
            Index::Gsi1 => (GSI1_PK, GSI1_SK),
            Index::Gsi2 => (GSI2_PK, GSI2_SK),
        }
    }

    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Gsi2 => Some("gsi2"),
        }
    }
}

/// A condition on one item, as DynamoDB's ConditionExpression. Attribute names are top level.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// The item exists and its TTL has not passed. DynamoDB deletes expired items only within
    /// days, so "exists" alone would let a write act on an item every read already treats as gone.
    Live,
    /// No item with this key, or only an expired one (the mirror of [`Cond::Live`]).
    Absent,
    Exists(String),
    NotExists(String),
    Eq(String, Attr),
    Ne(String, Attr),
    Lt(String, Attr),
    Le(String, Attr),
    Gt(String, Attr),
    Ge(String, Attr),
    BeginsWith(String, String),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
}

impl Cond {
    /// The item exists and has not expired.
    pub fn exists() -> Cond {
        Cond::Live
    }
    /// No live item with this key exists (an expired one counts as absent).
    pub fn absent() -> Cond {
        Cond::Absent
    }
    pub fn eq(name: &str, value: impl Into<Attr>) -> Cond {
        Cond::Eq(name.into(), value.into())
    }
    /// The stored record is still at the version it was read at (optimistic locking).
    pub fn version(read_at: i64) -> Cond {
        Cond::eq(VERSION, read_at)
    }
    pub fn and(self, other: Cond) -> Cond {
        match self {
            Cond::And(mut all) => {
                all.push(other);
                Cond::And(all)
            }
            first => Cond::And(vec![first, other]),
        }
    }
}

/// One action of an UpdateItem.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdateOp {
    Set(String, Attr),
    /// Set only when the attribute is missing.
    SetIfAbsent(String, Attr),
    /// Atomic numeric add; a missing attribute counts as zero.
    Add(String, i64),
    Remove(String),
    /// Append to a list attribute, creating it when missing.
    Append(String, Vec<Attr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub key: Key,
    pub ops: Vec<UpdateOp>,
    pub cond: Option<Cond>,
}

impl Update {
    pub fn new(key: Key) -> Self {
        Update {
            key,
            ops: Vec::new(),
            cond: None,
        }
    }
    pub fn set(mut self, name: &str, value: impl Into<Attr>) -> Self {
        self.ops.push(UpdateOp::Set(name.into(), value.into()));
        self
    }
    pub fn set_if_absent(mut self, name: &str, value: impl Into<Attr>) -> Self {
        self.ops.push(UpdateOp::SetIfAbsent(name.into(), value.into()));
        self
    }
    pub fn add(mut self, name: &str, by: i64) -> Self {
        self.ops.push(UpdateOp::Add(name.into(), by));
        self
    }
    pub fn remove(mut self, name: &str) -> Self {
        self.ops.push(UpdateOp::Remove(name.into()));
        self
    }
    pub fn append(mut self, name: &str, values: Vec<Attr>) -> Self {
        self.ops.push(UpdateOp::Append(name.into(), values));
        self
    }
    pub fn when(mut self, cond: Cond) -> Self {
        self.cond = Some(match self.cond.take() {
            Some(existing) => existing.and(cond),
            None => cond,
        });
        self
    }

    /// Every attribute the update acts on, in order.
    fn targets(&self) -> impl Iterator<Item = &str> {
        self.ops.iter().map(|op| match op {
            UpdateOp::Set(n, _)
            | UpdateOp::SetIfAbsent(n, _)
            | UpdateOp::Add(n, _)
            | UpdateOp::Remove(n)
            | UpdateOp::Append(n, _) => n.as_str(),
        })
    }

    /// DynamoDB refuses an update expression whose actions overlap ("Two document paths overlap")
    /// and one that changes the key; the embedded adapter applies the same checks, so a bad update
    /// fails in every test instead of only in AWS.
    pub fn validate(&self) -> StoreResult<()> {
        let mut seen = std::collections::HashSet::new();
        for name in self.targets() {
            if name == PK || name == SK {
                return Err(StoreError::Invalid(format!("update of the key attribute {name}")));
            }
            if !seen.insert(name) {
                return Err(StoreError::Invalid(format!(
                    "update names {name} twice (DynamoDB refuses overlapping paths) on {}",
                    self.key
                )));
            }
        }
        Ok(())
    }
}

/// What an update returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returning {
    Nothing,
    AllNew,
    AllOld,
}

/// A condition on the sort key of a query.
#[derive(Clone, Debug, PartialEq)]
pub enum SkCond {
    Eq(String),
    BeginsWith(String),
    Between(String, String),
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk: Option<SkCond>,
    /// Ascending sort key order when true.
    pub forward: bool,
    pub limit: Option<usize>,
    pub cursor: Option<Cursor>,
}

impl Query {
    pub fn partition(pk: impl Into<String>) -> Self {
        Query {
            index: Index::Table,
            pk: pk.into(),
            sk: None,
            forward: true,
            limit: None,
            cursor: None,
        }
    }
    pub fn on(mut self, index: Index) -> Self {
        self.index = index;
        self
    }
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.sk = Some(SkCond::BeginsWith(prefix.into()));
        self
    }
    pub fn sk(mut self, cond: SkCond) -> Self {
        self.sk = Some(cond);
        self
    }
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// Where the next page of a query starts: the key attributes of the last item returned,
/// opaque to callers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(pub String);

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    pub cursor: Option<Cursor>,
}

/// One write of a transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum TxOp {
    Put { item: Item, cond: Option<Cond> },
    Update(Update),
    Delete { key: Key, cond: Option<Cond> },
    Check { key: Key, cond: Cond },
}

impl TxOp {
    pub fn put(item: Item) -> Self {
        TxOp::Put { item, cond: None }
    }
    pub fn put_new(item: Item) -> Self {
        TxOp::Put {
            item,
            cond: Some(Cond::absent()),
        }
    }
    pub fn delete(key: Key) -> Self {
        TxOp::Delete { key, cond: None }
    }
    pub fn key(&self) -> Option<Key> {
        match self {
            TxOp::Put { item, .. } => Key::of(item),
            TxOp::Update(u) => Some(u.key.clone()),
            TxOp::Delete { key, .. } | TxOp::Check { key, .. } => Some(key.clone()),
        }
    }
}

/// Most items a transaction may touch (DynamoDB's limit).
pub const MAX_TX_ITEMS: usize = 100;

/// Largest item DynamoDB stores (400 KB), and most bytes of items one transaction may write (4 MB).
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
pub const MAX_TX_BYTES: usize = 4 * 1024 * 1024;

/// An item's size as DynamoDB counts it: attribute names plus values (strings and numbers by
/// their text, nested values with a few bytes of overhead each). Close enough to stay inside
/// the limits with a margin, and the same on both adapters.
pub fn item_size(item: &Item) -> usize {
    fn value(a: &Attr) -> usize {
        match a {
            Attr::S(s) | Attr::N(s) => s.len(),
            Attr::Bool(_) | Attr::Null => 1,
            Attr::L(l) => 3 + l.iter().map(|v| 1 + value(v)).sum::<usize>(),
            Attr::M(m) => 3 + m.iter().map(|(k, v)| 1 + k.len() + value(v)).sum::<usize>(),
        }
    }
    item.iter().map(|(k, v)| k.len() + value(v)).sum()
}

/// Refuses an item DynamoDB would refuse for its size, on both adapters.
pub fn validate_item(item: &Item) -> StoreResult<()> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::Invalid(format!(
            "item of {size} bytes exceeds DynamoDB's {MAX_ITEM_BYTES}"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// The condition of a single-item write did not hold.
    ConditionFailed,
    /// A transaction was cancelled; one entry per operation, `true` where its condition failed.
    TransactionCanceled { failed: Vec<bool> },
    /// Another transaction was writing the same items (DynamoDB `TransactionConflict`); nothing
    /// was written, so the request can be sent again.
    Conflict,
    /// The backend refused the request for capacity (throttling); nothing was written.
    Throttled,
    /// The request may or may not have been applied: it timed out, or its answer was lost.
    Indeterminate(String),
    /// The request itself was invalid (bad key, too many items, two writes to one item).
    Invalid(String),
    /// The backend refused or failed in a way retrying does not fix (access denied, missing
    /// table, an internal error that persisted through the SDK's own retries).
    Unavailable(String),
}

impl StoreError {
    /// Whether nothing was written and the same request may simply be sent again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Conflict | StoreError::Throttled)
    }

    /// Whether the operation `op` of a cancelled transaction failed its condition.
    pub fn failed(&self, op: OpHandle) -> bool {
        matches!(self, StoreError::TransactionCanceled { failed } if failed.get(op.0).copied().unwrap_or(false))
    }
    pub fn is_condition_failure(&self) -> bool {
        matches!(
            self,
            StoreError::ConditionFailed | StoreError::TransactionCanceled { .. }
        )
    }
}

/// A transaction being built. Adding an operation whose failure the caller wants to tell apart
/// answers its handle, so a cancelled transaction names what failed by handle
/// ([`StoreError::failed`]), never by position.
#[derive(Debug, Default, Clone)]
pub struct Tx {
    ops: Vec<TxOp>,
}

/// One operation of a [`Tx`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpHandle(usize);

impl Tx {
    pub fn new() -> Tx {
        Tx::default()
    }

    /// Adds an operation and answers its handle.
    pub fn add(&mut self, op: TxOp) -> OpHandle {
        self.ops.push(op);
        OpHandle(self.ops.len() - 1)
    }

    /// Adds an operation no answer depends on.
    pub fn push(&mut self, op: TxOp) {
        self.ops.push(op);
    }

    pub fn extend(&mut self, ops: impl IntoIterator<Item = TxOp>) {
        self.ops.extend(ops);
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn ops(&self) -> &[TxOp] {
        &self.ops
    }

    /// What [`Store::transact`] takes.
    pub fn into_ops(self) -> Vec<TxOp> {
        self.ops
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::ConditionFailed => write!(f, "condition failed"),
            StoreError::TransactionCanceled { failed } => {
                write!(f, "transaction cancelled (conditions failed: {failed:?})")
            }
            StoreError::Conflict => write!(f, "conflict with a concurrent transaction"),
            StoreError::Throttled => write!(f, "throttled"),
            StoreError::Indeterminate(m) => write!(f, "outcome unknown: {m}"),
            StoreError::Invalid(m) => write!(f, "invalid store request: {m}"),
            StoreError::Unavailable(m) => write!(f, "store unavailable: {m}"),
        }
    }
}

impl std::error::Error for StoreError {}

pub type StoreResult<T> = Result<T, StoreError>;

/// What one batch read returned: the items found, and the keys the backend did not get to
/// (DynamoDB's `UnprocessedKeys`, under throttling or the 16 MB answer limit).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub items: Vec<Item>,
    pub unprocessed: Vec<Key>,
}

/// Most keys one batch read may name (DynamoDB's limit).
pub const MAX_BATCH_KEYS: usize = 100;

/// What a batch read found, by key: a batch answers in no particular order, so callers look
/// each item up by the key they asked for instead of searching the list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Found(std::collections::HashMap<Key, Item>);

impl Found {
    /// Files items under their own keys (an item without a string pk and sk is dropped: the
    /// store never returns one).
    pub fn from_items(items: impl IntoIterator<Item = Item>) -> Found {
        Found(items.into_iter().filter_map(|i| Some((Key::of(&i)?, i))).collect())
    }
    pub fn get(&self, key: &Key) -> Option<&Item> {
        self.0.get(key)
    }
    /// Moves the item out (to decode it without a copy).
    pub fn take(&mut self, key: &Key) -> Option<Item> {
        self.0.remove(key)
    }
    pub fn contains(&self, key: &Key) -> bool {
        self.0.contains_key(key)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Every item found, in no particular order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.0.values()
    }
    /// Every item found, in no particular order.
    pub fn into_items(self) -> impl Iterator<Item = Item> {
        self.0.into_values()
    }
}

/// The operations every module uses. Each call is one round trip to the backend and is
/// counted by [`metrics`]. Adapters report transient refusals as [`StoreError::Conflict`] and
/// [`StoreError::Throttled`]; [`Resilient`] (which every application wraps its store in) retries them.
#[async_trait]
pub trait Store: Send + Sync {
    /// Strongly consistent read of one item; expired items read as absent.
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>>;
    /// One strongly consistent batch read of up to 100 distinct items, in no particular order;
    /// some keys may come back unprocessed.
    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Batch>;
    /// Every one of up to 100 distinct items: [`Store::batch_get`] again, with capped jittered
    /// backoff, for keys left unprocessed; [`StoreError::Throttled`] if some never are.
    async fn get_many(&self, keys: &[Key]) -> StoreResult<Found> {
        let mut pending = keys.to_vec();
        let mut found = Found::default();
        let mut backoff = Backoff::batch();
        loop {
            let batch = self.batch_get(&pending).await?;
            found.0.extend(Found::from_items(batch.items).0);
            if batch.unprocessed.is_empty() {
                return Ok(found);
            }
            pending = batch.unprocessed;
            if !backoff.wait().await {
                return Err(StoreError::Throttled);
            }
        }
    }
    async fn put(&self, item: Item, cond: Option<Cond>) -> StoreResult<()>;
    async fn update(&self, update: Update, returning: Returning) -> StoreResult<Option<Item>>;
    /// Deletes and returns the old item, if any.
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> StoreResult<Option<Item>>;
    /// One page of a query; table queries are strongly consistent, index queries eventually.
    async fn query(&self, query: Query) -> StoreResult<Page>;
    /// All or nothing, at most [`MAX_TX_ITEMS`] operations, each on a distinct item.
    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()>;
}

/// Checks shared by both adapters so they refuse the same batch reads.
pub fn validate_batch(keys: &[Key]) -> StoreResult<()> {
    if keys.len() > MAX_BATCH_KEYS {
        return Err(StoreError::Invalid(format!("more than {MAX_BATCH_KEYS} keys")));
    }
    if keys.iter().collect::<std::collections::HashSet<_>>().len() != keys.len() {
        return Err(StoreError::Invalid("the same key twice in one read".into()));
    }
    Ok(())
}

/// Checks shared by both adapters so they refuse the same transactions.
pub fn validate_transaction(ops: &[TxOp]) -> StoreResult<()> {
    if ops.is_empty() {
        return Err(StoreError::Invalid("empty transaction".into()));
    }
    if ops.len() > MAX_TX_ITEMS {
        return Err(StoreError::Invalid(format!(
            "transaction of {} items exceeds {MAX_TX_ITEMS}",
            ops.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    let mut bytes = 0;
    for op in ops {
        if let TxOp::Put { item, .. } = op {
            validate_item(item)?;
            bytes += item_size(item);
        }
        let key = op
            .key()
            .ok_or_else(|| StoreError::Invalid("transaction item without key".into()))?;
        if !seen.insert(key.clone()) {
            return Err(StoreError::Invalid(format!(
                "two operations on one item ({key}) in a transaction"
            )));
        }
        if let TxOp::Update(update) = op {
            update.validate()?;
        }
    }
    if bytes > MAX_TX_BYTES {
        return Err(StoreError::Invalid(format!(
            "transaction writes {bytes} bytes, over DynamoDB's {MAX_TX_BYTES}"
        )));
    }
    Ok(())
}

/// Reads every page of a query (bounded per-client collections only).
pub async fn query_all(store: &dyn Store, mut query: Query) -> StoreResult<Vec<Item>> {
    let mut items = Vec::new();
    loop {
        let page = store.query(query.clone()).await?;
        items.extend(page.items);
        match page.cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return Ok(items),
        }
        if let Some(limit) = query.limit
            && items.len() >= limit
        {
            return Ok(items);
        }
    }
}

/// The next integer id of each of `kinds`, in one round trip (a kind listed twice gets two
/// consecutive ids).
pub async fn next_ids(store: &dyn Store, kinds: &[IdKind]) -> StoreResult<Vec<i64>> {
    let mut counts: Vec<(IdKind, usize)> = Vec::new();
    for kind in kinds {
        match counts.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((*kind, 1)),
        }
    }
    let mut ids = Ids::allocate(store, &counts).await?;
    kinds.iter().map(|k| ids.next(*k)).collect()
}

/// Adds `n` to each counter attribute of `key` in one UpdateItem and hands out the block of
/// values each addition reserved.
async fn counted_blocks(store: &dyn Store, key: Key, wants: &[(IdKind, usize)]) -> StoreResult<Blocks> {
    let wanted: Vec<(IdKind, usize)> = wants.iter().copied().filter(|(_, n)| *n > 0).collect();
    if wanted.is_empty() {
        return Ok(Blocks::new());
    }
    let mut update = Update::new(key);
    for (kind, n) in &wanted {
        update = update.add(kind.counter(), *n as i64);
    }
    let item = store
        .update(update, Returning::AllNew)
        .await?
        .ok_or_else(|| StoreError::Unavailable("counter update returned nothing".into()))?;
    let mut blocks = Blocks::new();
    for (kind, n) in wanted {
        let top = item
            .get(kind.counter())
            .and_then(Attr::as_i64)
            .ok_or_else(|| StoreError::Unavailable(format!("counter {} missing", kind.counter())))?;
        let first = top - n as i64 + 1;
        blocks.insert(kind, (first..=top).collect());
    }
    Ok(blocks)
}

/// The kinds of integer ids. Each is one counter attribute of the `COUNTER` / `IDS` item, so
/// the names are part of the stored data and must not change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdKind {
    Client,
    Email,
    Invoice,
    InvoiceLine,
    Order,
    Service,
    Transaction,
    Balance,
    Ticket,
    TicketMessage,
    Forum,
    ForumTopic,
    ForumMessage,
    Product,
}

impl IdKind {
    /// Records of this kind are ranked in their owner's lists by the owner's sequence.
    pub const fn is_listed(self) -> bool {
        matches!(
            self,
            IdKind::Invoice | IdKind::Balance | IdKind::Transaction | IdKind::Email | IdKind::Ticket
        )
    }

    /// The counter's attribute name.
    pub const fn counter(self) -> &'static str {
        match self {
            IdKind::Client => "client",
            IdKind::Email => "email",
            IdKind::Invoice => "invoice",
            IdKind::InvoiceLine => "invoice_line",
            IdKind::Order => "order",
            IdKind::Service => "service",
            IdKind::Transaction => "transaction",
            IdKind::Balance => "balance",
            IdKind::Ticket => "ticket",
            IdKind::TicketMessage => "ticket_message",
            IdKind::Forum => "forum",
            IdKind::ForumTopic => "forum_topic",
            IdKind::ForumMessage => "forum_message",
            IdKind::Product => "product",
        }
    }
}

/// Blocks of fresh ids of several kinds, allocated in one round trip and handed out in order.
/// Unused ids leave gaps, which is harmless.
/// The id counters' item, one attribute per [`IdKind`].
pub fn id_counters() -> Key {
    Key::new("COUNTER", "IDS")
}

/// The owner's sequence numbers, one attribute per listed [`IdKind`]: dense per owner, so
/// the owner's lists rank their members by them (see [`listing`]).
pub fn sequences(partition: &str) -> Key {
    Key::new(partition, "SEQ")
}

type Blocks = std::collections::BTreeMap<IdKind, std::collections::VecDeque<i64>>;

#[derive(Debug, Default)]
pub struct Ids {
    blocks: Blocks,
    /// Sequence numbers in the owner's partition, for kinds whose records are listed.
    seqs: Blocks,
    /// The partition the sequence numbers belong to.
    owner: Option<String>,
}

impl Ids {
    /// Allocates `count` ids of each kind.
    pub async fn allocate(store: &dyn Store, wants: &[(IdKind, usize)]) -> StoreResult<Ids> {
        Ok(Ids {
            blocks: counted_blocks(store, id_counters(), wants).await?,
            ..Ids::default()
        })
    }

    /// Allocates ids as [`Ids::allocate`] and, for the kinds an owner's lists rank, as many of
    /// the owner's sequence numbers; the two counters are one round trip each, sent together.
    pub async fn allocate_owned(store: &dyn Store, owner: &str, wants: &[(IdKind, usize)]) -> StoreResult<Ids> {
        let listed: Vec<(IdKind, usize)> = wants.iter().copied().filter(|(k, _)| k.is_listed()).collect();
        let (blocks, seqs) = tokio::try_join!(
            counted_blocks(store, id_counters(), wants),
            counted_blocks(store, sequences(owner), &listed)
        )?;
        Ok(Ids {
            blocks,
            seqs,
            owner: Some(owner.to_string()),
        })
    }

    /// The partition whose sequence numbers these are, if any were allocated.
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    /// Sequence numbers of `owner`, allocated on their own (mail to a client other than the
    /// action's owner).
    pub async fn sequence(store: &dyn Store, owner: &str, kind: IdKind, n: usize) -> StoreResult<Vec<i64>> {
        let mut blocks = counted_blocks(store, sequences(owner), &[(kind, n)]).await?;
        Ok(blocks.remove(&kind).map(Vec::from).unwrap_or_default())
    }

    /// The next id of `kind`; a fault when more were taken than allocated.
    pub fn next(&mut self, kind: IdKind) -> StoreResult<i64> {
        self.blocks
            .get_mut(&kind)
            .and_then(std::collections::VecDeque::pop_front)
            .ok_or_else(|| StoreError::Invalid(format!("no {} id left in this allocation", kind.counter())))
    }

    /// The next id of a listed `kind` and the owner's sequence number for it.
    pub fn next_listed(&mut self, kind: IdKind) -> StoreResult<(i64, i64)> {
        let id = self.next(kind)?;
        let seq = self
            .seqs
            .get_mut(&kind)
            .and_then(std::collections::VecDeque::pop_front)
            .ok_or_else(|| StoreError::Invalid(format!("no {} sequence number in this allocation", kind.counter())))?;
        Ok((id, seq))
    }

    /// Ids already known, handed out in order (rules tested without a store, imports); a
    /// listed kind's sequence numbers are the ids.
    pub fn given(kind: IdKind, ids: impl IntoIterator<Item = i64>) -> Ids {
        Ids::default().with(kind, ids)
    }

    /// The owner's sequence number for a listed `kind`, without an id.
    pub fn next_seq(&mut self, kind: IdKind) -> Option<i64> {
        self.seqs.get_mut(&kind).and_then(std::collections::VecDeque::pop_front)
    }

    /// Adds ids of another kind to hand out.
    pub fn with(mut self, kind: IdKind, ids: impl IntoIterator<Item = i64>) -> Ids {
        let ids: std::collections::VecDeque<i64> = ids.into_iter().collect();
        if kind.is_listed() {
            self.seqs.insert(kind, ids.clone());
        }
        self.blocks.insert(kind, ids);
        self
    }

    /// The next `n` ids of `kind` (one per notice of an action, say).
    pub fn take(&mut self, kind: IdKind, n: usize) -> StoreResult<Vec<i64>> {
        (0..n).map(|_| self.next(kind)).collect()
    }
}
