//! Cart, checkout, invoices, orders and balance: money, atomicity, idempotency, isolation.

use bb_tests::*;
use serde_json::{Value, json};

pub async fn call(t: &TestApp, key: &str, path: impl Into<String>, body: Value) -> Resp {
    t.call(Req::post(&path.into()).key(key).json(body)).await
}

/// Fills the key's cart: `(product, period)` items, the first replacing what was there.
pub async fn fill(t: &TestApp, key: &str, items: &[(i64, Option<&str>, Value)]) {
    for (n, (id, period, extra)) in items.iter().enumerate() {
        let mut body = json!({"id": id, "multiple": n > 0});
        if let Some(p) = period {
            body["period"] = json!(p);
        }
        if let Value::Object(m) = extra {
            for (k, v) in m {
                body[k] = v.clone();
            }
        }
        let r = call(t, key, "/api/guest/cart/add_item", body).await;
        assert_eq!(r.ok(), &json!(true), "{}", r.body);
    }
}

pub async fn checkout(t: &TestApp, key: &str) -> Value {
    call(t, key, "/api/client/cart/checkout", json!({})).await.ok().clone()
}

async fn invoice(t: &TestApp, key: &str, hash: &str) -> Value {
    call(t, key, "/api/client/invoice/get", json!({"hash": hash}))
        .await
        .ok()
        .clone()
}

async fn order(t: &TestApp, key: &str, id: &Value) -> Value {
    call(t, key, "/api/client/order/get", json!({"id": id}))
        .await
        .ok()
        .clone()
}

both!(shop_catalogue_for_guests, |t: TestApp| async move {
    let list = t.call(Req::get("/api/guest/product/get_list")).await;
    let titles: Vec<&str> = list.ok()["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Starter Custom Service",
            "Pro Custom Service",
            "Setup Consultation",
            "Free Trial",
            "Limited Edition Server"
        ]
    );
    let starter = t
        .call(Req::get("/api/guest/product/get?slug=starter"))
        .await
        .ok()
        .clone();
    assert_eq!(starter["pricing"]["recurrent"]["1M"]["price"], "9.99");
    assert_eq!(starter["price_starting_from"], "9.99");
    assert_eq!(starter["addons"][0]["title"], "Daily Backups");
    t.call(Req::get("/api/guest/product/get"))
        .await
        .assert_err(200, 9999, "Product ID or slug is missing");
    t.call(Req::get("/api/guest/product/get?id=999"))
        .await
        .assert_err(200, 9999, "Product not found");
    let pairs = t.call(Req::get("/api/guest/currency/get_pairs")).await;
    assert_eq!(pairs.ok(), &json!({"USD": "US Dollar", "EUR": "Euro"}));
    let eur = t
        .call(Req::get("/api/guest/currency/format?code=EUR&price=1234.5"))
        .await;
    assert_eq!(eur.ok(), &json!("€1.135,74"));
    let gateways = t.call(Req::get("/api/guest/invoice/gateways")).await.ok().clone();
    assert_eq!(gateways.as_array().unwrap().len(), 2, "the disabled one is not offered");
    assert_eq!(gateways[0]["title"], "PayPal");
    assert_eq!(gateways[1]["accepted_currencies"], json!(["USD", "EUR"]));
    let pairs = t.call(Req::get("/api/guest/invoice/gateways?format=pairs")).await;
    assert_eq!(pairs.ok(), &json!({"2": "PayPal", "1": "Bank transfer"}));
});

both!(
    checkout_totals_with_promo_setup_addon_and_tax,
    |t: TestApp| async move {
        fill(
            &t,
            DEMO_KEY,
            &[
                (1, Some("1M"), json!({"addons": {"3": {"selected": 1, "period": "1M"}}})),
                (2, Some("1M"), json!({})),
            ],
        )
        .await;
        assert_eq!(
            call(
                &t,
                DEMO_KEY,
                "/api/guest/cart/apply_promo",
                json!({"promocode": "save10"})
            )
            .await
            .ok(),
            &json!(true)
        );
        let cart = call(&t, DEMO_KEY, "/api/guest/cart/get", json!({})).await.ok().clone();
        assert_eq!(cart["promocode"], "SAVE10");
        assert_eq!(
            (
                cart["subtotal"].as_str(),
                cart["discount"].as_str(),
                cart["total"].as_str()
            ),
            (Some("36.98"), Some("3.00"), Some("33.98"))
        );
        assert_eq!(cart["items"].as_array().unwrap().len(), 3);
        assert_eq!(cart["currency"]["code"], "USD");

        let done = checkout(&t, DEMO_KEY).await;
        let orders = done["orders"].as_array().unwrap().clone();
        assert_eq!(orders.len(), 3);
        assert_eq!(done["order_id"], orders[0]);
        assert_eq!(done["gateway_id"], Value::Null);
        let hash = done["invoice_hash"].as_str().expect("an unpaid invoice").to_string();
        assert_eq!(hash.len(), 40);
        let inv = invoice(&t, DEMO_KEY, &hash).await;
        // 9.99 − 1.00 + 2.00 + 19.99 − 2.00 + 5.00; Illinois 6.25 % per line, rounded per line.
        assert_eq!(
            (inv["subtotal"].as_str(), inv["tax"].as_str(), inv["total"].as_str()),
            (Some("33.98"), Some("2.12"), Some("36.10"))
        );
        assert_eq!(inv["taxname"], "Illinois sales tax");
        assert_eq!(inv["taxrate"], "6.25");
        assert_eq!(inv["status"], "unpaid");
        assert_eq!(inv["currency"], "USD");
        assert_eq!(inv["serie_nr"].as_str().unwrap().len(), 8);
        assert!(inv["serie_nr"].as_str().unwrap().starts_with("BOX"));
        let titles: Vec<&str> = inv["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            titles,
            [
                "Starter Custom Service",
                "Discount: Starter Custom Service",
                "Daily Backups",
                "Pro Custom Service",
                "Discount: Pro Custom Service",
                "Pro Custom Service setup"
            ]
        );
        assert_eq!(inv["buyer"]["email"], DEMO_EMAIL);
        assert_eq!(inv["seller"]["company"], "Demo Hosting Ltd");
        assert_eq!(inv["client"]["id"], 1);
        assert_eq!(inv["subscribable"], false);
        // Pro sets up after the order; Starter and its addon wait for payment.
        let starter = order(&t, DEMO_KEY, &orders[0]).await;
        assert_eq!(
            (
                starter["status"].as_str(),
                starter["price"].as_str(),
                starter["discount"].as_str()
            ),
            (Some("pending_setup"), Some("9.99"), Some("1.00"))
        );
        assert_eq!(starter["promo_id"], 1);
        assert_eq!(starter["unpaid_invoice_id"], inv["id"]);
        assert_eq!(starter["group_master"], true);
        assert_eq!(order(&t, DEMO_KEY, &orders[2]).await["status"], "active");
        // The cart is gone; e-mails went out.
        let cart = call(&t, DEMO_KEY, "/api/guest/cart/get", json!({})).await.ok().clone();
        assert_eq!(cart["items"], json!([]));
        let mail = t.sent_mail().await;
        let subjects: Vec<&str> = mail.iter().map(|m| m.subject.as_str()).collect();
        assert!(
            subjects
                .iter()
                .any(|s| s.starts_with("Invoice BOX") && s.ends_with("for 36.10 USD")),
            "{subjects:?}"
        );
        assert!(subjects.contains(&"Pro Custom Service is active"), "{subjects:?}");
        assert!(
            mail.iter()
                .any(|m| m.to == "staff@example.com" && m.subject.starts_with("New order #")),
            "{subjects:?}"
        );
        let log = call(&t, DEMO_KEY, "/api/client/invoice/get_list", json!({}))
            .await
            .ok()
            .clone();
        assert_eq!(log["total"], 1);
    }
);

