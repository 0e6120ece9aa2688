//! Authentication failures, account state, credential lifecycle, CSRF and rate limits.

use bb_tests::*;
use serde_json::json;

fn profile() -> Req {
    Req::post("/api/client/profile/get").json(json!({}))
}

async fn login(t: &TestApp, email: &str, password: &str) -> Session {
    let mut jar = Session::default();
    let resp = t
        .call(Req::post("/api/guest/client/login").json(json!({"email": email, "password": password})))
        .await;
    resp.ok();
    jar.absorb(&resp);
    jar
}

both!(every_basic_failure_code, |t: TestApp| async move {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let with_auth = |v: String| profile().header("authorization", &v);
    t.call(profile()).await.assert_err(401, 201, "Authentication Failed");
    t.call(with_auth("Bearer abc".into()))
        .await
        .assert_err(401, 201, "Authentication Failed");
    t.call(with_auth(format!("Basic {}", b64(":key"))))
        .await
        .assert_err(401, 201, "Authentication Failed");
    t.call(with_auth(format!("Basic {}", b64("client"))))
        .await
        .assert_err(401, 202, "Authentication Failed");
    t.call(with_auth(format!("Basic {}", b64("admin:x"))))
        .await
        .assert_err(401, 203, "Authentication Failed");
    t.call(with_auth(format!("Basic {}", b64("guest:x"))))
        .await
        .assert_err(401, 203, "Authentication Failed");
    t.call(with_auth(format!("Basic {}", b64("Client:x"))))
        .await
        .assert_err(401, 203, "Authentication Failed");
    t.call(profile().key("wrong-key"))
        .await
        .assert_err(401, 204, "Authentication Failed");
    t.call(profile().key(&"k".repeat(5000)))
        .await
        .assert_err(401, 204, "Authentication Failed");
    t.call(profile().key(""))
        .await
        .assert_err(401, 206, "Authentication Failed");
    t.call(with_auth("Basic !!!".into()))
        .await
        .assert_err(401, 201, "Authentication Failed");
    // A stale or forged session cookie.
    t.call(profile().header("cookie", "bb_session=forged"))
        .await
        .assert_err(401, 201, "Authentication Failed");
});

both!(basic_wins_over_a_cookie_of_another_client, |t: TestApp| async move {
    let other = login(&t, OTHER_EMAIL, OTHER_PASSWORD).await;
    let resp = t.call(other.send(profile()).key(DEMO_KEY)).await;
    assert_eq!(
        resp.ok()["email"],
        DEMO_EMAIL,
        "one request, one identity: the Basic one"
    );
    let resp = t.call(other.send(profile())).await;
    assert_eq!(resp.ok()["email"], OTHER_EMAIL);
});

both!(suspended_client_is_refused_at_once, |t: TestApp| async move {
    let jar = login(&t, DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(t.call(jar.send(profile())).await.ok()["id"], 1);
    bb_cli::ops::set_client_status(&t.app, 1, "suspended").await.unwrap();
    t.call(profile().key(DEMO_KEY))
        .await
        .assert_err(401, 204, "Authentication Failed");
    t.call(jar.send(profile()))
        .await
        .assert_err(401, 201, "Authentication Failed");
    let relogin = t
        .call(Req::post("/api/guest/client/login").json(json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD})))
        .await;
    relogin.assert_err(200, 403, "Please check your login details");
    // Reactivated: the key works again; ended sessions stay ended.
    bb_cli::ops::set_client_status(&t.app, 1, "active").await.unwrap();
    assert_eq!(t.call(profile().key(DEMO_KEY)).await.ok()["id"], 1);
    t.call(jar.send(profile()))
        .await
        .assert_err(401, 201, "Authentication Failed");
    // The other client was never affected.
    assert_eq!(t.call(profile().key(OTHER_KEY)).await.ok()["id"], 2);
});

