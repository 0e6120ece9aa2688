//! The store port on an embedded SQLite file. Several processes may share the file
//! (`cargo lambda watch` runs each function as its own process): WAL journal, a busy timeout,
//! and every write in a `BEGIN IMMEDIATE` transaction that re-reads what it checks.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bb_ports::clock::{Clock, SystemClock};
use bb_ports::store::{
    Attr, Batch, Cond, Cursor, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, Index, Item, Key, PK, Page, Query, Returning, SK,
    SkCond, Store, StoreError, StoreResult, TTL, TaggedItem, TxOp, Update, apply_update, condition_holds, is_expired,
    metrics, validate_batch, validate_transaction,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params_from_iter};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// What "now" is for time-to-live: the application's clock, so an item expires when the
    /// application says so (a test's clock, not the machine's).
    clock: Arc<dyn Clock>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    item TEXT NOT NULL,
    gsi1pk TEXT, gsi1sk TEXT,
    gsi2pk TEXT, gsi2sk TEXT,
    ttl INTEGER,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL AND gsi1sk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL AND gsi2sk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL;
";

impl SqliteStore {
    /// Opens (creating when missing) the database file, with the machine's clock.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        SqliteStore::open_with_clock(path, Arc::new(SystemClock))
    }

    /// Opens the database file; time-to-live is judged by `clock`.
    pub fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(unavailable)?;
        }
        let conn = Connection::open(path).map_err(unavailable)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(unavailable)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(unavailable)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        // Expired items are invisible already; dropping them keeps the file small.
        let now = clock.now().unix_timestamp();
        conn.execute("DELETE FROM items WHERE ttl IS NOT NULL AND ttl <= ?1", [now])
            .map_err(unavailable)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            clock,
        })
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Runs blocking SQLite work off the async threads; one round trip.
    async fn run<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        metrics::round_trip();
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| unavailable("connection lock poisoned"))?;
            work(&mut guard)
        })
        .await
        .map_err(unavailable)?
    }
}

fn encode_item(item: &Item) -> String {
    serde_json::Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_tagged())).collect()).to_string()
}

fn decode_item(text: &str) -> StoreResult<Item> {
    let item: TaggedItem = serde_json::from_str(text).map_err(unavailable)?;
    Ok(item.0)
}

fn text_attr(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(Attr::as_str).map(String::from)
}

fn read(conn: &Connection, key: &Key) -> StoreResult<Option<Item>> {
    conn.query_row(
        "SELECT item FROM items WHERE pk = ?1 AND sk = ?2",
        [&key.pk, &key.sk],
        |row| row.get::<_, String>(0),
    )
    .optional()
    .map_err(unavailable)?
    .map(|text| decode_item(&text))
    .transpose()
}

fn write(conn: &Connection, item: &Item) -> StoreResult<()> {
    let key = Key::of(item).ok_or_else(|| StoreError::Invalid("item without string pk and sk".into()))?;
    // An index holds an item only when both of its key attributes are strings.
    let pair = |p: &str, s: &str| match (text_attr(item, p), text_attr(item, s)) {
        (Some(a), Some(b)) => (Some(a), Some(b)),
        _ => (None, None),
    };
    let (g1p, g1s) = pair(GSI1_PK, GSI1_SK);
    let (g2p, g2s) = pair(GSI2_PK, GSI2_SK);
    let ttl = item.get(TTL).and_then(Attr::as_i64);
    conn.execute(
        "INSERT OR REPLACE INTO items (pk, sk, item, gsi1pk, gsi1sk, gsi2pk, gsi2sk, ttl) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![key.pk, key.sk, encode_item(item), g1p, g1s, g2p, g2s, ttl],
    )
    .map_err(unavailable)?;
    Ok(())
}

fn remove(conn: &Connection, key: &Key) -> StoreResult<()> {
    conn.execute("DELETE FROM items WHERE pk = ?1 AND sk = ?2", [&key.pk, &key.sk])
        .map_err(unavailable)?;
    Ok(())
}

fn check(cond: Option<&Cond>, current: Option<&Item>, now: i64) -> bool {
    cond.is_none_or(|c| condition_holds(c, current, now))
}

/// The item an update produces, or `None` when its condition fails.
fn updated(update: &Update, current: Option<&Item>, now: i64) -> StoreResult<Option<Item>> {
    if !check(update.cond.as_ref(), current, now) {
        return Ok(None);
    }
    let mut item = current.cloned().unwrap_or_default();
    item.insert(PK.into(), Attr::S(update.key.pk.clone()));
    item.insert(SK.into(), Attr::S(update.key.sk.clone()));
    apply_update(&mut item, &update.ops)?;
    Ok(Some(item))
}

