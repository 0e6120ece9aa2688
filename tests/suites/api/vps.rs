//! servicesolusvm and servicecentovacast: a fake SolusVM master and a fake CentovaCast server
//! on 127.0.0.1, what is stored, `try`, isolation between clients.

use bb_tests::fake::{FakeServer, Recorded, Reply, closed_port};
use bb_tests::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const VPS_PRODUCT: i64 = 301;
const STREAM_PRODUCT: i64 = 401;
const LOST_STREAM_PRODUCT: i64 = 402;
const CUSTOM_PRODUCT: i64 = 5;

async fn call(t: &TestApp, key: &str, path: impl Into<String>, body: Value) -> Resp {
    t.call(Req::post(&path.into()).key(key).json(body)).await
}

fn solusvm(req: &Recorded) -> Reply {
    let reply = |status: &str, msg: &str| Reply::text(format!("<status>{status}</status><statusmsg>{msg}</statusmsg>"));
    if req.path != "/api/admin/command.php" {
        return Reply::text("not found").status(404);
    }
    if req.field("id").as_deref() != Some("API1") || req.field("key").as_deref() != Some("KEY1") {
        return reply("error", "Invalid id or key");
    }
    let vps = req.field("vserverid").unwrap_or_default();
    if vps == "999" {
        return reply("error", "Virtual server not found");
    }
    if vps == "555" {
        return Reply::text("");
    }
    match req.field("action").as_deref().unwrap_or_default() {
        "vserver-status" => reply("success", "online"),
        "vserver-infoall" => Reply::text(
            "<status>success</status><statusmsg></statusmsg><state>online</state><mainipaddress>10.1.1.5</mainipaddress>\
             <hdd>10737418240,2147483648,8589934592,20</hdd><type>kvm</type>",
        ),
        "vserver-hostname" if req.field("hostname").as_deref() == Some("bad_host") => {
            reply("error", "Invalid hostname")
        }
        _ => reply("success", "Done"),
    }
}

async fn vps_setup(t: &TestApp) -> (FakeServer, i64) {
    let master = FakeServer::start(solusvm).await;
    t.load(json!({
        "services": {"solusvm": [{"cluster_id": 1, "id": "API1", "key": "KEY1", "ipaddress": "127.0.0.1",
                                  "port": master.port.to_string(), "secure": false}]},
        "catalog": {"products": [free_product(VPS_PRODUCT, "solusvm", json!({"plan": "vps-small", "template": "debian-12"}))]},
    }))
    .await;
    let order = t
        .order_service(DEMO_KEY, VPS_PRODUCT, json!({"hostname": "vps1.example.com"}))
        .await;
    (master, order)
}

async fn provision(t: &TestApp, order: i64, vserverid: &str) {
    let fields = [
        ("vserverid".to_string(), vserverid.to_string()),
        ("rootpassword".into(), "InitPass9".into()),
    ];
    bb_cli::ops::set_service_fields(&t.app, 1, order, &fields)
        .await
        .unwrap();
}

fn vps(method: &str) -> String {
    format!("/api/client/servicesolusvm/{method}")
}

