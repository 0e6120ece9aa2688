//! servicedomain: registrars spoken to over their protocols (fake ResellerClub and Internet.bs
//! on 127.0.0.1), the Custom and Email registrars, what is stored, isolation between clients.

use bb_tests::fake::{FakeServer, Recorded, Reply, closed_port};
use bb_tests::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const DOMAIN_PRODUCT: i64 = 201;
/// Demo product 5: a free custom service (not a domain).
const CUSTOM_PRODUCT: i64 = 5;

async fn call(t: &TestApp, key: &str, method: &str, body: Value) -> Resp {
    t.call(
        Req::post(&format!("/api/client/servicedomain/{method}"))
            .key(key)
            .json(body),
    )
    .await
}

/// ResellerClub's HTTP API for reseller 77 / key `KEY`: knows `example.com` (order 5523431,
/// with a transfer code) and `nocode.com` (order 42, without one), refuses other names, and
/// signs up customers it does not know.
fn resellerclub() -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let customers = Arc::new(Mutex::new(vec![("known@example.com".to_string(), 900)]));
    move |req: &Recorded| {
        if req.field("auth-userid").as_deref() != Some("77") || req.field("api-key").as_deref() != Some("KEY") {
            return Reply::json(json!({"status": "ERROR", "message": "Invalid credentials"}));
        }
        let ok = || Reply::json(json!({"actionstatus": "Success", "actionstatusdesc": "Done", "eaqid": 1}));
        match req.path.as_str() {
            "/api/domains/orderid.json" => match req.field("domain-name").as_deref() {
                Some("example.com") => Reply::text("5523431"),
                Some("nocode.com") => Reply::text("42"),
                _ => Reply::json(json!({"status": "ERROR", "message": "Invalid domain"})),
            },
            "/api/domains/details.json" if req.field("order-id").as_deref() == Some("5523431") => {
                Reply::json(json!({"orderid": "5523431", "domainname": "example.com", "domsecret": "EPP-SECRET-1"}))
            }
            "/api/domains/details.json" => Reply::json(json!({"orderid": "42", "domainname": "nocode.com"})),
            "/api/customers/details.json" => {
                let email = req.field("username").unwrap_or_default();
                match customers.lock().unwrap().iter().find(|(e, _)| *e == email) {
                    Some((_, id)) => Reply::json(json!({"customerid": id.to_string(), "username": email})),
                    None => Reply::json(json!({"status": "ERROR", "message": "Customer not found"})),
                }
            }
            "/api/customers/signup.json" => {
                let mut list = customers.lock().unwrap();
                let id = 900 + list.len() as i64;
                list.push((req.field("username").unwrap_or_default(), id));
                Reply::text(id.to_string())
            }
            "/api/contacts/default.json" => Reply::json(json!({"Contact": {"registrant": 555, "admin": 556}})),
            "/api/domains/modify-ns.json"
            | "/api/contacts/modify.json"
            | "/api/domains/enable-theft-protection.json"
            | "/api/domains/disable-theft-protection.json"
            | "/api/domains/modify-privacy-protection.json" => ok(),
            _ => Reply::text("no such command").status(404),
        }
    }
}

/// Internet.bs: accepts `ibs-key`/`ibs-pass`; `fail.net` fails every request.
fn internetbs(req: &Recorded) -> Reply {
    if req.field("apikey").as_deref() != Some("ibs-key") || req.field("password").as_deref() != Some("ibs-pass") {
        return Reply::text("transactid=1\nstatus=FAILURE\nmessage=Invalid API key");
    }
    if req.field("domain").as_deref() == Some("fail.net") {
        return Reply::text("transactid=2\nstatus=FAILURE\nmessage=Domain is in a pending state");
    }
    match req.path.as_str() {
        "/Domain/Info" => Reply::text("transactid=3\nstatus=SUCCESS\ndomain=example.net\ntransferauthinfo=IBS-EPP-9\n"),
        _ => Reply::text("transactid=4\nStatus=SUCCESS\n"),
    }
}

struct Registrars {
    rc: FakeServer,
    ibs: FakeServer,
}

