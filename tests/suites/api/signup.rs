//! `guest/client/create` and the e-mails it sends through the notifier.

use bb_tests::*;
use serde_json::{Value, json};

fn signup(body: Value) -> Req {
    Req::post("/api/guest/client/create").json(body)
}

fn john() -> Value {
    json!({"email": "John@Example.com", "first_name": "john ronald", "last_name": "Doe",
           "password": "Secret12345!", "password_confirm": "Secret12345!", "country": "LT"})
}

both!(required_parameters_in_order, |t: TestApp| async move {
    t.call(signup(json!({}))).await.assert_err(200, 9999, "Email required");
    t.call(signup(json!({"email": "john@example.com"})))
        .await
        .assert_err(200, 9999, "First name required");
    t.call(signup(json!({"email": "j@example.com", "first_name": "J"})))
        .await
        .assert_err(200, 9999, "Password required");
    t.call(signup(
        json!({"email": "j@example.com", "first_name": "J", "password": "Secret123"}),
    ))
    .await
    .assert_err(200, 9999, "Password confirmation required");
    t.call(signup(
        json!({"email": "j@example.com", "first_name": "J", "password": "Secret123", "password_confirm": "Secret124"}),
    ))
    .await
    .assert_err(200, 9999, "Passwords do not match.");
    t.call(signup(
        json!({"email": "j@example.com", "first_name": "J", "password": "abc", "password_confirm": "abc"}),
    ))
    .await
    .assert_err(200, 9999, "Password too short!");
    t.call(signup(
        json!({"email": "not-mail", "first_name": "J", "password": "Secret123", "password_confirm": "Secret123"}),
    ))
    .await
    .assert_err(200, 9999, "Email is not valid");
    t.call(signup(json!({"email": "  ", "first_name": "J"})))
        .await
        .assert_err(200, 9999, "Email required");
});

both!(creates_an_active_client_and_sends_mail, |t: TestApp| async move {
    let id = t.call(signup(john())).await.ok().as_i64().unwrap();
    assert!(id > 2, "ids continue after the fixtures' clients");
    let mut jar = Session::default();
    let login = t
        .call(
            Req::post("/api/guest/client/login").json(json!({"email": "john@example.com", "password": "Secret12345!"})),
        )
        .await;
    jar.absorb(&login);
    let me = t.call(jar.send(Req::post("/api/client/profile/get"))).await;
    let me = me.ok();
    assert_eq!(me["id"], id);
    assert_eq!(me["email"], "john@example.com", "stored lower-cased");
    assert_eq!(me["first_name"], "John Ronald", "words capitalised as BoxBilling does");
    assert_eq!(me["country"], "LT");
    let mail = t.sent_mail().await;
    let welcome = mail.iter().find(|m| m.to == "john@example.com").expect("welcome mail");
    assert_eq!(welcome.subject, "Welcome to Demo Hosting Ltd");
    assert!(welcome.body.contains("John Ronald"), "{}", welcome.body);
    assert!(!welcome.body.contains("Secret12345!"), "no password in e-mail");
    let staff = mail.iter().find(|m| m.to == "staff@example.com").expect("staff mail");
    assert_eq!(staff.subject, format!("New client #{id}: John Ronald Doe"));
    assert_eq!(mail.len(), 2, "each notice exactly once");
});

both!(duplicate_email_is_refused_whatever_its_case, |t: TestApp| async move {
    let id = t.call(signup(john())).await.ok().clone();
    let mut again = john();
    again["email"] = json!("JOHN@example.COM");
    again["password"] = json!("Another12345");
    again["password_confirm"] = json!("Another12345");
    t.call(signup(again)).await.assert_err(
        200,
        9999,
        "Email is already registered. You may want to login instead of registering.",
    );
    // The same sign-up sent again (its answer was lost) answers the account it made.
    assert_eq!(t.call(signup(john())).await.ok(), &id);
    t.clock.advance(time::Duration::days(1));
    t.call(signup(john())).await.assert_err(
        200,
        9999,
        "Email is already registered. You may want to login instead of registering.",
    );
    let mut demo = john();
    demo["email"] = json!(DEMO_EMAIL);
    t.call(signup(demo)).await.assert_err(
        200,
        9999,
        "Email is already registered. You may want to login instead of registering.",
    );
});

both!(auto_login_starts_a_session, |t: TestApp| async move {
    let mut body = john();
    body["auto_login"] = json!("1");
    let resp = t.call(signup(body)).await;
    let id = resp.ok().as_i64().unwrap();
    let mut jar = Session::default();
    jar.absorb(&resp);
    assert!(jar.csrf.is_some());
    assert_eq!(
        t.call(jar.send(Req::post("/api/client/profile/get"))).await.ok()["id"],
        id
    );
});

both!(guests_cannot_set_admin_fields, |t: TestApp| async move {
    let mut body = john();
    body["group_id"] = json!(5);
    body["status"] = json!("active");
    body["created_at"] = json!("2001-01-01 00:00:00");
    body["auth_type"] = json!("admin");
    body["aid"] = json!("X");
    let id = t.call(signup(body)).await.ok().as_i64().unwrap();
    let mut jar = Session::default();
    jar.absorb(
        &t.call(
            Req::post("/api/guest/client/login").json(json!({"email": "john@example.com", "password": "Secret12345!"})),
        )
        .await,
    );
    let me = t
        .call(jar.send(Req::post("/api/client/profile/get")))
        .await
        .ok()
        .clone();
    assert_eq!(me["id"], id);
    assert_eq!(me["group_id"], Value::Null);
    assert_eq!(me["aid"], Value::Null);
    assert_ne!(me["created_at"], "2001-01-01 00:00:00");
});

