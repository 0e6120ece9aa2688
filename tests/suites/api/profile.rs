//! `profile/*`: shapes, update rules, passwords, keys, and round trips per method.

use bb_tests::*;
use serde_json::{Value, json};

async fn get(t: &TestApp) -> Value {
    t.call(Req::post("/api/client/profile/get").key(DEMO_KEY))
        .await
        .ok()
        .clone()
}

async fn update(t: &TestApp, body: Value) -> Resp {
    t.call(Req::post("/api/client/profile/update").key(DEMO_KEY).json(body))
        .await
}

both!(get_has_boxbillings_shape, |t: TestApp| async move {
    let p = get(&t).await;
    let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "aid",
            "email",
            "type",
            "group_id",
            "company",
            "company_vat",
            "company_number",
            "first_name",
            "last_name",
            "gender",
            "birthday",
            "phone_cc",
            "phone",
            "address_1",
            "address_2",
            "city",
            "state",
            "postcode",
            "country",
            "currency",
            "notes",
            "created_at",
            "document_nr",
            "balance"
        ]
    );
    assert_eq!(p["id"], 1);
    assert_eq!(p["email"], DEMO_EMAIL);
    assert_eq!(p["currency"], "USD");
    assert_eq!(p["balance"], Value::Null);
    let created = p["created_at"].as_str().unwrap();
    assert!(bb_core::clock::parse_datetime(created).is_some(), "{created}");
    for secret in [
        "password_hash",
        "api_key_hash",
        "api_key_sealed",
        "sessions",
        "status",
        "version",
    ] {
        assert!(p.get(secret).is_none(), "{secret} leaked");
    }
});

both!(update_changes_only_what_is_sent, |t: TestApp| async move {
    let before = get(&t).await;
    let r = update(
        &t,
        json!({"company": "Acme Ltd", "phone": "5551234", "city": "Vilnius", "birthday": "1990-02-28",
                              "custom_2": "blue", "document_type": "id_card", "document_nr": "AB123"}),
    )
    .await;
    assert_eq!(r.ok(), &json!(true));
    let after = get(&t).await;
    assert_eq!(after["company"], "Acme Ltd");
    assert_eq!(after["birthday"], "1990-02-28");
    assert_eq!(after["custom_2"], "blue");
    assert_eq!(after["document_nr"], "AB123");
    for same in [
        "first_name",
        "last_name",
        "country",
        "postcode",
        "email",
        "currency",
        "created_at",
    ] {
        assert_eq!(after[same], before[same], "{same} changed");
    }
    // Omitting birthday keeps it (BoxBilling cleared it); an empty value clears a field.
    update(&t, json!({"city": "Riga", "company": ""})).await.ok();
    let later = get(&t).await;
    assert_eq!(later["birthday"], "1990-02-28");
    assert_eq!(later["company"], Value::Null);
    assert_eq!(later["city"], "Riga");
});

both!(update_ignores_admin_owned_fields, |t: TestApp| async move {
    let before = get(&t).await;
    let r = update(
        &t,
        json!({
            "status": "active", "group_id": 7, "balance": "1000.00", "currency": "EUR", "tax_exempt": 1,
            "api_token": "x", "password": "Hacked123", "aid": "A-1", "client_id": 2, "id": 2, "role": "admin",
            "email_approved": 1, "created_at": "2000-01-01 00:00:00", "first_name": "Still Demo"
        }),
    )
    .await;
    assert_eq!(r.ok(), &json!(true));
    let after = get(&t).await;
    for same in ["id", "group_id", "balance", "currency", "aid", "created_at"] {
        assert_eq!(after[same], before[same], "{same} changed");
    }
    assert_eq!(after["first_name"], "Still Demo");
    // The password is what it was; the other client is untouched.
    let login = t
        .call(Req::post("/api/guest/client/login").json(json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD})))
        .await;
    login.ok();
    let other = t.call(Req::post("/api/client/profile/get").key(OTHER_KEY)).await;
    assert_eq!(other.ok()["first_name"], "Other");
});

both!(update_validates_values, |t: TestApp| async move {
    update(&t, json!({"email": "not-an-email"}))
        .await
        .assert_err(200, 9999, "Email is not valid");
    update(&t, json!({"birthday": "1990-02-30"}))
        .await
        .assert_err(200, 9999, "Invalid birth date value");
    update(&t, json!({"birthday": "yesterday"}))
        .await
        .assert_err(200, 9999, "Invalid birth date value");
    let long = "x".repeat(256);
    update(&t, json!({"city": long}))
        .await
        .assert_err(200, 9999, "City is too long (at most 255 characters)");
    update(&t, json!({"phone": ["a"]}))
        .await
        .assert_err(200, 9999, "Parameter phone must be a string");
    // Nothing of a refused update was written.
    update(&t, json!({"city": "Kept", "birthday": "bad"})).await.err();
    assert_ne!(get(&t).await["city"], "Kept");
});

