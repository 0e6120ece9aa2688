//! The three wire dialects against the same scenario, the envelope, headers, routing errors
//! and malformed input.

use bb_tests::*;
use serde_json::json;

/// Reads the profile, changes it, reads it back: the scenario every dialect must carry.
async fn scenario(t: &TestApp, send: &dyn Fn(Req) -> Req) {
    let before = t.call(send(Req::post("/api/client/profile/get"))).await;
    assert_eq!(before.ok()["email"], DEMO_EMAIL);
    let update = t
        .call(send(
            Req::post("/api/client/profile/update").form(&[("company", "Acme & Co"), ("custom_3", "x[1]=y")]),
        ))
        .await;
    assert_eq!(update.ok(), &json!(true));
    let after = t.call(send(Req::post("/api/client/profile/get"))).await;
    assert_eq!(after.ok()["company"], "Acme & Co");
    assert_eq!(after.ok()["custom_3"], "x[1]=y");
    assert_eq!(after.ok()["first_name"], "Demo", "fields not sent stay as they were");
}

both!(form_body_basic_and_cookie_jar, |t: TestApp| async move {
    // Service_BoxBilling: always POST form bodies, Basic client:<key>, and a cookie jar it
    // replays. Basic calls create no session, so the jar stays empty and harmless.
    let jar = std::sync::Mutex::new(Session::default());
    let send = |r: Req| jar.lock().unwrap().send(r).key(DEMO_KEY);
    scenario(&t, &send).await;
    let resp = t.call(send(Req::post("/api/client/profile/get").form(&[]))).await;
    jar.lock().unwrap().absorb(&resp);
    assert!(
        resp.headers_named("set-cookie").is_empty(),
        "Basic calls set no session cookie"
    );
});

both!(json_body_basic, |t: TestApp| async move {
    // laravel-boxbilling: JSON bodies with Basic auth.
    let send = |r: Req| r.key(DEMO_KEY).header("accept", "application/json");
    scenario(&t, &send).await;
    let resp = t
        .call(send(
            Req::post("/api/client/profile/update").json(json!({"city": "Kaunas", "phone_cc": 370})),
        ))
        .await;
    assert_eq!(resp.ok(), &json!(true));
    let got = t.call(send(Req::post("/api/client/profile/get").json(json!({})))).await;
    assert_eq!(
        (got.ok()["city"].clone(), got.ok()["phone_cc"].clone()),
        (json!("Kaunas"), json!("370"))
    );
});

both!(session_cookie_form_and_csrf_header, |t: TestApp| async move {
    // bb.post in a browser: login, then the session cookie with form bodies and the CSRF token.
    let mut jar = Session::default();
    let login = t
        .call(Req::post("/api/guest/client/login").form(&[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD)]))
        .await;
    let result = login.ok().clone();
    jar.absorb(&login);
    assert_eq!(result["id"], 1);
    assert_eq!(result["role"], "client");
    assert_eq!(result["name"], "Demo Client");
    assert_eq!(
        result["csrf_token"].as_str(),
        jar.csrf.as_deref(),
        "token in body and header"
    );
    let cookie = login.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let jar = std::sync::Mutex::new(jar);
    let send = |r: Req| jar.lock().unwrap().send_with_csrf(r);
    scenario(&t, &send).await;
});

both!(csrf_token_accepted_in_body_and_query, |t: TestApp| async move {
    let mut jar = Session::default();
    jar.absorb(
        &t.call(Req::post("/api/guest/client/login").json(json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD})))
            .await,
    );
    let token = jar.csrf.clone().unwrap();
    let in_json = t
        .call(jar.send(Req::post("/api/client/profile/update").json(json!({"city": "A", "CSRFToken": token}))))
        .await;
    assert_eq!(in_json.ok(), &json!(true));
    let in_query = t
        .call(jar.send(Req::post(&format!("/api/client/profile/update?CSRFToken={token}")).form(&[("city", "B")])))
        .await;
    assert_eq!(in_query.ok(), &json!(true));
    let got = t.call(jar.send(Req::get("/api/client/profile/get"))).await;
    assert_eq!(got.ok()["city"], "B");
    assert!(got.ok().get("CSRFToken").is_none());
});

both!(envelope_headers_and_status, |t: TestApp| async move {
    let ok = t.call(Req::get("/api/client/profile/get").key(DEMO_KEY)).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json["error"], json!(null));
    assert_eq!(ok.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(ok.header("cache-control"), Some("no-cache, must-revalidate"));
    assert_eq!(ok.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(ok.header("x-ratelimit-span"), Some("3600"));
    assert_eq!(ok.header("x-ratelimit-limit"), Some("1000"));
    assert_eq!(ok.header("x-ratelimit-remaining"), Some("999"));
    assert!(
        ok.header("access-control-allow-origin").is_none(),
        "no CORS on client routes"
    );
    let body: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["result", "error"]
    );

    let err = t.call(Req::get("/api/client/profile/get")).await;
    err.assert_err(401, 201, "Authentication Failed");
    assert_eq!(err.header("content-type"), Some("application/json; charset=utf-8"));
    let body: serde_json::Value = serde_json::from_str(&err.body).unwrap();
    assert_eq!(
        body,
        json!({"result": null, "error": {"message": "Authentication Failed", "code": 201}})
    );
});

