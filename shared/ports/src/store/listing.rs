//! Lists kept in key order with counts that locate any position, so a page of a list reads
//! that page and never the history (ARCHITECTURE.md, "Lists").
//!
//! A family of records (a client's invoices, say, under `INV#`) appears in one or more lists:
//! the whole family, and one list per value of each filter clients use (`status=unpaid`). Each
//! list lives in the family's partition, next to the records:
//!
//! - `<family>!<list>`: the list's total (`n`);
//! - `<family>!<list>#<rank>`: one entry per member, a copy of what the list shows, in list
//!   order (ranks sort as the list does);
//! - `<family>!<list>~<rank without its last 3 digits>`: counts of ten ranks each (`b00`..`b99`),
//!   100 to an item, so a position is found by reading one item per 1,000 ranks.
//!
//! Entries, totals and counts change in the same transaction as the records, so a page and its
//! total always agree; a family's ranks come from the owner's own sequence (`SEQ`), dense, so
//! counts stay full. Page 1 is one Query (total and entries); page N reads the counts, then
//! from the start of the ten ranks holding position (N-1)·per_page: at most 9 entries more
//! than the page.

use super::{Attr, Item, Key, Query, SkCond, Store, StoreError, StoreResult, TxOp, Update, to_item};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Attribute of a list's total item.
const TOTAL: &str = "n";
/// `kind` of entry copies, so readers of a family's records skip them.
pub const ENTRY_KIND: &str = "entry";
/// `kind` of totals and counts.
pub const COUNT_KIND: &str = "count";
/// Widest rank a sequence number gives (12 digits).
const SEQ_SPAN: i64 = 999_999_999_999;

/// Where a member sorts in a list: digits, compared as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rank(String);

impl Rank {
    /// Newest first: the later a member's sequence number, the earlier it sorts.
    pub fn newest_first(seq: i64) -> Rank {
        Rank(format!("{:012}", SEQ_SPAN - seq.clamp(0, SEQ_SPAN)))
    }

    /// Oldest first.
    pub fn oldest_first(seq: i64) -> Rank {
        Rank(format!("{:012}", seq.clamp(0, SEQ_SPAN)))
    }

    /// A leading group (a priority, say, `0..=999`) before the rank: the list sorts by the
    /// group, then by `within`.
    pub fn grouped(group: u16, within: Rank) -> Rank {
        Rank(format!("{:03}{}", group.min(999), within.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The count item's part of the rank and the count attribute for its ten ranks.
    fn count_slot(&self) -> (&str, String) {
        let cut = self.0.len().saturating_sub(3);
        let bucket = self.0.get(cut..cut + 2).unwrap_or("00");
        (&self.0[..cut], format!("b{bucket}"))
    }
}

/// One list of a family in one partition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Listing {
    pub pk: String,
    /// The family's sort key prefix (`INV#`).
    pub family: &'static str,
    /// Empty for the whole family, `<filter>=<value>` for a filtered list.
    pub name: String,
}

impl Listing {
    pub fn whole(pk: impl Into<String>, family: &'static str) -> Listing {
        Listing {
            pk: pk.into(),
            family,
            name: String::new(),
        }
    }

    pub fn filtered(pk: impl Into<String>, family: &'static str, filter: &str, value: &str) -> Listing {
        Listing {
            pk: pk.into(),
            family,
            name: format!("{filter}={value}"),
        }
    }

    fn base(&self) -> String {
        format!("{}!{}", self.family, self.name)
    }

    pub fn total_key(&self) -> Key {
        Key::new(self.pk.clone(), self.base())
    }

    pub fn entry_key(&self, rank: &Rank) -> Key {
        Key::new(self.pk.clone(), format!("{}#{}", self.base(), rank.0))
    }

    fn entries_prefix(&self) -> String {
        format!("{}#", self.base())
    }

    fn counts_prefix(&self) -> String {
        format!("{}~", self.base())
    }

    fn count_key(&self, rank: &Rank) -> (Key, String) {
        let (item, attr) = rank.count_slot();
        (
            Key::new(self.pk.clone(), format!("{}{item}", self.counts_prefix())),
            attr,
        )
    }

    /// The sort key range of the family's records, which excludes its lists and the family's
    /// header (`<family>` itself).
    pub fn records_of(family: &str) -> SkCond {
        SkCond::Between(format!("{family}\""), format!("{family}~"))
    }
}

/// A member's place in one list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Placement {
    pub listing: Listing,
    pub rank: Rank,
}

impl Placement {
    pub fn key(&self) -> Key {
        self.listing.entry_key(&self.rank)
    }

