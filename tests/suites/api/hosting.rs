//! servicehosting, servicelicense, servicedownloadable: control panels spoken to over their
//! wire protocols (fake panels on 127.0.0.1), what is stored, isolation between clients.

use bb_tests::fake::{FakeServer, Recorded, Reply, closed_port};
use bb_tests::*;
use serde_json::{Value, json};

const WHM_PRODUCT: i64 = 101;
const DA_PRODUCT: i64 = 102;
const DOWN_PANEL_PRODUCT: i64 = 103;
const LICENSE_PRODUCT: i64 = 104;
const DOWNLOAD_PRODUCT: i64 = 105;
const HESTIA_PRODUCT: i64 = 106;
const ISPCONFIG_PRODUCT: i64 = 107;

async fn call(t: &TestApp, key: &str, path: impl Into<String>, body: Value) -> Resp {
    t.call(Req::post(&path.into()).key(key).json(body)).await
}

/// A WHM that knows the access hash `root:HASHPART`, refuses the password `weak` and the
/// username `taken`.
fn whm(req: &Recorded) -> Reply {
    if req.header("authorization") != Some("WHM root:HASHPART") {
        return Reply::with("text/html", "<html>Access denied</html>".into()).status(403);
    }
    match req.path.as_str() {
        "/json-api/passwd" if req.field("pass").as_deref() == Some("weak") => {
            Reply::json(json!({"passwd": [{"status": 0, "statusmsg": "Password too weak"}]}))
        }
        "/json-api/passwd" => Reply::json(json!({"passwd": [{"status": 1, "statusmsg": "Password changed"}]})),
        "/json-api/modifyacct" if req.field("newuser").as_deref() == Some("taken") => {
            Reply::json(json!({"result": [{"status": 0, "statusmsg": "Username taken"}]}))
        }
        "/json-api/modifyacct" => Reply::json(json!({"result": [{"status": 1, "statusmsg": "Account Modified"}]})),
        _ => Reply::text("not found").status(404),
    }
}

/// DirectAdmin: `error=0` unless the password is `weak`.
fn directadmin(req: &Recorded) -> Reply {
    if req.field("passwd").as_deref() == Some("weak") {
        Reply::text("error=1&text=Cannot+set+password&details=Password+is+too+short")
    } else {
        Reply::text("error=0&text=Password+changed&details=")
    }
}

/// Hestia: every command succeeds (`0`) unless its first argument is `weak`.
fn hestia(req: &Recorded) -> Reply {
    Reply::text(if req.field("arg1").as_deref() == Some("weak") {
        "4"
    } else {
        "0"
    })
}

/// ISPConfig's SOAP remote API: session `sess-1` for root, client 42 for any username, and a
/// fault for the password `weak`.
fn ispconfig(req: &Recorded) -> Reply {
    let body = req.text();
    let param = |n: usize| {
        body.split(&format!("<param{n}>"))
            .nth(1)
            .and_then(|r| r.split(&format!("</param{n}>")).next())
            .unwrap_or_default()
            .to_string()
    };
    let envelope = |inner: &str| {
        Reply::xml(format!(
            "<?xml version=\"1.0\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" \
             xmlns:ns1=\"urn:ISPConfig\"><SOAP-ENV:Body>{inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>"
        ))
    };
    let fault = |text: &str| {
        envelope(&format!(
            "<SOAP-ENV:Fault><faultcode>server</faultcode><faultstring>{text}</faultstring></SOAP-ENV:Fault>"
        ))
    };
    let action = req.header("soapaction").unwrap_or_default().to_string();
    if action.contains("#login") {
        if (param(0), param(1)) != ("root".into(), "RootPass".into()) {
            return fault("The login failed. Username or password wrong.");
        }
        return envelope("<ns1:loginResponse><return>sess-1</return></ns1:loginResponse>");
    }
    if param(0) != "sess-1" {
        return fault("The session is expired or not existing.");
    }
    if action.contains("#client_get_by_username") {
        return envelope(
            "<ns1:client_get_by_usernameResponse><return><item><key>client_id</key><value>42</value></item>\
             <item><key>username</key><value>x</value></item></return></ns1:client_get_by_usernameResponse>",
        );
    }
    if action.contains("#client_change_password") {
        if param(2) == "weak" {
            return fault("Password too short");
        }
        return envelope("<ns1:client_change_passwordResponse><return>1</return></ns1:client_change_passwordResponse>");
    }
    envelope("<ns1:logoutResponse><return>true</return></ns1:logoutResponse>")
}