both!(routing_errors, |t: TestApp| async move {
    let call = |path: &str| t.call(Req::post(path).key(DEMO_KEY).json(json!({})));
    call("/api/client/profile/nope").await.assert_err(
        404,
        740,
        "Client API call nope does not exist in module profile",
    );
    call("/api/guest/profile/get")
        .await
        .assert_err(404, 740, "Guest API call get does not exist in module profile");
    call("/api/client/nomodule/get").await.assert_err(
        404,
        715,
        "BoxBilling module nomodule is not installed/activated",
    );
    call("/api/superuser/profile/get")
        .await
        .assert_err(404, 701, "Unknow API call");
    call("/api/admin/profile/get")
        .await
        .assert_err(404, 701, "Unknow API call");
    call("/api/system/system/version")
        .await
        .assert_err(404, 701, "Unknow API call");
    call("/api/Client/profile/get")
        .await
        .assert_err(404, 701, "Unknow API call");
    let short = call("/api/client/profile").await;
    short.assert_err(404, 879, "Unknown API call client/profile");
    assert_eq!(
        short.header("x-ratelimit-remaining"),
        Some(""),
        "no counting before routing"
    );
    call("/api/client/profile/get/x")
        .await
        .assert_err(404, 879, "Unknown API call client/profile/get/x");
    call("/api/client/../admin/x")
        .await
        .assert_err(404, 879, "Unknown API call client/../admin/x");
    // Method names match case-insensitively, as in BoxBilling.
    assert_eq!(call("/api/client/Profile/GET").await.ok()["id"], 1);
    let put = t.call(Req::new("PUT", "/api/client/profile/get").key(DEMO_KEY)).await;
    put.assert_err(405, 405, "Method not allowed");
    assert_eq!(put.header("allow"), Some("GET, POST"));
    // Unauthenticated: authentication is checked before the module exists.
    t.call(Req::post("/api/client/nomodule/get"))
        .await
        .assert_err(401, 201, "Authentication Failed");
});

both!(malformed_and_oversized_bodies, |t: TestApp| async move {
    let send = |ct: &str, body: &[u8]| t.call(Req::post("/api/client/profile/update").key(DEMO_KEY).raw(ct, body));
    send("application/json", b"{\"city\": ")
        .await
        .assert_err(400, 400, "Malformed request");
    send("application/json", b"[1, 2]")
        .await
        .assert_err(400, 400, "Malformed request");
    send("application/json", b"\"text\"")
        .await
        .assert_err(400, 400, "Malformed request");
    send("application/x-www-form-urlencoded", b"{broken json")
        .await
        .assert_err(400, 400, "Malformed request");
    send("application/x-www-form-urlencoded", &[0x63, 0x3d, 0xff, 0xfe])
        .await
        .assert_err(400, 400, "Malformed request");
    send("application/x-www-form-urlencoded", b"city=%ZZ%C3")
        .await
        .assert_err(400, 400, "Malformed request");
    let big = vec![b'a'; 256 * 1024 + 1];
    send("application/x-www-form-urlencoded", &big)
        .await
        .assert_err(413, 413, "Request body is too large");
    // A JSON object with the form Content-Type (curl's default) is read as JSON.
    let ok = send("application/x-www-form-urlencoded", br#"{"city": "Riga"}"#).await;
    assert_eq!(ok.ok(), &json!(true));
    // Nothing half-written by the refused ones.
    let got = t.call(Req::get("/api/client/profile/get").key(DEMO_KEY)).await;
    assert_eq!(got.ok()["city"], "Riga");
});

both!(get_reads_the_query_string, |t: TestApp| async move {
    let r = t
        .call(Req::get("/api/client/profile/update?city=Tartu&custom_1[]=ignored").key(DEMO_KEY))
        .await;
    assert_eq!(r.err().1, "Parameter custom_1 must be a string");
    let r = t
        .call(Req::get("/api/client/profile/update?city=Tartu").key(DEMO_KEY))
        .await;
    assert_eq!(r.ok(), &json!(true));
    let got = t.call(Req::get("/api/client/profile/get").key(DEMO_KEY)).await;
    assert_eq!(got.ok()["city"], "Tartu");
});

// Clients test a connection with `guest/system/version`, as against BoxBilling.
both!(system_version_answers_the_product_version, |t: TestApp| async move {
    let got = t.call(Req::get("/api/guest/system/version")).await;
    assert_eq!(got.ok(), &serde_json::json!(env!("CARGO_PKG_VERSION")));
    let posted = t.call(Req::post("/api/guest/system/version")).await;
    assert_eq!(posted.ok(), &serde_json::json!(env!("CARGO_PKG_VERSION")));
});
