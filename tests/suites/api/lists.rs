//! Lists read by position: every page holds its items once, in the list's order, with totals
//! that agree with the records, after creations, status changes, deletions and concurrent
//! writes; `bb counters` finds and repairs drift.

use bb_tests::*;
use serde_json::{Value, json};

async fn call(t: &TestApp, path: &str, body: Value) -> Resp {
    t.call(Req::post(path).key(DEMO_KEY).json(body)).await
}

async fn funds_invoice(t: &TestApp, amount: i64) -> String {
    let r = call(t, "/api/client/invoice/funds_invoice", json!({"amount": amount})).await;
    r.ok().as_str().unwrap().to_string()
}

/// Every page of `path` at `per_page`, the ids in answer order, and the total each page gave.
async fn walk(t: &TestApp, path: &str, filter: Value, per_page: u64) -> (Vec<i64>, Vec<u64>) {
    let mut ids = Vec::new();
    let mut totals = Vec::new();
    let mut page = 1;
    loop {
        let mut body = filter.clone();
        body["page"] = json!(page);
        body["per_page"] = json!(per_page);
        let answer = call(t, path, body).await.ok().clone();
        totals.push(answer["total"].as_u64().unwrap());
        let list = answer["list"].as_array().unwrap();
        ids.extend(list.iter().map(|i| i["id"].as_i64().unwrap()));
        if page >= answer["pages"].as_u64().unwrap() {
            // One page past the end is empty and still knows the total.
            let mut past = filter.clone();
            past["page"] = json!(page + 1);
            past["per_page"] = json!(per_page);
            let after = call(t, path, past).await.ok().clone();
            assert_eq!(after["list"], json!([]));
            assert_eq!(after["total"], answer["total"]);
            return (ids, totals);
        }
        page += 1;
    }
}