both!(text_round_trips_exactly, |t: TestApp| async move {
    let nasty = "<script>alert(1)</script> javascript:alert(1) \"quotes\" 'single' \u{1F600} =SUM(A1) %0d%0a";
    update(&t, json!({"company": nasty, "custom_1": "line1\nline2"}))
        .await
        .ok();
    let p = get(&t).await;
    assert_eq!(p["company"], nasty);
    assert_eq!(p["custom_1"], "line1\nline2");
});

both!(email_change_rules, |t: TestApp| async move {
    update(&t, json!({"email": OTHER_EMAIL})).await.assert_err(
        200,
        9999,
        "Can not change email. It is already registered.",
    );
    update(&t, json!({"email": "Other@Example.COM"})).await.assert_err(
        200,
        9999,
        "Can not change email. It is already registered.",
    );
    // Changing case of one's own address is no change.
    update(&t, json!({"email": "DEMO@example.com"})).await.ok();
    assert_eq!(get(&t).await["email"], DEMO_EMAIL);
    update(&t, json!({"email": " New.Address@Example.com "})).await.ok();
    assert_eq!(get(&t).await["email"], "new.address@example.com");
    // The old address is free again; the new one logs in.
    let login = |email: &str| {
        t.call(Req::post("/api/guest/client/login").json(json!({"email": email, "password": DEMO_PASSWORD})))
    };
    login("new.address@example.com").await.ok();
    login(DEMO_EMAIL)
        .await
        .assert_err(200, 403, "Please check your login details");
    let taken = t
        .call(
            Req::post("/api/client/profile/update")
                .key(OTHER_KEY)
                .json(json!({"email": DEMO_EMAIL})),
        )
        .await;
    assert_eq!(taken.ok(), &json!(true));
});

both!(email_change_can_be_switched_off, |t: TestApp| async move {
    let off = bb_cli::fixtures::parse(r#"{"settings": {"mod_client": {"allow_change_email": false}}}"#).unwrap();
    bb_cli::fixtures::load(&t.app, &off, "no-email-change").await.unwrap();
    update(&t, json!({"email": "fresh@example.com"}))
        .await
        .assert_err(200, 9999, "Email can not be changed");
    // Other fields still change without resending the e-mail (BoxBilling required it).
    update(&t, json!({"city": "Oslo"})).await.ok();
    update(&t, json!({"city": "Bergen", "email": DEMO_EMAIL})).await.ok();
    assert_eq!(get(&t).await["city"], "Bergen");
});

async fn change(t: &TestApp, body: Value) -> Resp {
    t.call(
        Req::post("/api/client/profile/change_password")
            .key(DEMO_KEY)
            .json(body),
    )
    .await
}

both!(password_rules_in_order, |t: TestApp| async move {
    change(&t, json!({})).await.assert_err(200, 9999, "Password required");
    change(&t, json!({"password": "Abcdef12"}))
        .await
        .assert_err(200, 9999, "Password confirmation required");
    change(&t, json!({"password": "Abcdef12", "password_confirm": "Abcdef13"}))
        .await
        .assert_err(200, 9999, "Passwords do not match.");
    change(&t, json!({"password": "abc", "password_confirm": "abc"}))
        .await
        .assert_err(200, 9999, "Current password required");
    change(
        &t,
        json!({"password": "abc", "password_confirm": "abc", "current_password": "nope"}),
    )
    .await
    .assert_err(200, 9999, "Current password is incorrect");
    let weak = |p: &str| json!({"password": p, "password_confirm": p, "current_password": DEMO_PASSWORD});
    change(&t, weak("abc"))
        .await
        .assert_err(200, 9999, "Password too short!");
    change(&t, weak("abcdefgh"))
        .await
        .assert_err(200, 9999, "Password must include at least one number!");
    change(&t, weak("ABCDEFG1"))
        .await
        .assert_err(200, 9999, "Password must include at least one letter!");
    // FOSSBilling's parameter names work too.
    let r = change(
        &t,
        json!({"new_password": "Newpass123", "confirm_password": "Newpass123", "current_password": DEMO_PASSWORD}),
    )
    .await;
    assert_eq!(r.ok(), &json!(true));
    let login =
        |p: &str| t.call(Req::post("/api/guest/client/login").json(json!({"email": DEMO_EMAIL, "password": p})));
    login(DEMO_PASSWORD)
        .await
        .assert_err(200, 403, "Please check your login details");
    login("Newpass123").await.ok();
});

both!(password_change_ends_every_other_session, |t: TestApp| async move {
    let login = || async {
        let mut jar = Session::default();
        jar.absorb(
            &t.call(Req::post("/api/guest/client/login").json(json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD})))
                .await,
        );
        jar
    };
    let (laptop, phone, tablet) = (login().await, login().await, login().await);
    let r = t
        .call(
            laptop.send_with_csrf(Req::post("/api/client/profile/change_password").json(
                json!({"password": "Newpass123", "password_confirm": "Newpass123", "current_password": DEMO_PASSWORD}),
            )),
        )
        .await;
    assert_eq!(r.ok(), &json!(true));
    let profile = |jar: &Session| t.call(jar.send(Req::post("/api/client/profile/get")));
    assert_eq!(
        profile(&laptop).await.ok()["id"],
        1,
        "the session that changed it stays"
    );
    profile(&phone).await.assert_err(401, 201, "Authentication Failed");
    profile(&tablet).await.assert_err(401, 201, "Authentication Failed");
    // The API key is a separate credential and keeps working.
    assert_eq!(get(&t).await["id"], 1);
    // Changed through the key: every session ends.
    let r = t
        .call(
            Req::post("/api/client/profile/change_password").key(DEMO_KEY).json(
                json!({"password": "Third1234", "password_confirm": "Third1234", "current_password": "Newpass123"}),
            ),
        )
        .await;
    r.ok();
    profile(&laptop).await.assert_err(401, 201, "Authentication Failed");
});