struct Panels {
    whm: FakeServer,
    directadmin: FakeServer,
    hestia: FakeServer,
    ispconfig: FakeServer,
}

async fn setup(t: &TestApp) -> Panels {
    let panels = Panels {
        whm: FakeServer::start(whm).await,
        directadmin: FakeServer::start(directadmin).await,
        hestia: FakeServer::start(hestia).await,
        ispconfig: FakeServer::start(ispconfig).await,
    };
    let server = |id: i64, manager: &str, port: u16| {
        json!({"id": id, "name": format!("{manager} server"), "hostname": "127.0.0.1", "ip": "127.0.0.1",
               "manager": manager, "username": "root", "password": "RootPass", "port": port.to_string(),
               "secure": false, "ns1": "ns1.example.com", "ns2": "ns2.example.com"})
    };
    let mut whm_server = server(1, "whm", panels.whm.port);
    whm_server["accesshash"] = json!("HASH\nPART");
    let mut hestia_server = server(4, "hestia", panels.hestia.port);
    hestia_server["accesshash"] = json!("hestia-key");
    t.load(json!({
        "services": {
            "hosting_servers": [whm_server, server(2, "directadmin", panels.directadmin.port),
                                server(3, "whm", closed_port().await), hestia_server,
                                server(5, "ispconfig", panels.ispconfig.port)],
            "hosting_plans": [{"id": 1, "name": "Basic", "quota": "1000"}, {"id": 2, "name": "Pro"}],
        },
        "catalog": {"products": [
            free_product(WHM_PRODUCT, "hosting", json!({"server_id": 1, "hosting_plan_id": 1})),
            free_product(DA_PRODUCT, "hosting", json!({"server_id": 2, "hosting_plan_id": 2})),
            free_product(DOWN_PANEL_PRODUCT, "hosting", json!({"server_id": 3, "hosting_plan_id": 1})),
            free_product(LICENSE_PRODUCT, "license", json!({"prefix": "BB-", "validate_ip": true})),
            free_product(DOWNLOAD_PRODUCT, "downloadable", json!({"filename": "My Guide.pdf", "file_key": "downloads/105/guide.pdf"})),
            free_product(HESTIA_PRODUCT, "hosting", json!({"server_id": 4, "hosting_plan_id": 2})),
            free_product(ISPCONFIG_PRODUCT, "hosting", json!({"server_id": 5, "hosting_plan_id": 1})),
        ]},
    }))
    .await;
    panels
}

fn domain(sld: &str) -> Value {
    json!({"domain": {"action": "owndomain", "owndomain_sld": sld, "owndomain_tld": ".com"}})
}

