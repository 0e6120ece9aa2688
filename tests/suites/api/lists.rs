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

/// The client's e-mail ids in their log, as the store holds them.
async fn mail_ids(t: &TestApp) -> Vec<i64> {
    let records = bb_core::store::query_all(
        t.app.store.as_ref(),
        bb_core::store::Query::partition("C#1").sk(bb_core::store::listing::Listing::records_of(
            bb_core::keys::EMAIL_LOG_PREFIX,
        )),
    )
    .await
    .unwrap();
    records.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

both!(
    the_email_log_pages_through_resends_and_deletions,
    |t: TestApp| async move {
        funds_invoice(&t, 10).await;
        t.app.mail_dispatch.flush().await;
        let first = *mail_ids(&t).await.first().expect("the invoice's mail is logged");
        for _ in 0..14 {
            let r = call(&t, "/api/client/email/resend", json!({"id": first})).await;
            assert_eq!(r.ok(), &json!(true), "{}", r.body);
        }
        for id in mail_ids(&t).await.into_iter().skip(3).step_by(4) {
            let r = call(&t, "/api/client/email/delete", json!({"id": id})).await;
            assert_eq!(r.ok(), &json!(true), "{}", r.body);
        }
        let gone = call(&t, "/api/client/email/delete", json!({"id": first + 1_000})).await;
        assert_eq!(gone.err().1, "Email not found");
        t.app.mail_dispatch.flush().await;
        let stored = newest_first(mail_ids(&t).await);
        assert!(stored.len() >= 10, "{stored:?}");
        for per_page in [1, 4, 10] {
            let (ids, totals) = walk(&t, "/api/client/email/get_list", json!({}), per_page).await;
            assert_eq!(ids, stored, "per_page {per_page}");
            assert!(totals.iter().all(|n| *n == stored.len() as u64), "{totals:?}");
        }
        let first_page = call(&t, "/api/client/email/get_list", json!({"per_page": 10})).await;
        assert_eq!(first_page.store_calls, 2, "credential, one Query");
        let check = verify(&t).await;
        assert!(check.findings.is_empty(), "{:?}", check.findings);
    }
);

both!(
    a_long_mail_is_shortened_in_the_list_and_whole_in_get,
    |t: TestApp| async move {
        use bb_core::notifier::EmailLog;
        use bb_core::store::{IdKind, Ids, TxOp, listing::list_changes};
        funds_invoice(&t, 10).await;
        t.app.mail_dispatch.flush().await;
        let first = *mail_ids(&t).await.first().unwrap();
        let item = t
            .app
            .store
            .get(&bb_core::keys::email_log(1, first))
            .await
            .unwrap()
            .unwrap();
        let mut long: EmailLog = bb_core::store::from_item(&item).unwrap();
        let (id, seq) = Ids::allocate_owned(t.app.store.as_ref(), "C#1", &[(IdKind::Email, 1)])
            .await
            .unwrap()
            .next_listed(IdKind::Email)
            .unwrap();
        long.id = id;
        long.seq = Some(seq);
        long.content_html = "<p>\"quoted\" ".repeat(10_000);
        long.content_text = "line\n".repeat(20_000);
        let mut ops = vec![TxOp::put_new(long.to_item().unwrap())];
        ops.extend(list_changes(None, Some(&long)).unwrap());
        t.app.store.transact(ops).await.unwrap();

        let list = call(&t, "/api/client/email/get_list", json!({"per_page": 2})).await;
        let items = list.ok()["list"].as_array().unwrap().clone();
        assert_eq!(items[0]["id"], id, "the newest first");
        assert_eq!(items[0]["shortened"], true);
        assert!(serde_json::to_string(&items[0]).unwrap().len() <= bb_core::domain::bounded::LIST_ITEM_BYTES);
        assert!(
            long.content_html
                .starts_with(items[0]["content_html"].as_str().unwrap()),
            "the start of the body"
        );
        assert!(items[1].get("shortened").is_none(), "a whole mail has no flag");
        let whole = call(&t, "/api/client/email/get", json!({"id": id})).await;
        assert_eq!(whole.ok()["content_html"].as_str().unwrap(), long.content_html);
        // Search looks at the whole mail, past the shortened part.
        let found = call(&t, "/api/client/email/get_list", json!({"search": "line\nline"})).await;
        assert_eq!(found.ok()["total"], 1);
    }
);

/// Copies of the caller's ticket `template`, written as ticket_create writes them: list
/// entries and counts in transactions (first, while the records are not there: moto copies
/// the table for every transaction), then each record on its own.
async fn seed_tickets(
    t: &TestApp,
    tickets: impl Fn(usize) -> bb_core::domain::support::Ticket,
    n: usize,
) -> Vec<bb_core::domain::support::Ticket> {
    use bb_core::store::{IdKind, Ids, listing::ListWrites};
    let store = t.app.store.as_ref();
    let mut ids = Ids::allocate_owned(store, "C#1", &[(IdKind::Ticket, n)]).await.unwrap();
    let made: Vec<_> = (0..n)
        .map(|i| {
            let (id, seq) = ids.next_listed(IdKind::Ticket).unwrap();
            let mut ticket = tickets(i);
            ticket.id = id;
            ticket.seq = seq;
            for m in &mut ticket.messages {
                m.support_ticket_id = id;
            }
            ticket
        })
        .collect();
    for chunk in made.chunks(20) {
        let mut lists = ListWrites::default();
        for ticket in chunk {
            lists.change(None, Some(ticket)).unwrap();
        }
        store.transact(lists.into_ops()).await.unwrap();
    }
    for ticket in &made {
        store.put(ticket.sized_item().unwrap(), None).await.unwrap();
    }
    made
}

async fn first_ticket(t: &TestApp) -> bb_core::domain::support::Ticket {
    let r = call(
        t,
        "/api/client/support/ticket_create",
        json!({"support_helpdesk_id": 1, "subject": "Template", "content": "The first message."}),
    )
    .await;
    let id = r.ok().as_i64().unwrap();
    let item = t.app.store.get(&bb_core::keys::ticket(1, id)).await.unwrap().unwrap();
    bb_core::store::from_item(&item).unwrap()
}

both!(
    tickets_page_by_priority_then_newest_and_by_status,
    |t: TestApp| async move {
        let template = first_ticket(&t).await;
        let made = seed_tickets(
            &t,
            |i| {
                let mut ticket = template.clone();
                ticket.priority = [100, 50, 100, 200][i % 4];
                ticket.subject = format!("Ticket {i}");
                ticket
            },
            17,
        )
        .await;
        for ticket in made.iter().step_by(3) {
            let r = call(&t, "/api/client/support/ticket_close", json!({"id": ticket.id})).await;
            assert_eq!(r.ok(), &json!(true), "{}", r.body);
        }
        let mut all: Vec<_> = made.iter().map(|t| (t.priority, t.seq, t.id)).collect();
        all.push((template.priority, template.seq, template.id));
        all.sort_by_key(|(priority, seq, _)| (*priority, std::cmp::Reverse(*seq)));
        let expected: Vec<i64> = all.iter().map(|(_, _, id)| *id).collect();
        for per_page in [1, 5, 10] {
            let (ids, totals) = walk(&t, "/api/client/support/ticket_get_list", json!({}), per_page).await;
            assert_eq!(ids, expected, "per_page {per_page}");
            assert!(totals.iter().all(|n| *n == 18));
        }
        let closed: Vec<i64> = made.iter().step_by(3).map(|t| t.id).collect();
        let (ids, totals) = walk(
            &t,
            "/api/client/support/ticket_get_list",
            json!({"status": "closed"}),
            2,
        )
        .await;
        let mut want: Vec<i64> = expected.iter().copied().filter(|id| closed.contains(id)).collect();
        assert_eq!(ids, want);
        assert!(totals.iter().all(|n| *n == closed.len() as u64));
        let (open, _) = walk(&t, "/api/client/support/ticket_get_list", json!({"status": "open"}), 4).await;
        assert_eq!(open.len(), 18 - closed.len());
        // A filter the lists do not serve gives the same answer from the records.
        let by_priority = call(
            &t,
            "/api/client/support/ticket_get_list",
            json!({"priority": 50, "per_page": 100}),
        )
        .await;
        want = expected
            .iter()
            .copied()
            .filter(|id| made.iter().any(|m| m.id == *id && m.priority == 50))
            .collect();
        let got: Vec<i64> = by_priority.ok()["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        assert_eq!(got, want);
        let check = verify(&t).await;
        assert!(check.findings.is_empty(), "{:?}", check.findings);
    }
);

both!(
    five_hundred_tickets_of_300_kb_list_under_the_bound,
    |t: TestApp| async move {
        use bb_core::domain::bounded::LIST_ANSWER_BYTES;
        let template = first_ticket(&t).await;
        let message = template.messages[0].clone();
        seed_tickets(
            &t,
            |i| {
                let mut ticket = template.clone();
                ticket.subject = format!("Long ticket {i}");
                ticket.messages = (0..29)
                    .map(|n| bb_core::domain::support::Message {
                        id: n,
                        content: format!("{n:02} ").repeat(3_330),
                        ..message.clone()
                    })
                    .collect();
                ticket
            },
            500,
        )
        .await;
        let one = t
            .app
            .store
            .get(&bb_core::keys::ticket(1, template.id + 1))
            .await
            .unwrap();
        let size = one.map_or(0, |i| {
            serde_json::to_string(&bb_core::store::Attr::M(i).to_json())
                .unwrap()
                .len()
        });
        assert!(size > 290_000, "each ticket is near 300 KB: {size}");
        let list = call(&t, "/api/client/support/ticket_get_list", json!({"per_page": 500})).await;
        let answer = list.ok();
        assert_eq!(answer["total"], 501);
        assert_eq!(answer["list"].as_array().unwrap().len(), 500);
        assert!(
            list.body.len() < LIST_ANSWER_BYTES,
            "{} bytes for 500 tickets of ~300 KB",
            list.body.len()
        );
        let shown = &answer["list"][0];
        assert_eq!(shown["shortened"], true);
        assert_eq!(shown["replies"], 29);
        assert_eq!(shown["messages"][0]["id"], 0, "the first message leads");
        assert_eq!(
            shown["messages"].as_array().unwrap().last().unwrap()["id"],
            28,
            "and the latest closes"
        );
        let whole = call(&t, "/api/client/support/ticket_get", json!({"id": shown["id"]})).await;
        assert_eq!(whole.ok()["messages"].as_array().unwrap().len(), 29);
        assert!(whole.ok().get("shortened").is_none());
    }
);