both!(
    paying_with_account_credit_activates_and_charges,
    |t: TestApp| async move {
        bb_cli::ops::add_funds(&t.app, 1, "100", "Goodwill").await.unwrap();
        fill(
            &t,
            DEMO_KEY,
            &[(
                1,
                Some("1M"),
                json!({"addons": {"3": {"selected": "1", "period": "1M"}}}),
            )],
        )
        .await;
        let done = checkout(&t, DEMO_KEY).await;
        assert_eq!(done["invoice_hash"], Value::Null, "paid at once");
        for id in done["orders"].as_array().unwrap() {
            let o = order(&t, DEMO_KEY, id).await;
            assert_eq!(o["status"], "active");
            assert!(o["expires_at"].as_str().is_some());
            assert_eq!(o["unpaid_invoice_id"], Value::Null);
        }
        // 9.99 + 2.00, tax 0.62 + 0.13 = 12.74 charged.
        let me = call(&t, DEMO_KEY, "/api/client/profile/get", json!({}))
            .await
            .ok()
            .clone();
        assert_eq!(me["balance"], "87.26");
        let list = call(&t, DEMO_KEY, "/api/client/invoice/get_list", json!({"status": "paid"}))
            .await
            .ok()
            .clone();
        assert_eq!(list["total"], 1);
        let inv = &list["list"][0];
        assert_eq!(inv["total"], "12.74");
        assert!(inv["lines"].as_array().unwrap().iter().all(|l| l["charged"] == true));
        assert!(
            inv["notes"]
                .as_str()
                .unwrap()
                .contains("Charged clients balance with 10.61 USD for Starter Custom Service")
        );
        let entries = call(&t, DEMO_KEY, "/api/client/client/balance_get_list", json!({}))
            .await
            .ok()
            .clone();
        let amounts: Vec<&str> = entries["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["amount"].as_str().unwrap())
            .collect();
        assert_eq!(amounts, ["-2.13", "-10.61", "100.00"]);
        assert_eq!(entries["list"][0]["currency"], "USD");
        let service = call(
            &t,
            DEMO_KEY,
            "/api/client/order/service",
            json!({"id": done["order_id"]}),
        )
        .await
        .ok()
        .clone();
        assert_eq!(service["plugin"], "demo");
        assert_eq!(service["order_id"], done["order_id"]);
        let subjects: Vec<String> = t.sent_mail().await.into_iter().map(|m| m.subject).collect();
        assert!(
            subjects.iter().any(|s| s.starts_with("Payment received for invoice")),
            "{subjects:?}"
        );
        assert_eq!(
            subjects.iter().filter(|s| s.ends_with("is active")).count(),
            2,
            "{subjects:?}"
        );
    }
);

both!(setup_modes_free_manual_and_stock, |t: TestApp| async move {
    fill(&t, DEMO_KEY, &[(5, None, json!({}))]).await;
    let free = checkout(&t, DEMO_KEY).await;
    assert_eq!(free["invoice_hash"], Value::Null, "nothing to pay, no invoice");
    assert_eq!(order(&t, DEMO_KEY, &free["order_id"]).await["status"], "active");
    bb_cli::ops::add_funds(&t.app, 1, "500", "Top-up").await.unwrap();
    fill(&t, DEMO_KEY, &[(4, None, json!({"quantity": 2}))]).await;
    let manual = checkout(&t, DEMO_KEY).await;
    assert_eq!(manual["invoice_hash"], Value::Null, "paid by credit");
    let o = order(&t, DEMO_KEY, &manual["order_id"]).await;
    assert_eq!(
        (o["status"].as_str(), o["quantity"].as_i64(), o["total"].as_str()),
        (Some("pending_setup"), Some(2), Some("100.00"))
    );
    // Staff set it up.
    bb_cli::ops::order_action(&t.app, 1, o["id"].as_i64().unwrap(), "activate")
        .await
        .unwrap();
    assert_eq!(order(&t, DEMO_KEY, &manual["order_id"]).await["status"], "active");
    // Two limited servers in stock.
    fill(&t, DEMO_KEY, &[(6, None, json!({}))]).await;
    checkout(&t, DEMO_KEY).await;
    fill(&t, OTHER_KEY, &[(6, None, json!({}))]).await;
    bb_cli::ops::add_funds(&t.app, 2, "500", "Top-up").await.unwrap();
    checkout(&t, OTHER_KEY).await;
    t.app.forget_cached();
    let r = call(&t, DEMO_KEY, "/api/guest/cart/add_item", json!({"id": 6})).await;
    r.assert_err(200, 9999, "I'm afraid we are out of stock.");
    let p = t.call(Req::get("/api/guest/product/get?id=6")).await.ok().clone();
    assert_eq!(p["quantity_in_stock"], 0);
});

both!(cart_input_comes_from_the_catalogue, |t: TestApp| async move {
    let add = |body: Value| call(&t, DEMO_KEY, "/api/guest/cart/add_item", body);
    add(json!({})).await.assert_err(200, 9999, "Product id not passed");
    add(json!({"id": 999})).await.assert_err(200, 9999, "Product not found");
    add(json!({"id": 3, "period": "1M"}))
        .await
        .assert_err(200, 9999, "Product not found");
    add(json!({"id": 1}))
        .await
        .assert_err(200, 9999, "Period parameter not passed");
    add(json!({"id": 1, "period": "2Y"}))
        .await
        .assert_err(200, 9999, "Selected billing period is not valid");
    add(json!({"id": 2, "period": "1Y"}))
        .await
        .assert_err(200, 9999, "Selected billing period is not valid");
    add(json!({"id": 1, "period": "1M", "addons": {"4": {"selected": 1}}}))
        .await
        .assert_err(200, 9999, "Addon 4 is not offered with this product");
    add(json!({"id": 1, "period": "1M", "addons": {"3": {"selected": 1}}}))
        .await
        .assert_err(200, 9999, "Addon period parameter not passed");
    add(json!({"id": 1, "period": "1M", "addons": {"3": {"selected": 1, "period": "3M"}}}))
        .await
        .assert_err(200, 9999, "Selected billing period is not valid for addon");
    add(json!({"id": 1, "period": "1M", "quantity": 3})).await.assert_err(
        200,
        9999,
        "This product can only be ordered one at a time",
    );
    // A price, a discount or a total in the request changes nothing.
    add(json!({"id": 1, "period": "1M", "price": "0.01", "total": "0", "discount_price": "9.99", "setup_price": "-5"}))
        .await
        .ok();
    let cart = call(&t, DEMO_KEY, "/api/guest/cart/get", json!({})).await.ok().clone();
    assert_eq!(cart["items"][0]["price"], "9.99");
    assert_eq!(cart["total"], "9.99");
    let done = checkout(&t, DEMO_KEY).await;
    assert_eq!(
        invoice(&t, DEMO_KEY, done["invoice_hash"].as_str().unwrap()).await["subtotal"],
        "9.99"
    );
    // Removing an item takes its addons along; unknown ids are refused.
    fill(
        &t,
        DEMO_KEY,
        &[
            (1, Some("1M"), json!({"addons": {"3": {"selected": 1, "period": "1M"}}})),
            (4, None, json!({})),
        ],
    )
    .await;
    let cart = call(&t, DEMO_KEY, "/api/guest/cart/get", json!({})).await.ok().clone();
    let main_id = cart["items"][0]["id"].clone();
    call(&t, DEMO_KEY, "/api/guest/cart/remove_item", json!({}))
        .await
        .assert_err(200, 9999, "Cart item id not passed");
    call(&t, DEMO_KEY, "/api/guest/cart/remove_item", json!({"id": 999}))
        .await
        .assert_err(200, 9999, "Product not found");
    call(&t, DEMO_KEY, "/api/guest/cart/remove_item", json!({"id": main_id}))
        .await
        .ok();
    let cart = call(&t, DEMO_KEY, "/api/guest/cart/get", json!({})).await.ok().clone();
    let left: Vec<&str> = cart["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["Setup Consultation"]);
    call(&t, DEMO_KEY, "/api/guest/cart/reset", json!({})).await.ok();
    call(&t, DEMO_KEY, "/api/client/cart/checkout", json!({}))
        .await
        .assert_err(200, 9999, "Can not checkout empty cart.");
});

both!(promo_rules, |t: TestApp| async move {
    let apply =
        |key: &'static str, code: &str| call(&t, key, "/api/guest/cart/apply_promo", json!({"promocode": code}));
    apply(DEMO_KEY, "").await.assert_err(200, 9999, "Promo code not passed");
    apply(DEMO_KEY, "NOPE")
        .await
        .assert_err(200, 9999, "Promo code is expired or does not exist");
    apply(DEMO_KEY, "EXPIRED")
        .await
        .assert_err(200, 9999, "Promo code is expired or does not exist");
    apply(DEMO_KEY, "VIPONLY")
        .await
        .assert_err(200, 9999, "Promo can not be applied to your account");
    apply(DEMO_KEY, "SAVE10")
        .await
        .assert_err(200, 9999, "Add products to cart before applying promo code");
    // A promo limited to products and periods discounts only those.
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({})), (1, Some("1Y"), json!({}))]).await;
    apply(DEMO_KEY, "STARTERYEAR").await.ok();
    let cart = call(&t, DEMO_KEY, "/api/guest/cart/get", json!({})).await.ok().clone();
    assert_eq!(cart["items"][0]["discount"], "0.00");
    assert_eq!(cart["items"][1]["discount"], "19.80");
    // Once per client: the second checkout with it is refused with BoxBilling's code.
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    apply(DEMO_KEY, "FIVEOFF").await.ok();
    checkout(&t, DEMO_KEY).await;
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    apply(DEMO_KEY, "FIVEOFF").await.ok();
    call(&t, DEMO_KEY, "/api/client/cart/checkout", json!({}))
        .await
        .assert_err(
            200,
            9874,
            "You have already used this promo code. Please remove promo code and checkout again.",
        );
    call(&t, DEMO_KEY, "/api/guest/cart/remove_promo", json!({})).await.ok();
    checkout(&t, DEMO_KEY).await;
    // One use in all: the other client finds it used up.
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    apply(DEMO_KEY, "ONCEONLY").await.ok();
    fill(&t, OTHER_KEY, &[(1, Some("1M"), json!({}))]).await;
    apply(OTHER_KEY, "ONCEONLY").await.ok();
    checkout(&t, DEMO_KEY).await;
    call(&t, OTHER_KEY, "/api/client/cart/checkout", json!({}))
        .await
        .assert_err(
            200,
            9874,
            "You have already used this promo code. Please remove promo code and checkout again.",
        );
});