    /// The same rank in each of `listings` (the whole family and a filtered list, say).
    pub fn in_each(listings: impl IntoIterator<Item = Listing>, rank: &Rank) -> Vec<Placement> {
        listings
            .into_iter()
            .map(|listing| Placement {
                listing,
                rank: rank.clone(),
            })
            .collect()
    }
}

/// A record that appears in lists: where, and what an entry shows.
pub trait Listed {
    type Entry: Serialize;
    /// Every list the record is a member of, in its current state.
    fn placements(&self) -> Vec<Placement>;
    /// What a list shows of the record (its entry's copy).
    fn entry(&self) -> Self::Entry;
}

/// The list writes of records changing in one transaction: entries put or deleted, and the
/// totals and counts, each counter item changed once however many records move.
#[derive(Debug, Default)]
pub struct ListWrites {
    puts: BTreeMap<Key, Item>,
    deletes: BTreeSet<Key>,
    counts: BTreeMap<Key, BTreeMap<String, i64>>,
}

impl ListWrites {
    /// A record created (`before` none), changed, or deleted (`after` none).
    pub fn change<T: Listed>(&mut self, before: Option<&T>, after: Option<&T>) -> Result<(), StoreError> {
        let placed = |record: Option<&T>| -> BTreeMap<Key, Placement> {
            record
                .map(Listed::placements)
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p.key(), p))
                .collect()
        };
        let (old, new) = (placed(before), placed(after));
        let old_entry = before.map(|b| to_item(&b.entry())).transpose()?;
        if let Some(record) = after {
            let shown = to_item(&record.entry())?;
            for (key, placement) in &new {
                let same = old.contains_key(key) && old_entry.as_ref() == Some(&shown);
                if !same {
                    self.puts.insert(key.clone(), entry_item(key, &shown));
                }
                if !old.contains_key(key) {
                    self.count(placement, 1);
                }
            }
        }
        for (key, placement) in &old {
            if !new.contains_key(key) {
                self.puts.remove(key);
                self.deletes.insert(key.clone());
                self.count(placement, -1);
            }
        }
        Ok(())
    }

    fn count(&mut self, placement: &Placement, by: i64) {
        *self
            .counts
            .entry(placement.listing.total_key())
            .or_default()
            .entry(TOTAL.into())
            .or_default() += by;
        let (key, attr) = placement.listing.count_key(&placement.rank);
        *self.counts.entry(key).or_default().entry(attr).or_default() += by;
    }

    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty() && self.counts.is_empty()
    }

    pub fn into_ops(self) -> Vec<TxOp> {
        let mut ops: Vec<TxOp> = self.puts.into_values().map(TxOp::put).collect();
        ops.extend(self.deletes.into_iter().map(TxOp::delete));
        for (key, deltas) in self.counts {
            let deltas: Vec<(String, i64)> = deltas.into_iter().filter(|(_, by)| *by != 0).collect();
            if deltas.is_empty() {
                continue;
            }
            let mut update = Update::new(key).set(super::KIND, COUNT_KIND);
            for (attr, by) in deltas {
                update = update.add(&attr, by);
            }
            ops.push(TxOp::Update(update));
        }
        ops
    }
}

/// The list writes of one record's change.
pub fn list_changes<T: Listed>(before: Option<&T>, after: Option<&T>) -> Result<Vec<TxOp>, StoreError> {
    let mut writes = ListWrites::default();
    writes.change(before, after)?;
    Ok(writes.into_ops())
}