both!(solusvm_actions_reach_the_master, |t: TestApp| async move {
    let (master, order) = vps_setup(&t).await;
    call(&t, DEMO_KEY, vps("reboot"), json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Order is not activated");
    provision(&t, order, "101").await;
    let shown = t.service(DEMO_KEY, order).await;
    assert_eq!(
        (
            shown["vserverid"].as_str(),
            shown["hostname"].as_str(),
            shown["template"].as_str()
        ),
        (Some("101"), Some("vps1.example.com"), Some("debian-12"))
    );
    assert_eq!(shown["rootpassword"], "InitPass9");
    assert_eq!(shown["master_url"], json!(format!("http://127.0.0.1:{}", master.port)));
    assert_eq!(
        shown["username"], DEMO_EMAIL,
        "the client area login defaults to the e-mail"
    );

    for (method, action) in [
        ("reboot", "vserver-reboot"),
        ("boot", "vserver-boot"),
        ("shutdown", "vserver-shutdown"),
    ] {
        assert_eq!(
            call(&t, DEMO_KEY, vps(method), json!({"order_id": order})).await.ok(),
            &json!(true)
        );
        let req = master.last();
        assert!(req.header("content-type").unwrap().starts_with("multipart/form-data"));
        assert_eq!(
            (req.field("action").as_deref(), req.field("vserverid").as_deref()),
            (Some(action), Some("101"))
        );
    }
    assert_eq!(
        call(&t, DEMO_KEY, vps("status"), json!({"order_id": order})).await.ok(),
        &json!("online")
    );
    let info = call(&t, DEMO_KEY, vps("info"), json!({"order_id": order}))
        .await
        .ok()
        .clone();
    assert_eq!(
        (
            info["state"].as_str(),
            info["mainipaddress"].as_str(),
            info["hdd"].as_str()
        ),
        (
            Some("online"),
            Some("10.1.1.5"),
            Some("10737418240,2147483648,8589934592,20")
        )
    );
    assert!(info.get("statusmsg").is_none(), "empty tags are left out");

    // SolusVM's refusals: its message with code 8777; info says nothing instead.
    provision(&t, order, "999").await;
    call(&t, DEMO_KEY, vps("reboot"), json!({"order_id": order}))
        .await
        .assert_err(200, 8777, "Virtual server not found");
    assert_eq!(
        call(&t, DEMO_KEY, vps("info"), json!({"order_id": order})).await.ok(),
        &json!([])
    );
    provision(&t, order, "555").await;
    call(&t, DEMO_KEY, vps("boot"), json!({"order_id": order}))
        .await
        .assert_err(200, 8766, "Empty response from SolusVM server.");
});

both!(solusvm_changes_are_checked_and_recorded, |t: TestApp| async move {
    let (master, order) = vps_setup(&t).await;
    provision(&t, order, "101").await;
    let ask = |method: &'static str, body: Value| {
        let mut body = body;
        body["order_id"] = json!(order);
        call(&t, DEMO_KEY, vps(method), body)
    };
    ask("set_root_password", json!({"password": "abc"})).await.assert_err(
        200,
        8789,
        "Root password must be longer than 4 symbols",
    );
    ask("set_root_password", json!({}))
        .await
        .assert_err(200, 8789, "Root password must be longer than 4 symbols");
    ask("set_hostname", json!({"hostname": " "}))
        .await
        .assert_err(200, 8791, "Hostname must not be empty");
    ask("change_password", json!({"password": "abc"})).await.assert_err(
        200,
        8790,
        "Password must be longer than 4 symbols",
    );
    ask("rebuild", json!({}))
        .await
        .assert_err(200, 8792, "Template must not be empty");
    assert!(master.requests().is_empty(), "nothing invalid reached SolusVM");

    assert_eq!(
        ask("set_root_password", json!({"password": "abcd"})).await.ok(),
        &json!(true)
    );
    assert_eq!(master.last().field("rootpassword").as_deref(), Some("abcd"));
    assert_eq!(
        t.service(DEMO_KEY, order).await["rootpassword"],
        "",
        "the root password is never kept"
    );

    assert_eq!(
        ask("set_hostname", json!({"hostname": "web.example.com"})).await.ok(),
        &json!(true)
    );
    assert_eq!(master.last().field("hostname").as_deref(), Some("web.example.com"));
    ask("set_hostname", json!({"hostname": "bad_host"}))
        .await
        .assert_err(200, 8777, "Invalid hostname");
    assert_eq!(t.service(DEMO_KEY, order).await["hostname"], "web.example.com");

    assert_eq!(
        ask("change_password", json!({"password": "Client-Pass"})).await.ok(),
        &json!(true)
    );
    let req = master.last();
    assert_eq!(
        (
            req.field("action").as_deref(),
            req.field("username").as_deref(),
            req.field("password").as_deref()
        ),
        (Some("client-updatepassword"), Some(DEMO_EMAIL), Some("Client-Pass"))
    );
    assert_eq!(t.service(DEMO_KEY, order).await["password"], "Client-Pass");

    assert_eq!(
        ask("rebuild", json!({"template": "ubuntu-24.04"})).await.ok(),
        &json!(true)
    );
    assert_eq!(master.last().field("template").as_deref(), Some("ubuntu-24.04"));
    assert_eq!(t.service(DEMO_KEY, order).await["template"], "ubuntu-24.04");
});

