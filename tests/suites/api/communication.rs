//! Support tickets, the e-mail log, the example module and the forum.

use crate::billing::{call, checkout, fill};
use bb_tests::*;
use serde_json::{Value, json};

async fn ticket(t: &TestApp, key: &str, body: Value) -> Resp {
    call(t, key, "/api/client/support/ticket_create", body).await
}

fn new_ticket(subject: &str) -> Value {
    json!({"support_helpdesk_id": 1, "subject": subject, "content": "My panel password does not work."})
}

async fn settings(t: &TestApp, json: &str) {
    let fixtures = bb_cli::fixtures::parse(&format!(r#"{{"settings": {json}}}"#)).unwrap();
    bb_cli::fixtures::load(&t.app, &fixtures, "test-settings")
        .await
        .unwrap();
}

both!(tickets_open_list_reply_close, |t: TestApp| async move {
    let pairs = call(&t, DEMO_KEY, "/api/client/support/helpdesk_get_pairs", json!({})).await;
    assert_eq!(pairs.ok(), &json!({"1": "General", "2": "Billing"}));
    ticket(&t, DEMO_KEY, json!({}))
        .await
        .assert_err(200, 9999, "Ticket content required");
    ticket(&t, DEMO_KEY, json!({"content": "x"}))
        .await
        .assert_err(200, 9999, "Ticket subject required");
    ticket(&t, DEMO_KEY, json!({"content": "x", "subject": "y"}))
        .await
        .assert_err(200, 9999, "Ticket support_helpdesk_id required");
    ticket(
        &t,
        DEMO_KEY,
        json!({"content": "x", "subject": "y", "support_helpdesk_id": 9}),
    )
    .await
    .assert_err(200, 9999, "Helpdesk invalid");
    let id = ticket(&t, DEMO_KEY, new_ticket("Cannot log in")).await.ok().clone();
    let got = call(&t, DEMO_KEY, "/api/client/support/ticket_get", json!({"id": id}))
        .await
        .ok()
        .clone();
    assert_eq!(got["subject"], "Cannot log in");
    assert_eq!(got["status"], "open");
    assert_eq!(got["priority"], 100);
    assert_eq!(got["rel_status"], "complete");
    assert_eq!(got["replies"], 1);
    assert_eq!(got["first"]["content"], "My panel password does not work.");
    assert_eq!(
        got["first"]["author"],
        json!({"name": "Demo Client", "email": DEMO_EMAIL})
    );
    assert_eq!(got["helpdesk"]["name"], "General");
    assert_eq!(got["client"]["email"], DEMO_EMAIL);
    call(&t, DEMO_KEY, "/api/client/support/ticket_reply", json!({"id": id}))
        .await
        .assert_err(200, 9999, "Ticket content required");
    call(
        &t,
        DEMO_KEY,
        "/api/client/support/ticket_reply",
        json!({"content": "x"}),
    )
    .await
    .assert_err(200, 9999, "Ticket ID required");
    call(
        &t,
        DEMO_KEY,
        "/api/client/support/ticket_reply",
        json!({"id": id, "content": "Still broken."}),
    )
    .await
    .ok();
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/support/ticket_close", json!({"id": id}))
            .await
            .ok(),
        &json!(true)
    );
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/support/ticket_close", json!({"id": id}))
            .await
            .ok(),
        &json!(true),
        "closing twice is fine"
    );
    call(
        &t,
        DEMO_KEY,
        "/api/client/support/ticket_reply",
        json!({"id": id, "content": "Hello?"}),
    )
    .await
    .assert_err(200, 9999, "Ticket can not be reopened.");
    // The billing desk lets a reply reopen a closed ticket.
    let billing = ticket(
        &t,
        DEMO_KEY,
        json!({"support_helpdesk_id": 2, "subject": "Invoice question", "content": "Why?"}),
    )
    .await
    .ok()
    .clone();
    call(&t, DEMO_KEY, "/api/client/support/ticket_close", json!({"id": billing}))
        .await
        .ok();
    call(
        &t,
        DEMO_KEY,
        "/api/client/support/ticket_reply",
        json!({"id": billing, "content": "One more thing"}),
    )
    .await
    .ok();
    let list = call(
        &t,
        DEMO_KEY,
        "/api/client/support/ticket_get_list",
        json!({"status": "open"}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(list["total"], 1);
    assert_eq!(list["list"][0]["id"], billing);
    assert_eq!(list["list"][0]["messages"].as_array().unwrap().len(), 2);
    let all = call(&t, DEMO_KEY, "/api/client/support/ticket_get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(all["total"], 2);
    assert_eq!(all["list"][0]["id"], billing, "newest first within a priority");
    let found = call(
        &t,
        DEMO_KEY,
        "/api/client/support/ticket_get_list",
        json!({"search": "still broken"}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(found["total"], 1);
    assert_eq!(found["list"][0]["id"], id);
    // Mail: the client on opening; staff on open, reply and close; the billing desk's own address.
    let mail = t.sent_mail().await;
    let count = |to: &str, subject: &str| {
        mail.iter()
            .filter(|m| m.to == to && m.subject.starts_with(subject))
            .count()
    };
    assert_eq!(count(DEMO_EMAIL, &format!("[#{id}] Cannot log in")), 1);
    assert_eq!(count("staff@example.com", &format!("New ticket [#{id}]")), 1);
    assert_eq!(count("staff@example.com", &format!("Reply to ticket [#{id}]")), 1);
    assert_eq!(count("staff@example.com", &format!("Ticket [#{id}] closed")), 2);
    assert_eq!(
        count("billing-desk@example.com", &format!("New ticket [#{billing}]")),
        1
    );
    assert_eq!(count("staff@example.com", &format!("New ticket [#{billing}]")), 0);
});

both!(tickets_are_private, |t: TestApp| async move {
    let theirs = ticket(&t, OTHER_KEY, new_ticket("Their secret")).await.ok().clone();
    ticket(&t, DEMO_KEY, new_ticket("Mine")).await.ok();
    for path in ["ticket_get", "ticket_reply", "ticket_close"] {
        let r = call(
            &t,
            DEMO_KEY,
            &format!("/api/client/support/{path}"),
            json!({"id": theirs, "content": "hijack"}),
        )
        .await;
        r.assert_err(200, 9999, "Ticket not found");
    }
    for filter in [
        json!({}),
        json!({"id": theirs}),
        json!({"search": "secret"}),
        json!({"client_id": 2}),
        json!({"subject": "Their"}),
    ] {
        let list = call(&t, DEMO_KEY, "/api/client/support/ticket_get_list", filter.clone())
            .await
            .ok()
            .clone();
        for row in list["list"].as_array().unwrap() {
            assert_eq!(row["client_id"], 1, "{filter}: {row}");
        }
    }
    let theirs_now = call(&t, OTHER_KEY, "/api/client/support/ticket_get", json!({"id": theirs}))
        .await
        .ok()
        .clone();
    assert_eq!(
        (theirs_now["status"].as_str(), theirs_now["replies"].as_i64()),
        (Some("open"), Some(1))
    );
});

both!(tickets_about_orders, |t: TestApp| async move {
    fill(&t, OTHER_KEY, &[(5, None, json!({}))]).await;
    let their_order = checkout(&t, OTHER_KEY).await["order_id"].clone();
    fill(&t, DEMO_KEY, &[(5, None, json!({}))]).await;
    let my_order = checkout(&t, DEMO_KEY).await["order_id"].clone();
    let about = |order: &Value, task: Option<&str>| {
        let mut body = new_ticket("About my order");
        body["rel_type"] = json!("order");
        body["rel_id"] = order.clone();
        if let Some(task) = task {
            body["rel_task"] = json!(task);
        }
        body
    };
    ticket(&t, DEMO_KEY, about(&their_order, None))
        .await
        .assert_err(200, 9999, "Order ID does not exist");
    let id = ticket(&t, DEMO_KEY, about(&my_order, Some("cancel")))
        .await
        .ok()
        .clone();
    let got = call(&t, DEMO_KEY, "/api/client/support/ticket_get", json!({"id": id}))
        .await
        .ok()
        .clone();
    assert_eq!(
        (
            got["rel_type"].as_str(),
            got["rel_task"].as_str(),
            got["rel_status"].as_str()
        ),
        (Some("order"), Some("cancel"), Some("pending"))
    );
    ticket(&t, DEMO_KEY, about(&my_order, Some("cancel"))).await.assert_err(
        200,
        9999,
        "We have already received this request.",
    );
    let order = call(&t, DEMO_KEY, "/api/client/order/get", json!({"id": my_order}))
        .await
        .ok()
        .clone();
    assert_eq!(order["active_tickets"], 1);
    let by_order = call(
        &t,
        DEMO_KEY,
        "/api/client/support/ticket_get_list",
        json!({"order_id": my_order}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(by_order["total"], 1);
    call(&t, DEMO_KEY, "/api/client/support/ticket_close", json!({"id": id}))
        .await
        .ok();
    let order = call(&t, DEMO_KEY, "/api/client/order/get", json!({"id": my_order}))
        .await
        .ok()
        .clone();
    assert_eq!(order["active_tickets"], 0);
});

both!(
    ticket_text_is_stored_as_sent_within_its_limit,
    |t: TestApp| async move {
        let nasty = "<script>alert(1)</script> <img src=x onerror=alert(2)> [a](javascript:alert(3)) JaVaScRiPt://x %0d%0a data:text/html;base64,PHA+ 😀 “quotes”";
        let id = ticket(
            &t,
            DEMO_KEY,
            json!({"support_helpdesk_id": 1, "subject": nasty, "content": nasty}),
        )
        .await
        .ok()
        .clone();
        let long = "é".repeat(20_000);
        call(
            &t,
            DEMO_KEY,
            "/api/client/support/ticket_reply",
            json!({"id": id, "content": long}),
        )
        .await
        .ok();
        let got = call(&t, DEMO_KEY, "/api/client/support/ticket_get", json!({"id": id})).await;
        assert_eq!(got.header("content-type"), Some("application/json; charset=utf-8"));
        let got = got.ok().clone();
        assert_eq!(got["subject"], nasty);
        assert_eq!(got["messages"][0]["content"], nasty);
        assert_eq!(got["messages"][1]["content"], long);
        let too_long = "x".repeat(20_001);
        call(
            &t,
            DEMO_KEY,
            "/api/client/support/ticket_reply",
            json!({"id": id, "content": too_long}),
        )
        .await
        .assert_err(200, 9999, "Ticket content is too long (at most 20000 characters)");
        // The mail shows the text escaped, never as markup.
        let mail = t.sent_mail().await;
        let staff = mail.iter().find(|m| m.to == "staff@example.com").unwrap();
        assert!(!staff.body.contains("<script>"), "{}", staff.body);
        assert!(staff.body.contains("&lt;script&gt;"), "{}", staff.body);
    }
);

both!(ticket_rules_from_settings, |t: TestApp| async move {
    settings(
        &t,
        r#"{"mod_support": {"wait_hours": 2, "autorespond_enable": true, "autorespond_message_id": 1}}"#,
    )
    .await;
    let id = ticket(&t, DEMO_KEY, new_ticket("First")).await.ok().clone();
    let got = call(&t, DEMO_KEY, "/api/client/support/ticket_get", json!({"id": id}))
        .await
        .ok()
        .clone();
    assert_eq!(got["status"], "on_hold", "the auto-responder answered");
    assert_eq!(
        got["messages"][1]["content"],
        "Thank you for contacting us. We will get back to you within 24 hours."
    );
    assert_eq!(got["messages"][1]["admin_id"], 0);
    ticket(&t, DEMO_KEY, new_ticket("Second")).await.assert_err(
        200,
        9999,
        "You can submit one ticket per 2 hours. 2 hours left",
    );
    t.clock.advance(time::Duration::minutes(61));
    ticket(&t, DEMO_KEY, new_ticket("Second")).await.assert_err(
        200,
        9999,
        "You can submit one ticket per 2 hours. 1 hours left",
    );
    t.clock.advance(time::Duration::minutes(60));
    ticket(&t, DEMO_KEY, new_ticket("Second")).await.ok();
    ticket(&t, OTHER_KEY, new_ticket("Another client's first")).await.ok();
    let mail = t.sent_mail().await;
    assert_eq!(
        mail.iter()
            .filter(|m| m.to == DEMO_EMAIL && m.subject.starts_with("Re: [#"))
            .count(),
        2
    );
});

both!(email_log_list_get_resend_delete, |t: TestApp| async move {
    let id = ticket(&t, DEMO_KEY, new_ticket("Mail me")).await.ok().clone();
    t.app.mail_dispatch.flush().await;
    let list = call(&t, DEMO_KEY, "/api/client/email/get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(list["total"], 1);
    let entry = list["list"][0].clone();
    assert_eq!(entry["subject"], format!("[#{id}] Mail me"));
    assert_eq!(entry["recipients"], DEMO_EMAIL);
    assert_eq!(entry["client_id"], 1);
    let keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "client_id",
            "sender",
            "recipients",
            "subject",
            "content_html",
            "content_text",
            "created_at",
            "updated_at"
        ]
    );
    let got = call(&t, DEMO_KEY, "/api/client/email/get", json!({"id": entry["id"]}))
        .await
        .ok()
        .clone();
    assert_eq!(got, entry);
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/email/get_list", json!({"search": "mail ME"}))
            .await
            .ok()["total"],
        1
    );
    assert_eq!(
        call(
            &t,
            DEMO_KEY,
            "/api/client/email/get_list",
            json!({"search": "nothing like it"})
        )
        .await
        .ok()["total"],
        0
    );
    // Resending logs a new entry and sends once more.
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/email/resend", json!({"id": entry["id"]}))
            .await
            .ok(),
        &json!(true)
    );
    let mail = t.sent_mail().await;
    assert_eq!(mail.iter().filter(|m| m.to == DEMO_EMAIL).count(), 2);
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/email/get_list", json!({})).await.ok()["total"],
        2
    );
    // Another client's e-mail is unknown to every method; their log is untouched.
    for path in ["get", "resend", "delete"] {
        call(
            &t,
            OTHER_KEY,
            &format!("/api/client/email/{path}"),
            json!({"id": entry["id"]}),
        )
        .await
        .assert_err(200, 9999, "Email not found");
        call(&t, DEMO_KEY, &format!("/api/client/email/{path}"), json!({}))
            .await
            .assert_err(200, 9999, "Email ID is required");
    }
    assert_eq!(
        call(&t, OTHER_KEY, "/api/client/email/get_list", json!({})).await.ok()["total"],
        0
    );
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/email/delete", json!({"id": entry["id"]}))
            .await
            .ok(),
        &json!(true)
    );
    call(&t, DEMO_KEY, "/api/client/email/get", json!({"id": entry["id"]}))
        .await
        .assert_err(200, 9999, "Email not found");
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/email/get_list", json!({})).await.ok()["total"],
        1
    );
});

both!(failed_mail_is_logged_and_resent, |t: TestApp| async move {
    t.fail_mail(true);
    ticket(&t, DEMO_KEY, new_ticket("Nobody hears")).await.ok();
    t.app.mail_dispatch.flush().await;
    assert!(t.sent_mail().await.is_empty());
    let list = call(&t, DEMO_KEY, "/api/client/email/get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(list["total"], 1, "logged although the transport refused it");
    t.fail_mail(false);
    call(
        &t,
        DEMO_KEY,
        "/api/client/email/resend",
        json!({"id": list["list"][0]["id"]}),
    )
    .await
    .ok();
    assert_eq!(t.sent_mail().await.iter().filter(|m| m.to == DEMO_EMAIL).count(), 1);
});

both!(example_get_info, |t: TestApp| async move {
    let info = call(
        &t,
        DEMO_KEY,
        "/api/client/example/get_info",
        json!({"type": "info", "anything": [1, 2]}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(info["data"], json!({"type": "info", "anything": [1, 2]}));
    assert_eq!(info["profile"]["email"], DEMO_EMAIL);
    assert!(info["profile"].get("balance").is_none());
    assert_eq!(info["messages"], json!([]));
    assert!(info["version"].is_string());
});

async fn topic(t: &TestApp, key: &str, forum: i64, title: &str, message: &str) -> Resp {
    call(
        t,
        key,
        "/api/client/forum/start_topic",
        json!({"forum_id": forum, "topic": title, "message": message}),
    )
    .await
}

both!(forums_and_topics, |t: TestApp| async move {
    let forums = call(&t, DEMO_KEY, "/api/client/forum/get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(forums["total"], 3, "locked forums are listed too");
    assert_eq!(forums["list"][0]["slug"], "announcements");
    let categories = call(&t, DEMO_KEY, "/api/client/forum/get_categories", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(categories["General"].as_array().unwrap().len(), 2);
    assert_eq!(categories["Archive"][0]["status"], "locked");
    call(&t, DEMO_KEY, "/api/client/forum/get", json!({}))
        .await
        .assert_err(200, 9999, "ID or slug is missing");
    call(&t, DEMO_KEY, "/api/client/forum/get", json!({"id": 99}))
        .await
        .assert_err(200, 9999, "Forum not found");
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/forum/get", json!({"slug": "community-help"}))
            .await
            .ok()["id"],
        2
    );

    call(&t, DEMO_KEY, "/api/client/forum/start_topic", json!({}))
        .await
        .assert_err(200, 9999, "Forum ID not passed");
    call(&t, DEMO_KEY, "/api/client/forum/start_topic", json!({"forum_id": 2}))
        .await
        .assert_err(200, 9999, "Forum topic not passed");
    call(
        &t,
        DEMO_KEY,
        "/api/client/forum/start_topic",
        json!({"forum_id": 2, "topic": "T"}),
    )
    .await
    .assert_err(200, 9999, "Forum message not passed");
    topic(&t, DEMO_KEY, 2, "Hello", "x")
        .await
        .assert_err(200, 9999, "Your message is too short");
    topic(&t, DEMO_KEY, 3, "Hello", "Anybody here?").await.assert_err(
        200,
        9999,
        "Forum is locked. No new topics can be started",
    );
    topic(&t, DEMO_KEY, 99, "Hello", "Anybody here?")
        .await
        .assert_err(200, 9999, "Forum not found");
    let first = topic(&t, DEMO_KEY, 2, "How do I renew?", "Where is the renew button?")
        .await
        .ok()
        .clone();
    // The same title again gets its own slug instead of a database error.
    let slug = call(
        &t,
        OTHER_KEY,
        "/api/client/forum/start_topic",
        json!({"forum_id": 2, "topic": "How do I renew?", "message": "Same question", "return": "slug"}),
    )
    .await;
    assert_eq!(slug.ok(), &json!("how-do-i-renew-2"));
    let by_slug = call(
        &t,
        DEMO_KEY,
        "/api/client/forum/get_topic",
        json!({"slug": "how-do-i-renew"}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(by_slug["id"], first);
    assert_eq!(by_slug["stats"]["views_count"], 1);
    let again = call(&t, DEMO_KEY, "/api/client/forum/get_topic", json!({"id": first}))
        .await
        .ok()
        .clone();
    assert_eq!(again["stats"]["views_count"], 2, "every read counts");
    assert_eq!(again["forum"]["slug"], "community-help");
    assert_eq!(again["first"]["message"], "Where is the renew button?");
    assert_eq!(again["first"]["author"], json!({"id": 1, "name": "Demo Client"}));
    call(&t, DEMO_KEY, "/api/client/forum/get_topic", json!({"id": 999}))
        .await
        .assert_err(200, 9999, "Forum topic not found");
    call(&t, DEMO_KEY, "/api/client/forum/get_topic", json!({"slug": "nope"}))
        .await
        .assert_err(200, 9999, "Forum Topic not found");
    let list = call(&t, DEMO_KEY, "/api/client/forum/get_topic_list", json!({"forum_id": 2}))
        .await
        .ok()
        .clone();
    assert_eq!(list["total"], 2);
    assert_eq!(
        call(
            &t,
            DEMO_KEY,
            "/api/client/forum/get_topic_list",
            json!({"search": "renew"})
        )
        .await
        .ok()["total"],
        2
    );
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/forum/get_topic_list", json!({"forum_id": 1}))
            .await
            .ok()["total"],
        0
    );
    let forum = call(&t, DEMO_KEY, "/api/client/forum/get", json!({"id": 2}))
        .await
        .ok()
        .clone();
    assert_eq!(forum["stats"]["topics_count"], 2);
    assert_eq!(forum["stats"]["posts_count"], 2);
});

both!(posts_subscriptions_favourites_and_privacy, |t: TestApp| async move {
    let id = topic(&t, DEMO_KEY, 1, "Maintenance window", "We upgrade on Sunday.")
        .await
        .ok()
        .clone();
    // The author is subscribed; the other client subscribes and is told about new posts.
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/forum/is_subscribed", json!({"id": id}))
            .await
            .ok(),
        &json!(true)
    );
    assert_eq!(
        call(&t, OTHER_KEY, "/api/client/forum/is_subscribed", json!({"id": id}))
            .await
            .ok(),
        &json!(false)
    );
    call(&t, OTHER_KEY, "/api/client/forum/subscribe", json!({"id": id}))
        .await
        .ok();
    call(&t, OTHER_KEY, "/api/client/forum/subscribe", json!({"id": id}))
        .await
        .assert_err(200, 9999, "You have already subscribed to this topic notifications");
    call(&t, OTHER_KEY, "/api/client/forum/subscribe", json!({"id": 999}))
        .await
        .assert_err(200, 9999, "Forum Topic not found");
    call(&t, OTHER_KEY, "/api/client/forum/subscribe", json!({}))
        .await
        .assert_err(200, 9999, "Forum Topic ID not passed");
    call(
        &t,
        OTHER_KEY,
        "/api/client/forum/post_message",
        json!({"forum_topic_id": id, "message": "Which hours exactly?"}),
    )
    .await
    .ok();
    call(
        &t,
        DEMO_KEY,
        "/api/client/forum/post_message",
        json!({"forum_topic_id": id, "message": "From 02:00 to 04:00 UTC."}),
    )
    .await
    .ok();
    let mail: Vec<SentMail> = t
        .sent_mail()
        .await
        .into_iter()
        .filter(|m| m.subject == "New post in “Maintenance window”")
        .collect();
    assert_eq!(
        mail.iter().filter(|m| m.to == DEMO_EMAIL).count(),
        1,
        "told about the other's post only"
    );
    assert_eq!(
        mail.iter().filter(|m| m.to == OTHER_EMAIL).count(),
        1,
        "told about the author's post only"
    );
    call(&t, OTHER_KEY, "/api/client/forum/unsubscribe", json!({"id": id}))
        .await
        .ok();
    call(&t, OTHER_KEY, "/api/client/forum/unsubscribe", json!({"id": id}))
        .await
        .ok();
    call(
        &t,
        DEMO_KEY,
        "/api/client/forum/post_message",
        json!({"forum_topic_id": id, "message": "Done, all good."}),
    )
    .await
    .ok();
    let after: Vec<SentMail> = t
        .sent_mail()
        .await
        .into_iter()
        .filter(|m| m.to == OTHER_EMAIL && m.subject.starts_with("New post"))
        .collect();
    assert_eq!(after.len(), 1, "no mail after unsubscribing");
    // Messages: in order, with authors' names but never their e-mails or addresses.
    let messages = call(
        &t,
        DEMO_KEY,
        "/api/client/forum/get_topic_message_list",
        json!({"forum_topic_id": id}),
    )
    .await;
    let body = messages.body.clone();
    let messages = messages.ok().clone();
    assert_eq!(messages["total"], 4);
    assert_eq!(messages["list"][1]["author"]["name"], "Other Client");
    for leak in [OTHER_EMAIL, DEMO_EMAIL, "198.51.100.7", "\"ip\""] {
        assert!(!body.contains(leak), "{leak} in {body}");
    }
    let desc = call(
        &t,
        DEMO_KEY,
        "/api/client/forum/get_topic_message_list",
        json!({"forum_topic_id": id, "sortorder": "desc", "q": "done"}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(desc["total"], 1);
    call(&t, DEMO_KEY, "/api/client/forum/get_topic_message_list", json!({}))
        .await
        .assert_err(200, 9999, "Forum Topic ID not passed");
    let topic_body = call(&t, OTHER_KEY, "/api/client/forum/get_topic", json!({"id": id}))
        .await
        .body;
    assert!(!topic_body.contains(DEMO_EMAIL), "{topic_body}");
    call(
        &t,
        DEMO_KEY,
        "/api/client/forum/post_message",
        json!({"forum_topic_id": id}),
    )
    .await
    .assert_err(200, 9999, "Topic message not passed");
    call(
        &t,
        DEMO_KEY,
        "/api/client/forum/post_message",
        json!({"forum_topic_id": 999, "message": "hello there"}),
    )
    .await
    .assert_err(200, 9999, "Forum Topic not found");
    // Favourites: all of them, not just the first.
    let ids: Vec<Value> = vec![
        id.clone(),
        topic(&t, OTHER_KEY, 2, "Second", "Another topic here")
            .await
            .ok()
            .clone(),
        topic(&t, OTHER_KEY, 2, "Third", "And one more topic")
            .await
            .ok()
            .clone(),
    ];
    for topic_id in &ids {
        call(&t, DEMO_KEY, "/api/client/forum/favorite_add", json!({"id": topic_id}))
            .await
            .ok();
    }
    call(&t, DEMO_KEY, "/api/client/forum/favorite_add", json!({"id": ids[0]}))
        .await
        .assert_err(200, 9999, "You have already added this topic to favorites");
    let favs = call(&t, DEMO_KEY, "/api/client/forum/favorites", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(
        favs.as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].clone())
            .collect::<Vec<_>>(),
        ids
    );
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/forum/is_favorite", json!({"id": ids[1]}))
            .await
            .ok(),
        &json!(true)
    );
    call(&t, DEMO_KEY, "/api/client/forum/favorite_remove", json!({"id": ids[1]}))
        .await
        .ok();
    call(&t, DEMO_KEY, "/api/client/forum/favorite_remove", json!({"id": ids[1]}))
        .await
        .ok();
    assert_eq!(
        call(&t, DEMO_KEY, "/api/client/forum/is_favorite", json!({"id": ids[1]}))
            .await
            .ok(),
        &json!(false)
    );
    assert_eq!(
        call(&t, OTHER_KEY, "/api/client/forum/favorites", json!({})).await.ok(),
        &json!([]),
        "favourites are per client"
    );
    // Forum profile: posts and points (1 point per post of 10+ characters in forum 1).
    let me = call(&t, DEMO_KEY, "/api/client/forum/profile", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!((me["posts"].as_i64(), me["points"].as_i64()), (Some(3), Some(3)));
    assert_eq!(me["name"], "Demo Client");
    assert!(
        me["gravatar"]
            .as_str()
            .unwrap()
            .starts_with("https://gravatar.com/avatar/")
    );
    let other = call(&t, OTHER_KEY, "/api/client/forum/profile", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!((other["posts"].as_i64(), other["points"].as_i64()), (Some(3), Some(1)));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscriber_gets_exactly_one_mail() {
    let t = TestApp::new(Backend::Sqlite).await;
    let hash = bb_core::crypto::hash_password("Member123").unwrap();
    let clients: Vec<Value> = (0..150)
        .map(|n| json!({"email": format!("member{n}@example.com"), "password_hash": hash, "first_name": format!("Member{n}")}))
        .collect();
    let members = bb_cli::fixtures::parse(&json!({"clients": clients}).to_string()).unwrap();
    bb_cli::fixtures::load(&t.app, &members, "members").await.unwrap();
    let id = topic(&t, DEMO_KEY, 2, "Big thread", "Everybody subscribe please")
        .await
        .ok()
        .as_i64()
        .unwrap();
    for n in 0..150 {
        let client_id = 3 + n;
        let key = bb_core::keys::subscription(id, client_id);
        let mut item = bb_core::store::Item::new();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("client_id".into(), client_id.into());
        t.app.store.put(item, None).await.unwrap();
    }
    let posted = call(
        &t,
        DEMO_KEY,
        "/api/client/forum/post_message",
        json!({"forum_topic_id": id, "message": "Thanks all!"}),
    )
    .await;
    posted.ok();
    assert!(
        posted.store_calls <= 4,
        "the post does not grow with subscribers: {}",
        posted.store_calls
    );
    let mail = t.sent_mail().await;
    for n in 0..150 {
        let to = format!("member{n}@example.com");
        assert_eq!(mail.iter().filter(|m| m.to == to).count(), 1, "{to}");
    }
    assert_eq!(mail.iter().filter(|m| m.to == DEMO_EMAIL).count(), 0, "not the author");
    // Each got a log entry of their own.
    let log = call(&t, DEMO_KEY, "/api/client/email/get_list", json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(log["total"], 0);
}

// Round trips with settings, templates and catalogue warm: authentication and rate limiting
// 1 (the credential's update), then at most 1 for a read and 3 for a write.
both!(communication_round_trips, |t: TestApp| async move {
    let _ = t.app.settings().await.unwrap();
    let _ = t.app.templates().await.unwrap();
    let _ = t.app.catalog().await.unwrap();
    let calls = |r: Resp| {
        assert!(r.json["error"].is_null(), "{}", r.body);
        r.store_calls
    };
    let c = |path: &str, body: Value| call(&t, DEMO_KEY, path.to_string(), body);
    let id = c("/api/client/support/ticket_create", new_ticket("Budget")).await;
    assert_eq!(
        id.store_calls, 5,
        "credential, header and order, ids and the client's sequence numbers, one transaction"
    );
    let id = id.ok().clone();
    assert_eq!(calls(c("/api/client/support/ticket_get_list", json!({})).await), 2);
    assert_eq!(calls(c("/api/client/support/ticket_get", json!({"id": id})).await), 2);
    assert_eq!(calls(c("/api/client/support/helpdesk_get_pairs", json!({})).await), 1);
    assert_eq!(
        calls(c("/api/client/support/ticket_reply", json!({"id": id, "content": "More"})).await),
        4
    );
    assert_eq!(calls(c("/api/client/support/ticket_close", json!({"id": id})).await), 4);
    t.app.mail_dispatch.flush().await;
    let list = c("/api/client/email/get_list", json!({})).await;
    assert_eq!(list.store_calls, 2);
    let email = list.ok()["list"][0]["id"].clone();
    assert_eq!(calls(c("/api/client/email/get", json!({"id": email})).await), 2);
    // Ids and the client's sequence number, then the copy with its place in the log's list.
    assert_eq!(calls(c("/api/client/email/resend", json!({"id": email})).await), 5);
    // The mail is read for its place in the list, then deleted with it.
    assert_eq!(calls(c("/api/client/email/delete", json!({"id": email})).await), 3);
    assert_eq!(calls(c("/api/client/example/get_info", json!({})).await), 2);
    for m in ["get_list", "get_categories"] {
        assert_eq!(calls(c(&format!("/api/client/forum/{m}"), json!({})).await), 2, "{m}");
    }
    assert_eq!(calls(c("/api/client/forum/get", json!({"id": 1})).await), 2);
    let topic_id = c(
        "/api/client/forum/start_topic",
        json!({"forum_id": 1, "topic": "Budget topic", "message": "Counting calls"}),
    )
    .await;
    assert_eq!(topic_id.store_calls, 4);
    let topic_id = topic_id.ok().clone();
    assert_eq!(
        calls(c("/api/client/forum/get_topic", json!({"id": topic_id})).await),
        2
    );
    assert_eq!(
        calls(c("/api/client/forum/get_topic_list", json!({"forum_id": 1})).await),
        2
    );
    assert_eq!(calls(c("/api/client/forum/get_topic_list", json!({})).await), 2);
    assert_eq!(
        calls(
            c(
                "/api/client/forum/get_topic_message_list",
                json!({"forum_topic_id": topic_id})
            )
            .await
        ),
        2
    );
    assert_eq!(
        calls(
            c(
                "/api/client/forum/post_message",
                json!({"forum_topic_id": topic_id, "message": "One more"})
            )
            .await
        ),
        4
    );
    assert_eq!(
        calls(c("/api/client/forum/is_subscribed", json!({"id": topic_id})).await),
        2
    );
    assert_eq!(
        calls(c("/api/client/forum/unsubscribe", json!({"id": topic_id})).await),
        2
    );
    assert_eq!(
        calls(c("/api/client/forum/subscribe", json!({"id": topic_id})).await),
        2
    );
    assert_eq!(
        calls(c("/api/client/forum/favorite_add", json!({"id": topic_id})).await),
        2
    );
    assert_eq!(
        calls(c("/api/client/forum/is_favorite", json!({"id": topic_id})).await),
        2
    );
    assert_eq!(
        calls(c("/api/client/forum/favorites", json!({})).await),
        3,
        "the favourites, then their topics"
    );
    assert_eq!(
        calls(c("/api/client/forum/favorite_remove", json!({"id": topic_id})).await),
        2
    );
    assert_eq!(calls(c("/api/client/forum/profile", json!({})).await), 2);
});

both!(forum_text_limits_and_locked_topics, |t: TestApp| async move {
    let nasty = "<script>alert(1)</script> [x](javascript:alert(2)) 😀";
    let id = topic(&t, DEMO_KEY, 2, nasty, nasty).await.ok().clone();
    let got = call(&t, DEMO_KEY, "/api/client/forum/get_topic", json!({"id": id}))
        .await
        .ok()
        .clone();
    assert_eq!(
        (got["title"].as_str(), got["first"]["message"].as_str()),
        (Some(nasty), Some(nasty))
    );
    assert_eq!(got["slug"], "script-alert-1-script-x-javascript-alert-2");
    let long = "ä".repeat(20_000);
    call(
        &t,
        DEMO_KEY,
        "/api/client/forum/post_message",
        json!({"forum_topic_id": id, "message": long}),
    )
    .await
    .ok();
    let messages = call(
        &t,
        DEMO_KEY,
        "/api/client/forum/get_topic_message_list",
        json!({"forum_topic_id": id}),
    )
    .await
    .ok()
    .clone();
    assert_eq!(messages["list"][1]["message"], long);
    let too_long = "x".repeat(20_001);
    call(
        &t,
        DEMO_KEY,
        "/api/client/forum/post_message",
        json!({"forum_topic_id": id, "message": too_long}),
    )
    .await
    .assert_err(200, 9999, "Message is too long (at most 20000 characters)");
    // Staff lock a topic: no more posts.
    t.app
        .store
        .update(
            bb_core::store::Update::new(bb_core::keys::topic(id.as_i64().unwrap())).set("status", "locked"),
            bb_core::store::Returning::Nothing,
        )
        .await
        .unwrap();
    call(
        &t,
        OTHER_KEY,
        "/api/client/forum/post_message",
        json!({"forum_topic_id": id, "message": "Too late?"}),
    )
    .await
    .assert_err(200, 9999, "Forum topic is locked. No new message can be posted");
    let got = call(&t, DEMO_KEY, "/api/client/forum/get_topic", json!({"id": id}))
        .await
        .ok()
        .clone();
    assert_eq!(got["status"], "locked");
    assert_eq!(got["stats"]["posts_count"], 2);
});
