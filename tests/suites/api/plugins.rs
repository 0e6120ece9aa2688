//! servicecustom (plugin webhooks), serviceboxbillinglicense (the partner API) and
//! serviceyouhosting (YouHosting's REST API), against fakes on 127.0.0.1.

use bb_tests::fake::{FakeServer, Recorded, Reply};
use bb_tests::*;
use serde_json::{Value, json};

const PLUGIN_PRODUCT: i64 = 501;
const NO_PLUGIN_PRODUCT: i64 = 502;
const UNREACHABLE_PLUGIN_PRODUCT: i64 = 503;
const LICENSE_PRODUCT: i64 = 504;
const PARTNER_PRODUCT: i64 = 601;
const YH_PRODUCT: i64 = 701;
const CUSTOM_PRODUCT: i64 = 5;

async fn call(t: &TestApp, key: &str, path: impl Into<String>, body: Value) -> Resp {
    t.call(Req::post(&path.into()).key(key).json(body)).await
}

/// A plugin that checks the call's signature and knows `greet` and `explode`.
fn plugin(req: &Recorded) -> Reply {
    let stamp: i64 = req
        .header("x-bb-timestamp")
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    let expected = bb_integrations::plugin::signature("s3cret", stamp, &req.text());
    if req.header("x-bb-signature") != Some(expected.as_str()) {
        return Reply::json(json!({"result": null, "error": {"message": "bad signature", "code": 1}}));
    }
    let call = req.json();
    match call["method"].as_str() {
        Some("greet") => Reply::json(json!({"result": {
            "hello": call["params"]["name"], "order": call["order"]["id"], "client": call["order"]["client"]["email"],
            "service": call["service"]["id"], "plugin": call["service"]["plugin"], "colour": call["service"]["colour"],
        }, "error": null})),
        Some("explode") => Reply::json(json!({"result": null, "error": {"message": "Quota exceeded", "code": 42}})),
        Some("pretend") => Reply::json(json!({"result": null, "error": {"message": "no", "code": 201}})),
        Some("old") => Reply::json(json!({"result": null, "error": {"message": "x", "code": 3125}})),
        _ => Reply::text("no such action").status(404),
    }
}