both!(operator_settings_govern_signup, |t: TestApp| async move {
    let settings = bb_cli::fixtures::parse(
        r#"{"settings": {"mod_client": {"allow_signup": true, "required": ["phone", "city"],
            "custom_fields": {"custom_1": {"active": true, "required": true, "title": "Tax office"}}}}}"#,
    )
    .unwrap();
    bb_cli::fixtures::load(&t.app, &settings, "rules").await.unwrap();
    t.call(signup(john()))
        .await
        .assert_err(200, 9999, "It is required that you provide details for field \"Phone\"");
    let mut body = john();
    body["phone"] = json!("555");
    body["city"] = json!("Vilnius");
    t.call(signup(body.clone())).await.assert_err(
        200,
        9999,
        "It is required that you provide details for field \"Tax office\"",
    );
    body["custom_1"] = json!("Vilnius 1");
    t.call(signup(body)).await.ok();
    let closed = bb_cli::fixtures::parse(r#"{"settings": {"mod_client": {"allow_signup": false}}}"#).unwrap();
    bb_cli::fixtures::load(&t.app, &closed, "closed").await.unwrap();
    let mut other = john();
    other["email"] = json!("late@example.com");
    t.call(signup(other))
        .await
        .assert_err(200, 9999, "New registrations are temporary disabled");
});

both!(failed_sends_never_fail_the_signup, |t: TestApp| async move {
    t.fail_mail(true);
    let id = t.call(signup(john())).await.ok().as_i64().unwrap();
    assert!(t.sent_mail().await.is_empty(), "delivery was attempted and refused");
    // The e-mail log holds the message as failed (email/* will show and resend it).
    let items = bb_core::store::query_all(
        t.app.store.as_ref(),
        bb_core::store::Query::partition(bb_core::keys::client_partition(id)).sk(
            bb_core::store::listing::Listing::records_of(bb_core::keys::EMAIL_LOG_PREFIX),
        ),
    )
    .await
    .unwrap();
    assert_eq!(items.len(), 1);
    let log: bb_core::notifier::EmailLog = bb_core::store::from_item(&items[0]).unwrap();
    assert_eq!(log.status, bb_core::notifier::MailStatus::Failed);
    assert_eq!(log.recipients, "john@example.com");
    assert!(log.error.unwrap().contains("refused"));
    assert!(log.gave_up, "a refused message is not tried again by itself");
    // The unsent index finds it, and the staff notice that failed too.
    let unsent = || bb_core::notifier::unsent(t.app.store.as_ref(), None, 100);
    assert_eq!(unsent().await.unwrap().0.len(), 2);
    // Once the transport works again, the operator's retry sends them and empties the index.
    t.fail_mail(false);
    assert_eq!(
        bb_cli::ops::retry_mail(&t.app).await.unwrap(),
        bb_cli::ops::MailRetry::Sent {
            sent: 2,
            failing: 0,
            busy: 0
        }
    );
    assert_eq!(t.sent_mail().await.len(), 2);
    assert!(unsent().await.unwrap().0.is_empty());
    // A delivered message leaves the index.
    let mut body = john();
    body["email"] = json!("second@example.com");
    let second = t.call(signup(body)).await.ok().as_i64().unwrap();
    t.app.mail_dispatch.flush().await;
    let items = bb_core::store::query_all(
        t.app.store.as_ref(),
        bb_core::store::Query::partition(bb_core::keys::client_partition(second)).sk(
            bb_core::store::listing::Listing::records_of(bb_core::keys::EMAIL_LOG_PREFIX),
        ),
    )
    .await
    .unwrap();
    let log: bb_core::notifier::EmailLog = bb_core::store::from_item(&items[0]).unwrap();
    assert_eq!(log.status, bb_core::notifier::MailStatus::Sent);
    assert!(log.content_html.contains("second@example.com"));
});

// Clients imported with their password hash (from another installation) log in with their
// password; a hash we cannot verify is refused at loading, not at the first login.
both!(imported_password_hashes_log_in, |t: TestApp| async move {
    let hash = bb_core::crypto::hash_password("Imported123").unwrap();
    let fixtures = |hash: &str| {
        bb_cli::fixtures::parse(
            &json!({"clients": [{"email": "moved@example.com", "password_hash": hash}]}).to_string(),
        )
        .unwrap()
    };
    let refused = bb_cli::fixtures::load(&t.app, &fixtures("$2y$10$abcdefghijklmnopqrstuv"), "import").await;
    assert!(refused.unwrap_err().contains("not an Argon2 hash"));
    bb_cli::fixtures::load(&t.app, &fixtures(&hash), "import")
        .await
        .unwrap();
    let login = json!({"email": "moved@example.com", "password": "Imported123"});
    let me = t.call(Req::post("/api/guest/client/login").json(login)).await;
    assert_eq!(me.ok()["email"], "moved@example.com");
});