async fn setup(t: &TestApp) -> Registrars {
    let r = Registrars {
        rc: FakeServer::start(resellerclub()).await,
        ibs: FakeServer::start(internetbs).await,
    };
    let down = closed_port().await;
    t.load(json!({
        "services": {
            "registrars": [
                {"id": 1, "name": "Custom", "registrar": "Custom"},
                {"id": 2, "name": "Reseller Club", "registrar": "Resellerclub", "endpoint": format!("{}/api/", r.rc.url),
                 "config": {"userid": "77", "api-key": "KEY"}},
                {"id": 3, "name": "Internet.bs", "registrar": "Internetbs", "endpoint": r.ibs.url,
                 "config": {"apikey": "ibs-key", "password": "ibs-pass"}},
                {"id": 4, "name": "By e-mail", "registrar": "Email", "config": {"email": "registrar@example.com"}},
                {"id": 5, "name": "Half set up", "registrar": "Resellerclub", "config": {"userid": "77"}},
                {"id": 6, "name": "Unreachable", "registrar": "Resellerclub", "endpoint": format!("http://127.0.0.1:{down}/api/"),
                 "config": {"userid": "77", "api-key": "KEY"}},
            ],
            "tlds": [
                {"tld": ".com", "registrar_id": 2}, {"tld": ".net", "registrar_id": 3}, {"tld": ".org", "registrar_id": 1},
                {"tld": ".info", "registrar_id": 4}, {"tld": ".biz", "registrar_id": 5}, {"tld": ".xyz", "registrar_id": 6},
            ],
        },
        "catalog": {"products": [free_product(DOMAIN_PRODUCT, "domain", json!({}))]},
    }))
    .await;
    r
}

async fn register(t: &TestApp, key: &str, sld: &str, tld: &str) -> i64 {
    t.order_service(
        key,
        DOMAIN_PRODUCT,
        json!({"action": "register", "register_sld": sld, "register_tld": tld, "register_years": 2,
               "ns1": "ns1.old.tld", "ns2": "ns2.old.tld"}),
    )
    .await
}

both!(resellerclub_nameservers_and_refusals, |t: TestApp| async move {
    let r = setup(&t).await;
    let order = register(&t, DEMO_KEY, "example", "com").await;
    let shown = t.service(DEMO_KEY, order).await;
    assert_eq!(
        (
            shown["domain"].as_str(),
            shown["tld"].as_str(),
            shown["period"].as_i64()
        ),
        (Some("example.com"), Some(".com"), Some(2))
    );
    assert_eq!(
        (shown["ns1"].as_str(), shown["locked"].as_bool()),
        (Some("ns1.old.tld"), Some(true))
    );

    let ok = call(
        &t,
        DEMO_KEY,
        "update_nameservers",
        json!({"order_id": order, "ns1": "ns1.host.tld", "ns2": "ns2.host.tld"}),
    )
    .await;
    assert_eq!(ok.ok(), &json!(true));
    let reqs = r.rc.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path.as_str()),
        ("GET", "/api/domains/orderid.json")
    );
    assert_eq!(reqs[0].field("domain-name").as_deref(), Some("example.com"));
    assert_eq!(
        (reqs[1].method.as_str(), reqs[1].path.as_str()),
        ("POST", "/api/domains/modify-ns.json")
    );
    assert_eq!(reqs[1].field("order-id").as_deref(), Some("5523431"));
    assert_eq!(
        reqs[1].all("ns"),
        ["ns1.host.tld", "ns2.host.tld"],
        "absent ns3/ns4 are not sent"
    );
    let shown = t.service(DEMO_KEY, order).await;
    assert_eq!(
        (&shown["ns1"], &shown["ns2"], &shown["ns3"], &shown["ns4"]),
        (
            &json!("ns1.host.tld"),
            &json!("ns2.host.tld"),
            &Value::Null,
            &Value::Null
        )
    );

    // The registrar refuses: its message and code, nothing stored.
    let bad = register(&t, DEMO_KEY, "bad", "com").await;
    let before = t.service(DEMO_KEY, bad).await;
    call(
        &t,
        DEMO_KEY,
        "update_nameservers",
        json!({"order_id": bad, "ns1": "a.tld", "ns2": "b.tld"}),
    )
    .await
    .assert_err(200, 101, "Invalid domain");
    assert_eq!(t.service(DEMO_KEY, bad).await, before);
});