both!(custom_plugins_are_called_as_signed_webhooks, |t: TestApp| async move {
    let hook = FakeServer::start(plugin).await;
    let plugin_config = json!({"url": format!("{}/hook", hook.url), "secret": "s3cret"});
    t.load(json!({"catalog": {"products": [
        free_product(PLUGIN_PRODUCT, "custom", json!({"plugin": "Shop", "plugin_config": plugin_config})),
        free_product(NO_PLUGIN_PRODUCT, "custom", json!({})),
        free_product(UNREACHABLE_PLUGIN_PRODUCT, "custom", json!({"plugin": "Gone"})),
        free_product(LICENSE_PRODUCT, "license", json!({})),
    ]}}))
    .await;
    let order = t
        .order_service(DEMO_KEY, PLUGIN_PRODUCT, json!({"colour": "blue"}))
        .await;
    let shown = t.service(DEMO_KEY, order).await;
    assert_eq!(shown["plugin"], "Shop");
    assert!(
        !shown.to_string().contains("s3cret"),
        "the plugin's secret is never shown: {shown}"
    );
    let custom = |key: &'static str, method: &str, body: Value| {
        call(&t, key, format!("/api/client/servicecustom/{method}"), body)
    };

    let r = custom(DEMO_KEY, "greet", json!({"order_id": order, "name": "Ann"})).await;
    assert_eq!(
        r.ok(),
        &json!({"hello": "Ann", "order": order, "client": DEMO_EMAIL,
        "service": shown["id"], "plugin": "Shop", "colour": "blue"})
    );
    let sent = hook.last().json();
    assert_eq!(
        (sent["plugin"].as_str(), sent["method"].as_str()),
        (Some("Shop"), Some("greet"))
    );
    assert_eq!(sent["params"], json!({"order_id": order, "name": "Ann"}));

    custom(DEMO_KEY, "explode", json!({"order_id": order}))
        .await
        .assert_err(200, 42, "Quota exceeded");
    custom(DEMO_KEY, "pretend", json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "no");
    custom(DEMO_KEY, "missing", json!({"order_id": order}))
        .await
        .assert_err(200, 3125, "Plugin Shop does not support action missing");
    custom(DEMO_KEY, "old", json!({"order_id": order})).await.assert_err(
        200,
        3125,
        "Plugin Shop does not support action old",
    );
    let calls = hook.requests().len();
    for name in [
        "cancel",
        "Delete",
        "renew",
        "activate",
        "suspend",
        "unsuspend",
        "uncancel",
    ] {
        custom(DEMO_KEY, name, json!({"order_id": order})).await.assert_err(
            200,
            403,
            &format!("Custom plugin method {} is forbidden", name.to_lowercase()),
        );
    }
    custom(DEMO_KEY, "__call", json!({"order_id": order})).await.assert_err(
        404,
        740,
        "Client API call __call does not exist in module servicecustom",
    );
    custom(DEMO_KEY, "getService", json!({"order_id": order}))
        .await
        .assert_err(
            404,
            740,
            "Client API call getservice does not exist in module servicecustom",
        );
    assert_eq!(hook.requests().len(), calls, "refused names never reach the plugin");

    custom(DEMO_KEY, "greet", json!({}))
        .await
        .assert_err(200, 9999, "Order id is required");
    custom(OTHER_KEY, "greet", json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Order not found");
    let license = t.order_service(DEMO_KEY, LICENSE_PRODUCT, json!({})).await;
    custom(DEMO_KEY, "greet", json!({"order_id": license}))
        .await
        .assert_err(200, 9999, "Order is not activated");
    let bare = t.order_service(DEMO_KEY, NO_PLUGIN_PRODUCT, json!({})).await;
    assert_eq!(
        custom(DEMO_KEY, "greet", json!({"order_id": bare})).await.ok(),
        &Value::Null
    );
    let gone = t.order_service(DEMO_KEY, UNREACHABLE_PLUGIN_PRODUCT, json!({})).await;
    assert_eq!(
        custom(DEMO_KEY, "greet", json!({"order_id": gone})).await.ok(),
        &Value::Null,
        "no address: null"
    );
    assert_eq!(hook.requests().len(), calls);
});

fn partner(req: &Recorded) -> Reply {
    if req.header("authorization") != Some("Basic Y2xpZW50OlBL") {
        return Reply::json(json!({"result": null, "error": {"message": "Authentication Failed", "code": 201}}));
    }
    match (req.path.as_str(), req.field("order_id").as_deref()) {
        ("/api/client/partner/order_reset", Some("OID-7")) => Reply::json(json!({"result": true, "error": null})),
        ("/api/client/partner/order_reset", Some("OID-8")) => Reply::text("oops"),
        _ => Reply::json(json!({"result": null, "error": {"message": "Order not found", "code": 7}})),
    }
}

both!(partner_licence_reset, |t: TestApp| async move {
    let api = FakeServer::start(partner).await;
    t.load(json!({
        "services": {"modules": [{"module": "boxbillinglicense", "api_key": "PK", "api_url": format!("{}/api", api.url)}]},
        "catalog": {"products": [free_product(PARTNER_PRODUCT, "boxbillinglicense", json!({}))]},
    }))
    .await;
    let order = t
        .order_service(DEMO_KEY, PARTNER_PRODUCT, json!({"oid": "OID-7"}))
        .await;
    let reset = |key: &'static str, body: Value| call(&t, key, "/api/client/serviceboxbillinglicense/reset", body);
    reset(DEMO_KEY, json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Order is not activated");
    assert!(
        api.requests().is_empty(),
        "the order form cannot name the partner order"
    );
    let set = |oid: &str| [("oid".to_string(), oid.to_string())];
    bb_cli::ops::set_service_fields(&t.app, 1, order, &set("OID-7"))
        .await
        .unwrap();
    assert_eq!(t.service(DEMO_KEY, order).await["oid"], "OID-7");
    assert_eq!(reset(DEMO_KEY, json!({"order_id": order})).await.ok(), &json!(true));
    let req = api.last();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/api/client/partner/order_reset")
    );
    assert_eq!(req.field("order_id").as_deref(), Some("OID-7"));

    bb_cli::ops::set_service_fields(&t.app, 1, order, &set("OID-9"))
        .await
        .unwrap();
    reset(DEMO_KEY, json!({"order_id": order}))
        .await
        .assert_err(200, 7, "Order not found");
    bb_cli::ops::set_service_fields(&t.app, 1, order, &set("OID-8"))
        .await
        .unwrap();
    reset(DEMO_KEY, json!({"order_id": order})).await.assert_err(
        200,
        9999,
        "BoxBilling API: Invalid Response \"oops\"",
    );

    let custom = t.order_service(DEMO_KEY, CUSTOM_PRODUCT, json!({})).await;
    reset(DEMO_KEY, json!({}))
        .await
        .assert_err(200, 9999, "Order id is required");
    for (key, id) in [(OTHER_KEY, order), (DEMO_KEY, custom), (DEMO_KEY, 99999)] {
        reset(key, json!({"order_id": id}))
            .await
            .assert_err(200, 9999, "BoxBilling license order not found");
    }
});