both!(currencies_convert_at_checkout, |t: TestApp| async move {
    // A new client without a currency takes the cart's.
    let signup = t
        .call(
            Req::post("/api/guest/client/create").json(json!({"email": "eu@example.com", "first_name": "Eu",
            "password": "Europe123", "password_confirm": "Europe123", "country": "LT", "auto_login": 1})),
        )
        .await;
    let mut jar = Session::default();
    jar.absorb(&signup);
    let send = |path: &str, body: Value| t.call(jar.send_with_csrf(Req::post(path).json(body)));
    send("/api/guest/cart/set_currency", json!({"currency": "XXX"}))
        .await
        .assert_err(200, 9999, "Currency not found");
    send("/api/guest/cart/set_currency", json!({"currency": "EUR"}))
        .await
        .ok();
    assert_eq!(
        send("/api/guest/cart/get_currency", json!({})).await.ok()["code"],
        "EUR"
    );
    send("/api/guest/cart/add_item", json!({"id": 2, "period": "1M"}))
        .await
        .ok();
    let done = send("/api/client/cart/checkout", json!({})).await.ok().clone();
    let inv = t
        .call(jar.send(Req::post("/api/client/invoice/get").json(json!({"hash": done["invoice_hash"]}))))
        .await
        .ok()
        .clone();
    // 19.99 × 0.92 = 18.39, setup 5.00 × 0.92 = 4.60, Lithuanian VAT 21 %: 3.86 + 0.97.
    assert_eq!(inv["currency"], "EUR");
    assert_eq!(
        (inv["subtotal"].as_str(), inv["tax"].as_str(), inv["total"].as_str()),
        (Some("22.99"), Some("4.83"), Some("27.82"))
    );
    let me = t
        .call(jar.send(Req::post("/api/client/profile/get")))
        .await
        .ok()
        .clone();
    assert_eq!(me["currency"], "EUR");
    // A client whose currency is set cannot check out another one.
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    call(&t, DEMO_KEY, "/api/guest/cart/set_currency", json!({"currency": "EUR"}))
        .await
        .ok();
    call(&t, DEMO_KEY, "/api/client/cart/checkout", json!({}))
        .await
        .assert_err(
            200,
            9999,
            "Selected currency EUR does not match your profile currency USD. Please change cart currency to continue.",
        );
});

