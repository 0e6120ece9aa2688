//! API Gateway HTTP API (payload 2.0) events, as AWS hands them to a function.

use serde_json::{Value, json};

pub fn apigw_v2(method: &str, path: &str, headers: Value, cookies: Value, body: &str) -> Value {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let module = path.split('/').nth(3).unwrap_or("");
    let role = path.split('/').nth(2).unwrap_or("");
    let route = format!("ANY /api/{role}/{module}/{{method}}");
    json!({
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": query,
        "cookies": cookies,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.44", "userAgent": "test"},
            "requestId": "req-1",
            "routeKey": route,
            "stage": "$default",
            "time": "29/Nov/2026:04:00:00 +0000",
            "timeEpoch": 1795929600000i64
        },
        "pathParameters": {"method": path.rsplit('/').next().unwrap_or("")},
        "body": body,
        "isBase64Encoded": false
    })
}

/// A function binary of the workspace, built (debug) when it is not there yet.
pub fn function_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir").to_path_buf();
    let bin = dir.join(name);
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["build", "--quiet", "--bin", name])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .expect("cargo build");
        assert!(status.success(), "building {name} failed");
    }
    bin
}