both!(
    whm_account_changes_reach_the_panel_and_are_recorded,
    |t: TestApp| async move {
        let panels = setup(&t).await;
        let order = t.order_service(DEMO_KEY, WHM_PRODUCT, domain("MyShop")).await;
        let shown = t.service(DEMO_KEY, order).await;
        assert_eq!(shown["domain"], "myshop.com");
        assert_eq!(shown["server"]["name"], "whm server");
        assert_eq!(shown["server"]["cpanel_url"], "http://127.0.0.1/cpanel");
        assert_eq!(shown["hosting_plan"]["name"], "Basic");
        assert!(shown.get("pass_sealed").is_none() && !shown.to_string().contains("RootPass"));
        let username = shown["username"].as_str().unwrap().to_string();
        assert!(username.starts_with("myshop"), "{username}");

        let r = call(
            &t,
            DEMO_KEY,
            "/api/client/servicehosting/change_password",
            json!({"order_id": order, "password": "N3w&Secret", "password_confirm": "N3w&Secret"}),
        )
        .await;
        assert_eq!(r.ok(), &json!(true));
        let req = panels.whm.last();
        assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/json-api/passwd"));
        assert_eq!(
            req.header("authorization"),
            Some("WHM root:HASHPART"),
            "newlines leave the hash"
        );
        assert_eq!(req.field("user").as_deref(), Some(username.as_str()));
        assert_eq!(req.field("pass").as_deref(), Some("N3w&Secret"));
        assert_eq!(req.field("db_pass_update").as_deref(), Some("0"));

        let r = call(
            &t,
            DEMO_KEY,
            "/api/client/servicehosting/change_username",
            json!({"order_id": order, "username": "NewName"}),
        )
        .await;
        assert_eq!(r.ok(), &json!(true));
        let req = panels.whm.last();
        assert_eq!(req.path, "/json-api/modifyacct");
        assert_eq!(
            (req.field("user"), req.field("newuser")),
            (Some(username.clone()), Some("newname".into()))
        );
        assert_eq!(t.service(DEMO_KEY, order).await["username"], "newname");

        let r = call(
            &t,
            DEMO_KEY,
            "/api/client/servicehosting/change_domain",
            json!({"order_id": order, "sld": "other", "tld": "net"}),
        )
        .await;
        assert_eq!(r.ok(), &json!(true));
        let req = panels.whm.last();
        assert_eq!(
            (req.field("user"), req.field("domain")),
            (Some("newname".into()), Some("other.net".into()))
        );
        let shown = t.service(DEMO_KEY, order).await;
        assert_eq!(
            (shown["sld"].as_str(), shown["tld"].as_str(), shown["domain"].as_str()),
            (Some("other"), Some(".net"), Some("other.net"))
        );
        // The reference's parameter names for the same thing.
        let r = call(
            &t,
            DEMO_KEY,
            "/api/client/servicehosting/change_domain",
            json!({"order_id": order, "password": "third", "password_confirm": ".org"}),
        )
        .await;
        assert_eq!(r.ok(), &json!(true));
        assert_eq!(panels.whm.last().field("domain").as_deref(), Some("third.org"));
    }
);

both!(panel_refusals_are_shown_and_nothing_changes, |t: TestApp| async move {
    let panels = setup(&t).await;
    let order = t.order_service(DEMO_KEY, WHM_PRODUCT, domain("shop")).await;
    let before = t.service(DEMO_KEY, order).await;
    call(
        &t,
        DEMO_KEY,
        "/api/client/servicehosting/change_password",
        json!({"order_id": order, "password": "weak", "password_confirm": "weak"}),
    )
    .await
    .assert_err(200, 9999, "Password too weak");
    call(
        &t,
        DEMO_KEY,
        "/api/client/servicehosting/change_username",
        json!({"order_id": order, "username": "taken"}),
    )
    .await
    .assert_err(
        200,
        9999,
        "WHM server response error calling action modifyacct: \"Username taken\"",
    );
    assert_eq!(t.service(DEMO_KEY, order).await, before, "the record is unchanged");
    assert_eq!(panels.whm.requests().len(), 2);

    // A panel that cannot be reached: a plain message, no details, nothing stored.
    let down = t.order_service(DEMO_KEY, DOWN_PANEL_PRODUCT, domain("down")).await;
    let before = t.service(DEMO_KEY, down).await;
    call(
        &t,
        DEMO_KEY,
        "/api/client/servicehosting/change_username",
        json!({"order_id": down, "username": "x1"}),
    )
    .await
    .assert_err(
        200,
        9999,
        "Could not connect to the control panel. Please try again later.",
    );
    assert_eq!(t.service(DEMO_KEY, down).await, before);
});