fn immediate(conn: &mut Connection) -> StoreResult<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)
}

fn encode_cursor(parts: &[String]) -> Cursor {
    Cursor(URL_SAFE_NO_PAD.encode(serde_json::to_vec(parts).unwrap_or_default()))
}

fn decode_cursor(cursor: &Cursor) -> StoreResult<Vec<String>> {
    URL_SAFE_NO_PAD
        .decode(&cursor.0)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .ok_or_else(|| StoreError::Invalid("cursor is not one of ours".into()))
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        let (key, now) = (key.clone(), self.now());
        self.run(move |conn| Ok(read(conn, &key)?.filter(|i| !is_expired(i, now))))
            .await
    }

    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Batch> {
        validate_batch(keys)?;
        if keys.is_empty() {
            return Ok(Batch::default());
        }
        let (keys, now) = (keys.to_vec(), self.now());
        self.run(move |conn| {
            let mut out = Vec::new();
            for key in &keys {
                if let Some(item) = read(conn, key)?.filter(|i| !is_expired(i, now)) {
                    out.push(item);
                }
            }
            Ok(Batch {
                items: out,
                unprocessed: Vec::new(),
            })
        })
        .await
    }

    async fn put(&self, item: Item, cond: Option<Cond>) -> StoreResult<()> {
        bb_ports::store::validate_item(&item)?;
        let key = Key::of(&item).ok_or_else(|| StoreError::Invalid("item without string pk and sk".into()))?;
        let now = self.now();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let current = read(&tx, &key)?;
            if !check(cond.as_ref(), current.as_ref(), now) {
                return Err(StoreError::ConditionFailed);
            }
            write(&tx, &item)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn update(&self, update: Update, returning: Returning) -> StoreResult<Option<Item>> {
        update.validate()?;
        let now = self.now();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let current = read(&tx, &update.key)?;
            let Some(new) = updated(&update, current.as_ref(), now)? else {
                return Err(StoreError::ConditionFailed);
            };
            write(&tx, &new)?;
            tx.commit().map_err(unavailable)?;
            Ok(match returning {
                Returning::Nothing => None,
                Returning::AllNew => Some(new),
                Returning::AllOld => current,
            })
        })
        .await
    }

    async fn delete(&self, key: &Key, cond: Option<Cond>) -> StoreResult<Option<Item>> {
        let (key, now) = (key.clone(), self.now());
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let current = read(&tx, &key)?;
            if !check(cond.as_ref(), current.as_ref(), now) {
                return Err(StoreError::ConditionFailed);
            }
            remove(&tx, &key)?;
            tx.commit().map_err(unavailable)?;
            Ok(current)
        })
        .await
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        let after = query.cursor.as_ref().map(decode_cursor).transpose()?;
        let now = self.now();
        self.run(move |conn| run_query(conn, &query, after, now)).await
    }

    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        validate_transaction(&ops)?;
        let now = self.now();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let mut failed = Vec::with_capacity(ops.len());
            let mut writes: Vec<(Key, Option<Item>)> = Vec::new();
            for op in &ops {
                let key = op
                    .key()
                    .ok_or_else(|| StoreError::Invalid("operation without key".into()))?;
                let current = read(&tx, &key)?;
                let (ok, outcome) = match op {
                    TxOp::Put { item, cond } => (check(cond.as_ref(), current.as_ref(), now), Some(Some(item.clone()))),
                    TxOp::Update(update) => match updated(update, current.as_ref(), now)? {
                        Some(new) => (true, Some(Some(new))),
                        None => (false, None),
                    },
                    TxOp::Delete { cond, .. } => (check(cond.as_ref(), current.as_ref(), now), Some(None)),
                    TxOp::Check { cond, .. } => (check(Some(cond), current.as_ref(), now), None),
                };
                failed.push(!ok);
                if let (true, Some(new)) = (ok, outcome) {
                    writes.push((key, new));
                }
            }
            if failed.iter().any(|f| *f) {
                return Err(StoreError::TransactionCanceled { failed });
            }
            for (key, new) in writes {
                match new {
                    Some(item) => write(&tx, &item)?,
                    None => remove(&tx, &key)?,
                }
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }
}