/// YouHosting for reseller key `YHKEY`: captcha `c1` is solved by `right`; it already knows
/// other@example.com (as client 88); `taken.com` cannot be created.
fn youhosting(req: &Recorded) -> Reply {
    let ok = |result: Value| Reply::json(json!({"result": result, "error": null}));
    let fail =
        |message: &str, code: i64| Reply::json(json!({"result": null, "error": {"message": message, "code": code}}));
    if req.header("authorization") != Some("Basic cmVzZWxsZXI6WUhLRVk=") || req.field("client_ip").is_none() {
        return fail("Unauthorized", 401);
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/v1/captcha") => ok(json!({"id": "c1", "url": "http://captcha.example/c1.png"})),
        ("POST", "/v1/captcha/c1") if req.field("solution").as_deref() == Some("right") => ok(json!(true)),
        ("POST", p) if p.starts_with("/v1/captcha/") => fail("Wrong captcha", 5001),
        ("POST", "/v1/client") if req.field("email").as_deref() == Some(OTHER_EMAIL) => fail("Client exists", 5108),
        ("POST", "/v1/client") => ok(json!({"id": 77})),
        ("GET", "/v1/client/list") => ok(json!({"total": 1, "list": [{"id": 88, "email": req.field("email")}]})),
        ("POST", "/v1/account") if req.field("domain").as_deref() == Some("taken.com") => fail("Domain taken", 6001),
        ("POST", "/v1/account") => ok(json!({"id": 501, "domain": req.field("domain"), "status": "active"})),
        ("GET", "/v1/account/501") => {
            ok(json!({"id": 501, "domain": "mysite.com", "status": "active", "username": "yh501", "ip": "10.2.2.2"}))
        }
        ("GET", "/v1/account/501/login-url") => ok(json!("https://panel.example/login?token=t1")),
        ("GET", "/v1/settings/nameservers") => {
            ok(json!({"ns1": "ns1.yh.example", "ip1": "1.1.1.1", "ns2": "ns2.yh.example", "ip2": "1.1.1.2"}))
        }
        _ => Reply::text("not found").status(404),
    }
}

/// A YouHosting order waiting for the client to activate it.
async fn pending(t: &TestApp, key: &str, domain: &str) -> i64 {
    let added = call(
        t,
        key,
        "/api/guest/cart/add_item",
        json!({"id": YH_PRODUCT, "domain_type": "domain", "domain": domain}),
    )
    .await;
    assert_eq!(added.ok(), &json!(true), "{}", added.body);
    let done = call(t, key, "/api/client/cart/checkout", json!({})).await;
    done.ok()["order_id"].as_i64().unwrap()
}