both!(reset_key_revokes_the_old_one, |t: TestApp| async move {
    let reset = t
        .call(Req::post("/api/client/profile/api_key_reset").key(DEMO_KEY))
        .await;
    let new_key = reset.ok().as_str().unwrap().to_string();
    assert_eq!(new_key.len(), 32);
    assert!(new_key.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(new_key, DEMO_KEY);
    t.call(profile().key(DEMO_KEY))
        .await
        .assert_err(401, 204, "Authentication Failed");
    assert_eq!(t.call(profile().key(&new_key)).await.ok()["id"], 1);
    let shown = t.call(Req::post("/api/client/profile/api_key_get").key(&new_key)).await;
    assert_eq!(shown.ok(), &json!(new_key));
    // The key is never part of the profile.
    let body = t.call(profile().key(&new_key)).await.body;
    assert!(!body.contains(&new_key));
});

both!(csrf_is_required_for_cookie_writes_only, |t: TestApp| async move {
    let jar = login(&t, DEMO_EMAIL, DEMO_PASSWORD).await;
    let update = || Req::post("/api/client/profile/update").form(&[("city", "Nowhere")]);
    t.call(jar.send(update()))
        .await
        .assert_err(403, 403, "Invalid CSRF token");
    t.call(jar.send(update()).header("x-csrf-token", "wrong"))
        .await
        .assert_err(403, 403, "Invalid CSRF token");
    // The other client's valid token does not fit this session.
    let other = login(&t, OTHER_EMAIL, OTHER_PASSWORD).await;
    let theirs = other.csrf.clone().unwrap();
    t.call(jar.send(update()).header("x-csrf-token", &theirs))
        .await
        .assert_err(403, 403, "Invalid CSRF token");
    let got = t.call(jar.send(profile())).await;
    assert_ne!(got.ok()["city"], "Nowhere", "refused writes changed nothing");
    // Reads need no token; Basic calls are exempt.
    assert_eq!(t.call(update().key(DEMO_KEY)).await.ok(), &json!(true));
    assert_eq!(t.call(jar.send_with_csrf(update())).await.ok(), &json!(true));
});

both!(login_rotates_and_logout_ends_the_session, |t: TestApp| async move {
    let first = login(&t, DEMO_EMAIL, DEMO_PASSWORD).await;
    // Logging in again from the same browser replaces its session.
    let mut second = Session::default();
    let resp = t
        .call(
            first.send(
                Req::post("/api/guest/client/login").json(json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD})),
            ),
        )
        .await;
    second.absorb(&resp);
    assert_ne!(first.cookies, second.cookies);
    t.call(first.send(profile()))
        .await
        .assert_err(401, 201, "Authentication Failed");
    assert_eq!(t.call(second.send(profile())).await.ok()["id"], 1);
    let out = t
        .call(second.send_with_csrf(Req::post("/api/client/profile/logout")))
        .await;
    assert_eq!(out.ok(), &json!(true));
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    t.call(second.send(profile()))
        .await
        .assert_err(401, 201, "Authentication Failed");
    // Logout with a key ends nothing and answers true.
    assert_eq!(
        t.call(Req::post("/api/client/profile/logout").key(DEMO_KEY)).await.ok(),
        &json!(true)
    );
    assert_eq!(t.call(profile().key(DEMO_KEY)).await.ok()["id"], 1);
});

both!(idle_sessions_expire, |t: TestApp| async move {
    let jar = login(&t, DEMO_EMAIL, DEMO_PASSWORD).await;
    t.clock.advance(time::Duration::minutes(119));
    assert_eq!(
        t.call(jar.send(profile())).await.ok()["id"],
        1,
        "activity slides the idle window"
    );
    t.clock.advance(time::Duration::minutes(119));
    assert_eq!(t.call(jar.send(profile())).await.ok()["id"], 1);
    t.clock.advance(time::Duration::minutes(121));
    t.call(jar.send(profile()))
        .await
        .assert_err(401, 201, "Authentication Failed");
});

both!(
    sessions_end_after_a_day_whatever_the_activity,
    |t: TestApp| async move {
        let jar = login(&t, DEMO_EMAIL, DEMO_PASSWORD).await;
        for _ in 0..13 {
            t.clock.advance(time::Duration::minutes(110));
            t.call(jar.send(profile())).await.ok();
        }
        t.clock.advance(time::Duration::minutes(110));
        t.call(jar.send(profile()))
            .await
            .assert_err(401, 201, "Authentication Failed");
    }
);

