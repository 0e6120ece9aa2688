//! Mail exactly once: claims before sends, retries of what the transport refused for now, the
//! sweeper for what the stream missed, resumable fan-outs, and operator commands against a
//! table whose mail the stream mailer sends.

use bb_core::clock::Clock;
use bb_core::notifier::{self, Claimer, Delivery, DeliveryMode, EmailLog, MailStatus};
use bb_core::store::Record;
use bb_core::store::{Key, Query, from_item, query_all};
use bb_tests::faults::{Call, Fault, Faults, FaultyStore};
use bb_tests::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// An application whose mail waits for the stream mailer (nothing is sent in process).
async fn stream_app(backend: Backend) -> TestApp {
    TestApp::with_config(backend, |c| c.mail_delivery = DeliveryMode::Stream).await
}

/// A sign-up: its welcome mail and the staff notice, queued.
async fn sign_up(t: &TestApp, email: &str) -> i64 {
    let body =
        json!({"email": email, "first_name": "Mail", "password": "Mail123456", "password_confirm": "Mail123456"});
    t.call(Req::post("/api/guest/client/create").json(body))
        .await
        .ok()
        .as_i64()
        .unwrap()
}

async fn unsent_keys(t: &TestApp) -> Vec<Key> {
    let (items, _) = notifier::unsent(t.app.store.as_ref(), None, 1000).await.unwrap();
    items.iter().filter_map(Key::of).collect()
}

async fn mail_at(t: &TestApp, key: &Key) -> EmailLog {
    from_item(&t.app.store.get(key).await.unwrap().unwrap()).unwrap()
}

async fn deliver(t: &TestApp, key: &Key, claimer: Claimer) -> Delivery {
    notifier::deliver(
        t.app.store.as_ref(),
        t.app.mailer.as_ref(),
        t.app.clock.now(),
        key,
        claimer,
    )
    .await
    .unwrap()
}

fn attempts(t: &TestApp) -> usize {
    t.mailer.attempts.load(Ordering::SeqCst)
}

// Senders racing for the same items (a stream redelivery, the sweeper, an operator): each mail
// is claimed by one and sent once. (Embedded store: moto does not serialise concurrent
// conditional writes the way DynamoDB does; the sequential case runs on both below.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_senders_send_each_mail_once() {
    let t = Arc::new(stream_app(Backend::Sqlite).await);
    sign_up(&t, "race@example.com").await;
    let keys = unsent_keys(&t).await;
    assert_eq!(keys.len(), 2);
    let mut tasks = Vec::new();
    for n in 0..16 {
        let (t, key) = (t.clone(), keys[n % 2].clone());
        let claimer = if n % 3 == 0 {
            Claimer::Operator
        } else {
            Claimer::Automatic
        };
        tasks.push(tokio::spawn(async move { deliver(&t, &key, claimer).await }));
    }
    let mut sent = 0;
    for task in tasks {
        if task.await.unwrap() == Delivery::Sent {
            sent += 1;
        }
    }
    assert_eq!(sent, 2, "one claim per mail won");
    assert_eq!(attempts(&t), 2, "the transport saw each mail once");
    assert_eq!(t.sent_mail().await.len(), 2);
    for key in &keys {
        let mail = mail_at(&t, key).await;
        assert_eq!((mail.status, mail.attempts), (MailStatus::Sent, 1));
    }
    assert!(unsent_keys(&t).await.is_empty(), "sent mail leaves the index");
}

each_backend!(a_sent_mail_is_never_claimed_again, |backend| async move {
    let t = stream_app(backend).await;
    sign_up(&t, "again@example.com").await;
    for key in unsent_keys(&t).await {
        assert_eq!(deliver(&t, &key, Claimer::Automatic).await, Delivery::Sent);
        assert_eq!(deliver(&t, &key, Claimer::Automatic).await, Delivery::NotClaimed);
        assert_eq!(deliver(&t, &key, Claimer::Operator).await, Delivery::NotClaimed);
    }
    assert_eq!(attempts(&t), 2);
});