both!(solusvm_ownership_and_reachability, |t: TestApp| async move {
    let (master, order) = vps_setup(&t).await;
    provision(&t, order, "101").await;
    let custom = t.order_service(DEMO_KEY, CUSTOM_PRODUCT, json!({})).await;
    let body = json!({"password": "long-enough", "hostname": "h.example.com", "template": "t"});
    for method in [
        "reboot",
        "boot",
        "shutdown",
        "status",
        "info",
        "set_root_password",
        "set_hostname",
        "change_password",
        "rebuild",
    ] {
        call(&t, DEMO_KEY, vps(method), body.clone())
            .await
            .assert_err(200, 9999, "Order id is required");
        for (key, id) in [(DEMO_KEY, 99999), (OTHER_KEY, order), (DEMO_KEY, custom)] {
            let mut b = body.clone();
            b["order_id"] = json!(id);
            call(&t, key, vps(method), b)
                .await
                .assert_err(200, 9999, "Solusvm order not found");
        }
    }
    assert!(master.requests().is_empty());
    t.load(
        json!({"services": {"solusvm": [{"cluster_id": 1, "id": "API1", "key": "KEY1", "ipaddress": "127.0.0.1",
        "port": closed_port().await.to_string()}]}}),
    )
    .await;
    call(&t, DEMO_KEY, vps("reboot"), json!({"order_id": order}))
        .await
        .assert_err(
            200,
            8755,
            "Could not connect to the SolusVM server. Please try again later.",
        );
    t.load(json!({"services": {"solusvm": [{"cluster_id": 1, "id": "", "key": "KEY1", "ipaddress": "127.0.0.1"}]}}))
        .await;
    call(&t, DEMO_KEY, vps("reboot"), json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "API ID is missing");
});

/// CentovaCast for the account the test names; a `wrong` password is refused.
fn centovacast(account: Arc<Mutex<(String, String)>>) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |req: &Recorded| {
        let body = req.text();
        let tag = |name: &str| {
            body.split(&format!("<{name}>"))
                .nth(1)
                .and_then(|r| r.split(&format!("</{name}>")).next())
                .unwrap_or_default()
                .to_string()
        };
        let method = body
            .split("method=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_string();
        let (user, pass) = account.lock().unwrap().clone();
        let wrap = |inner: &str| {
            Reply::xml(format!(
                "<?xml version=\"1.0\"?><centovacast version=\"3\">{inner}</centovacast>"
            ))
        };
        if user == "http500" {
            return Reply::text("oops").status(500);
        }
        if user == "garbage" {
            return Reply::text("<html>not the API</html>");
        }
        if tag("username") != user || tag("password") != pass {
            return wrap("<response type=\"error\"><message>Invalid username or password</message></response>");
        }
        let data = match method.as_str() {
            "getaccount" => {
                format!("<data><account><username>{user}</username><maxclients>50</maxclients></account></data>")
            }
            "getstatus" => "<data><status><sourcestate>up</sourcestate><listeners>3</listeners></status></data>".into(),
            "getsongs" => {
                "<data><songs><row><title>Only Song</title><time>1700000000</time></row></songs></data>".into()
            }
            _ => String::new(),
        };
        wrap(&format!(
            "<response type=\"success\"><message>OK</message>{data}</response>"
        ))
    }
}

fn stream(method: &str) -> String {
    format!("/api/client/servicecentovacast/{method}")
}