async fn status(t: &TestApp, key: &str, order: i64) -> String {
    call(t, key, "/api/client/order/get", json!({"id": order})).await.ok()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

both!(youhosting_sign_up_and_activation, |t: TestApp| async move {
    let api = FakeServer::start(youhosting).await;
    let mut product = free_product(YH_PRODUCT, "youhosting", json!({"plan_id": "free-1"}));
    product["setup"] = json!("manual");
    t.load(json!({
        "services": {"modules": [{"module": "youhosting", "api_key": "YHKEY", "api_url": format!("{}/v1/", api.url)}]},
        "catalog": {"products": [product]},
    }))
    .await;
    let yh = |key: &'static str, method: &str, body: Value| {
        call(&t, key, format!("/api/client/serviceyouhosting/{method}"), body)
    };
    let order = pending(&t, DEMO_KEY, "mysite.com").await;
    assert_eq!(status(&t, DEMO_KEY, order).await, "pending_setup");

    assert_eq!(
        yh(DEMO_KEY, "captcha", json!({"for_client": 1})).await.ok(),
        &json!({"id": "c1", "url": "http://captcha.example/c1.png"})
    );
    assert_eq!(yh(DEMO_KEY, "is_yh_client", json!({})).await.ok(), &json!(false));
    assert_eq!(
        yh(DEMO_KEY, "info", json!({"order_id": order})).await.ok(),
        &json!({"is_youhosting_client": false})
    );
    yh(DEMO_KEY, "info", json!({}))
        .await
        .assert_err(200, 9999, "order_id is missing");

    let full = json!({"captcha_id": "c1", "order_id": order, "captcha_solution": "right"});
    let without = |name: &str| {
        let mut b = full.clone();
        b.as_object_mut().unwrap().remove(name);
        b
    };
    yh(DEMO_KEY, "activate", json!({}))
        .await
        .assert_err(200, 9999, "Captcha id is missing");
    yh(DEMO_KEY, "activate", without("order_id"))
        .await
        .assert_err(200, 9999, "order_id is missing");
    yh(DEMO_KEY, "activate", without("captcha_solution"))
        .await
        .assert_err(200, 9999, "captcha_solution is missing");
    let mut wrong = full.clone();
    wrong["captcha_solution"] = json!("wrong");
    yh(DEMO_KEY, "activate", wrong)
        .await
        .assert_err(200, 5001, "Wrong captcha");
    yh(DEMO_KEY, "activate", full.clone()).await.assert_err(
        200,
        9999,
        "Client must confirm his account before activating order",
    );

    assert_eq!(
        yh(
            DEMO_KEY,
            "signup",
            json!({"captcha_id": "c1", "captcha_solution": "right"})
        )
        .await
        .ok(),
        &json!(true)
    );
    let req = api.last();
    assert_eq!(
        (req.field("email").as_deref(), req.field("first_name").as_deref()),
        (Some(DEMO_EMAIL), Some("Demo"))
    );
    assert_eq!(yh(DEMO_KEY, "is_yh_client", json!({})).await.ok(), &json!(true));
    // Someone YouHosting already knows is found by e-mail.
    assert_eq!(
        yh(
            OTHER_KEY,
            "signup",
            json!({"captcha_id": "c1", "captcha_solution": "right"})
        )
        .await
        .ok(),
        &json!(true)
    );
    assert_eq!(api.last().path, "/v1/client/list");

    // A refused account leaves the order failed, and it can be tried again.
    let taken = pending(&t, DEMO_KEY, "taken.com").await;
    let mut body = full.clone();
    body["order_id"] = json!(taken);
    yh(DEMO_KEY, "activate", body)
        .await
        .assert_err(200, 6001, "Domain taken");
    assert_eq!(status(&t, DEMO_KEY, taken).await, "failed_setup");

    assert_eq!(yh(DEMO_KEY, "activate", full.clone()).await.ok(), &json!(true));
    let req = api.last();
    assert_eq!(req.path, "/v1/account");
    assert_eq!(
        (
            req.field("client_id").as_deref(),
            req.field("plan_id").as_deref(),
            req.field("type").as_deref(),
            req.field("domain").as_deref()
        ),
        (Some("77"), Some("free-1"), Some("domain"), Some("mysite.com"))
    );
    assert!(req.field("password").is_some_and(|p| p.len() >= 12));
    assert_eq!(status(&t, DEMO_KEY, order).await, "active");
    let info = yh(DEMO_KEY, "info", json!({"order_id": order})).await.ok().clone();
    assert_eq!(info["is_youhosting_client"], true);
    assert_eq!(
        (info["account"]["username"].as_str(), info["ns"]["ns1"].as_str()),
        (Some("yh501"), Some("ns1.yh.example"))
    );
    assert_eq!(
        yh(DEMO_KEY, "cpanel_url", json!({"order_id": order})).await.ok(),
        &json!("https://panel.example/login?token=t1")
    );
    yh(DEMO_KEY, "activate", full.clone()).await.assert_err(
        200,
        9999,
        "Only pending setup or failed orders can be activated",
    );

    // Another client's order is not found, whatever the method.
    yh(OTHER_KEY, "info", json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Order not found");
    yh(OTHER_KEY, "cpanel_url", json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Order not found");
    yh(OTHER_KEY, "activate", full)
        .await
        .assert_err(200, 9999, "Order not found");
    let custom = t.order_service(DEMO_KEY, CUSTOM_PRODUCT, json!({})).await;
    yh(DEMO_KEY, "info", json!({"order_id": custom}))
        .await
        .assert_err(200, 9999, "Order not found");
});

// Round trips with settings, templates and catalogue warm (authentication and rate limiting
// are the first 1: the credential's update).
both!(plugin_partner_youhosting_round_trips, |t: TestApp| async move {
    let hook = FakeServer::start(plugin).await;
    let partner_api = FakeServer::start(partner).await;
    let yh_api = FakeServer::start(youhosting).await;
    let mut yh_product = free_product(YH_PRODUCT, "youhosting", json!({"plan_id": "free-1"}));
    yh_product["setup"] = json!("manual");
    t.load(json!({
        "services": {"modules": [
            {"module": "boxbillinglicense", "api_key": "PK", "api_url": format!("{}/api", partner_api.url)},
            {"module": "youhosting", "api_key": "YHKEY", "api_url": format!("{}/v1/", yh_api.url)},
        ]},
        "catalog": {"products": [
            free_product(PLUGIN_PRODUCT, "custom", json!({"plugin": "Shop", "plugin_config": {"url": format!("{}/hook", hook.url), "secret": "s3cret"}})),
            free_product(PARTNER_PRODUCT, "boxbillinglicense", json!({})),
            yh_product,
        ]},
    }))
    .await;
    let custom = t.order_service(DEMO_KEY, PLUGIN_PRODUCT, json!({})).await;
    let licence = t.order_service(DEMO_KEY, PARTNER_PRODUCT, json!({})).await;
    bb_cli::ops::set_service_fields(&t.app, 1, licence, &[("oid".into(), "OID-7".into())])
        .await
        .unwrap();
    let yh_order = pending(&t, DEMO_KEY, "mysite.com").await;
    let _ = t.app.settings().await.unwrap();
    let _ = t.app.templates().await.unwrap();
    let _ = t.app.catalog().await.unwrap();
    let calls = |r: Resp| {
        assert!(r.json["error"].is_null(), "{}", r.body);
        r.store_calls
    };
    let c = |path: String, body: Value| call(&t, DEMO_KEY, path, body);
    assert_eq!(
        calls(
            c(
                "/api/client/servicecustom/greet".into(),
                json!({"order_id": custom, "name": "x"})
            )
            .await
        ),
        3
    );
    assert_eq!(
        calls(
            c(
                "/api/client/serviceboxbillinglicense/reset".into(),
                json!({"order_id": licence})
            )
            .await
        ),
        4
    );
    let yh = |m: &str| format!("/api/client/serviceyouhosting/{m}");
    let solved = json!({"captcha_id": "c1", "captcha_solution": "right"});
    assert_eq!(calls(c(yh("captcha"), json!({})).await), 2);
    assert_eq!(calls(c(yh("is_yh_client"), json!({})).await), 2);
    assert_eq!(calls(c(yh("signup"), solved.clone()).await), 4);
    assert_eq!(calls(c(yh("info"), json!({"order_id": yh_order})).await), 3);
    let mut activate = solved;
    activate["order_id"] = json!(yh_order);
    // The ids and the client's sequence number (for the mail in its log) are two calls.
    assert_eq!(calls(c(yh("activate"), activate).await), 8);
    assert_eq!(calls(c(yh("info"), json!({"order_id": yh_order})).await), 4);
    assert_eq!(calls(c(yh("cpanel_url"), json!({"order_id": yh_order})).await), 3);
});