fn entry_item(key: &Key, shown: &Item) -> Item {
    let mut item = shown.clone();
    item.insert(super::PK.into(), key.pk.clone().into());
    item.insert(super::SK.into(), key.sk.clone().into());
    item.insert(super::KIND.into(), ENTRY_KIND.into());
    item
}

/// One page of a list: its entries in list order and the list's total.
#[derive(Debug, Default)]
pub struct ListPage {
    pub total: u64,
    pub entries: Vec<Item>,
    /// Items of the Query that sort before the list's total (a family header asked for with
    /// [`read_page`]'s `with_header`).
    pub header: Option<Item>,
}

/// Entries `offset .. offset + limit` of `listing` and its total. Page 1 is one Query (with
/// the family's header item `<family>` when `with_header`: it sorts just before the whole
/// family's list); a later page reads the counts first.
pub async fn read_page(
    store: &dyn Store,
    listing: &Listing,
    offset: u64,
    limit: usize,
    with_header: bool,
) -> StoreResult<ListPage> {
    let entries_end = format!("{}~", listing.entries_prefix());
    if offset == 0 {
        let start = if with_header && listing.name.is_empty() {
            listing.family.to_string()
        } else {
            listing.base()
        };
        let query = Query::partition(listing.pk.clone()).sk(SkCond::Between(start, entries_end));
        let mut page = ListPage::default();
        let total_key = listing.total_key();
        let wanted = limit + 2;
        for item in read_at_least(store, query, wanted).await? {
            let sk = item.get(super::SK).and_then(Attr::as_str).unwrap_or_default();
            if sk == total_key.sk {
                page.total = counted(&item, TOTAL);
            } else if sk == listing.family {
                page.header = Some(item);
            } else if page.entries.len() < limit {
                page.entries.push(item);
            }
        }
        return Ok(page);
    }
    let counts = super::query_all(
        store,
        Query::partition(listing.pk.clone()).prefix(listing.counts_prefix()),
    )
    .await?;
    let mut total = 0u64;
    let mut start: Option<(String, u64)> = None;
    for item in &counts {
        let sk = item.get(super::SK).and_then(Attr::as_str).unwrap_or_default();
        let Some(ranks) = sk.strip_prefix(&listing.counts_prefix()) else {
            continue;
        };
        // `b00`..`b99` in order (an item's attributes are sorted by name).
        for (name, value) in item.range::<str, _>((std::ops::Bound::Included("b00"), std::ops::Bound::Included("b99")))
        {
            let Some(bucket) = name.strip_prefix('b') else { continue };
            let n = value.as_i64().and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
            if start.is_none() && total + n > offset {
                start = Some((format!("{ranks}{bucket}"), offset - total));
            }
            total += n;
        }
    }
    let mut page = ListPage {
        total,
        ..ListPage::default()
    };
    let Some((from, skip)) = start else {
        return Ok(page);
    };
    let query = Query::partition(listing.pk.clone()).sk(SkCond::Between(
        format!("{}{from}", listing.entries_prefix()),
        entries_end,
    ));
    let skip = usize::try_from(skip).unwrap_or(usize::MAX);
    page.entries = read_at_least(store, query, skip + limit)
        .await?
        .into_iter()
        .skip(skip)
        .take(limit)
        .collect();
    Ok(page)
}

/// Every entry of `listing`, in order (staff checks and filters that cannot use a list).
pub async fn read_all(store: &dyn Store, listing: &Listing) -> StoreResult<Vec<Item>> {
    super::query_all(
        store,
        Query::partition(listing.pk.clone()).prefix(listing.entries_prefix()),
    )
    .await
}

/// What the counts of a list should be, from its entries' ranks.
pub fn expected_counts(ranks: impl IntoIterator<Item = Rank>) -> (i64, BTreeMap<String, i64>) {
    let mut total = 0;
    let mut buckets = BTreeMap::new();
    for rank in ranks {
        total += 1;
        let (item, attr) = rank.count_slot();
        *buckets.entry(format!("{item}{}", &attr[1..])).or_insert(0) += 1;
    }
    (total, buckets)
}