// The stream sends new mail; the sweeper takes what it left after a grace period, retries
// what the transport refused for now with backoff, and gives up at the cap.
each_backend!(the_sweeper_retries_throttled_mail_with_backoff, |backend| async move {
    let t = stream_app(backend).await;
    sign_up(&t, "sweep@example.com").await;
    let sweep = || notifier::sweep(&t.app, 100);
    assert_eq!(sweep().await.unwrap().sent, 0, "the stream's turn first");
    assert_eq!(attempts(&t), 0);
    t.throttle_mail(true);
    t.clock
        .advance(time::Duration::seconds(notifier::STREAM_GRACE_SECONDS + 1));
    assert_eq!(sweep().await.unwrap().retrying, 2);
    let key = unsent_keys(&t).await.into_iter().find(|k| k.pk != "STAFF").unwrap();
    let mail = mail_at(&t, &key).await;
    assert_eq!(
        (mail.status, mail.attempts, mail.gave_up),
        (MailStatus::Failed, 1, false)
    );
    assert!(mail.error.unwrap().contains("Maximum sending rate"));
    assert_eq!(mail.retry_at, Some(t.clock.now().unix_timestamp() + 60));
    assert_eq!(sweep().await.unwrap(), notifier::SweepReport::default(), "not due yet");
    // Each further try waits longer, until the cap.
    let mut tried = 1;
    while tried < notifier::MAX_ATTEMPTS {
        let due = mail_at(&t, &key).await.retry_at.unwrap();
        t.clock
            .advance(time::Duration::seconds(due - t.clock.now().unix_timestamp()));
        sweep().await.unwrap();
        tried += 1;
    }
    let mail = mail_at(&t, &key).await;
    assert_eq!((mail.attempts, mail.gave_up), (notifier::MAX_ATTEMPTS, true));
    t.clock.advance(time::Duration::days(2));
    assert_eq!(sweep().await.unwrap().sent, 0, "given up: no more automatic tries");
    assert_eq!(attempts(&t), 2 * notifier::MAX_ATTEMPTS as usize);
    // Once SES takes mail again, the operator sends what was given up on.
    t.throttle_mail(false);
    assert_eq!(
        bb_cli::ops::retry_mail(&t.app).await.unwrap(),
        bb_cli::ops::MailRetry::Sent {
            sent: 2,
            failing: 0,
            busy: 0
        }
    );
    assert_eq!(t.sent_mail().await.len(), 2);
    assert!(unsent_keys(&t).await.is_empty());
});

// A sender that claimed a mail and died holds it only until its lease ends.
each_backend!(a_dead_senders_claim_runs_out, |backend| async move {
    let t = stream_app(backend).await;
    sign_up(&t, "lease@example.com").await;
    let key = unsent_keys(&t).await.remove(0);
    let now = t.clock.now().unix_timestamp();
    let died = bb_core::store::Update::new(key.clone())
        .set("status", "sending")
        .set("claim", "a sender that is gone")
        .set("lease_until", now + 300);
    t.app
        .store
        .update(died, bb_core::store::Returning::Nothing)
        .await
        .unwrap();
    t.clock.advance(time::Duration::seconds(200));
    assert_eq!(
        deliver(&t, &key, Claimer::Automatic).await,
        Delivery::NotClaimed,
        "lease still held"
    );
    t.clock.advance(time::Duration::seconds(101));
    let report = notifier::sweep(&t.app, 100).await.unwrap();
    assert_eq!(report.sent, 2, "the lapsed claim and the other mail");
    assert_eq!(mail_at(&t, &key).await.status, MailStatus::Sent);
});

/// Clients 3 .. 3+n, written directly (the fan-out reads only their records): loading them
/// through the fixtures, a transaction each, takes over a minute on moto.
async fn members(t: &TestApp, n: i64) {
    for id in 3..3 + n {
        let client = bb_core::domain::client::ClientRecord {
            id,
            email: format!("member{id}@example.com"),
            first_name: Some(format!("Member{id}")),
            status: bb_core::domain::client::ClientStatus::Active,
            ..Default::default()
        };
        t.app.store.put(client.to_item().unwrap(), None).await.unwrap();
    }
}

async fn subscribe_all(t: &TestApp, topic: i64, first_client: i64, n: i64) {
    for client_id in first_client..first_client + n {
        let key = bb_core::keys::subscription(topic, client_id);
        let mut item = bb_core::store::Item::new();
        item.insert("pk".into(), key.pk.into());
        item.insert("sk".into(), key.sk.into());
        item.insert("client_id".into(), client_id.into());
        t.app.store.put(item, None).await.unwrap();
    }
}

