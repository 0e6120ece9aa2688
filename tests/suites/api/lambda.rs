//! The Lambda event path: API Gateway HTTP API (payload 2.0) events through the adapter.

use bb_tests::*;
use lambda_http::Body;
use serde_json::{Value, json};

fn event(method: &str, path: &str, headers: Value, cookies: Value, body: &str) -> lambda_http::Request {
    let event = bb_tests::events::apigw_v2(method, path, headers, cookies, body);
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
}

fn body_json(resp: &lambda_http::Response<Body>) -> Value {
    match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}

both!(api_gateway_events_reach_the_pipeline, |t: TestApp| async move {
    use base64::Engine;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("client:{DEMO_KEY}"))
    );
    let req = event(
        "POST",
        "/api/client/profile/get",
        json!({"authorization": auth, "content-type": "application/json"}),
        json!([]),
        "{}",
    );
    let converted = bb_runtime::lambda::from_lambda(&req);
    assert_eq!(
        converted.source_ip.as_deref(),
        Some("192.0.2.44"),
        "sourceIp from the request context"
    );
    assert_eq!(converted.path, "/api/client/profile/get");
    let resp = bb_runtime::lambda::handle(&t.api, req).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json; charset=utf-8");
    assert_eq!(body_json(&resp)["result"]["email"], DEMO_EMAIL);

    // Login through an event: the cookie comes back as Set-Cookie, which lambda_http turns
    // into the payload's `cookies`; the next event carries it in `cookies`.
    let login = event(
        "POST",
        "/api/guest/client/login",
        json!({"content-type": "application/x-www-form-urlencoded"}),
        json!([]),
        &format!("email={DEMO_EMAIL}&password={DEMO_PASSWORD}"),
    );
    let resp = bb_runtime::lambda::handle(&t.api, login).await;
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let csrf = resp.headers()["x-csrf-token"].to_str().unwrap().to_string();
    let req = event(
        "POST",
        "/api/client/profile/update",
        json!({"content-type": "application/json", "x-csrf-token": csrf}),
        json!([cookie]),
        r#"{"city":"Lambda"}"#,
    );
    let resp = bb_runtime::lambda::handle(&t.api, req).await;
    assert_eq!(body_json(&resp), json!({"result": true, "error": null}));
    let req = event("GET", "/api/client/profile/get", json!({}), json!([cookie]), "");
    assert_eq!(
        body_json(&bb_runtime::lambda::handle(&t.api, req).await)["result"]["city"],
        "Lambda"
    );

    // Errors keep their envelope and status through the adapter.
    let req = event("POST", "/api/client/profile/get", json!({}), json!([]), "");
    let resp = bb_runtime::lambda::handle(&t.api, req).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(body_json(&resp)["error"]["code"], 201);
});

/// The shipped shape: a function binary started as Lambda starts it, answering events that
/// arrive through the Runtime API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_binary_answers_through_the_runtime_api() {
    use bb_runtime::backends::{self, Choice};
    let dir = tempfile::tempdir().unwrap();
    let config = bb_core::config::Config::default();
    let built = backends::build(&Choice::local(dir.path()), &config).await.unwrap();
    let app = backends::app(&built, config, std::sync::Arc::new(bb_core::clock::SystemClock)).unwrap();
    for (name, text) in [("base", bb_cli::fixtures::BASE), ("demo", bb_cli::fixtures::DEMO)] {
        bb_cli::fixtures::load(&app, &bb_cli::fixtures::parse(text).unwrap(), name)
            .await
            .unwrap();
    }
    let api = bb_tests::runtime_api::RuntimeApi::start().await;
    let _function = start_function("profile", &api, dir.path());
    api.wait_for_first_poll().await;
    use base64::Engine;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("client:{DEMO_KEY}"))
    );
    let event = bb_tests::events::apigw_v2(
        "POST",
        "/api/client/profile/get",
        json!({"authorization": auth}),
        json!([]),
        "",
    );
    let out = api.invoke(&event).await;
    assert_eq!(out["statusCode"], 200, "{out}");
    let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["result"]["email"], DEMO_EMAIL);
    assert_eq!(out["headers"]["x-content-type-options"], "nosniff");
    // This function serves its own module only.
    let event = bb_tests::events::apigw_v2("POST", "/api/guest/client/login", json!({}), json!([]), "");
    let out = api.invoke(&event).await;
    assert_eq!(out["statusCode"], 404);
    let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["error"]["code"], 715);

    // The catch-all function answers what no module route matches, as BoxBilling would.
    let fallback_api = bb_tests::runtime_api::RuntimeApi::start().await;
    let _fallback = start_function("fallback", &fallback_api, dir.path());
    fallback_api.wait_for_first_poll().await;
    for (path, auth, code) in [
        ("/api/client/profile", None, 879),
        ("/api/superuser/profile/get", None, 701),
        ("/api/client/nomodule/get", Some(auth.clone()), 715),
        ("/api/client/nomodule/get", None, 201),
        ("/favicon.ico", None, 879),
    ] {
        let headers = auth.map_or_else(|| json!({}), |a| json!({"authorization": a}));
        let out = fallback_api
            .invoke(&bb_tests::events::apigw_v2("GET", path, headers, json!([]), ""))
            .await;
        let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["error"]["code"], code, "{path}: {out}");
    }
}