both!(other_panels_speak_their_own_protocols, |t: TestApp| async move {
    let panels = setup(&t).await;
    let order = t.order_service(DEMO_KEY, DA_PRODUCT, domain("dashop")).await;
    let username = t.service(DEMO_KEY, order).await["username"]
        .as_str()
        .unwrap()
        .to_string();
    let change = |password: &'static str| {
        call(
            &t,
            DEMO_KEY,
            "/api/client/servicehosting/change_password",
            json!({"order_id": order, "password": password, "password_confirm": password}),
        )
    };
    assert_eq!(change("Good-Pass1").await.ok(), &json!(true));
    let req = panels.directadmin.last();
    assert_eq!(req.path, "/CMD_API_USER_PASSWD");
    assert_eq!(req.header("authorization"), Some("Basic cm9vdDpSb290UGFzcw=="));
    assert_eq!(
        (req.field("username"), req.field("passwd"), req.field("passwd2")),
        (Some(username), Some("Good-Pass1".into()), Some("Good-Pass1".into())),
        "the new password, not the stored one"
    );
    change("weak").await.assert_err(
        200,
        9999,
        "Server Manager DirectAdmin Error: \"Password is too short\" ",
    );
    call(
        &t,
        DEMO_KEY,
        "/api/client/servicehosting/change_username",
        json!({"order_id": order, "username": "x"}),
    )
    .await
    .assert_err(200, 9999, "DirectAdmin do not support username changes");

    let order = t.order_service(DEMO_KEY, HESTIA_PRODUCT, domain("hshop")).await;
    let r = call(
        &t,
        DEMO_KEY,
        "/api/client/servicehosting/change_password",
        json!({"order_id": order, "password": "Strong-1", "password_confirm": "Strong-1"}),
    )
    .await;
    assert_eq!(r.ok(), &json!(true));
    let reqs = panels.hestia.requests();
    assert_eq!(reqs.len(), 2, "a temporary file, then the change");
    assert_eq!(reqs[0].field("cmd").as_deref(), Some("v-make-tmp-file"));
    assert_eq!(reqs[0].field("arg1").as_deref(), Some("Strong-1"));
    assert_eq!(reqs[0].field("hash").as_deref(), Some("hestia-key"));
    let file = reqs[0].field("arg2").unwrap();
    assert_eq!(reqs[1].field("cmd").as_deref(), Some("v-change-user-password"));
    assert_eq!(reqs[1].field("arg2"), Some(format!("/tmp/{file}")));
    call(
        &t,
        DEMO_KEY,
        "/api/client/servicehosting/change_domain",
        json!({"order_id": order, "sld": "a", "tld": ".com"}),
    )
    .await
    .assert_err(200, 9999, "Server Manager Hestia CP Error: Not Supported");

    let order = t.order_service(DEMO_KEY, ISPCONFIG_PRODUCT, domain("ishop")).await;
    let username = t.service(DEMO_KEY, order).await["username"]
        .as_str()
        .unwrap()
        .to_string();
    let change = |password: &'static str| {
        call(
            &t,
            DEMO_KEY,
            "/api/client/servicehosting/change_password",
            json!({"order_id": order, "password": password, "password_confirm": password}),
        )
    };
    assert_eq!(change("Isp-Pass1").await.ok(), &json!(true));
    let reqs = panels.ispconfig.requests();
    let actions: Vec<String> = reqs
        .iter()
        .map(|r| {
            r.header("soapaction")
                .unwrap_or_default()
                .trim_matches('"')
                .replace("urn:ISPConfig#", "")
        })
        .collect();
    assert_eq!(
        actions,
        ["login", "client_get_by_username", "client_change_password", "logout"]
    );
    assert_eq!(reqs[0].path, "/remote/index.php");
    assert!(
        reqs[1].text().contains(&format!("<param1>{username}</param1>")),
        "{}",
        reqs[1].text()
    );
    assert!(
        reqs[2].text().contains("<param1>42</param1><param2>Isp-Pass1</param2>"),
        "{}",
        reqs[2].text()
    );
    change("weak")
        .await
        .assert_err(200, 9999, "ISPConfig error: Password too short");
    assert_eq!(
        panels.ispconfig.last().header("soapaction"),
        Some("\"urn:ISPConfig#logout\""),
        "the session is closed"
    );
});