// A fan-out to 130 subscribers (on SQLite of a post near the size limit: each mail carries the
// ~15 KB message twice): it takes several steps, bounded by bytes or by count, and a step
// whose answer is lost after its commit neither loses nor doubles anyone's mail.
each_backend!(fanouts_resume_and_mail_each_subscriber_once, |backend| async move {
    let faults = Faults::new();
    let armed = faults.clone();
    let wrap = move |s| Arc::new(FaultyStore::new(s, armed)) as Arc<dyn bb_core::store::Store>;
    let t = TestApp::build(backend, |c| c.mail_delivery = DeliveryMode::Stream, wrap).await;
    members(&t, 130).await;
    let start = json!({"forum_id": 2, "topic": "Big thread", "message": "Subscribe please"});
    let topic = t
        .call(Req::post("/api/client/forum/start_topic").key(DEMO_KEY).json(start))
        .await
        .ok()
        .as_i64()
        .unwrap();
    subscribe_all(&t, topic, 3, 130).await;
    subscribe_all(&t, topic, 1, 1).await; // the author, who gets nothing
    // On the embedded store a post near the size limit, so steps are bounded by bytes; on moto a
    // short one, bounded by count (moto copies the whole table once per item of every
    // transaction, so megabytes of mail make this one test take minutes there).
    let message = match backend {
        Backend::Sqlite => "A long announcement. ".repeat(700),
        Backend::Aws => "A short announcement.".to_string(),
    };
    let post = json!({"forum_topic_id": topic, "message": message});
    t.call(Req::post("/api/client/forum/post_message").key(DEMO_KEY).json(post))
        .await
        .ok();
    let job = Key::new(format!("FANOUT#forum-{topic}-2"), "JOB");
    faults.arm_on(Call::Transact, Some("C#"), Fault::LoseResponse, 1);
    faults.arm_on(Call::Update, Some("FANOUT#"), Fault::Throttle, 2);
    let first = notifier::run_fanout(&t.app, &job).await;
    assert!(
        first.is_err(),
        "the lost answer stops the run, which is reported for a retry"
    );
    assert!(
        unsent_keys(&t).await.contains(&job),
        "an unfinished job stays in the index"
    );
    // The sweeper (or the stream's redelivery) runs it again, from the cursor.
    t.clock
        .advance(time::Duration::seconds(notifier::STREAM_GRACE_SECONDS + 1));
    notifier::run_fanout(&t.app, &job).await.unwrap();
    for client_id in 3..133 {
        let log = query_all(
            t.app.store.as_ref(),
            Query::partition(bb_core::keys::client_partition(client_id)).sk(
                bb_core::store::listing::Listing::records_of(bb_core::keys::EMAIL_LOG_PREFIX),
            ),
        )
        .await
        .unwrap();
        assert_eq!(log.len(), 1, "client {client_id}");
    }
    let author = query_all(
        t.app.store.as_ref(),
        Query::partition(bb_core::keys::client_partition(1)).sk(bb_core::store::listing::Listing::records_of(
            bb_core::keys::EMAIL_LOG_PREFIX,
        )),
    )
    .await
    .unwrap();
    assert!(author.is_empty(), "not the author");
    let done = t.app.store.get(&job).await.unwrap().unwrap();
    assert_eq!(done["status"], "done".into());
    assert!(!unsent_keys(&t).await.contains(&job), "a finished job leaves the index");
    // A replayed job (stream redelivery) writes nothing more.
    assert_eq!(notifier::run_fanout(&t.app, &job).await.unwrap(), 0);
});

// An operator command against a table whose mail the stream mailer sends (BB_TABLE_NAME set,
// no SES here): it queues mail and never sends nor marks anything sent itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_on_a_live_table_leave_mail_to_the_mailer() {
    use bb_runtime::backends::{self, Choice};
    let res = moto::Resources::create().await;
    let dir = tempfile::tempdir().unwrap();
    let choice = Choice {
        table: Some(res.table.clone()),
        data_key: Some(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            [5u8; 32],
        )),
        data_dir: dir.path().to_path_buf(),
        ..Choice::default()
    };
    let config = bb_core::config::Config::default();
    let built = backends::build_with(&choice, &config, Some(res.sdk.clone()))
        .await
        .unwrap();
    assert!(!built.mailer.sends_here());
    let app = backends::app(&built, config, Arc::new(bb_core::clock::SystemClock)).unwrap();
    assert_eq!(app.mail_dispatch.mode(), DeliveryMode::Stream);
    for (name, text) in [("base", bb_cli::fixtures::BASE), ("demo", bb_cli::fixtures::DEMO)] {
        bb_cli::fixtures::load(&app, &bb_cli::fixtures::parse(text).unwrap(), name)
            .await
            .unwrap();
    }
    let api = bb_core::pipeline::Api::new(app.clone(), bb_cli::registry());
    let added = api
        .handle(
            Req::post("/api/guest/cart/add_item")
                .key(DEMO_KEY)
                .json(json!({"id": 2, "period": "1M"}))
                .into_api(),
        )
        .await;
    assert_eq!(Resp::from(added).ok(), &json!(true));
    let done = Resp::from(
        api.handle(
            Req::post("/api/client/cart/checkout")
                .key(DEMO_KEY)
                .json(json!({}))
                .into_api(),
        )
        .await,
    );
    let hash = done.ok()["invoice_hash"].as_str().unwrap().to_string();
    bb_cli::ops::pay_invoice(&app, &hash, Some(1), Some("TX-LIVE".into()))
        .await
        .unwrap();
    app.mail_dispatch.flush().await;
    assert!(!dir.path().join("outbox").exists(), "no local outbox");
    let (unsent, _) = notifier::unsent(app.store.as_ref(), None, 100).await.unwrap();
    assert!(!unsent.is_empty());
    assert!(
        unsent.iter().all(|i| i["status"] == "queued".into()),
        "queued for the stream mailer"
    );
    // `bb mail retry` here hands failed mail to the sweeper instead of sending it.
    assert_eq!(
        bb_cli::ops::retry_mail(&app).await.unwrap(),
        bb_cli::ops::MailRetry::Requeued(0)
    );
    let (still, _) = notifier::unsent(app.store.as_ref(), None, 100).await.unwrap();
    assert_eq!(still.len(), unsent.len(), "nothing was sent from here");
    assert!(still.iter().all(|i| i["status"] == "queued".into()));
}
