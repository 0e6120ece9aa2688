//! The README's first command: the local server from an empty data folder answers the
//! `curl` line it prints.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_server_answers_its_printed_curl() {
    let dir = tempfile::tempdir().unwrap();
    let started = bb_cli::serve::start(bb_cli::serve::Options {
        addr: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        backends: bb_runtime::backends::Choice::local(dir.path()),
    })
    .await
    .unwrap();
    assert!(started.banner.contains("demo data loaded"), "{}", started.banner);
    let line = started
        .banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("try: "))
        .expect("a curl line")
        .to_string();
    let args: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(args[0], "curl");
    let out = tokio::process::Command::new("curl")
        .args(&args[1..])
        .output()
        .await
        .expect("curl");
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON from the printed curl");
    assert_eq!(body["result"]["email"], bb_tests::DEMO_EMAIL);
    assert!(body["error"].is_null());

    // The OpenAPI document and the API answer on the same port; the demo data is not loaded twice.
    let base = format!("http://{}", started.addr);
    let doc: serde_json::Value = reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/guest/client/login"))
        .form(&[("email", bb_tests::DEMO_EMAIL), ("password", bb_tests::DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("set-cookie").is_some());
    let big = vec![b'x'; 300 * 1024];
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/client/profile/get"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    started.task.abort();
}

/// The demo's service products work offline: a domain at the Custom registrar, a hosting
/// account on the custom panel, and a download through the local server's signed link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_server_demo_services_work_offline() {
    let dir = tempfile::tempdir().unwrap();
    let started = bb_cli::serve::start(bb_cli::serve::Options {
        addr: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        backends: bb_runtime::backends::Choice::local(dir.path()),
    })
    .await
    .unwrap();
    let base = format!("http://{}", started.addr);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{base}{path}"))
            .basic_auth("client", Some(bb_tests::DEMO_KEY))
            .json(&body)
            .send()
    };
    let mut orders = Vec::new();
    for (product, config) in [
        (
            901,
            serde_json::json!({"register_sld": "mydemo", "register_tld": ".com"}),
        ),
        (
            902,
            serde_json::json!({"domain": {"action": "owndomain", "owndomain_sld": "mydemo", "owndomain_tld": ".net"}}),
        ),
        (904, serde_json::json!({})),
    ] {
        let mut body = config;
        body["id"] = serde_json::json!(product);
        let added: serde_json::Value = post("/api/guest/cart/add_item", body)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(added["result"], true, "{added}");
        let done: serde_json::Value = post("/api/client/cart/checkout", serde_json::json!({}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        orders.push(done["result"]["order_id"].as_i64().expect("order id"));
    }
    let locked: serde_json::Value = post(
        "/api/client/servicedomain/lock",
        serde_json::json!({"order_id": orders[0]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(locked["result"], true, "{locked}");
    let changed: serde_json::Value = post(
        "/api/client/servicehosting/change_password",
        serde_json::json!({"order_id": orders[1], "password": "Demo-pass1", "password_confirm": "Demo-pass1"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(changed["result"], true, "{changed}");
    let sent = post(
        "/api/client/servicedownloadable/send_file",
        serde_json::json!({"order_id": orders[2]}),
    )
    .await
    .unwrap();
    assert_eq!(sent.status().as_u16(), 302);
    let link = sent.headers().get("location").unwrap().to_str().unwrap().to_string();
    let file = reqwest::get(&link).await.unwrap();
    assert_eq!(file.status().as_u16(), 200, "{link}");
    assert!(
        file.text()
            .await
            .unwrap()
            .contains("servicedownloadable/send_file works")
    );
    started.task.abort();
}

/// `bb <command> --help` explains the command and starts nothing (it used to start a server).
#[test]
fn command_help_explains_without_running() {
    let bb = bb_tests::events::function_binary("bb");
    let dir = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (vec!["serve", "--help"], "bb serve [--addr"),
        (vec!["invoice", "pay", "-h"], "bb invoice pay <hash>"),
        (vec!["help", "mail"], "bb mail retry"),
    ] {
        let out = std::process::Command::new(&bb)
            .args(&args)
            .env("BB_DATA_DIR", dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains(expected), "{args:?}: {text}");
    }
    assert!(!dir.path().join("bb.sqlite3").exists(), "no command ran");
    let unknown = std::process::Command::new(&bb)
        .args(["frobnicate", "--help"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
}