/// The writes that set `listing`'s stored counts to `expected` (repair after drift).
pub fn count_repairs(
    listing: &Listing,
    stored: &(i64, BTreeMap<String, i64>),
    expected: &(i64, BTreeMap<String, i64>),
) -> Vec<TxOp> {
    let mut counts: BTreeMap<Key, BTreeMap<String, i64>> = BTreeMap::new();
    if stored.0 != expected.0 {
        counts
            .entry(listing.total_key())
            .or_default()
            .insert(TOTAL.into(), expected.0 - stored.0);
    }
    let buckets: BTreeSet<&String> = stored.1.keys().chain(expected.1.keys()).collect();
    for bucket in buckets {
        let have = stored.1.get(bucket).copied().unwrap_or(0);
        let want = expected.1.get(bucket).copied().unwrap_or(0);
        if have != want {
            let cut = bucket.len().saturating_sub(2);
            let key = Key::new(
                listing.pk.clone(),
                format!("{}{}", listing.counts_prefix(), &bucket[..cut]),
            );
            counts
                .entry(key)
                .or_default()
                .insert(format!("b{}", &bucket[cut..]), want - have);
        }
    }
    ListWrites {
        counts,
        ..ListWrites::default()
    }
    .into_ops()
}

/// What differs between a family's records and its lists, and the writes that make the lists
/// right again (entries put or deleted, counts moved by the difference).
#[derive(Debug, Default)]
pub struct Audit {
    pub findings: Vec<String>,
    pub repairs: Vec<TxOp>,
}

/// Recomputes every list of the family `family` in partition `pk` from its records (read whole:
/// a staff check, never a request path) and compares entries, totals and counts.
pub async fn audit_family<T: Listed + serde::de::DeserializeOwned>(
    store: &dyn Store,
    pk: &str,
    family: &'static str,
) -> StoreResult<Audit> {
    let records = super::query_all(store, Query::partition(pk).sk(Listing::records_of(family))).await?;
    let mut want_entries: BTreeMap<Key, Item> = BTreeMap::new();
    let mut want_ranks: BTreeMap<String, Vec<Rank>> = BTreeMap::new();
    for item in &records {
        let record: T = super::from_item(item)?;
        let shown = to_item(&record.entry())?;
        for placement in record.placements() {
            let key = placement.key();
            want_entries.insert(key.clone(), entry_item(&key, &shown));
            want_ranks
                .entry(placement.listing.name.clone())
                .or_default()
                .push(placement.rank);
        }
    }
    let lists_prefix = format!("{family}!");
    let stored = super::query_all(store, Query::partition(pk).prefix(lists_prefix.clone())).await?;
    let mut have_entries: BTreeMap<Key, Item> = BTreeMap::new();
    let mut have_counts: BTreeMap<String, (i64, BTreeMap<String, i64>)> = BTreeMap::new();
    for item in stored {
        let Some(key) = Key::of(&item) else { continue };
        let rest = key.sk.strip_prefix(&lists_prefix).unwrap_or_default().to_string();
        if let Some((_, _)) = rest.split_once('#') {
            have_entries.insert(key, item);
        } else if let Some((name, ranks)) = rest.split_once('~') {
            let counts = &mut have_counts.entry(name.to_string()).or_default().1;
            for (attr, value) in &item {
                if let (Some(bucket), Some(n)) = (attr.strip_prefix('b'), value.as_i64())
                    && n != 0
                {
                    counts.insert(format!("{ranks}{bucket}"), n);
                }
            }
        } else {
            have_counts.entry(rest).or_default().0 = counted(&item, TOTAL) as i64;
        }
    }
    let mut audit = Audit::default();
    let json = |item: &Item| {
        let mut item = item.clone();
        item.remove(super::KIND);
        serde_json::to_value(
            item.iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect::<BTreeMap<_, _>>(),
        )
        .unwrap_or_default()
    };
    for (key, want) in &want_entries {
        match have_entries.get(key) {
            None => {
                audit.findings.push(format!("{pk} {}: entry missing", key.sk));
                audit.repairs.push(TxOp::put(want.clone()));
            }
            Some(have) if json(have) != json(want) => {
                audit
                    .findings
                    .push(format!("{pk} {}: entry differs from its record", key.sk));
                audit.repairs.push(TxOp::put(want.clone()));
            }
            Some(_) => {}
        }
    }
    for key in have_entries.keys().filter(|k| !want_entries.contains_key(*k)) {
        audit.findings.push(format!("{pk} {}: entry of no record", key.sk));
        audit.repairs.push(TxOp::delete(key.clone()));
    }
    let names: BTreeSet<String> = want_ranks.keys().chain(have_counts.keys()).cloned().collect();
    for name in names {
        let listing = Listing {
            pk: pk.to_string(),
            family,
            name,
        };
        let expected = expected_counts(want_ranks.get(&listing.name).cloned().unwrap_or_default());
        let stored = have_counts.get(&listing.name).cloned().unwrap_or_default();
        if stored != expected {
            audit.findings.push(format!(
                "{pk} {}: counts {} stored, {} from the records",
                listing.base(),
                stored.0,
                expected.0
            ));
            audit.repairs.extend(count_repairs(&listing, &stored, &expected));
        }
    }
    Ok(audit)
}