both!(guest_cart_follows_the_client_at_login, |t: TestApp| async move {
    let mut jar = Session::default();
    let added = t
        .call(Req::post("/api/guest/cart/add_item").json(json!({"id": 1, "period": "1M"})))
        .await;
    added.ok();
    jar.absorb(&added);
    assert!(!jar.cookies.is_empty(), "a guest gets a cart cookie");
    let again = t
        .call(jar.send(Req::post("/api/guest/cart/add_item").json(json!({"id": 4, "multiple": 1}))))
        .await;
    again.ok();
    let cart = t.call(jar.send(Req::post("/api/guest/cart/get"))).await.ok().clone();
    assert_eq!(cart["items"].as_array().unwrap().len(), 2);
    // Another browser has its own cart.
    let stranger = t.call(Req::post("/api/guest/cart/get")).await.ok().clone();
    assert_eq!(stranger["items"], json!([]));
    let login = t
        .call(
            jar.send(
                Req::post("/api/guest/client/login").json(json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD})),
            ),
        )
        .await;
    login.ok();
    jar.absorb(&login);
    // The API key sees the same cart: it belongs to the client now.
    let cart = call(&t, DEMO_KEY, "/api/guest/cart/get", json!({})).await.ok().clone();
    let titles: Vec<&str> = cart["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Starter Custom Service", "Setup Consultation"]);
    // Cart writes through a logged-in cookie need the CSRF token.
    let no_token = t.call(jar.send(Req::post("/api/guest/cart/reset"))).await;
    no_token.assert_err(403, 403, "Invalid CSRF token");
    let done = t
        .call(jar.send_with_csrf(Req::post("/api/client/cart/checkout")))
        .await
        .ok()
        .clone();
    assert_eq!(done["orders"].as_array().unwrap().len(), 2);
});