both!(centovacast_account_through_the_xml_api, |t: TestApp| async move {
    let account = Arc::new(Mutex::new((String::new(), String::new())));
    let server = FakeServer::start(centovacast(account.clone())).await;
    t.load(json!({
        "services": {"centovacast_servers": [{"id": 1, "url": format!("{}/", server.url), "secret": "admin-pass"}]},
        "catalog": {"products": [free_product(STREAM_PRODUCT, "centovacast", json!({"server_id": 1})),
                                 free_product(LOST_STREAM_PRODUCT, "centovacast", json!({"server_id": 9}))]},
    }))
    .await;
    let order = t.order_service(DEMO_KEY, STREAM_PRODUCT, json!({})).await;
    let shown = t.service(DEMO_KEY, order).await;
    let (user, pass) = (
        shown["username"].as_str().unwrap().to_string(),
        shown["pass"].as_str().unwrap().to_string(),
    );
    assert!(user.starts_with("radio") && pass.len() >= 12, "{shown}");
    *account.lock().unwrap() = (user.clone(), pass.clone());

    let url = call(&t, DEMO_KEY, stream("control_panel_url"), json!({"order_id": order})).await;
    assert_eq!(url.ok(), &json!(format!("{}/", server.url)));
    for method in ["start", "stop", "restart", "reload"] {
        assert_eq!(
            call(&t, DEMO_KEY, stream(method), json!({"order_id": order}))
                .await
                .ok(),
            &json!(true)
        );
        let req = server.last();
        assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/api.php"));
        assert!(
            req.text()
                .contains(&format!("<request class=\"server\" method=\"{method}\">")),
            "{}",
            req.text()
        );
        assert!(req.text().contains(&format!("<username>{user}</username>")));
    }
    let got = call(&t, DEMO_KEY, stream("getaccount"), json!({"order_id": order})).await;
    assert_eq!(got.ok(), &json!({"username": user, "maxclients": "50"}));
    let got = call(&t, DEMO_KEY, stream("getstatus"), json!({"order_id": order})).await;
    assert_eq!(got.ok(), &json!({"sourcestate": "up", "listeners": "3"}));
    let got = call(&t, DEMO_KEY, stream("getsongs"), json!({"order_id": order})).await;
    assert_eq!(
        got.ok(),
        &json!([{"title": "Only Song", "time": "1700000000"}]),
        "one song is a list of one"
    );

    // The server refuses: an error, or with `try` the text as the answer.
    account.lock().unwrap().1 = "changed-elsewhere".into();
    call(&t, DEMO_KEY, stream("getstatus"), json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Invalid username or password");
    let soft = call(&t, DEMO_KEY, stream("getstatus"), json!({"order_id": order, "try": 1})).await;
    assert_eq!(soft.ok(), &json!("Invalid username or password"));
    call(&t, DEMO_KEY, stream("start"), json!({"order_id": order, "try": 1}))
        .await
        .assert_err(200, 9999, "Invalid username or password");
    // `try` does not hide a lookup failure, except for the panel link.
    call(&t, OTHER_KEY, stream("getstatus"), json!({"order_id": order, "try": 1}))
        .await
        .assert_err(200, 9999, "Centova Cast order not found");
    let soft = call(
        &t,
        OTHER_KEY,
        stream("control_panel_url"),
        json!({"order_id": order, "try": "1"}),
    )
    .await;
    assert_eq!(soft.ok(), &json!("Centova Cast order not found"));

    account.lock().unwrap().0 = "http500".into();
    call(&t, DEMO_KEY, stream("getaccount"), json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Error contacting server: HTTP 500: Internal Server Error");
    account.lock().unwrap().0 = "garbage".into();
    call(&t, DEMO_KEY, stream("getaccount"), json!({"order_id": order}))
        .await
        .assert_err(200, 9999, "Invalid response packet received from API server");

    let lost = t.order_service(DEMO_KEY, LOST_STREAM_PRODUCT, json!({})).await;
    call(&t, DEMO_KEY, stream("control_panel_url"), json!({"order_id": lost}))
        .await
        .assert_err(200, 9999, "Centova Cast Server not found");
});

both!(centovacast_ownership, |t: TestApp| async move {
    t.load(json!({
        "services": {"centovacast_servers": [{"id": 1, "url": "http://127.0.0.1:9/", "secret": "x"}]},
        "catalog": {"products": [free_product(STREAM_PRODUCT, "centovacast", json!({"server_id": 1}))]},
    }))
    .await;
    let order = t.order_service(DEMO_KEY, STREAM_PRODUCT, json!({})).await;
    let custom = t.order_service(DEMO_KEY, CUSTOM_PRODUCT, json!({})).await;
    for method in [
        "control_panel_url",
        "start",
        "stop",
        "restart",
        "reload",
        "getaccount",
        "getstatus",
        "getsongs",
    ] {
        call(&t, DEMO_KEY, stream(method), json!({}))
            .await
            .assert_err(200, 9999, "Order id is required");
        for (key, id) in [(DEMO_KEY, 99999), (OTHER_KEY, order), (DEMO_KEY, custom)] {
            call(&t, key, stream(method), json!({"order_id": id})).await.assert_err(
                200,
                9999,
                "Centova Cast order not found",
            );
        }
    }
    bb_cli::ops::order_action(&t.app, 1, order, "suspend").await.unwrap();
    call(&t, DEMO_KEY, stream("start"), json!({"order_id": order}))
        .await
        .assert_err(200, 9999, &format!("Order {order} is not activated"));
});

// Round trips with settings warm: authentication and rate limiting 1 (2 for the login class:
// password changes count per address too), the order with its
// record 1, the master or server 1, then one write (log line, with the record's change).
both!(vps_and_stream_round_trips, |t: TestApp| async move {
    let (_master, order) = vps_setup(&t).await;
    provision(&t, order, "101").await;
    let account = Arc::new(Mutex::new((String::new(), String::new())));
    let server = FakeServer::start(centovacast(account.clone())).await;
    t.load(json!({
        "services": {"centovacast_servers": [{"id": 1, "url": server.url, "secret": "x"}]},
        "catalog": {"products": [free_product(STREAM_PRODUCT, "centovacast", json!({"server_id": 1}))]},
    }))
    .await;
    let stream_order = t.order_service(DEMO_KEY, STREAM_PRODUCT, json!({})).await;
    let shown = t.service(DEMO_KEY, stream_order).await;
    *account.lock().unwrap() = (
        shown["username"].as_str().unwrap().into(),
        shown["pass"].as_str().unwrap().into(),
    );
    let _ = t.app.settings().await.unwrap();
    let calls = |r: Resp| {
        assert!(r.json["error"].is_null(), "{}", r.body);
        r.store_calls
    };
    let o = json!({"order_id": order});
    let with = |extra: Value| {
        let mut b = extra;
        b["order_id"] = json!(order);
        b
    };
    for (method, body, expected) in [
        ("reboot", o.clone(), 4),
        ("boot", o.clone(), 4),
        ("shutdown", o.clone(), 4),
        ("status", o.clone(), 3),
        ("info", o.clone(), 3),
        ("set_root_password", with(json!({"password": "abcd"})), 5),
        ("set_hostname", with(json!({"hostname": "h.example.com"})), 4),
        ("change_password", with(json!({"password": "abcd"})), 6),
        ("rebuild", with(json!({"template": "t"})), 4),
    ] {
        assert_eq!(
            calls(call(&t, DEMO_KEY, vps(method), body).await),
            expected,
            "servicesolusvm/{method}"
        );
    }
    let s = json!({"order_id": stream_order});
    for (method, expected) in [
        ("control_panel_url", 3),
        ("start", 4),
        ("stop", 4),
        ("restart", 4),
        ("reload", 4),
        ("getaccount", 3),
        ("getstatus", 3),
        ("getsongs", 3),
    ] {
        assert_eq!(
            calls(call(&t, DEMO_KEY, stream(method), s.clone()).await),
            expected,
            "servicecentovacast/{method}"
        );
    }
});
