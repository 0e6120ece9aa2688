//! The money and identity paths under DynamoDB's real faults, injected by `FaultyStore` on
//! both backends: transaction conflicts, throttling, partial batch reads, and a write whose
//! answer is lost after it committed.
//!
//! Each path runs once without faults (the baseline), then once per fault plan on a fresh
//! application. Conflicts, throttles and partial batches must give exactly the baseline's
//! answer and leave exactly the baseline's records. A lost answer must give a clean "try
//! again" (503), and the client's retry (a new request) must then give the baseline's answer,
//! still with exactly one of everything.

use bb_tests::faults::{Call, Fault, Faults, FaultyStore};
use bb_tests::*;
use serde_json::{Value, json};
use std::sync::Arc;

/// One fault plan: which calls misbehave, and how.
struct Plan {
    name: &'static str,
    faults: &'static [(Call, Fault, usize)],
    /// The write commits and its answer is lost: the first answer is 503, the retry must
    /// answer as the baseline did.
    lost: bool,
    /// Every path meets these calls; a plan that is not required may find none to fault.
    required: bool,
}

const PLANS: &[Plan] = &[
    Plan {
        name: "transaction conflicts",
        faults: &[(Call::Transact, Fault::Conflict, 2)],
        lost: false,
        required: true,
    },
    Plan {
        name: "throttling",
        faults: &[
            (Call::Update, Fault::Throttle, 2),
            (Call::Get, Fault::Throttle, 1),
            (Call::Transact, Fault::Throttle, 1),
        ],
        lost: false,
        required: true,
    },
    Plan {
        name: "partial batch reads",
        faults: &[(Call::Batch, Fault::Partial, 3)],
        lost: false,
        required: false,
    },
    Plan {
        name: "lost answer after commit",
        faults: &[(Call::Transact, Fault::LoseResponse, 1)],
        lost: true,
        required: true,
    },
];

/// Answers as the client sees them, with what is random per run replaced (tokens, hashes,
/// group ids). Times need no such care: every application of this suite starts its clock at
/// [`START`].
fn normalized(value: &Value) -> Value {
    match value {
        Value::String(s)
            if s.len() >= 16
                && (s.len() >= 32 || s.bytes().any(|b| b.is_ascii_digit()))
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            json!("<random>")
        }
        Value::Array(list) => Value::Array(list.iter().map(normalized).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalized(v))).collect()),
        other => other.clone(),
    }
}

/// Where every application of this suite starts its clock.
fn start() -> time::OffsetDateTime {
    time::macros::datetime!(2026-12-02 10:00:00 UTC)
}

/// Where two JSON values differ, as paths (so a failure names what doubled).
fn differences(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let (l, r) = (x.get(key).unwrap_or(&Value::Null), y.get(key).unwrap_or(&Value::Null));
                differences(l, r, &format!("{path}.{key}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                differences(l, r, &format!("{path}[{i}]"), out);
            }
        }
        (l, r) if l != r => out.push(format!("{path}: {l} != {r}")),
        _ => {}
    }
}

fn assert_same(got: &Value, want: &Value, what: &str) {
    let mut diff = Vec::new();
    differences(got, want, "", &mut diff);
    assert!(diff.is_empty(), "{what}:\n  {}", diff.join("\n  "));
}

fn answer(resp: &Resp) -> Value {
    json!({"status": resp.status, "body": normalized(&resp.json)})
}

async fn post(t: &TestApp, key: &str, path: &str, body: Value) -> Resp {
    t.call(Req::post(path).key(key).json(body)).await
}

async fn ok(t: &TestApp, key: &str, path: &str, body: Value) -> Value {
    post(t, key, path, body).await.ok().clone()
}

/// What the demo client's account holds, through the API: the records a retried write could
/// have doubled.
async fn census(t: &TestApp) -> Value {
    let total = async |path: &str| ok(t, DEMO_KEY, path, json!({"per_page": 500})).await["total"].clone();
    let profile = ok(t, DEMO_KEY, "/api/client/profile/get", json!({})).await;
    json!({
        "invoices": total("/api/client/invoice/get_list").await,
        "orders": normalized(&ok(t, DEMO_KEY, "/api/client/order/get_list", json!({})).await),
        "transactions": total("/api/client/invoice/transaction_get_list").await,
        "balance": profile["balance"],
        "balance_entries": total("/api/client/client/balance_get_list").await,
        "emails": total("/api/client/email/get_list").await,
        "tickets": normalized(&ok(t, DEMO_KEY, "/api/client/support/ticket_get_list", json!({})).await),
        "topics": normalized(&ok(t, DEMO_KEY, "/api/client/forum/get_topic_list", json!({})).await),
        "forums": ok(t, DEMO_KEY, "/api/client/forum/get_list", json!({})).await,
    })
}

