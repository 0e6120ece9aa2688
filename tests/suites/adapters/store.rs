//! Store port conformance: conditions, updates, queries and cursors, transactions, counters,
//! TTL. Each case runs on SQLite and on DynamoDB (moto).

use bb_core::clock::{Clock, ManualClock};
use bb_core::store::*;
use bb_tests::moto;
use std::sync::Arc;

fn item(pk: &str, sk: &str, extra: &[(&str, Attr)]) -> Item {
    let mut i = Item::new();
    i.insert(PK.into(), pk.into());
    i.insert(SK.into(), sk.into());
    for (k, v) in extra {
        i.insert((*k).into(), v.clone());
    }
    i
}

/// Where every store of this suite has its clock: years before the machine's, so a store that
/// judged time-to-live by the machine's clock instead of the application's would fail the
/// expiry cases.
fn start() -> time::OffsetDateTime {
    time::macros::datetime!(2020-01-01 00:00:00 UTC)
}

async fn sqlite_at(clock: Arc<dyn Clock>) -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = bb_local::SqliteStore::open_with_clock(&dir.path().join("s.sqlite3"), clock).unwrap();
    (Arc::new(store), dir)
}

async fn dynamodb_at(clock: Arc<dyn Clock>) -> (Arc<dyn Store>, moto::Resources) {
    let res = moto::Resources::create().await;
    (Arc::new(res.store().with_clock(clock)), res)
}

async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    sqlite_at(Arc::new(ManualClock::new(start()))).await
}

async fn dynamodb() -> (Arc<dyn Store>, moto::Resources) {
    dynamodb_at(Arc::new(ManualClock::new(start()))).await
}

macro_rules! conformance {
    ($name:ident, $case:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (store, _keep) = super::sqlite().await;
                ($case)(store).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn dynamodb() {
                let (store, _keep) = super::dynamodb().await;
                ($case)(store).await;
            }
        }
    };
}

conformance!(put_get_round_trip_every_type, |s: Arc<dyn Store>| async move {
    let mut nested = std::collections::BTreeMap::new();
    nested.insert("a".to_string(), Attr::N("-12".into()));
    let it = item(
        "P",
        "S",
        &[
            ("text", "héllo ✓".into()),
            ("num", Attr::N("42".into())),
            ("flag", true.into()),
            ("nothing", Attr::Null),
            ("list", Attr::L(vec!["x".into(), Attr::N("1".into())])),
            ("map", Attr::M(nested)),
        ],
    );
    s.put(it.clone(), None).await.unwrap();
    assert_eq!(s.get(&Key::new("P", "S")).await.unwrap(), Some(it));
    assert_eq!(s.get(&Key::new("P", "missing")).await.unwrap(), None);
});

