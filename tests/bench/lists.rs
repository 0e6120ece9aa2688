//! Data for `scripts/bench lists`: a client's one invoice, payment, balance entry, e-mail and ticket
//! copied until each list holds `n`, written as the actions write them (records, list
//! entries, totals and counts in transactions), and the timing of pages of each list.

use bb_core::domain::invoice::{
    BALANCE_PREFIX, BalanceEntry, INVOICE_PREFIX, Invoice, TRANSACTION_PREFIX, Transaction,
};
use bb_core::keys;
use bb_core::notifier::EmailLog;
use bb_core::store::listing::{ListWrites, Listed, Listing};
use bb_core::store::{IdKind, Ids, Item, Query, Record, Store, TxOp, from_item, query_all};
use serde::de::DeserializeOwned;
use std::time::Instant;

/// Records copied per transaction (each brings an entry per list it is in, and counts).
const PER_TRANSACTION: usize = 20;

trait Seeded: Listed + DeserializeOwned + Clone {
    fn item(&self) -> Item;
    fn renumbered(&self, id: i64, seq: i64) -> Self;
}

impl Seeded for Invoice {
    fn item(&self) -> Item {
        Record::to_item(self).expect("invoice item")
    }
    fn renumbered(&self, id: i64, seq: i64) -> Self {
        Invoice {
            id,
            seq,
            hash: format!("{}{id:08}", &self.hash[..self.hash.len().min(24)]),
            ..self.clone()
        }
    }
}

impl Seeded for Transaction {
    fn item(&self) -> Item {
        Record::to_item(self).expect("transaction item")
    }
    fn renumbered(&self, id: i64, seq: i64) -> Self {
        Transaction {
            id,
            seq,
            ..self.clone()
        }
    }
}

impl Seeded for BalanceEntry {
    fn item(&self) -> Item {
        Record::to_item(self).expect("balance item")
    }
    fn renumbered(&self, id: i64, seq: i64) -> Self {
        BalanceEntry {
            id,
            seq,
            ..self.clone()
        }
    }
}

impl Seeded for bb_core::domain::support::Ticket {
    fn item(&self) -> Item {
        self.sized_item().expect("ticket item")
    }
    fn renumbered(&self, id: i64, seq: i64) -> Self {
        let mut ticket = self.clone();
        ticket.id = id;
        ticket.seq = seq;
        for m in &mut ticket.messages {
            m.support_ticket_id = id;
        }
        ticket
    }
}

impl Seeded for EmailLog {
    fn item(&self) -> Item {
        self.to_item().expect("mail item")
    }
    fn renumbered(&self, id: i64, seq: i64) -> Self {
        EmailLog {
            id,
            seq: Some(seq),
            ..self.clone()
        }
    }
}

async fn template<T: DeserializeOwned>(store: &dyn Store, pk: &str, family: &str) -> T {
    let items = query_all(store, Query::partition(pk).sk(Listing::records_of(family)))
        .await
        .expect("records");
    from_item(
        items
            .first()
            .unwrap_or_else(|| panic!("{pk} has no {family} record to copy")),
    )
    .expect("record")
}

async fn copy<T: Seeded>(store: &dyn Store, pk: &str, kind: IdKind, original: &T, copies: usize) {
    let mut ids = Ids::allocate(store, &[(kind, copies)]).await.expect("ids");
    let seqs = Ids::sequence(store, pk, kind, copies).await.expect("sequence numbers");
    for chunk in seqs.chunks(PER_TRANSACTION) {
        let mut ops = Vec::new();
        let mut lists = ListWrites::default();
        for seq in chunk {
            let record = original.renumbered(ids.next(kind).expect("id"), *seq);
            ops.push(TxOp::put_new(record.item()));
            lists.change(None, Some(&record)).expect("list writes");
        }
        ops.extend(lists.into_ops());
        store.transact(ops).await.expect("seed transaction");
    }
}