fn newest_first(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

async fn verify(t: &TestApp) -> bb_cli::ops::CounterCheck {
    bb_cli::ops::check_counters(&t.app, Some(1), false).await.unwrap()
}

both!(
    pages_hold_every_invoice_once_through_payments_and_deletions,
    |t: TestApp| async move {
        let mut hashes = Vec::new();
        for n in 0..27 {
            hashes.push(funds_invoice(&t, 10 + n).await);
        }
        // Some are paid (they move from the unpaid list to the paid one: 0, 4, ..., 24), some
        // deleted (1, 6, 11, 21, 26).
        for (n, hash) in hashes.iter().enumerate() {
            if n % 4 == 0 {
                bb_cli::ops::pay_invoice(&t.app, hash, None, None).await.unwrap();
            } else if n % 5 == 1 {
                let r = call(&t, "/api/client/invoice/delete", json!({"hash": hash})).await;
                assert_eq!(r.ok(), &json!(true), "{}", r.body);
            }
        }
        let all = call(&t, "/api/client/invoice/get_list", json!({"per_page": 500}))
            .await
            .ok()
            .clone();
        let every: Vec<i64> = all["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        let paid: Vec<i64> = all["list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["status"] == "paid")
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        assert_eq!(every.len(), 27 - 5, "27 made, 5 deleted");
        assert_eq!(paid.len(), 7);
        assert_eq!(every, newest_first(every.clone()), "newest first");
        for per_page in [1, 4, 10] {
            let (ids, totals) = walk(&t, "/api/client/invoice/get_list", json!({}), per_page).await;
            assert_eq!(ids, every, "per_page {per_page}");
            assert!(totals.iter().all(|n| *n == 22), "{totals:?}");
            let (ids, totals) = walk(&t, "/api/client/invoice/get_list", json!({"status": "paid"}), per_page).await;
            assert_eq!(ids, paid, "paid, per_page {per_page}");
            assert!(totals.iter().all(|n| *n == 7), "{totals:?}");
            let (ids, _) = walk(
                &t,
                "/api/client/invoice/get_list",
                json!({"status": "unpaid"}),
                per_page,
            )
            .await;
            assert_eq!(ids.len(), 15);
            assert!(ids.iter().all(|id| !paid.contains(id)));
        }
        let none = call(&t, "/api/client/invoice/get_list", json!({"status": "nonsense"})).await;
        assert_eq!(none.ok()["total"], 0);
        // The same list filtered in memory agrees with the list read by position.
        let by_currency = call(
            &t,
            "/api/client/invoice/get_list",
            json!({"currency": "USD", "per_page": 500}),
        )
        .await
        .ok()
        .clone();
        assert_eq!(by_currency["total"], 22);
        // Payments and balance entries of the paid invoices, one per page.
        let (payments, _) = walk(&t, "/api/client/invoice/transaction_get_list", json!({}), 1).await;
        assert_eq!(payments.len(), 7);
        assert_eq!(payments, newest_first(payments.clone()));
        let (entries, _) = walk(&t, "/api/client/client/balance_get_list", json!({}), 4).await;
        assert_eq!(entries.len(), 7, "each paid deposit credits the balance");
        assert_eq!(entries, newest_first(entries.clone()));
        let check = verify(&t).await;
        assert!(check.findings.is_empty(), "{:?}", check.findings);
    }
);

both!(
    a_middle_page_costs_a_read_of_the_counts_and_one_of_the_page,
    |t: TestApp| async move {
        for n in 0..25 {
            funds_invoice(&t, 10 + n).await;
        }
        let first = call(&t, "/api/client/invoice/get_list", json!({"per_page": 10})).await;
        assert_eq!(
            first.store_calls, 2,
            "credential, one Query (header, total and the page)"
        );
        let middle = call(&t, "/api/client/invoice/get_list", json!({"per_page": 10, "page": 2})).await;
        assert_eq!(
            middle.store_calls, 4,
            "credential, the counts, the page from its ten ranks, and the header read beside them"
        );
        assert_eq!(middle.ok()["list"].as_array().unwrap().len(), 10);
    }
);

both!(counters_stay_right_under_concurrent_writes, |t: TestApp| async move {
    let made: Vec<String> = futures::future::join_all((0..16).map(|n| funds_invoice(&t, 10 + n))).await;
    // Staff record payments one after another (each changes the client's balance) while the
    // client deletes invoices and asks for new ones, all at once.
    let pays = async {
        for hash in made.iter().take(6) {
            bb_cli::ops::pay_invoice(&t.app, hash, None, None).await.unwrap();
        }
    };
    let deletes = futures::future::join_all(
        made.iter()
            .skip(6)
            .take(4)
            .map(|hash| call(&t, "/api/client/invoice/delete", json!({"hash": hash}))),
    );
    let more = futures::future::join_all((0..8).map(|n| funds_invoice(&t, 50 + n)));
    let ((), deleted, _) = tokio::join!(pays, deletes, more);
    assert!(deleted.iter().all(|r| r.json["result"] == json!(true)));
    let check = verify(&t).await;
    assert!(check.findings.is_empty(), "{:?}", check.findings);
    let (ids, totals) = walk(&t, "/api/client/invoice/get_list", json!({}), 3).await;
    assert_eq!(ids.len(), 16 - 4 + 8);
    assert!(totals.iter().all(|n| *n == 20));
    let (paid, _) = walk(&t, "/api/client/invoice/get_list", json!({"status": "paid"}), 4).await;
    assert_eq!(paid.len(), 6);
});

both!(counters_repair_finds_and_fixes_drift, |t: TestApp| async move {
    use bb_core::store::{Returning, Update, listing::Listing};
    for n in 0..12 {
        funds_invoice(&t, 10 + n).await;
    }
    let whole = Listing::whole("C#1", "INV#");
    // A total off by three and an entry lost.
    t.app
        .store
        .update(Update::new(whole.total_key()).add("n", 3), Returning::Nothing)
        .await
        .unwrap();
    let page = bb_core::store::listing::read_page(t.app.store.as_ref(), &whole, 0, 1, false)
        .await
        .unwrap();
    let lost = bb_core::store::Key::of(&page.entries[0]).unwrap();
    t.app.store.delete(&lost, None).await.unwrap();
    let check = verify(&t).await;
    assert_eq!(check.findings.len(), 2, "{:?}", check.findings);
    assert!(
        bb_cli::ops::check_counters(&t.app, None, false)
            .await
            .unwrap()
            .findings
            .len()
            >= 2
    );
    let repaired = bb_cli::ops::check_counters(&t.app, Some(1), true).await.unwrap();
    assert_eq!(repaired.findings.len(), 2);
    let check = verify(&t).await;
    assert!(check.findings.is_empty(), "{:?}", check.findings);
    let (ids, totals) = walk(&t, "/api/client/invoice/get_list", json!({}), 5).await;
    assert_eq!(ids.len(), 12);
    assert!(totals.iter().all(|n| *n == 12));
});