/// Runs `act` without faults and under every plan, each on a fresh application prepared by
/// `setup`, and checks the outcomes as the module docs say.
async fn matrix<S, A>(backend: Backend, setup: S, act: A)
where
    S: AsyncFn(&TestApp) -> Value,
    A: AsyncFn(&TestApp, &Value) -> Value,
{
    let plain = |s| s;
    let baseline_app = TestApp::build_at(backend, start(), |_| {}, plain).await;
    let context = setup(&baseline_app).await;
    let baseline = act(&baseline_app, &context).await;
    let baseline_census = census(&baseline_app).await;
    for plan in PLANS {
        let faults = Faults::new();
        let injected = faults.clone();
        let wrap = move |s| Arc::new(FaultyStore::new(s, injected)) as Arc<dyn bb_core::store::Store>;
        let t = TestApp::build_at(backend, start(), |_| {}, wrap).await;
        let context = setup(&t).await;
        for (call, fault, times) in plan.faults {
            faults.arm(*call, *fault, *times);
        }
        let first = act(&t, &context).await;
        println!("fault plan {:?}: injected {:?}", plan.name, faults.injected());
        if faults.injected().is_empty() {
            // A path without batch reads has no partial batch to survive; every other plan
            // must reach the path, or it proved nothing.
            assert!(!plan.required, "{}: no fault was delivered", plan.name);
            continue;
        }
        if plan.lost {
            assert_eq!(first["status"], 503, "{}: {first}", plan.name);
            assert_eq!(first["body"]["error"]["code"], 503, "{}: {first}", plan.name);
            let retried = act(&t, &context).await;
            assert_same(
                &retried,
                &baseline,
                &format!("{}: the retry answers as the first write did", plan.name),
            );
        } else {
            assert_same(
                &first,
                &baseline,
                &format!("{}: same answer as without faults", plan.name),
            );
        }
        assert_same(
            &census(&t).await,
            &baseline_census,
            &format!("{}: exactly one of everything", plan.name),
        );
    }
    // For `scripts/bench faults`: the retries the store layer made (this process, all tests).
    println!(
        "store retries (process total): {}",
        bb_core::store::metrics::total_retries()
    );
}

async fn nothing(_: &TestApp) -> Value {
    Value::Null
}

const FRESH: &str = "fresh@example.com";

// Sign-up: the e-mail guard, the client and the welcome mail in one transaction. Its natural
// key is the e-mail address with its password.
each_backend!(sign_up, |backend| async move {
    matrix(backend, nothing, async |t: &TestApp, _: &Value| {
        let signup =
            json!({"email": FRESH, "first_name": "Fresh", "password": "Fresh12345", "password_confirm": "Fresh12345"});
        let created = answer(&t.call(Req::post("/api/guest/client/create").json(signup)).await);
        if created["status"] != 200 {
            return created;
        }
        // The account that exists afterwards, with its mail: one of each.
        let login = json!({"email": FRESH, "password": "Fresh12345"});
        let logged_in = t.call(Req::post("/api/guest/client/login").json(login)).await;
        let mut jar = Session::default();
        jar.absorb(&logged_in);
        let mails = t
            .call(jar.send(Req::post("/api/client/email/get_list").json(json!({}))))
            .await;
        json!({"created": created, "login": answer(&logged_in), "mails": mails.ok()["total"]})
    })
    .await;
});

// Login: a session, the client's session list and the activity line in one transaction.
each_backend!(login, |backend| async move {
    matrix(backend, nothing, async |t: &TestApp, _: &Value| {
        let login = json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD});
        answer(&t.call(Req::post("/api/guest/client/login").json(login)).await)
    })
    .await;
});

async fn cart_with_a_monthly_product(t: &TestApp) -> Value {
    let added = post(
        t,
        DEMO_KEY,
        "/api/guest/cart/add_item",
        json!({"id": 2, "period": "1M"}),
    )
    .await;
    assert_eq!(added.ok(), &json!(true), "{}", added.body);
    Value::Null
}