both!(resellerclub_contacts_flags_and_transfer_code, |t: TestApp| async move {
    let r = setup(&t).await;
    let order = register(&t, DEMO_KEY, "example", "com").await;
    let contact = json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "company": "Lee Ltd",
        "address1": "1 Main St", "address2": "Floor 2", "country": "US", "city": "Springfield", "state": "IL",
        "postcode": "62701", "phone_cc": "1", "phone": "5550100"});
    call(&t, DEMO_KEY, "update_contacts", json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Required field contact is missing");
    let mut partial = contact.clone();
    partial["last_name"] = json!(" ");
    partial.as_object_mut().unwrap().remove("phone");
    call(
        &t,
        DEMO_KEY,
        "update_contacts",
        json!({"order_id": order, "contact": partial}),
    )
    .await
    .assert_err(200, 9999, "Required field last_name is missing");
    assert!(r.rc.requests().is_empty());

    assert_eq!(
        call(
            &t,
            DEMO_KEY,
            "update_contacts",
            json!({"order_id": order, "contact": contact})
        )
        .await
        .ok(),
        &json!(true)
    );
    let paths: Vec<String> = r.rc.requests().iter().map(|q| q.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/api/customers/details.json",
            "/api/customers/signup.json",
            "/api/customers/details.json",
            "/api/contacts/default.json",
            "/api/contacts/modify.json"
        ],
        "a new customer, then its contact, told once"
    );
    let modify = r.rc.last();
    assert_eq!(modify.field("contact-id").as_deref(), Some("555"));
    assert_eq!(modify.field("name").as_deref(), Some("Ann Lee"));
    assert_eq!(modify.field("address-line-2").as_deref(), Some("Floor 2"));
    assert_eq!(t.service(DEMO_KEY, order).await["contact"], contact);

    r.rc.clear();
    for (method, path, stored) in [
        (
            "unlock",
            "/api/domains/disable-theft-protection.json",
            ("locked", false),
        ),
        ("lock", "/api/domains/enable-theft-protection.json", ("locked", true)),
        (
            "enable_privacy_protection",
            "/api/domains/modify-privacy-protection.json",
            ("privacy", true),
        ),
        (
            "disable_privacy_protection",
            "/api/domains/modify-privacy-protection.json",
            ("privacy", false),
        ),
    ] {
        assert_eq!(
            call(&t, DEMO_KEY, method, json!({"order_id": order})).await.ok(),
            &json!(true),
            "{method}"
        );
        let last = r.rc.last();
        assert_eq!(
            (last.path.as_str(), last.field("order-id").as_deref()),
            (path, Some("5523431")),
            "{method}"
        );
        if path.contains("privacy") {
            assert_eq!(last.field("protect-privacy"), Some(stored.1.to_string()));
            assert_eq!(last.field("reason").as_deref(), Some("Owners decision"));
        }
        assert_eq!(t.service(DEMO_KEY, order).await[stored.0], json!(stored.1), "{method}");
    }

    let code = call(&t, DEMO_KEY, "get_transfer_code", json!({"order_id": order})).await;
    assert_eq!(code.ok(), &json!("EPP-SECRET-1"));
    assert_eq!(r.rc.last().field("options").as_deref(), Some("OrderDetails"));
    let nocode = register(&t, DEMO_KEY, "nocode", "com").await;
    call(&t, DEMO_KEY, "get_transfer_code", json!({"order_id": nocode}))
        .await
        .assert_err(200, 9999, "Domain EPP code can be retrieved from domain registrar");
});