fn start_function(
    name: &str,
    api: &bb_tests::runtime_api::RuntimeApi,
    data: &std::path::Path,
) -> tokio::process::Child {
    tokio::process::Command::new(bb_tests::events::function_binary(name))
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("BB_DATA_DIR", data)
        // As deployed: queued mail leaves through the stream, not an in-process worker.
        .env("BB_MAIL_DELIVERY", "stream")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// The stream-triggered mailer: queued mail items written by an action are delivered from the
/// stream records and marked sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mailer_function_delivers_queued_mail_from_stream_records() {
    use bb_core::store::{Query, query_all};
    use bb_runtime::backends::{self, Choice};
    let dir = tempfile::tempdir().unwrap();
    let config = bb_core::config::Config {
        mail_delivery: bb_core::notifier::DeliveryMode::Stream,
        ..bb_core::config::Config::default()
    };
    let built = backends::build(&Choice::local(dir.path()), &config).await.unwrap();
    let app = backends::app(&built, config, std::sync::Arc::new(bb_core::clock::SystemClock)).unwrap();
    bb_cli::fixtures::load(&app, &bb_cli::fixtures::parse(bb_cli::fixtures::BASE).unwrap(), "base")
        .await
        .unwrap();
    let signup = Req::post("/api/guest/client/create")
        .json(json!({"email": "stream@example.com", "first_name": "Stream",
        "password": "Stream1234", "password_confirm": "Stream1234"}));
    let api = bb_core::pipeline::Api::new(app.clone(), bb_cli::registry());
    let id = Resp::from(api.handle(signup.into_api()).await).ok().as_i64().unwrap();
    app.mail_dispatch.flush().await;
    let outbox = bb_local::OutboxMailer::new(&dir.path().join("outbox")).unwrap();
    assert!(outbox.read_all().is_empty(), "stream mode sends nothing in process");
    let mut images = query_all(
        app.store.as_ref(),
        Query::partition(bb_core::keys::client_partition(id))
            .sk(bb_core::store::listing::Listing::records_of("EMAIL#")),
    )
    .await
    .unwrap();
    images.extend(
        query_all(
            app.store.as_ref(),
            Query::partition("STAFF").sk(bb_core::store::listing::Listing::records_of("EMAIL#")),
        )
        .await
        .unwrap(),
    );
    assert_eq!(images.len(), 2);
    let record = |event: &str, item: &bb_core::store::Item| json!({"eventName": event, "dynamodb": {"NewImage": Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_tagged())).collect())}});
    let mut records: Vec<Value> = images.iter().map(|i| record("INSERT", i)).collect();
    records.push(record("MODIFY", &images[0])); // updates are not deliveries
    let api = bb_tests::runtime_api::RuntimeApi::start().await;
    let _mailer = start_function("mailer", &api, dir.path());
    api.wait_for_first_poll().await;
    let out = api.invoke(&json!({"Records": records})).await;
    assert_eq!(out, json!({"batchItemFailures": []}));
    let sent = outbox.read_all();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().any(|m| m.to == "stream@example.com"));
    let after = query_all(
        app.store.as_ref(),
        Query::partition(bb_core::keys::client_partition(id))
            .sk(bb_core::store::listing::Listing::records_of("EMAIL#")),
    )
    .await
    .unwrap();
    let log: bb_core::notifier::EmailLog = bb_core::store::from_item(&after[0]).unwrap();
    assert_eq!(log.status, bb_core::notifier::MailStatus::Sent);
    // The stream delivers records again after a failure: a redelivered record sends nothing.
    let again = api.invoke(&json!({"Records": records})).await;
    assert_eq!(again, json!({"batchItemFailures": []}));
    assert_eq!(outbox.read_all().len(), 2, "each mail once");
}

