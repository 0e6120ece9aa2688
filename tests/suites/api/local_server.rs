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