both!(hosting_input_and_ownership, |t: TestApp| async move {
    let panels = setup(&t).await;
    let order = t.order_service(DEMO_KEY, WHM_PRODUCT, domain("mine")).await;
    let license = t.order_service(DEMO_KEY, LICENSE_PRODUCT, json!({})).await;
    for method in ["change_username", "change_domain", "change_password"] {
        let path = &format!("/api/client/servicehosting/{method}");
        call(&t, DEMO_KEY, path.as_str(), json!({}))
            .await
            .assert_err(200, 9999, "Order id is required");
        call(&t, DEMO_KEY, path.as_str(), json!({"order_id": 99999}))
            .await
            .assert_err(200, 9999, "Order not found");
        call(&t, DEMO_KEY, path.as_str(), json!({"order_id": "abc"}))
            .await
            .assert_err(200, 9999, "Order not found");
        // Another client's order looks exactly like a missing one.
        call(
            &t,
            OTHER_KEY,
            path.as_str(),
            json!({"order_id": order, "username": "x", "sld": "a", "tld": ".b",
            "password": "p", "password_confirm": "p"}),
        )
        .await
        .assert_err(200, 9999, "Order not found");
        call(
            &t,
            DEMO_KEY,
            path.as_str(),
            json!({"order_id": license, "username": "x", "sld": "a", "tld": ".b",
            "password": "p", "password_confirm": "p"}),
        )
        .await
        .assert_err(200, 9999, "Order is not activated");
    }
    let hosting =
        |body: Value, method: &'static str| call(&t, DEMO_KEY, format!("/api/client/servicehosting/{method}"), body);
    hosting(json!({"order_id": order, "username": "  "}), "change_username")
        .await
        .assert_err(200, 9999, "Account username is missing or is not valid");
    hosting(json!({"order_id": order, "sld": "a"}), "change_domain")
        .await
        .assert_err(200, 9999, "Domain sld or tld is missing");
    hosting(
        json!({"order_id": order, "password": "a1", "password_confirm": "a2"}),
        "change_password",
    )
    .await
    .assert_err(200, 9999, "Account password is missing or is not valid");
    hosting(
        json!({"order_id": order, "password": "10", "password_confirm": "1e1"}),
        "change_password",
    )
    .await
    .assert_err(200, 9999, "Account password is missing or is not valid");
    assert!(
        panels.whm.requests().is_empty(),
        "invalid input never reaches the panel"
    );

    // A suspended order is not worked on.
    bb_cli::ops::order_action(&t.app, 1, order, "suspend").await.unwrap();
    hosting(json!({"order_id": order, "username": "fine"}), "change_username")
        .await
        .assert_err(200, 9999, "Order is not activated");
});

both!(hosting_plan_pairs, |t: TestApp| async move {
    let r = t
        .call(Req::get("/api/client/servicehosting/hp_get_pairs").key(DEMO_KEY))
        .await;
    assert_eq!(r.ok(), &json!([]), "no plans prints an empty list, as BoxBilling");
    setup(&t).await;
    let r = t
        .call(Req::get("/api/client/servicehosting/hp_get_pairs").key(OTHER_KEY))
        .await;
    assert_eq!(r.ok(), &json!({"1": "Basic", "2": "Pro"}));
});

both!(license_reset_forgets_what_was_learnt, |t: TestApp| async move {
    setup(&t).await;
    let order = t.order_service(DEMO_KEY, LICENSE_PRODUCT, json!({})).await;
    let shown = t.service(DEMO_KEY, order).await;
    assert!(shown["license_key"].as_str().unwrap().starts_with("BB-"));
    assert_eq!(shown["validate_ip"], true);
    // What a licence check would have recorded.
    let key = bb_core::domain::service::service_key(1, order);
    let seen = bb_core::store::Attr::from_json(&json!(["10.0.0.1"]));
    t.app
        .store
        .update(
            bb_core::store::Update::new(key.clone())
                .set("ips", seen.clone())
                .set("hosts", seen),
            bb_core::store::Returning::Nothing,
        )
        .await
        .unwrap();
    assert_eq!(t.service(DEMO_KEY, order).await["ips"], json!(["10.0.0.1"]));

    let reset = |key: &'static str, body: Value| call(&t, key, "/api/client/servicelicense/reset", body);
    reset(DEMO_KEY, json!({"order_id": ""}))
        .await
        .assert_err(200, 9999, "Order id is required");
    reset(DEMO_KEY, json!({}))
        .await
        .assert_err(200, 9999, "Order id is required");
    reset(OTHER_KEY, json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Order not found");
    t.clock.advance(time::Duration::minutes(5));
    assert_eq!(
        reset(DEMO_KEY, json!({"order_id": order.to_string()})).await.ok(),
        &json!(true)
    );
    let shown = t.service(DEMO_KEY, order).await;
    assert_eq!(
        (&shown["ips"], &shown["hosts"], &shown["paths"], &shown["versions"]),
        (&json!([]), &json!([]), &json!([]), &json!([]))
    );
    let item = t.app.store.get(&key).await.unwrap().unwrap();
    assert_ne!(item.get("updated_at"), item.get("created_at"), "updated_at written");
});

both!(downloads_redirect_to_a_signed_link_and_count, |t: TestApp| async move {
    setup(&t).await;
    let order = t.order_service(DEMO_KEY, DOWNLOAD_PRODUCT, json!({})).await;
    assert_eq!(
        t.service(DEMO_KEY, order).await,
        json!({"filename": "My Guide.pdf"}),
        "no storage path shown"
    );
    let send = |key: &'static str, id: Value| {
        t.call(Req::get(&format!("/api/client/servicedownloadable/send_file?order_id={id}")).key(key))
    };
    send(DEMO_KEY, json!(order)).await.assert_err(
        200,
        404,
        "File can not be downloaded at the moment. Please contact support",
    );
    t.app
        .files
        .put("downloads/105/guide.pdf", b"%PDF-1.4 guide".to_vec(), "application/pdf")
        .await
        .unwrap();
    send(OTHER_KEY, json!(order))
        .await
        .assert_err(200, 9999, "Order not found");
    send(DEMO_KEY, json!("")).await.assert_err(200, 9999, "Order not found");

    let r = send(DEMO_KEY, json!(order)).await;
    assert_eq!(r.status, 302, "{}", r.body);
    let location = r.header("location").unwrap().to_string();
    assert_eq!(r.json["result"], json!(location));
    let item = t
        .app
        .store
        .get(&bb_core::domain::service::service_key(1, order))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.get("downloads").and_then(bb_core::store::Attr::as_i64), Some(1));
    if t.backend == Backend::Aws {
        let got = reqwest::get(&location).await.unwrap();
        assert_eq!(got.status(), 200);
        let disposition = got
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap().to_string());
        assert!(disposition.unwrap_or_default().contains("My Guide.pdf"));
        assert_eq!(got.bytes().await.unwrap().as_ref(), b"%PDF-1.4 guide");
    } else {
        assert!(
            location.contains("downloads/105/guide.pdf") || location.contains("guide"),
            "{location}"
        );
    }
});