both!(checkout_is_idempotent, |t: TestApp| async move {
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    let first = t
        .call(
            Req::post("/api/client/cart/checkout")
                .key(DEMO_KEY)
                .header("idempotency-key", "order-42"),
        )
        .await
        .ok()
        .clone();
    let retry = t
        .call(
            Req::post("/api/client/cart/checkout")
                .key(DEMO_KEY)
                .header("idempotency-key", "order-42"),
        )
        .await
        .ok()
        .clone();
    assert_eq!(first, retry);
    let orders = call(&t, DEMO_KEY, "/api/client/order/get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(orders["total"], 1);
});

// Concurrency runs on the embedded store only: moto applies concurrent transactions without
// isolating them, while DynamoDB (like SQLite) evaluates each transaction's conditions atomically.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_checkouts_of_one_cart_make_one_set_of_orders() {
    let t = TestApp::new(Backend::Sqlite).await;
    // Two checkouts of one cart at once make one set of orders. The second answers the first's
    // result when they raced, or finds the cart already empty when it came after.
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    let (a, b) = tokio::join!(
        call(&t, DEMO_KEY, "/api/client/cart/checkout", json!({})),
        call(&t, DEMO_KEY, "/api/client/cart/checkout", json!({}))
    );
    let answers: Vec<&Resp> = [&a, &b].into_iter().filter(|r| r.json["error"].is_null()).collect();
    assert!(!answers.is_empty());
    if answers.len() == 2 {
        assert_eq!(a.ok(), b.ok());
    } else {
        let refused = if a.json["error"].is_null() { &b } else { &a };
        assert_eq!(refused.err().1, "Can not checkout empty cart.");
    }
    let orders = call(&t, DEMO_KEY, "/api/client/order/get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(orders["total"], 1);
    let invoices = call(&t, DEMO_KEY, "/api/client/invoice/get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(invoices["total"], 1);
    // Two renewals of one order at once make one invoice.
    bb_cli::ops::pay_invoice(&t.app, invoices["list"][0]["hash"].as_str().unwrap(), None, None)
        .await
        .unwrap();
    let order_id = orders["list"][0]["id"].clone();
    let (a, b) = tokio::join!(
        call(
            &t,
            DEMO_KEY,
            "/api/client/invoice/renewal_invoice",
            json!({"order_id": order_id})
        ),
        call(
            &t,
            DEMO_KEY,
            "/api/client/invoice/renewal_invoice",
            json!({"order_id": order_id})
        )
    );
    assert_eq!(a.ok(), b.ok());
    let invoices = call(&t, DEMO_KEY, "/api/client/invoice/get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(invoices["total"], 2);
}

both!(renewal_invoices, |t: TestApp| async move {
    fill(&t, DEMO_KEY, &[(2, Some("1M"), json!({}))]).await;
    let done = checkout(&t, DEMO_KEY).await;
    let order_id = done["order_id"].clone();
    // The order waits for its first invoice: renewal answers that one.
    let same = call(
        &t,
        DEMO_KEY,
        "/api/client/invoice/renewal_invoice",
        json!({"order_id": order_id}),
    )
    .await;
    assert_eq!(same.ok(), &done["invoice_hash"]);
    bb_cli::ops::pay_invoice(
        &t.app,
        done["invoice_hash"].as_str().unwrap(),
        Some(1),
        Some("TX-1".into()),
    )
    .await
    .unwrap();
    let paid_order = order(&t, DEMO_KEY, &order_id).await;
    assert_eq!(paid_order["unpaid_invoice_id"], Value::Null);
    let expires = paid_order["expires_at"].as_str().unwrap().to_string();
    // Asked twice, it answers the same invoice.
    let a = call(
        &t,
        DEMO_KEY,
        "/api/client/invoice/renewal_invoice",
        json!({"order_id": order_id}),
    )
    .await;
    let b = call(
        &t,
        DEMO_KEY,
        "/api/client/invoice/renewal_invoice",
        json!({"order_id": order_id}),
    )
    .await;
    let hash = a.ok().as_str().unwrap().to_string();
    assert_eq!(b.ok().as_str(), Some(hash.as_str()));
    let inv = invoice(&t, DEMO_KEY, &hash).await;
    assert_eq!(inv["lines"][0]["task"], "renew");
    assert_eq!(inv["lines"][0]["price"], "19.99");
    assert_eq!(inv["due_at"].as_str(), Some(expires.as_str()));
    assert_eq!(inv["subscribable"], true);
    assert_eq!(inv["subscription"], json!({"unit": "M", "cycle": 1, "period": "1M"}));
    bb_cli::ops::pay_invoice(&t.app, &hash, None, None).await.unwrap();
    let renewed = order(&t, DEMO_KEY, &order_id).await;
    assert!(
        renewed["expires_at"].as_str().unwrap() > expires.as_str(),
        "one more month"
    );
    let txns = call(&t, DEMO_KEY, "/api/client/invoice/transaction_get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(txns["total"], 2);
    assert_eq!(txns["list"][1]["txn_id"], "TX-1");
    assert_eq!(txns["list"][1]["gateway"], "Bank transfer");
    let filtered = call(
        &t,
        DEMO_KEY,
        "/api/client/invoice/transaction_get_list",
        json!({"invoice_hash": hash}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(filtered["total"], 1);
    // Errors: missing, foreign, free.
    call(&t, DEMO_KEY, "/api/client/invoice/renewal_invoice", json!({}))
        .await
        .assert_err(200, 9999, "Order id required");
    call(
        &t,
        OTHER_KEY,
        "/api/client/invoice/renewal_invoice",
        json!({"order_id": order_id}),
    )
    .await
    .assert_err(200, 9999, "Order not found");
    fill(&t, DEMO_KEY, &[(5, None, json!({}))]).await;
    let free = checkout(&t, DEMO_KEY).await;
    let msg = format!("Order {} is free. No need to generate invoice.", free["order_id"]);
    call(
        &t,
        DEMO_KEY,
        "/api/client/invoice/renewal_invoice",
        json!({"order_id": free["order_id"]}),
    )
    .await
    .assert_err(200, 9999, &msg);
});

both!(funds_invoices_and_deposits, |t: TestApp| async move {
    let funds = |key: &'static str, body: Value| call(&t, key, "/api/client/invoice/funds_invoice", body);
    funds(DEMO_KEY, json!({}))
        .await
        .assert_err(200, 9999, "Amount is required");
    funds(DEMO_KEY, json!({"amount": "ten"}))
        .await
        .assert_err(200, 9999, "You need to enter numeric value");
    funds(DEMO_KEY, json!({"amount": 1}))
        .await
        .assert_err(200, 981, "Amount is not valid");
    funds(DEMO_KEY, json!({"amount": "-50"}))
        .await
        .assert_err(200, 981, "Amount is not valid");
    funds(DEMO_KEY, json!({"amount": 1000}))
        .await
        .assert_err(200, 982, "Amount is not valid");
    funds(DEMO_KEY, json!({"amount": "50.001"})).await.assert_err(
        200,
        9999,
        "Amount can have at most 2 decimal places",
    );
    let hash = funds(DEMO_KEY, json!({"amount": 50}))
        .await
        .ok()
        .as_str()
        .unwrap()
        .to_string();
    let inv = invoice(&t, DEMO_KEY, &hash).await;
    assert_eq!(
        (inv["total"].as_str(), inv["tax"].as_str()),
        (Some("50.00"), Some("0.00"))
    );
    assert_eq!(inv["lines"][0]["type"], "deposit");
    assert_eq!(inv["lines"][0]["title"], "Add funds to account");
    bb_cli::ops::pay_invoice(&t.app, &hash, Some(2), None).await.unwrap();
    let me = call(&t, DEMO_KEY, "/api/client/profile/get", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(me["balance"], "50.00");
    // A client without a currency has nothing to add funds to.
    let signup = t
        .call(
            Req::post("/api/guest/client/create").json(json!({"email": "new@example.com", "first_name": "New",
            "password": "Newbie123", "password_confirm": "Newbie123", "auto_login": 1})),
        )
        .await;
    let mut jar = Session::default();
    jar.absorb(&signup);
    t.call(jar.send_with_csrf(Req::post("/api/client/invoice/funds_invoice").json(json!({"amount": 20})))).await.assert_err(
        200,
        9999,
        "You must have at least one active order before you can add funds so you cannot proceed at the current time!",
    );
});

both!(invoice_changes_only_on_own_unpaid_invoices, |t: TestApp| async move {
    let hash = call(&t, DEMO_KEY, "/api/client/invoice/funds_invoice", json!({"amount": 20}))
        .await
        .ok()
        .as_str()
        .unwrap()
        .to_string();
    let update = |key: &'static str, body: Value| call(&t, key, "/api/client/invoice/update", body);
    update(DEMO_KEY, json!({}))
        .await
        .assert_err(200, 9999, "Invoice hash not passed");
    update(DEMO_KEY, json!({"hash": hash, "gateway_id": 3}))
        .await
        .assert_err(200, 9999, "Payment method not found");
    update(DEMO_KEY, json!({"hash": hash, "gateway_id": 2})).await.ok();
    update(DEMO_KEY, json!({"hash": hash})).await.ok();
    assert_eq!(
        invoice(&t, DEMO_KEY, &hash).await["gateway_id"],
        2,
        "omitting the gateway keeps it"
    );
    // Another client's hash is unknown to every method.
    for path in [
        "/api/client/invoice/get",
        "/api/client/invoice/update",
        "/api/client/invoice/delete",
    ] {
        call(&t, OTHER_KEY, path, json!({"hash": hash, "gateway_id": 1}))
            .await
            .assert_err(200, 9999, "Invoice was not found");
    }
    call(&t, DEMO_KEY, "/api/client/invoice/get", json!({"hash": "doesnotexist"}))
        .await
        .assert_err(200, 9999, "Invoice was not found");
    assert_eq!(invoice(&t, DEMO_KEY, &hash).await["gateway_id"], 2);
    // Paid invoices stay as they are.
    bb_cli::ops::pay_invoice(&t.app, &hash, None, None).await.unwrap();
    update(DEMO_KEY, json!({"hash": hash, "gateway_id": 1}))
        .await
        .assert_err(200, 9999, "Paid Invoice can not be modified");
    call(&t, DEMO_KEY, "/api/client/invoice/delete", json!({"hash": hash}))
        .await
        .assert_err(200, 9999, "Only unpaid invoices can be deleted");
    // Orders hold on to their invoices; a plain unpaid one can go.
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    bb_cli::ops::add_funds(&t.app, 1, "-70", "Correction").await.unwrap();
    let done = checkout(&t, DEMO_KEY).await;
    let msg = format!(
        "Invoice is related to order #{}. Please cancel order first.",
        done["order_id"]
    );
    call(
        &t,
        DEMO_KEY,
        "/api/client/invoice/delete",
        json!({"hash": done["invoice_hash"]}),
    )
    .await
    .assert_err(200, 9999, &msg);
    let other = call(&t, DEMO_KEY, "/api/client/invoice/funds_invoice", json!({"amount": 30}))
        .await
        .ok()
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/invoice/delete", json!({"hash": other}))
            .await
            .ok(),
        &json!(true)
    );
    call(&t, DEMO_KEY, "/api/client/invoice/get", json!({"hash": other}))
        .await
        .assert_err(200, 9999, "Invoice was not found");
});

both!(lists_never_show_other_clients_rows, |t: TestApp| async move {
    fill(&t, OTHER_KEY, &[(1, Some("1M"), json!({}))]).await;
    let theirs = checkout(&t, OTHER_KEY).await;
    call(
        &t,
        OTHER_KEY,
        "/api/client/invoice/funds_invoice",
        json!({"amount": 20}),
    )
    .await
    .ok();
    fill(&t, DEMO_KEY, &[(2, Some("1M"), json!({}))]).await;
    let mine = checkout(&t, DEMO_KEY).await;
    let filters = [
        json!({}),
        json!({"client_id": 2}),
        json!({"search": "Starter"}),
        json!({"search": "' OR 1=1 --"}),
        json!({"search": "%"}),
        json!({"order_id": theirs["order_id"]}),
        json!({"id": theirs["order_id"]}),
        json!({"ids": [theirs["order_id"], mine["order_id"]]}),
        json!({"status": "pending_setup"}),
        json!({"meta": {"x": ""}}),
    ];
    for f in &filters {
        for path in [
            "/api/client/invoice/get_list",
            "/api/client/order/get_list",
            "/api/client/invoice/transaction_get_list",
            "/api/client/client/balance_get_list",
        ] {
            let r = call(&t, DEMO_KEY, path, f.clone()).await;
            let list = r.ok()["list"].as_array().unwrap().clone();
            for row in list {
                let owner = row
                    .get("client_id")
                    .or_else(|| row.get("client").and_then(|c| c.get("id")));
                if let Some(owner) = owner {
                    assert_eq!(owner, &json!(1), "{path} {f}: {row}");
                }
            }
        }
    }
    let orders = call(
        &t,
        DEMO_KEY,
        "/api/client/order/get_list",
        json!({"ids": [theirs["order_id"], mine["order_id"]]}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(orders["total"], 1);
    assert_eq!(orders["list"][0]["id"], mine["order_id"]);
    for path in [
        "/api/client/order/get",
        "/api/client/order/addons",
        "/api/client/order/service",
        "/api/client/order/upgradables",
        "/api/client/order/delete",
    ] {
        call(&t, DEMO_KEY, path, json!({"id": theirs["order_id"]}))
            .await
            .assert_err(200, 9999, "Order not found");
        call(&t, DEMO_KEY, path, json!({"id": 999999}))
            .await
            .assert_err(200, 9999, "Order not found");
        call(&t, DEMO_KEY, path, json!({}))
            .await
            .assert_err(200, 9999, "Order id required");
    }
    // Their order is untouched.
    assert_eq!(
        order(&t, OTHER_KEY, &theirs["order_id"]).await["status"],
        "pending_setup"
    );
});

both!(orders_addons_services_upgrades_and_deletion, |t: TestApp| async move {
    fill(
        &t,
        DEMO_KEY,
        &[(1, Some("1M"), json!({"addons": {"3": {"selected": 1, "period": "1M"}}}))],
    )
    .await;
    let done = checkout(&t, DEMO_KEY).await;
    let (master, addon) = (done["orders"][0].clone(), done["orders"][1].clone());
    let addons = call(&t, DEMO_KEY, "/api/client/order/addons", json!({"id": master}))
        .await
        .ok()
        .clone();
    assert_eq!(addons.as_array().unwrap().len(), 1);
    assert_eq!(addons[0]["id"], addon);
    assert_eq!(addons[0]["title"], "Daily Backups");
    let masters = call(&t, DEMO_KEY, "/api/client/order/get_list", json!({"hide_addons": 1}))
        .await
        .ok()
        .clone();
    assert_eq!(masters["total"], 1);
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/order/service", json!({"id": master}))
            .await
            .ok(),
        &Value::Null,
        "not set up yet"
    );
    let up = call(&t, DEMO_KEY, "/api/client/order/upgradables", json!({"id": master}))
        .await
        .ok()
        .clone();
    assert_eq!(up, json!({"2": "Pro Custom Service"}));
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/order/upgradables", json!({"id": addon}))
            .await
            .ok(),
        &json!([])
    );
    // Deleting the pending master: its lines leave the invoice, the addon stands alone.
    let before = invoice(&t, DEMO_KEY, done["invoice_hash"].as_str().unwrap()).await;
    assert_eq!(before["lines"].as_array().unwrap().len(), 2);
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/order/delete", json!({"id": master}))
            .await
            .ok(),
        &json!(true)
    );
    call(&t, DEMO_KEY, "/api/client/order/get", json!({"id": master}))
        .await
        .assert_err(200, 9999, "Order not found");
    let after = invoice(&t, DEMO_KEY, done["invoice_hash"].as_str().unwrap()).await;
    assert_eq!(after["lines"].as_array().unwrap().len(), 1);
    assert_eq!(after["lines"][0]["title"], "Daily Backups");
    assert_eq!(order(&t, DEMO_KEY, &addon).await["group_master"], true);
    // Active orders stay.
    fill(&t, DEMO_KEY, &[(5, None, json!({}))]).await;
    let free = checkout(&t, DEMO_KEY).await;
    call(
        &t,
        DEMO_KEY,
        "/api/client/order/delete",
        json!({"id": free["order_id"]}),
    )
    .await
    .assert_err(200, 9999, "Only pending and failed setup orders can be deleted.");
    // Suspended: no service answer.
    bb_cli::ops::order_action(&t.app, 1, free["order_id"].as_i64().unwrap(), "suspend")
        .await
        .unwrap();
    call(
        &t,
        DEMO_KEY,
        "/api/client/order/service",
        json!({"id": free["order_id"]}),
    )
    .await
    .assert_err(200, 9999, "Order is not activated");
    let listed = call(
        &t,
        DEMO_KEY,
        "/api/client/order/get_list",
        json!({"status": "suspended"}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(listed["total"], 1);
    let o = &listed["list"][0];
    assert_eq!(o["meta"], json!([]));
    assert_eq!(o["client"]["email"], DEMO_EMAIL);
    assert!(o.get("history").is_none() && o.get("unpaid_invoice_hash").is_none() && o.get("version").is_none());
});

both!(orders_due_for_renewal, |t: TestApp| async move {
    bb_cli::ops::add_funds(&t.app, 1, "100", "Top-up").await.unwrap();
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    let monthly = checkout(&t, DEMO_KEY).await;
    fill(&t, DEMO_KEY, &[(1, Some("1Y"), json!({}))]).await;
    checkout(&t, DEMO_KEY).await;
    let none = call(&t, DEMO_KEY, "/api/client/order/get_list", json!({"expiring": 0}))
        .await
        .ok()
        .clone();
    assert_eq!(none["total"], 0, "nothing within 14 days yet");
    t.clock.advance(time::Duration::days(20));
    let due = call(&t, DEMO_KEY, "/api/client/order/get_list", json!({"expiring": 1}))
        .await
        .ok()
        .clone();
    assert_eq!(due["total"], 1);
    assert_eq!(due["list"][0]["id"], monthly["order_id"]);
    call(
        &t,
        DEMO_KEY,
        "/api/client/invoice/renewal_invoice",
        json!({"order_id": monthly["order_id"]}),
    )
    .await
    .ok();
    let due = call(&t, DEMO_KEY, "/api/client/order/get_list", json!({"expiring": 1}))
        .await
        .ok()
        .clone();
    assert_eq!(
        due["total"], 0,
        "paid at once from the balance: renewed a month further"
    );
});

both!(a_failed_checkout_writes_nothing, |t: TestApp| async move {
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    // The stock ran out under the cart (another buyer): the whole checkout is refused.
    fill(&t, DEMO_KEY, &[(6, None, json!({})), (1, Some("1M"), json!({}))]).await;
    let limited = bb_core::domain::catalog::product_key(6);
    t.app
        .store
        .update(
            bb_core::store::Update::new(limited).set("quantity_in_stock", 0i64),
            bb_core::store::Returning::Nothing,
        )
        .await
        .unwrap();
    bb_cli::ops::add_funds(&t.app, 1, "500", "Top-up").await.unwrap();
    let r = call(&t, DEMO_KEY, "/api/client/cart/checkout", json!({})).await;
    assert_eq!(
        r.err().1,
        "An item is no longer available or your account changed. Please review your cart."
    );
    let orders = call(&t, DEMO_KEY, "/api/client/order/get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(orders["total"], 0);
    let invoices = call(&t, DEMO_KEY, "/api/client/invoice/get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(invoices["total"], 0);
    let cart = call(&t, DEMO_KEY, "/api/guest/cart/get", json!({})).await.ok().clone();
    assert_eq!(cart["items"].as_array().unwrap().len(), 2, "the cart is still there");
    let me = call(&t, DEMO_KEY, "/api/client/profile/get", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(me["balance"], "500.00", "nothing charged");
});

// Round trips with settings, templates and catalogue warm: authentication and rate limiting
// 1 for a client call (the credential's update; guest calls count their address), then at most
// 1 for a read, 3 for a write, 4 for checkout.
both!(billing_round_trips, |t: TestApp| async move {
    let _ = t.app.settings().await.unwrap();
    let _ = t.app.templates().await.unwrap();
    let _ = t.app.catalog().await.unwrap();
    let calls = |r: Resp| {
        assert!(r.json["error"].is_null(), "{}", r.body);
        r.store_calls
    };
    let c = |path: &str, body: Value| call(&t, DEMO_KEY, path.to_string(), body);
    // A guest call with a client's key counts on the key, as a client call: credential, cart
    // read (and its conditional write).
    assert_eq!(
        calls(c("/api/guest/cart/add_item", json!({"id": 1, "period": "1M"})).await),
        3
    );
    assert_eq!(calls(c("/api/guest/cart/get", json!({})).await), 2);
    assert_eq!(calls(c("/api/guest/product/get_list", json!({})).await), 1);
    // Without a credential: the address's counter, then the cart.
    let anonymous = t.call(Req::post("/api/guest/cart/get").json(json!({}))).await;
    assert_eq!(anonymous.store_calls, 2, "the address, the (new, empty) cart");
    let cookie = anonymous
        .header("set-cookie")
        .and_then(|v| v.split(';').next())
        .map(String::from)
        .unwrap_or_default();
    let again = t
        .call(
            Req::post("/api/guest/cart/get")
                .header("cookie", &cookie)
                .json(json!({})),
        )
        .await;
    assert_eq!(
        again.store_calls, 2,
        "the address, the guest cart (its token names no session)"
    );
    let anonymous_catalogue = t.call(Req::post("/api/guest/product/get_list").json(json!({}))).await;
    assert_eq!(anonymous_catalogue.store_calls, 1);
    let done = c("/api/client/cart/checkout", json!({})).await;
    assert_eq!(
        done.store_calls, 5,
        "batch read, ids and the client's sequence numbers (sent together), one transaction"
    );
    let done = done.ok().clone();
    let hash = done["invoice_hash"].clone();
    assert_eq!(calls(c("/api/client/invoice/get_list", json!({})).await), 2);
    assert_eq!(calls(c("/api/client/invoice/get", json!({"hash": hash})).await), 2);
    assert_eq!(
        calls(c("/api/client/invoice/update", json!({"hash": hash, "gateway_id": 1})).await),
        3
    );
    assert_eq!(
        calls(
            c(
                "/api/client/invoice/renewal_invoice",
                json!({"order_id": done["order_id"]})
            )
            .await
        ),
        2,
        "reused"
    );
    let funds = c("/api/client/invoice/funds_invoice", json!({"amount": 20})).await;
    assert_eq!(
        funds.store_calls, 5,
        "client, ids and sequence numbers, one transaction"
    );
    let funds = funds.ok().clone();
    assert_eq!(calls(c("/api/client/invoice/delete", json!({"hash": funds})).await), 3);
    assert_eq!(calls(c("/api/client/invoice/transaction_get_list", json!({})).await), 2);
    assert_eq!(calls(c("/api/client/client/balance_get_list", json!({})).await), 2);
    for m in ["get", "addons", "service", "upgradables"] {
        assert_eq!(
            calls(c(&format!("/api/client/order/{m}"), json!({"id": done["order_id"]})).await),
            2,
            "{m}"
        );
    }
    assert_eq!(calls(c("/api/client/order/get_list", json!({})).await), 2);
    bb_cli::ops::pay_invoice(&t.app, hash.as_str().unwrap(), None, None)
        .await
        .unwrap();
    let renewal = c(
        "/api/client/invoice/renewal_invoice",
        json!({"order_id": done["order_id"]}),
    )
    .await;
    assert_eq!(
        calls(renewal),
        5,
        "order and client, ids and sequence numbers, one transaction"
    );
    fill(&t, DEMO_KEY, &[(4, None, json!({}))]).await;
    let pending = checkout(&t, DEMO_KEY).await;
    assert_eq!(
        calls(c("/api/client/order/delete", json!({"id": pending["order_id"]})).await),
        4
    );
});

both!(invoices_can_be_canceled_or_refunded_by_staff, |t: TestApp| async move {
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    let done = checkout(&t, DEMO_KEY).await;
    let hash = done["invoice_hash"].as_str().unwrap().to_string();
    bb_cli::ops::close_invoice(&t.app, &hash, "refund", false)
        .await
        .unwrap_err();
    bb_cli::ops::close_invoice(&t.app, &hash, "cancel", false)
        .await
        .unwrap();
    assert_eq!(invoice(&t, DEMO_KEY, &hash).await["status"], "canceled");
    assert_eq!(
        order(&t, DEMO_KEY, &done["order_id"]).await["unpaid_invoice_id"],
        Value::Null
    );
    let funds = call(&t, DEMO_KEY, "/api/client/invoice/funds_invoice", json!({"amount": 40}))
        .await
        .ok()
        .as_str()
        .unwrap()
        .to_string();
    bb_cli::ops::pay_invoice(&t.app, &funds, None, None).await.unwrap();
    bb_cli::ops::close_invoice(&t.app, &funds, "refund", true)
        .await
        .unwrap();
    let inv = invoice(&t, DEMO_KEY, &funds).await;
    assert_eq!(
        (inv["status"].as_str(), inv["refund"].as_str(), inv["income"].as_str()),
        (Some("refunded"), Some("40.00"), Some("0.00"))
    );
    let me = call(&t, DEMO_KEY, "/api/client/profile/get", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(me["balance"], "0.00", "a refunded deposit leaves the account again");
    let listed = call(
        &t,
        DEMO_KEY,
        "/api/client/invoice/get_list",
        json!({"status": "refunded"}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(listed["total"], 1);
    // A paid order invoice refunded as account credit.
    bb_cli::ops::add_funds(&t.app, 1, "100", "Top-up").await.unwrap();
    fill(&t, DEMO_KEY, &[(1, Some("1M"), json!({}))]).await;
    checkout(&t, DEMO_KEY).await;
    let paid = call(&t, DEMO_KEY, "/api/client/invoice/get_list", json!({"status": "paid"}))
        .await
        .ok()
        .clone();
    let paid_hash = paid["list"][0]["hash"].as_str().unwrap().to_string();
    bb_cli::ops::close_invoice(&t.app, &paid_hash, "refund", true)
        .await
        .unwrap();
    let me = call(&t, DEMO_KEY, "/api/client/profile/get", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(me["balance"], "100.00", "charged 10.61, credited back");
});