both!(login_failures_look_alike, |t: TestApp| async move {
    let try_login = |email: &str, password: &str| {
        t.call(Req::post("/api/guest/client/login").json(json!({"email": email, "password": password})))
    };
    try_login(DEMO_EMAIL, "wrong")
        .await
        .assert_err(200, 403, "Please check your login details");
    try_login("nobody@example.com", "whatever1")
        .await
        .assert_err(200, 403, "Please check your login details");
    try_login("DEMO@Example.com", DEMO_PASSWORD).await.ok();
    t.call(Req::post("/api/guest/client/login").json(json!({"password": "x"})))
        .await
        .assert_err(200, 9999, "Email required");
    t.call(Req::post("/api/guest/client/login").json(json!({"email": DEMO_EMAIL})))
        .await
        .assert_err(200, 9999, "Password required");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_per_ip_rejects_with_retry_after() {
    let t = TestApp::with_config(Backend::Sqlite, |c| c.rate.limit = 3).await;
    let catalogue = || {
        Req::post("/api/guest/product/get_list")
            .json(json!({}))
            .from_ip("203.0.113.9")
    };
    for n in 0..3 {
        assert_eq!(t.call(catalogue()).await.status, 200, "call {n}");
    }
    let r = t.call(catalogue()).await;
    r.assert_err(429, 429, "Too many requests. Please try again later.");
    let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    // A forged X-Forwarded-For does not make a new caller.
    let spoofed = t.call(catalogue().header("x-forwarded-for", "192.0.2.1")).await;
    assert_eq!(spoofed.status, 429);
    // Another address is its own caller; the next window starts afresh.
    assert_eq!(
        t.call(
            Req::post("/api/guest/product/get_list")
                .json(json!({}))
                .from_ip("203.0.113.10")
        )
        .await
        .status,
        200
    );
    t.clock.advance(time::Duration::seconds(3600));
    assert_eq!(t.call(catalogue()).await.status, 200);
}

// An authenticated call counts on its credential alone (one store call for authentication and
// limits); guessing credentials still costs the address its allowance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authenticated_calls_count_per_client_and_failed_ones_per_address() {
    let t = TestApp::with_config(Backend::Sqlite, |c| c.rate.limit = 3).await;
    for n in 0..6 {
        let r = t.call(profile().key(DEMO_KEY).from_ip("203.0.113.9")).await;
        assert_eq!(r.status, 200, "authenticated call {n} is not counted per address");
        assert_eq!(r.store_calls, 2, "the credential's update and the read");
    }
    for n in 0..3 {
        let r = t
            .call(profile().key("WrongKey00000000000000000000000").from_ip("203.0.113.9"))
            .await;
        assert_eq!(r.status, 401, "failed authentication {n}");
    }
    let r = t
        .call(profile().key("WrongKey00000000000000000000000").from_ip("203.0.113.9"))
        .await;
    r.assert_err(429, 429, "Too many requests. Please try again later.");
    // The guesses spent the address's allowance, not the client's.
    assert_eq!(t.call(profile().key(DEMO_KEY).from_ip("203.0.113.9")).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_per_client_across_addresses() {
    let t = TestApp::with_config(Backend::Sqlite, |c| c.rate.client_limit = 2).await;
    for n in 0..2 {
        assert_eq!(
            t.call(profile().key(DEMO_KEY).from_ip(&format!("203.0.113.{n}")))
                .await
                .status,
            200
        );
    }
    let r = t.call(profile().key(DEMO_KEY).from_ip("203.0.113.50")).await;
    r.assert_err(429, 429, "Too many requests. Please try again later.");
    assert!(r.header("retry-after").is_some());
    assert_eq!(
        t.call(profile().key(OTHER_KEY).from_ip("203.0.113.50")).await.status,
        200,
        "per client"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_has_a_tighter_limit() {
    let t = TestApp::with_config(Backend::Sqlite, |c| c.rate.login_limit = 2).await;
    let attempt = || Req::post("/api/guest/client/login").json(json!({"email": DEMO_EMAIL, "password": "wrong"}));
    for _ in 0..2 {
        t.call(attempt())
            .await
            .assert_err(200, 403, "Please check your login details");
    }
    let r = t.call(attempt()).await;
    r.assert_err(429, 429, "Too many requests. Please try again later.");
    assert_eq!(r.header("x-ratelimit-span"), Some("60"));
    // Ordinary calls from the same address are not held back by the login allowance.
    assert_eq!(t.call(profile().key(DEMO_KEY)).await.status, 200);
    t.clock.advance(time::Duration::seconds(61));
    t.call(attempt())
        .await
        .assert_err(200, 403, "Please check your login details");
}