conformance!(conditional_writes, |s: Arc<dyn Store>| async move {
    let k = Key::new("C", "1");
    s.put(item("C", "1", &[("v", "a".into())]), Some(Cond::absent()))
        .await
        .unwrap();
    assert_eq!(
        s.put(item("C", "1", &[("v", "b".into())]), Some(Cond::absent())).await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(s.get(&k).await.unwrap().unwrap()["v"], "a".into());
    s.put(item("C", "1", &[("v", "c".into())]), Some(Cond::eq("v", "a")))
        .await
        .unwrap();
    let ne = Cond::Ne("v".into(), "c".into());
    assert_eq!(s.delete(&k, Some(ne)).await, Err(StoreError::ConditionFailed));
    let old = s.delete(&k, Some(Cond::eq("v", "c"))).await.unwrap().unwrap();
    assert_eq!(old["v"], "c".into());
    assert_eq!(s.get(&k).await.unwrap(), None);
    assert_eq!(s.delete(&k, None).await.unwrap(), None, "deleting nothing is fine");
    // Ne holds on a missing attribute; numbers compare as numbers.
    s.put(item("C", "2", &[("n", Attr::N("5".into()))]), None)
        .await
        .unwrap();
    let both = Cond::And(vec![
        Cond::Ne("missing".into(), "x".into()),
        Cond::Gt("n".into(), Attr::N("4".into())),
    ]);
    s.put(item("C", "2", &[("n", Attr::N("6".into()))]), Some(both))
        .await
        .unwrap();
    assert_eq!(
        s.put(item("C", "2", &[]), Some(Cond::Gt("n".into(), Attr::N("10".into()))))
            .await,
        Err(StoreError::ConditionFailed)
    );
    let or = Cond::Or(vec![Cond::eq("n", 1), Cond::BeginsWith("sk".into(), "2".into())]);
    s.put(item("C", "2", &[("n", Attr::N("7".into()))]), Some(or))
        .await
        .unwrap();
    let not = Cond::Not(Box::new(Cond::exists()));
    assert_eq!(
        s.put(item("C", "2", &[]), Some(not)).await,
        Err(StoreError::ConditionFailed)
    );
});

conformance!(updates, |s: Arc<dyn Store>| async move {
    let k = Key::new("U", "1");
    let new = s
        .update(
            Update::new(k.clone())
                .add("n", 5)
                .set("name", "x")
                .set_if_absent("first", "one")
                .append("log", vec!["a".into()]),
            Returning::AllNew,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((new["n"].as_i64(), new["pk"].as_str()), (Some(5), Some("U")));
    let old = s
        .update(
            Update::new(k.clone())
                .add("n", -2)
                .set_if_absent("first", "two")
                .append("log", vec!["b".into()])
                .remove("name"),
            Returning::AllOld,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old["n"].as_i64(), Some(5));
    let now = s.get(&k).await.unwrap().unwrap();
    assert_eq!(now["n"].as_i64(), Some(3));
    assert_eq!(now["first"], "one".into());
    assert_eq!(now["log"], Attr::L(vec!["a".into(), "b".into()]));
    assert!(!now.contains_key("name"));
    let failed = s
        .update(
            Update::new(k.clone()).add("n", 1).when(Cond::eq("n", 99)),
            Returning::AllNew,
        )
        .await;
    assert_eq!(failed, Err(StoreError::ConditionFailed));
    assert_eq!(s.get(&k).await.unwrap().unwrap()["n"].as_i64(), Some(3));
    let missing = s
        .update(
            Update::new(Key::new("U", "none")).set("a", "b").when(Cond::exists()),
            Returning::Nothing,
        )
        .await;
    assert_eq!(missing, Err(StoreError::ConditionFailed));
    assert_eq!(s.get(&Key::new("U", "none")).await.unwrap(), None);
    assert_eq!(
        s.update(Update::new(k).set("z", "y"), Returning::Nothing)
            .await
            .unwrap(),
        None
    );
});

conformance!(queries_order_filter_and_page, |s: Arc<dyn Store>| async move {
    for n in [3, 1, 10, 2, 7] {
        let sk = format!("INV#{n:04}");
        s.put(item("Q", &sk, &[("n", Attr::N(n.to_string()))]), None)
            .await
            .unwrap();
    }
    s.put(item("Q", "ORD#0001", &[]), None).await.unwrap();
    s.put(item("Q2", "INV#0001", &[]), None).await.unwrap();
    let sks = |page: &Page| {
        page.items
            .iter()
            .map(|i| i["sk"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let all = s.query(Query::partition("Q").prefix("INV#")).await.unwrap();
    assert_eq!(sks(&all), ["INV#0001", "INV#0002", "INV#0003", "INV#0007", "INV#0010"]);
    assert!(all.cursor.is_none());
    let back = s.query(Query::partition("Q").prefix("INV#").backward()).await.unwrap();
    assert_eq!(sks(&back)[0], "INV#0010");
    let between = s
        .query(Query::partition("Q").sk(SkCond::Between("INV#0002".into(), "INV#0007".into())))
        .await
        .unwrap();
    assert_eq!(sks(&between), ["INV#0002", "INV#0003", "INV#0007"]);
    let lt = s
        .query(Query::partition("Q").sk(SkCond::Lt("INV#0003".into())))
        .await
        .unwrap();
    assert_eq!(sks(&lt), ["INV#0001", "INV#0002"]);
    // Pages of two, forward and backward, cover everything once in order.
    for forward in [true, false] {
        let mut seen = Vec::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            let mut q = Query::partition("Q").prefix("INV#").limit(2).after(cursor.clone());
            if !forward {
                q = q.backward();
            }
            let page = s.query(q).await.unwrap();
            assert!(page.items.len() <= 2);
            seen.extend(sks(&page));
            pages += 1;
            cursor = page.cursor;
            if cursor.is_none() {
                break;
            }
        }
        let mut expected = sks(&all);
        if !forward {
            expected.reverse();
        }
        assert_eq!(seen, expected);
        assert!((3..=4).contains(&pages));
    }
    assert_eq!(
        query_all(s.as_ref(), Query::partition("Q").prefix("INV#").limit(2))
            .await
            .unwrap()
            .len(),
        2
    );
    let bogus = s
        .query(Query::partition("Q").after(Some(Cursor("not-a-cursor".into()))))
        .await;
    assert!(matches!(bogus, Err(StoreError::Invalid(_))));
});

conformance!(secondary_indexes, |s: Arc<dyn Store>| async move {
    s.put(
        item("A", "1", &[("gsi1pk", "SLUG#x".into()), ("gsi1sk", "T".into())]),
        None,
    )
    .await
    .unwrap();
    s.put(
        item("B", "1", &[("gsi1pk", "SLUG#y".into()), ("gsi1sk", "T".into())]),
        None,
    )
    .await
    .unwrap();
    s.put(item("C", "1", &[("gsi1pk", "SLUG#x".into())]), None)
        .await
        .unwrap(); // no sort key: not indexed
    for (n, t) in [
        (1, "2026-01-03"),
        (2, "2026-01-01"),
        (3, "2026-01-02"),
        (4, "2026-01-02"),
    ] {
        let pk = format!("TOPIC#{n}");
        s.put(
            item(&pk, "T", &[("gsi2pk", "FORUM#1".into()), ("gsi2sk", t.into())]),
            None,
        )
        .await
        .unwrap();
    }
    let x = s.query(Query::partition("SLUG#x").on(Index::Gsi1)).await.unwrap();
    assert_eq!(x.items.len(), 1);
    assert_eq!(x.items[0]["pk"], "A".into());
    let newest = s
        .query(Query::partition("FORUM#1").on(Index::Gsi2).backward())
        .await
        .unwrap();
    let pks: Vec<_> = newest
        .items
        .iter()
        .map(|i| i["pk"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(pks[0], "TOPIC#1");
    assert_eq!(pks[3], "TOPIC#2");
    // Paging through equal index keys still returns every item once.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .query(Query::partition("FORUM#1").on(Index::Gsi2).limit(1).after(cursor))
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|i| i["pk"].as_str().unwrap().to_string()));
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["TOPIC#1", "TOPIC#2", "TOPIC#3", "TOPIC#4"]);
    // Moving an item's index key moves it in the index.
    s.update(
        Update::new(Key::new("B", "1")).set("gsi1pk", "SLUG#x"),
        Returning::Nothing,
    )
    .await
    .unwrap();
    assert_eq!(
        s.query(Query::partition("SLUG#x").on(Index::Gsi1))
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    s.update(Update::new(Key::new("A", "1")).remove("gsi1pk"), Returning::Nothing)
        .await
        .unwrap();
    assert_eq!(
        s.query(Query::partition("SLUG#x").on(Index::Gsi1))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
});

conformance!(transactions_all_or_nothing, |s: Arc<dyn Store>| async move {
    s.put(item("T", "existing", &[("v", Attr::N("1".into()))]), None)
        .await
        .unwrap();
    let ops = vec![
        TxOp::put_new(item("T", "a", &[])),
        TxOp::Update(Update::new(Key::new("T", "existing")).add("v", 10)),
        TxOp::Check {
            key: Key::new("T", "existing"),
            cond: Cond::eq("v", 1),
        }
        .clone(),
    ];
    // Two operations on one item are refused before anything happens.
    assert!(matches!(s.transact(ops).await, Err(StoreError::Invalid(_))));
    // Built with handles: the cancelled transaction names the failed operation by its handle.
    let mut failing = Tx::new();
    let created = failing.add(TxOp::put_new(item("T", "a", &[])));
    failing.push(TxOp::Update(Update::new(Key::new("T", "existing")).add("v", 10)));
    failing.push(TxOp::put_new(item("T", "existing2", &[])));
    let guard = failing.add(TxOp::Check {
        key: Key::new("T", "guard"),
        cond: Cond::exists(),
    });
    match s.transact(failing.into_ops()).await {
        Err(e @ StoreError::TransactionCanceled { .. }) => {
            assert!(e.failed(guard), "the guard's condition failed: {e:?}");
            assert!(!e.failed(created), "the put held: {e:?}");
            assert_eq!(
                e,
                StoreError::TransactionCanceled {
                    failed: vec![false, false, false, true]
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.get(&Key::new("T", "a")).await.unwrap(), None, "rolled back");
    assert_eq!(
        s.get(&Key::new("T", "existing")).await.unwrap().unwrap()["v"].as_i64(),
        Some(1)
    );
    let ok = vec![
        TxOp::put_new(item("T", "a", &[])),
        TxOp::Update(
            Update::new(Key::new("T", "existing"))
                .add("v", 10)
                .when(Cond::eq("v", 1)),
        ),
        TxOp::Delete {
            key: Key::new("T", "gone"),
            cond: None,
        },
        TxOp::Check {
            key: Key::new("T", "existing2"),
            cond: Cond::absent(),
        },
    ];
    s.transact(ok).await.unwrap();
    assert!(s.get(&Key::new("T", "a")).await.unwrap().is_some());
    assert_eq!(
        s.get(&Key::new("T", "existing")).await.unwrap().unwrap()["v"].as_i64(),
        Some(11)
    );
    let too_many: Vec<TxOp> = (0..101).map(|n| TxOp::put(item("T", &format!("m{n}"), &[]))).collect();
    assert!(matches!(s.transact(too_many).await, Err(StoreError::Invalid(_))));
});

/// Concurrent allocations never share an id. DynamoDB applies one UpdateItem's `ADD` atomically
/// (what the allocator relies on); moto does not model that (two racing ADDs can both read the
/// old value), so on moto the same allocations run one after another and check the blocks only.
async fn counters_case(s: Arc<dyn Store>, concurrent: bool) {
    let allocate = |s: Arc<dyn Store>| async move {
        next_ids(s.as_ref(), &[IdKind::Order, IdKind::Invoice, IdKind::Invoice])
            .await
            .unwrap()
    };
    let mut all = Vec::new();
    if concurrent {
        let tasks: Vec<_> = (0..20).map(|_| tokio::spawn(allocate(s.clone()))).collect();
        for t in tasks {
            all.push(t.await.unwrap());
        }
    } else {
        for _ in 0..20 {
            all.push(allocate(s.clone()).await);
        }
    }
    let mut orders = Vec::new();
    let mut invoices = Vec::new();
    for ids in all {
        assert_eq!(ids[2], ids[1] + 1, "a block of one kind is consecutive");
        orders.push(ids[0]);
        invoices.extend([ids[1], ids[2]]);
    }
    orders.sort();
    invoices.sort();
    assert_eq!(orders, (1..=20).collect::<Vec<_>>());
    assert_eq!(invoices, (1..=40).collect::<Vec<_>>());
}

mod counters_under_concurrency {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let (store, _keep) = super::sqlite().await;
        counters_case(store, true).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dynamodb() {
        let (store, _keep) = super::dynamodb().await;
        counters_case(store, false).await;
    }
}

conformance!(expired_items_read_as_absent, |s: Arc<dyn Store>| async move {
    let past = start().unix_timestamp() - 10;
    let future = past + 3600;
    s.put(item("X", "old", &[(TTL, Attr::N(past.to_string()))]), None)
        .await
        .unwrap();
    s.put(item("X", "new", &[(TTL, Attr::N(future.to_string()))]), None)
        .await
        .unwrap();
    assert_eq!(s.get(&Key::new("X", "old")).await.unwrap(), None);
    assert!(s.get(&Key::new("X", "new")).await.unwrap().is_some());
    let page = s.query(Query::partition("X")).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let many = s
        .get_many(&[Key::new("X", "old"), Key::new("X", "new"), Key::new("X", "none")])
        .await
        .unwrap();
    assert_eq!(many.len(), 1);
    assert!(many.contains(&Key::new("X", "new")) && !many.contains(&Key::new("X", "old")));
    assert_eq!(
        many.get(&Key::new("X", "new")).and_then(|i| i.get(TTL)),
        Some(&Attr::N(future.to_string()))
    );
});

conformance!(round_trips_are_counted, |s: Arc<dyn Store>| async move {
    let ((), calls) = metrics::count_round_trips(async {
        s.put(item("R", "1", &[]), None).await.unwrap();
        s.get(&Key::new("R", "1")).await.unwrap();
        s.query(Query::partition("R")).await.unwrap();
        s.transact(vec![TxOp::delete(Key::new("R", "1"))]).await.unwrap();
    })
    .await;
    assert_eq!(calls.round_trips, 4);
});

/// An item lives until the application's clock passes its time-to-live, whatever the
/// machine's clock says: the same item reads as present, then absent once the clock moves.
async fn expiry_follows_the_clock(open: impl AsyncFnOnce(Arc<dyn Clock>) -> Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(start()));
    let s = open(clock.clone()).await;
    let until = start().unix_timestamp() + 60;
    s.put(item("T", "1", &[(TTL, Attr::N(until.to_string()))]), None)
        .await
        .unwrap();
    let key = Key::new("T", "1");
    assert!(s.get(&key).await.unwrap().is_some(), "live before its time");
    assert_eq!(s.query(Query::partition("T")).await.unwrap().items.len(), 1);
    assert_eq!(
        s.put(item("T", "1", &[]), Some(Cond::absent())).await,
        Err(StoreError::ConditionFailed),
        "a live item is not absent"
    );
    clock.advance(time::Duration::seconds(61));
    assert_eq!(s.get(&key).await.unwrap(), None, "gone once the clock passes it");
    assert!(s.query(Query::partition("T")).await.unwrap().items.is_empty());
    assert_eq!(s.get_many(std::slice::from_ref(&key)).await.unwrap().len(), 0);
    s.put(item("T", "1", &[]), Some(Cond::absent())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_expiry_follows_the_applications_clock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite3");
    expiry_follows_the_clock(async |clock| {
        Arc::new(bb_local::SqliteStore::open_with_clock(&path, clock).unwrap()) as Arc<dyn Store>
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_expiry_follows_the_applications_clock() {
    let res = moto::Resources::create().await;
    expiry_follows_the_clock(async |clock| Arc::new(res.store().with_clock(clock)) as Arc<dyn Store>).await;
}

/// Several processes on one SQLite file (as `cargo lambda watch` runs them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_shared_by_several_openers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.sqlite3");
    let stores: Vec<Arc<dyn Store>> = (0..4)
        .map(|_| Arc::new(bb_local::SqliteStore::open(&path).unwrap()) as Arc<dyn Store>)
        .collect();
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let s = stores[n % 4].clone();
            tokio::spawn(async move { next_ids(s.as_ref(), &[IdKind::Client]).await.unwrap()[0] })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort();
    assert_eq!(ids, (1..=40).collect::<Vec<_>>());
}

// DynamoDB deletes expired items within days, not at once: "absent" and "exists" conditions
// treat a lingering expired item as gone, as every read does.
conformance!(
    conditions_treat_expired_items_as_absent,
    |s: Arc<dyn Store>| async move {
        let past = start().unix_timestamp() - 10;
        let expired = || item("E", "1", &[(TTL, Attr::N(past.to_string())), ("v", "old".into())]);
        s.put(expired(), None).await.unwrap();
        // A conditional create over the expired item succeeds ...
        s.put(item("E", "1", &[("v", "new".into())]), Some(Cond::absent()))
            .await
            .unwrap();
        assert_eq!(s.get(&Key::new("E", "1")).await.unwrap().unwrap()["v"], "new".into());
        // ... and so does one inside a transaction.
        s.put(expired(), None).await.unwrap();
        s.transact(vec![TxOp::put_new(item("E", "1", &[("v", "tx".into())]))])
            .await
            .unwrap();
        assert_eq!(s.get(&Key::new("E", "1")).await.unwrap().unwrap()["v"], "tx".into());
        // An update that needs the item refuses the expired one.
        s.put(expired(), None).await.unwrap();
        let touch = Update::new(Key::new("E", "1")).set("v", "touched").when(Cond::exists());
        assert_eq!(
            s.update(touch.clone(), Returning::Nothing).await,
            Err(StoreError::ConditionFailed)
        );
        let live = item("E", "2", &[(TTL, Attr::N((past + 3600).to_string()))]);
        s.put(live, None).await.unwrap();
        let touch_live = Update::new(Key::new("E", "2")).set("v", "touched").when(Cond::exists());
        s.update(touch_live, Returning::Nothing).await.unwrap();
        assert_eq!(
            s.put(item("E", "2", &[]), Some(Cond::absent())).await,
            Err(StoreError::ConditionFailed)
        );
    }
);

// DynamoDB refuses an update naming one attribute twice ("Two document paths overlap"); the
// embedded store refuses it too, so such code fails its tests instead of production.
conformance!(
    updates_naming_an_attribute_twice_are_refused,
    |s: Arc<dyn Store>| async move {
        let twice = Update::new(Key::new("U", "1"))
            .set("n", Attr::N("1".into()))
            .add("n", 1);
        assert!(matches!(
            s.update(twice.clone(), Returning::Nothing).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.transact(vec![TxOp::Update(twice)]).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(s.get(&Key::new("U", "1")).await.unwrap(), None);
        let keys: Vec<Key> = (0..101).map(|i| Key::new("U", format!("{i}"))).collect();
        assert!(matches!(s.batch_get(&keys).await, Err(StoreError::Invalid(_))));
    }
);