// Checkout of an unpaid cart: orders, invoice, cart, mail in one transaction.
each_backend!(checkout, |backend| async move {
    matrix(backend, cart_with_a_monthly_product, async |t: &TestApp, _: &Value| {
        answer(&post(t, DEMO_KEY, "/api/client/cart/checkout", json!({})).await)
    })
    .await;
});

// Checkout paid at once from the balance: the balance moves exactly once.
each_backend!(checkout_paid_from_credit, |backend| async move {
    matrix(
        backend,
        async |t: &TestApp| {
            bb_cli::ops::add_funds(&t.app, 1, "100", "Prepaid").await.unwrap();
            cart_with_a_monthly_product(t).await
        },
        async |t: &TestApp, _: &Value| answer(&post(t, DEMO_KEY, "/api/client/cart/checkout", json!({})).await),
    )
    .await;
});

/// An active monthly order, paid once: its id.
async fn paid_order(t: &TestApp) -> Value {
    cart_with_a_monthly_product(t).await;
    let done = ok(t, DEMO_KEY, "/api/client/cart/checkout", json!({})).await;
    bb_cli::ops::pay_invoice(&t.app, done["invoice_hash"].as_str().unwrap(), Some(1), None)
        .await
        .unwrap();
    done["order_id"].clone()
}

// A renewal invoice: created once per order, whatever the retries.
each_backend!(renewal_invoice, |backend| async move {
    matrix(backend, paid_order, async |t: &TestApp, order: &Value| {
        let body = json!({"order_id": order});
        answer(&post(t, DEMO_KEY, "/api/client/invoice/renewal_invoice", body).await)
    })
    .await;
});

// A deposit invoice, with the Idempotency-Key a careful client sends.
each_backend!(funds_invoice, |backend| async move {
    matrix(backend, paid_order, async |t: &TestApp, _: &Value| {
        let req = Req::post("/api/client/invoice/funds_invoice")
            .key(DEMO_KEY)
            .header("idempotency-key", "deposit-2026-12-02")
            .json(json!({"amount": 50}));
        answer(&t.call(req).await)
    })
    .await;
});

async fn a_ticket(t: &TestApp) -> Value {
    let body = json!({"support_helpdesk_id": 1, "subject": "Panel", "content": "My panel password does not work."});
    ok(t, DEMO_KEY, "/api/client/support/ticket_create", body).await
}

// A ticket reply: one message, one staff notice.
each_backend!(ticket_reply, |backend| async move {
    matrix(backend, a_ticket, async |t: &TestApp, ticket: &Value| {
        let body = json!({"id": ticket, "content": "It still fails after the reset."});
        answer(&post(t, DEMO_KEY, "/api/client/support/ticket_reply", body).await)
    })
    .await;
});

async fn a_topic(t: &TestApp) -> Value {
    let body = json!({"forum_id": 1, "topic": "Maintenance window", "message": "When is it?"});
    ok(t, DEMO_KEY, "/api/client/forum/start_topic", body).await
}

// A forum post: one message, the topic's and the forum's counts moved once, one fan-out.
each_backend!(forum_post, |backend| async move {
    matrix(backend, a_topic, async |t: &TestApp, topic: &Value| {
        let body = json!({"forum_topic_id": topic, "message": "Which hours exactly?"});
        answer(&post(t, DEMO_KEY, "/api/client/forum/post_message", body).await)
    })
    .await;
});

/// The unpaid invoice of a fresh checkout.
async fn unpaid_invoice(t: &TestApp) -> Value {
    cart_with_a_monthly_product(t).await;
    ok(t, DEMO_KEY, "/api/client/cart/checkout", json!({})).await["invoice_hash"].clone()
}

// An operator records a payment (`bb invoice pay`): paid once, order activated once.
each_backend!(operator_invoice_pay, |backend| async move {
    matrix(
        backend,
        unpaid_invoice,
        async |t: &TestApp, hash: &Value| match bb_cli::ops::pay_invoice(
            &t.app,
            hash.as_str().unwrap(),
            Some(1),
            Some("TX-7".into()),
        )
        .await
        {
            Ok(done) => json!({"status": 200, "body": {"result": done}}),
            Err(e) if e.ends_with("(503)") => json!({"status": 503, "body": {"error": {"code": 503}}}),
            Err(e) => json!({"status": 200, "body": {"error": e}}),
        },
    )
    .await;
});