/// The smallest text after every text that starts with `prefix` (its last character one
/// higher), for ASCII prefixes: the keys are ASCII; others get no upper bound.
fn past_prefix(prefix: &str) -> Option<String> {
    let last = *prefix.as_bytes().last()?;
    if !prefix.is_ascii() || last >= 0x7F {
        return None;
    }
    let mut past = prefix[..prefix.len() - 1].to_string();
    past.push(char::from(last + 1));
    Some(past)
}

fn run_query(conn: &Connection, query: &Query, after: Option<Vec<String>>, now: i64) -> StoreResult<Page> {
    let (pcol, scol) = match query.index {
        Index::Table => ("pk", "sk"),
        Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        Index::Gsi2 => ("gsi2pk", "gsi2sk"),
    };
    let on_table = query.index == Index::Table;
    let mut sql = format!("SELECT item, {scol}, pk, sk FROM items WHERE {pcol} = ?");
    let mut args: Vec<String> = vec![query.pk.clone()];
    if !on_table {
        sql.push_str(&format!(" AND {scol} IS NOT NULL"));
    }
    match &query.sk {
        None => {}
        Some(SkCond::Eq(v)) => push(&mut sql, &mut args, &format!(" AND {scol} = ?"), &[v]),
        Some(SkCond::Lt(v)) => push(&mut sql, &mut args, &format!(" AND {scol} < ?"), &[v]),
        Some(SkCond::Le(v)) => push(&mut sql, &mut args, &format!(" AND {scol} <= ?"), &[v]),
        Some(SkCond::Gt(v)) => push(&mut sql, &mut args, &format!(" AND {scol} > ?"), &[v]),
        Some(SkCond::Ge(v)) => push(&mut sql, &mut args, &format!(" AND {scol} >= ?"), &[v]),
        Some(SkCond::Between(a, b)) => push(&mut sql, &mut args, &format!(" AND {scol} BETWEEN ? AND ?"), &[a, b]),
        Some(SkCond::BeginsWith(p)) => {
            // Byte-wise prefix test; SQLite compares TEXT by bytes, as DynamoDB does. The
            // range around it lets the index find the rows (a prefix alone scans the partition).
            push(
                &mut sql,
                &mut args,
                &format!(" AND {scol} >= ? AND substr({scol}, 1, length(?)) = ?"),
                &[p, p, p],
            );
            if let Some(past) = past_prefix(p) {
                push(&mut sql, &mut args, &format!(" AND {scol} < ?"), &[&past]);
            }
        }
    }
    let (cmp, dir) = if query.forward { (">", "ASC") } else { ("<", "DESC") };
    if let Some(parts) = after {
        if on_table {
            let [sk] = parts.as_slice() else {
                return Err(StoreError::Invalid("cursor does not fit this query".into()));
            };
            push(&mut sql, &mut args, &format!(" AND sk {cmp} ?"), &[sk]);
        } else {
            let [isk, pk, sk] = parts.as_slice() else {
                return Err(StoreError::Invalid("cursor does not fit this query".into()));
            };
            push(
                &mut sql,
                &mut args,
                &format!(" AND ({scol} {cmp} ? OR ({scol} = ? AND (pk {cmp} ? OR (pk = ? AND sk {cmp} ?))))"),
                &[isk, isk, pk, pk, sk],
            );
        }
    }
    if on_table {
        sql.push_str(&format!(" ORDER BY sk {dir}"));
    } else {
        sql.push_str(&format!(" ORDER BY {scol} {dir}, pk {dir}, sk {dir}"));
    }
    // One row more than asked tells whether another page exists.
    if let Some(limit) = query.limit {
        sql.push_str(&format!(" LIMIT {}", limit + 1));
    }
    let mut stmt = conn.prepare(&sql).map_err(unavailable)?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })
        .map_err(unavailable)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unavailable)?;
    let more = query.limit.is_some_and(|l| rows.len() > l);
    let take = query.limit.unwrap_or(rows.len()).min(rows.len());
    let mut items = Vec::with_capacity(take);
    let mut last = None;
    for (text, isk, pk, sk) in rows.into_iter().take(take) {
        let item = decode_item(&text)?;
        if !is_expired(&item, now) {
            items.push(item);
        }
        last = Some(if on_table { vec![sk] } else { vec![isk, pk, sk] });
    }
    Ok(Page {
        items,
        cursor: if more { last.map(|l| encode_cursor(&l)) } else { None },
    })
}

fn push(sql: &mut String, args: &mut Vec<String>, clause: &str, values: &[&String]) {
    sql.push_str(clause);
    args.extend(values.iter().map(|v| (*v).clone()));
}