both!(internetbs_speaks_key_value_text, |t: TestApp| async move {
    let r = setup(&t).await;
    let order = register(&t, DEMO_KEY, "example", ".NET").await;
    let ok = call(
        &t,
        DEMO_KEY,
        "update_nameservers",
        json!({"order_id": order, "ns1": "ns1.a.tld", "ns2": "ns2.a.tld", "ns4": ""}),
    )
    .await;
    assert_eq!(ok.ok(), &json!(true));
    let req = r.ibs.last();
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/Domain/Update"));
    assert!(req.header("content-type").unwrap().starts_with("multipart/form-data"));
    assert_eq!(req.field("domain").as_deref(), Some("example.net"));
    assert_eq!(
        req.field("ns_list").as_deref(),
        Some("ns1.a.tld,ns2.a.tld,,"),
        "empty slots stay"
    );

    let contact = json!({"first_name": "Bo", "last_name": "Ek", "email": "bo@example.com", "company": "Ek AB",
        "address1": "Gatan 1", "address2": "-", "country": "SE", "city": "Lund", "state": "Skane",
        "postcode": "22100", "phone_cc": "46", "phone": "462220000"});
    assert_eq!(
        call(
            &t,
            DEMO_KEY,
            "update_contacts",
            json!({"order_id": order, "contact": contact})
        )
        .await
        .ok(),
        &json!(true)
    );
    let req = r.ibs.last();
    for role in ["Registrant", "Admin", "Technical", "Billing"] {
        assert_eq!(
            req.field(&format!("{role}_PhoneNumber")).as_deref(),
            Some("+46.462220000")
        );
        assert_eq!(req.field(&format!("{role}_CountryCode")).as_deref(), Some("SE"));
    }
    assert_eq!(
        call(&t, DEMO_KEY, "lock", json!({"order_id": order})).await.ok(),
        &json!(true)
    );
    assert_eq!(r.ibs.last().path, "/Domain/RegistrarLock/Enable");
    assert_eq!(
        call(&t, DEMO_KEY, "enable_privacy_protection", json!({"order_id": order}))
            .await
            .ok(),
        &json!(true)
    );
    assert_eq!(r.ibs.last().path, "/Domain/PrivateWhois/Enable");
    assert_eq!(
        call(&t, DEMO_KEY, "get_transfer_code", json!({"order_id": order}))
            .await
            .ok(),
        &json!("IBS-EPP-9")
    );

    let failing = register(&t, DEMO_KEY, "fail", "net").await;
    call(&t, DEMO_KEY, "unlock", json!({"order_id": failing}))
        .await
        .assert_err(200, 9999, "Domain is in a pending state");
    assert_eq!(t.service(DEMO_KEY, failing).await["locked"], true, "unchanged");
});

both!(custom_and_email_registrars, |t: TestApp| async move {
    let r = setup(&t).await;
    let custom = register(&t, DEMO_KEY, "handmade", "org").await;
    for method in [
        "lock",
        "unlock",
        "enable_privacy_protection",
        "disable_privacy_protection",
    ] {
        assert_eq!(
            call(&t, DEMO_KEY, method, json!({"order_id": custom})).await.ok(),
            &json!(true)
        );
    }
    assert_eq!(
        call(&t, DEMO_KEY, "get_transfer_code", json!({"order_id": custom}))
            .await
            .ok(),
        &json!(true)
    );
    assert_eq!(
        call(
            &t,
            DEMO_KEY,
            "update_nameservers",
            json!({"order_id": custom, "ns1": "", "ns2": "b.tld"})
        )
        .await
        .ok(),
        &json!(true),
        "an empty nameserver 1 is given (BoxBilling checks presence only)"
    );
    assert!(
        r.rc.requests().is_empty() && r.ibs.requests().is_empty(),
        "no network for the Custom registrar"
    );

    let by_mail = register(&t, DEMO_KEY, "example", "info").await;
    assert_eq!(
        call(&t, DEMO_KEY, "lock", json!({"order_id": by_mail})).await.ok(),
        &json!(true)
    );
    assert_eq!(
        call(&t, DEMO_KEY, "get_transfer_code", json!({"order_id": by_mail}))
            .await
            .ok(),
        &json!(true)
    );
    let mail: Vec<SentMail> = t
        .sent_mail()
        .await
        .into_iter()
        .filter(|m| m.to.contains("registrar@example.com"))
        .collect();
    let subjects: Vec<&str> = mail.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["Request to lock domain received", "Request for Epp code was received"]
    );
    assert!(mail[0].body.contains("Name: example.info"), "{}", mail[0].body);
    assert!(
        mail[0].body.contains("Demo"),
        "the profile fills the empty contact: {}",
        mail[0].body
    );
});