/// At least `wanted` items of `query` (fewer only when it has no more), taking as many
/// 1 MB pages as that needs.
async fn read_at_least(store: &dyn Store, mut query: Query, wanted: usize) -> StoreResult<Vec<Item>> {
    let mut items = Vec::new();
    loop {
        query.limit = Some(wanted - items.len());
        let page = store.query(query.clone()).await?;
        items.extend(page.items);
        match page.cursor {
            Some(cursor) if items.len() < wanted => query.cursor = Some(cursor),
            _ => return Ok(items),
        }
    }
}

fn counted(item: &Item, attr: &str) -> u64 {
    item.get(attr)
        .and_then(Attr::as_i64)
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_ranks_sort_backwards_and_share_counts_in_tens() {
        let (a, b) = (Rank::newest_first(41), Rank::newest_first(42));
        assert!(b < a);
        assert_eq!(a.as_str().len(), 12);
        let (item_a, attr_a) = a.count_slot();
        let (item_b, attr_b) = b.count_slot();
        assert_eq!(item_a, item_b);
        assert_eq!(attr_a, "b95");
        assert_eq!(attr_b, "b95");
        assert_ne!(Rank::newest_first(39).count_slot().1, attr_a);
    }

    #[test]
    fn the_records_range_leaves_out_header_lists_and_counts() {
        let SkCond::Between(low, high) = Listing::records_of("INV#") else {
            panic!("a range");
        };
        let inside = |sk: &str| low.as_str() <= sk && sk <= high.as_str();
        assert!(inside("INV#0f3a"));
        assert!(inside("INV#000000000042"));
        assert!(!inside("INV#"));
        assert!(!inside("INV#!"));
        assert!(!inside("INV#!status=paid#999999999957"));
        assert!(!inside("INV#!~999999999"));
        assert!(!inside("ORD#000000000001"));
    }

    #[test]
    fn repairs_turn_stored_counts_into_expected_ones() {
        let listing = Listing::whole("C#1", "INV#");
        let expected = expected_counts([Rank::newest_first(1), Rank::newest_first(2), Rank::newest_first(15)]);
        assert_eq!(expected.0, 3);
        let stored = (5, BTreeMap::from([("99999999999".to_string(), 5)]));
        let ops = count_repairs(&listing, &stored, &expected);
        let mut total = BTreeMap::new();
        for op in &ops {
            if let TxOp::Update(u) = op {
                for o in &u.ops {
                    if let super::super::UpdateOp::Add(name, by) = o {
                        total.insert((u.key.sk.clone(), name.clone()), *by);
                    }
                }
            }
        }
        assert_eq!(total.get(&("INV#!".to_string(), "n".to_string())), Some(&-2));
        assert_eq!(
            total.get(&("INV#!~999999999".to_string(), "b99".to_string())),
            Some(&-3)
        );
        assert_eq!(total.get(&("INV#!~999999999".to_string(), "b98".to_string())), Some(&1));
    }
}