// Round trips with settings warm: authentication and rate limiting 1 (2 for the login class:
// password changes count per address too), the order with its
// record 1, then what the method needs (the server 1) and one write with its log line.
both!(service_round_trips, |t: TestApp| async move {
    let _fakes = setup(&t).await;
    let hosting = t.order_service(DEMO_KEY, WHM_PRODUCT, domain("trips")).await;
    let license = t.order_service(DEMO_KEY, LICENSE_PRODUCT, json!({})).await;
    let download = t.order_service(DEMO_KEY, DOWNLOAD_PRODUCT, json!({})).await;
    t.app
        .files
        .put("downloads/105/guide.pdf", b"x".to_vec(), "application/pdf")
        .await
        .unwrap();
    let _ = t.app.settings().await.unwrap();
    let calls = |r: Resp| {
        assert!(r.json["error"].is_null(), "{}", r.body);
        r.store_calls
    };
    let c = |path: &str, body: Value| call(&t, DEMO_KEY, path.to_string(), body);
    assert_eq!(
        calls(
            c(
                "/api/client/servicehosting/change_password",
                json!({"order_id": hosting, "password": "Pass-1234", "password_confirm": "Pass-1234"})
            )
            .await
        ),
        5
    );
    assert_eq!(calls(c("/api/client/servicehosting/hp_get_pairs", json!({})).await), 2);
    assert_eq!(
        calls(c("/api/client/servicelicense/reset", json!({"order_id": license})).await),
        3
    );
    assert_eq!(
        calls(
            c(
                "/api/client/servicedownloadable/send_file",
                json!({"order_id": download})
            )
            .await
        ),
        3
    );
});

both!(hosting_account_round_trips, |t: TestApp| async move {
    let _fakes = setup(&t).await;
    let order = t.order_service(DEMO_KEY, WHM_PRODUCT, domain("trips")).await;
    let _ = t.app.settings().await.unwrap();
    for (method, body, expected) in [
        (
            "change_username",
            json!({"order_id": order, "username": "tripsuser"}),
            4,
        ),
        (
            "change_domain",
            json!({"order_id": order, "sld": "trips2", "tld": ".com"}),
            4,
        ),
    ] {
        let r = call(&t, DEMO_KEY, format!("/api/client/servicehosting/{method}"), body).await;
        assert!(r.json["error"].is_null(), "{}", r.body);
        assert_eq!(r.store_calls, expected, "{method}");
    }
});