both!(registrar_configuration_and_reachability, |t: TestApp| async move {
    setup(&t).await;
    let half = register(&t, DEMO_KEY, "example", "biz").await;
    call(&t, DEMO_KEY, "lock", json!({"order_id": half})).await.assert_err(200, 9999,
        "Domain registrar \"ResellerClub\" is not configured properly. Please update configuration parameter \"ResellerClub API Key\" at \"Configuration -> Domain registration\".");
    let down = register(&t, DEMO_KEY, "example", "xyz").await;
    let before = t.service(DEMO_KEY, down).await;
    call(&t, DEMO_KEY, "unlock", json!({"order_id": down}))
        .await
        .assert_err(
            200,
            9999,
            "Could not connect to the domain registrar. Please try again later.",
        );
    assert_eq!(t.service(DEMO_KEY, down).await, before);
});

both!(domain_input_and_ownership, |t: TestApp| async move {
    let r = setup(&t).await;
    let order = register(&t, DEMO_KEY, "example", "com").await;
    let custom = t.order_service(DEMO_KEY, CUSTOM_PRODUCT, json!({})).await;
    let valid = json!({"ns1": "a.tld", "ns2": "b.tld", "contact": {"first_name": "x"}});
    for method in [
        "update_nameservers",
        "update_contacts",
        "enable_privacy_protection",
        "disable_privacy_protection",
        "get_transfer_code",
        "lock",
        "unlock",
    ] {
        call(&t, DEMO_KEY, method, json!({}))
            .await
            .assert_err(200, 9999, "Order id is required");
        call(&t, DEMO_KEY, method, json!({"order_id": 99999}))
            .await
            .assert_err(200, 9999, "Order not found");
        let mut foreign = valid.clone();
        foreign["order_id"] = json!(order);
        call(&t, OTHER_KEY, method, foreign)
            .await
            .assert_err(200, 9999, "Order not found");
        let mut wrong = valid.clone();
        wrong["order_id"] = json!(custom);
        call(&t, DEMO_KEY, method, wrong)
            .await
            .assert_err(200, 9999, "Order is not activated");
    }
    // The order is looked up before the nameservers are checked.
    call(&t, OTHER_KEY, "update_nameservers", json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Order not found");
    call(&t, DEMO_KEY, "update_nameservers", json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Nameserver 1 is required");
    call(
        &t,
        DEMO_KEY,
        "update_nameservers",
        json!({"order_id": order, "ns1": "a.tld"}),
    )
    .await
    .assert_err(200, 9999, "Nameserver 2 is required");
    assert!(r.rc.requests().is_empty(), "nothing reached the registrar");
});

// Round trips with settings warm: authentication and rate limiting 1 (2 for the login class:
// password changes count per address too), the order with its
// record 1, the profile with the TLD's registrar 1, the registrar 1, one write 1.
both!(domain_round_trips, |t: TestApp| async move {
    let _fakes = setup(&t).await;
    let order = register(&t, DEMO_KEY, "example", "com").await;
    let _ = t.app.settings().await.unwrap();
    let _ = t.app.templates().await.unwrap();
    let r = call(&t, DEMO_KEY, "lock", json!({"order_id": order})).await;
    assert!(r.json["error"].is_null(), "{}", r.body);
    assert_eq!(r.store_calls, 5);
    let r = call(&t, DEMO_KEY, "get_transfer_code", json!({"order_id": order})).await;
    assert_eq!(r.store_calls, 4, "nothing written");
});

both!(domain_change_round_trips, |t: TestApp| async move {
    let _fakes = setup(&t).await;
    let order = register(&t, DEMO_KEY, "example", "com").await;
    let _ = t.app.settings().await.unwrap();
    let contact = json!({"first_name": "A", "last_name": "B", "email": "known@example.com", "company": "C",
        "address1": "1", "address2": "2", "country": "US", "city": "X", "state": "Y", "postcode": "1", "phone_cc": "1", "phone": "2"});
    for (method, body, expected) in [
        (
            "update_nameservers",
            json!({"order_id": order, "ns1": "a.tld", "ns2": "b.tld"}),
            5,
        ),
        ("update_contacts", json!({"order_id": order, "contact": contact}), 5),
        ("enable_privacy_protection", json!({"order_id": order}), 5),
        ("disable_privacy_protection", json!({"order_id": order}), 5),
        ("unlock", json!({"order_id": order}), 5),
    ] {
        let r = call(&t, DEMO_KEY, method, body).await;
        assert!(r.json["error"].is_null(), "{}", r.body);
        assert_eq!(r.store_calls, expected, "{method}");
    }
});