/// In AWS a forum post's fan-out job arrives through the stream too: the mailer expands it into
/// mail items (which the stream brings back for delivery).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mailer_function_expands_fanout_jobs_from_stream_records() {
    use bb_core::store::{Query, query_all};
    use bb_runtime::backends::{self, Choice};
    let dir = tempfile::tempdir().unwrap();
    let config = bb_core::config::Config {
        mail_delivery: bb_core::notifier::DeliveryMode::Stream,
        ..bb_core::config::Config::default()
    };
    let built = backends::build(&Choice::local(dir.path()), &config).await.unwrap();
    let app = backends::app(&built, config, std::sync::Arc::new(bb_core::clock::SystemClock)).unwrap();
    for (name, text) in [("base", bb_cli::fixtures::BASE), ("demo", bb_cli::fixtures::DEMO)] {
        bb_cli::fixtures::load(&app, &bb_cli::fixtures::parse(text).unwrap(), name)
            .await
            .unwrap();
    }
    let api = bb_core::pipeline::Api::new(app.clone(), bb_cli::registry());
    let call = |key: &str, path: &str, body: Value| api.handle(Req::post(path).key(key).json(body).into_api());
    let topic = Resp::from(
        call(
            DEMO_KEY,
            "/api/client/forum/start_topic",
            json!({"forum_id": 2, "topic": "Streams", "message": "Hello stream"}),
        )
        .await,
    );
    let topic = topic.ok().clone();
    Resp::from(call(OTHER_KEY, "/api/client/forum/subscribe", json!({"id": topic})).await).ok();
    Resp::from(
        call(
            DEMO_KEY,
            "/api/client/forum/post_message",
            json!({"forum_topic_id": topic, "message": "News!"}),
        )
        .await,
    )
    .ok();
    app.mail_dispatch.flush().await;
    let jobs = query_all(app.store.as_ref(), Query::partition(format!("FANOUT#forum-{topic}-2")))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "the post wrote its fan-out job");
    let record = |item: &bb_core::store::Item| json!({"eventName": "INSERT", "dynamodb": {"NewImage": Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_tagged())).collect())}});
    let api = bb_tests::runtime_api::RuntimeApi::start().await;
    let _mailer = start_function("mailer", &api, dir.path());
    api.wait_for_first_poll().await;
    assert_eq!(
        api.invoke(&json!({"Records": [record(&jobs[0])]})).await,
        json!({"batchItemFailures": []})
    );
    // The job wrote one queued mail item for the subscriber (not the author)...
    let queued = query_all(
        app.store.as_ref(),
        Query::partition(bb_core::keys::client_partition(2)).sk(bb_core::store::listing::Listing::records_of("EMAIL#")),
    )
    .await
    .unwrap();
    assert_eq!(queued.len(), 1);
    assert!(
        query_all(
            app.store.as_ref(),
            Query::partition(bb_core::keys::client_partition(1))
                .sk(bb_core::store::listing::Listing::records_of("EMAIL#"))
        )
        .await
        .unwrap()
        .is_empty()
    );
    // ...which the stream brings back for delivery; a replayed job sends nothing twice.
    assert_eq!(
        api.invoke(&json!({"Records": [record(&queued[0]), record(&jobs[0])]}))
            .await,
        json!({"batchItemFailures": []})
    );
    let sent = bb_local::OutboxMailer::new(&dir.path().join("outbox"))
        .unwrap()
        .read_all();
    assert_eq!(sent.iter().filter(|m| m.to == OTHER_EMAIL).count(), 1);
    let again = query_all(
        app.store.as_ref(),
        Query::partition(bb_core::keys::client_partition(2)).sk(bb_core::store::listing::Listing::records_of("EMAIL#")),
    )
    .await
    .unwrap();
    assert_eq!(again.len(), 1, "the replayed job found its work done");
}
