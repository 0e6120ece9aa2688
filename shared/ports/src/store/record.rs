//! Records: a typed value kept as one item, which says once where it lives (its key, the
//! index entries it appears under, its `kind`) so that no caller writes `pk`, `sk` or an index
//! attribute by hand.

use super::{Attr, Cond, Index, Item, Key, StoreError, TxOp, Update, from_item, to_item};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Where a record appears in a global secondary index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    pub index: Index,
    pub pk: String,
    pub sk: String,
}

impl IndexEntry {
    pub fn new(index: Index, pk: impl Into<String>, sk: impl Into<String>) -> IndexEntry {
        IndexEntry {
            index,
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// An update that moves an existing item to this entry (a sort key that changes with
    /// the record, like a topic's last activity).
    pub fn set_on(&self, update: Update) -> Update {
        let (pk, sk) = self.index.key_names();
        update.set(pk, self.pk.as_str()).set(sk, self.sk.as_str())
    }
}

/// A value kept as one item. Its fields are the item's attributes; the key, index entries and
/// `kind` are added by [`Record::to_item`] and ignored when it is read back.
pub trait Record: Serialize + DeserializeOwned + Sized {
    /// The `kind` attribute, for partitions that hold several kinds of item.
    const KIND: Option<&'static str> = None;

    /// Where the record lives.
    fn key(&self) -> Key;

    /// The index entries the record appears under.
    fn index_entries(&self) -> Vec<IndexEntry> {
        Vec::new()
    }

    fn to_item(&self) -> Result<Item, StoreError> {
        let mut item = to_item(self)?;
        let key = self.key();
        item.insert(super::PK.into(), key.pk.into());
        item.insert(super::SK.into(), key.sk.into());
        if let Some(kind) = Self::KIND {
            item.insert(super::KIND.into(), kind.into());
        }
        for entry in self.index_entries() {
            let (pk, sk) = entry.index.key_names();
            item.insert(pk.into(), Attr::S(entry.pk));
            item.insert(sk.into(), Attr::S(entry.sk));
        }
        Ok(item)
    }

    fn from_item(item: &Item) -> Result<Self, StoreError> {
        from_item(item)
    }

    /// A transaction operation creating the record, refused if its key is taken.
    fn put_new(&self) -> Result<TxOp, StoreError> {
        self.put_when(Cond::absent())
    }

    /// A transaction operation writing the record if `cond` holds for what is stored (the
    /// version it was read at, say).
    fn put_when(&self, cond: Cond) -> Result<TxOp, StoreError> {
        Ok(TxOp::Put {
            item: self.to_item()?,
            cond: Some(cond),
        })
    }

    /// A transaction operation writing the record whatever is there.
    fn put(&self) -> Result<TxOp, StoreError> {
        Ok(TxOp::Put {
            item: self.to_item()?,
            cond: None,
        })
    }

    /// The update that turns the stored `before` into `self`, attribute by attribute: what
    /// differs is set, what `self` no longer has is removed, and index entries follow. Callers
    /// change the typed record and never name an attribute; attributes the type does not know
    /// are left as they are.
    fn changes_from(&self, before: &Self) -> Result<Update, StoreError> {
        changes(self.key(), &before.to_item()?, &self.to_item()?)
    }
}

/// A record written under optimistic locking: every write bumps its version and is refused
/// if the stored record is no longer at the version it was read at.
pub trait Versioned: Record + Clone {
    fn version(&self) -> i64;
    fn set_version(&mut self, version: i64);

    /// The write from `before` (as it was read) to `self`: the fields that differ and the next
    /// version, refused if the record changed since `before` was read.
    fn update_from(&self, before: &Self) -> Result<Update, StoreError> {
        let mut after = self.clone();
        after.set_version(before.version() + 1);
        Ok(after.changes_from(before)?.when(Cond::version(before.version())))
    }
}

/// The update of the item at `key` from `before` to `after` (key attributes never change).
pub fn changes(key: Key, before: &Item, after: &Item) -> Result<Update, StoreError> {
    let mut update = Update::new(key);
    for (name, value) in after {
        if name != super::PK && name != super::SK && before.get(name) != Some(value) {
            update = update.set(name, value.clone());
        }
    }
    for name in before.keys().filter(|name| !after.contains_key(*name)) {
        update = update.remove(name);
    }
    Ok(update)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Note {
        id: i64,
        text: String,
    }

    impl Record for Note {
        const KIND: Option<&'static str> = Some("note");
        fn key(&self) -> Key {
            Key::new("NOTES", format!("N#{}", self.id))
        }
        fn index_entries(&self) -> Vec<IndexEntry> {
            vec![IndexEntry::new(Index::Gsi2, "BYTEXT", self.text.as_str())]
        }
    }

    #[test]
    fn an_item_carries_key_kind_and_index_entries_and_reads_back() {
        let note = Note {
            id: 7,
            text: "hello".into(),
        };
        let item = note.to_item().unwrap();
        assert_eq!(Key::of(&item), Some(Key::new("NOTES", "N#7")));
        assert_eq!(item.get(super::super::KIND), Some(&Attr::from("note")));
        assert_eq!(item.get(super::super::GSI2_PK), Some(&Attr::from("BYTEXT")));
        assert_eq!(item.get(super::super::GSI2_SK), Some(&Attr::from("hello")));
        assert_eq!(Note::from_item(&item).unwrap(), note);
        assert!(matches!(note.put_new().unwrap(), TxOp::Put { cond: Some(_), .. }));
    }

    #[test]
    fn changes_name_only_what_differs() {
        let before = Note {
            id: 7,
            text: "hello".into(),
        };
        let after = Note {
            id: 7,
            text: "bye".into(),
        };
        assert_eq!(
            after.changes_from(&before).unwrap(),
            Update::new(Key::new("NOTES", "N#7"))
                .set("gsi2sk", "bye")
                .set("text", "bye")
        );
        assert_eq!(
            before.changes_from(&before).unwrap(),
            Update::new(Key::new("NOTES", "N#7"))
        );
        let mut item = before.to_item().unwrap();
        item.insert("gone".into(), Attr::from(1));
        assert_eq!(
            changes(before.key(), &item, &before.to_item().unwrap()).unwrap(),
            Update::new(before.key()).remove("gone")
        );
    }

    #[test]
    fn an_index_entry_moves_an_item() {
        let update = IndexEntry::new(Index::Gsi1, "A", "B").set_on(Update::new(Key::new("P", "S")));
        assert_eq!(
            update,
            Update::new(Key::new("P", "S")).set("gsi1pk", "A").set("gsi1sk", "B")
        );
    }
}