/// Copies client `client_id`'s first invoice, payment, balance entry and e-mail until each
/// of their lists holds `n`.
pub async fn seed(client_id: i64, n: usize) {
    let (app, _) = bb_runtime::backends::app_from_env().await.expect("backends");
    let store = app.store.as_ref();
    let pk = keys::client_partition(client_id);
    let copies = n.saturating_sub(1);
    let started = Instant::now();
    let invoice: Invoice = template(store, &pk, INVOICE_PREFIX).await;
    copy(store, &pk, IdKind::Invoice, &invoice, copies).await;
    let payment: Transaction = template(store, &pk, TRANSACTION_PREFIX).await;
    copy(store, &pk, IdKind::Transaction, &payment, copies).await;
    let entry: BalanceEntry = template(store, &pk, BALANCE_PREFIX).await;
    copy(store, &pk, IdKind::Balance, &entry, copies).await;
    let mail: EmailLog = template(store, &pk, keys::EMAIL_LOG_PREFIX).await;
    copy(store, &pk, IdKind::Email, &mail, copies).await;
    let ticket: bb_core::domain::support::Ticket = template(store, &pk, keys::TICKET_PREFIX).await;
    copy(store, &pk, IdKind::Ticket, &ticket, copies).await;
    eprintln!(
        "client #{client_id}: {n} invoices, payments, balance entries, e-mails and tickets in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Median milliseconds of `runs` calls of `path` with `body`, and the answer's total and pages.
async fn time_page(base: &str, key: &str, path: &str, body: &serde_json::Value, runs: usize) -> (f64, u64, u64) {
    let client = reqwest::Client::new();
    let mut times = Vec::with_capacity(runs);
    let mut shape = (0, 0);
    for _ in 0..runs {
        let started = Instant::now();
        let answer: serde_json::Value = client
            .post(format!("{base}{path}"))
            .basic_auth("client", Some(key))
            .json(body)
            .send()
            .await
            .expect("call")
            .json()
            .await
            .expect("json");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let result = &answer["result"];
        assert!(answer["error"].is_null(), "{path}: {answer}");
        shape = (
            result["total"].as_u64().unwrap_or_default(),
            result["pages"].as_u64().unwrap_or_default(),
        );
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], shape.0, shape.1)
}

/// Page 1 and a middle page (`per_page=10`) of every list, for each client key, side by side.
pub async fn time_lists(base: &str, keys: &[String], runs: usize) {
    let lists = [
        "/api/client/invoice/get_list",
        "/api/client/invoice/transaction_get_list",
        "/api/client/client/balance_get_list",
        "/api/client/email/get_list",
        "/api/client/support/ticket_get_list",
    ];
    println!("median of {runs} calls, per_page=10; ratio = this client / the first");
    for path in lists {
        let mut first: Option<(f64, f64)> = None;
        for key in keys {
            let page1 = serde_json::json!({"per_page": 10});
            let (one, total, pages) = time_page(base, key, path, &page1, runs).await;
            let middle = serde_json::json!({"per_page": 10, "page": pages.div_ceil(2).max(1)});
            let (mid, _, _) = time_page(base, key, path, &middle, runs).await;
            let (one0, mid0) = *first.get_or_insert((one, mid));
            println!(
                "{:<42} {total:>7} items  page 1 {one:>7.2} ms ({:>4.2}x)  page {:>5} {mid:>7.2} ms ({:>4.2}x)",
                path.trim_start_matches("/api/client/"),
                one / one0,
                pages.div_ceil(2).max(1),
                mid / mid0
            );
        }
    }
}

/// Store calls and read units of page 1 and of a middle page (`per_page=10`) of each list,
/// read as the list methods read them, for each client (after the credential's UpdateItem,
/// which every client call adds: 1 call, 1 write unit for an item under 1 KB).
pub async fn list_costs(clients: &[i64]) {
    use bb_core::domain::client as clients_domain;
    use bb_core::domain::invoice::{balance_listing, invoice_listing, transaction_listing};
    use bb_core::domain::support::ticket_listing;
    use bb_core::store::listing::read_page;
    use bb_core::store::metrics::count_round_trips;
    let (app, _) = bb_runtime::backends::app_from_env().await.expect("backends");
    // The app's store charges capacity as every request path's does (`store::metrics`).
    let store = app.store.as_ref();
    println!("store calls and read units (strongly consistent, 4 KB each) of the list read, per_page=10");
    for client in clients {
        let lists: [(&str, Listing, bool); 5] = [
            ("invoice/get_list", invoice_listing(*client, None), true),
            ("invoice/transaction_get_list", transaction_listing(*client), false),
            ("client/balance_get_list", balance_listing(*client), true),
            ("email/get_list", bb_core::notifier::email_listing(*client), false),
            ("support/ticket_get_list", ticket_listing(*client, None), true),
        ];
        for (name, listing, with_view) in lists {
            let total = read_page(store, &listing, 0, 1, false).await.expect("total").total;
            let mut costs = Vec::new();
            for offset in [0, (total / 20) * 10] {
                let (page, calls) = count_round_trips(async {
                    if with_view {
                        clients_domain::list_page_with_view(store, &listing, offset, 10)
                            .await
                            .map(|_| ())
                    } else {
                        read_page(store, &listing, offset, 10, false)
                            .await
                            .map(|_| ())
                            .map_err(Into::into)
                    }
                })
                .await;
                page.expect("page");
                costs.push((calls.round_trips, calls.capacity.read_units()));
            }
            println!(
                "client #{client:<4} {name:<30} {total:>7} items  page 1: {} calls {:>4} RCU   middle page: {} calls {:>4} RCU",
                costs[0].0, costs[0].1, costs[1].0, costs[1].1
            );
        }
    }
}