both!(api_key_get_before_and_after_reset, |t: TestApp| async move {
    let signup = t
        .call(
            Req::post("/api/guest/client/create").json(json!({"email": "fresh@example.com", "first_name": "Fresh",
            "password": "Fresh1234", "password_confirm": "Fresh1234", "auto_login": 1})),
        )
        .await;
    let mut jar = Session::default();
    jar.absorb(&signup);
    let none = t.call(jar.send(Req::post("/api/client/profile/api_key_get"))).await;
    assert_eq!(none.ok(), &Value::Null, "no key until one is generated");
    let key = t
        .call(jar.send_with_csrf(Req::post("/api/client/profile/api_key_reset")))
        .await
        .ok()
        .clone();
    let shown = t.call(jar.send(Req::post("/api/client/profile/api_key_get"))).await;
    assert_eq!(shown.ok(), &key);
    let via_key = t
        .call(Req::post("/api/client/profile/get").key(key.as_str().unwrap()))
        .await;
    assert_eq!(via_key.ok()["email"], "fresh@example.com");
});

// Store round trips per method, with settings and templates warm in the process cache:
// authentication and rate limiting take 1 (the credential lookup that also counts; the login
// class, api_key_reset and change_password, also counts its address), a read 1 more, a write 2
// more. Without a credential: the address's counter only.
both!(round_trips_per_method, |t: TestApp| async move {
    let calls = |r: Resp| {
        assert!(r.json["error"].is_null(), "{}", r.body);
        r.store_calls
    };
    let _warm = t.app.settings().await.unwrap();
    let _warm = t.app.templates().await.unwrap();
    let key = |p: &str| Req::post(p).key(DEMO_KEY);
    assert_eq!(calls(t.call(key("/api/client/profile/get")).await), 2);
    assert_eq!(
        calls(
            t.call(key("/api/client/profile/update").json(json!({"city": "X"})))
                .await
        ),
        3
    );
    assert_eq!(
        calls(
            t.call(key("/api/client/profile/update").json(json!({"email": "moved@example.com"})))
                .await
        ),
        3
    );
    assert_eq!(calls(t.call(key("/api/client/profile/api_key_get")).await), 2);
    let new_key = t.call(key("/api/client/profile/api_key_reset")).await;
    assert_eq!(new_key.store_calls, 4);
    let new_key = new_key.ok().as_str().unwrap().to_string();
    let pw = json!({"password": "Newpass123", "password_confirm": "Newpass123", "current_password": DEMO_PASSWORD});
    let r = t
        .call(Req::post("/api/client/profile/change_password").key(&new_key).json(pw))
        .await;
    assert_eq!(calls(r), 4);
    assert_eq!(
        calls(t.call(Req::post("/api/client/profile/logout").key(&new_key)).await),
        2
    );
    let login = t
        .call(
            Req::post("/api/guest/client/login").json(json!({"email": "moved@example.com", "password": "Newpass123"})),
        )
        .await;
    assert_eq!(
        login.store_calls, 4,
        "IP counter, e-mail guard, client, one transaction"
    );
    let mut jar = Session::default();
    jar.absorb(&login);
    assert_eq!(calls(t.call(jar.send(Req::post("/api/client/profile/get"))).await), 2);
    assert_eq!(
        calls(
            t.call(jar.send_with_csrf(Req::post("/api/client/profile/logout")))
                .await
        ),
        2
    );
    let signup = t
        .call(
            Req::post("/api/guest/client/create").json(json!({"email": "n@example.com", "first_name": "N",
            "password": "Newpass123", "password_confirm": "Newpass123"})),
        )
        .await;
    assert_eq!(
        calls(signup),
        4,
        "IP counter, ids, the new client's sequence numbers (its mail log), one transaction \
         (mail is delivered after the answer)"
    );
    // Errors before the method cost only what ran.
    assert_eq!(t.call(Req::post("/api/client/profile/get")).await.store_calls, 1);
    assert_eq!(t.call(Req::post("/api/client/profile")).await.store_calls, 0);
});
