//! The Lambda event path: API Gateway HTTP API (payload 2.0) events through the adapter.

use bb_tests::*;
use lambda_http::Body;
use serde_json::{Value, json};

fn event(method: &str, path: &str, headers: Value, cookies: Value, body: &str) -> lambda_http::Request {
    let event = json!({
        "version": "2.0",
        "routeKey": format!("ANY /api/client/profile/{{method}}"),
        "rawPath": path,
        "rawQueryString": "",
        "cookies": cookies,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.44", "userAgent": "test"},
            "requestId": "req-1",
            "routeKey": "ANY /api/client/profile/{method}",
            "stage": "$default",
            "time": "29/Nov/2026:04:00:00 +0000",
            "timeEpoch": 1795929600000i64
        },
        "pathParameters": {"method": path.rsplit('/').next().unwrap_or("")},
        "body": body,
        "isBase64Encoded": false
    });
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
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("client:{DEMO_KEY}")));
    let req = event(
        "POST",
        "/api/client/profile/get",
        json!({"authorization": auth, "content-type": "application/json"}),
        json!([]),
        "{}",
    );
    let converted = bb_runtime::lambda::from_lambda(&req);
    assert_eq!(converted.source_ip.as_deref(), Some("192.0.2.44"), "sourceIp from the request context");
    assert_eq!(converted.path, "/api/client/profile/get");
    let resp = bb_runtime::lambda::handle(&t.app, req).await;
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
    let resp = bb_runtime::lambda::handle(&t.app, login).await;
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
    let resp = bb_runtime::lambda::handle(&t.app, req).await;
    assert_eq!(body_json(&resp), json!({"result": true, "error": null}));
    let req = event("GET", "/api/client/profile/get", json!({}), json!([cookie]), "");
    assert_eq!(body_json(&bb_runtime::lambda::handle(&t.app, req).await)["result"]["city"], "Lambda");

    // Errors keep their envelope and status through the adapter.
    let req = event("POST", "/api/client/profile/get", json!({}), json!([]), "");
    let resp = bb_runtime::lambda::handle(&t.app, req).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(body_json(&resp)["error"]["code"], 201);
});
