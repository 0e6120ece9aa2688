//! The least-privilege checker itself (`bb_tests::permissions`): it refuses what a declaration
//! does not allow, so the rest of the suite passing proves the generated policies cover every
//! tested code path.

use bb_core::module::{Deployment, StoreUse};
use bb_core::store::{Attr, Cond, Index, Item, Key, Query, Returning, Store, TxOp, Update};
use bb_tests::permissions::{self, Scope};
use bb_tests::{Backend, DEMO_KEY, Req, TestApp};
use serde_json::json;
use std::sync::Arc;

fn item(pk: &str, sk: &str) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), Attr::from(pk));
    item.insert("sk".into(), Attr::from(sk));
    item
}

/// The panic message of a task that must have panicked.
async fn panic_of<F>(work: F) -> String
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + std::fmt::Debug + 'static,
{
    match tokio::spawn(work).await {
        Ok(answer) => panic!("the checker let the call through: {answer:?}"),
        Err(e) => {
            let payload = e.into_panic();
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalogue_module_may_not_write() {
    let t = TestApp::new(Backend::Sqlite).await;
    let store: Arc<dyn Store> = t.app.store.clone();
    let product = Scope::of_path("/api/guest/product/get");
    assert_eq!(product.function, "product");

    let s = store.clone();
    let refused = panic_of(permissions::within(product.clone(), async move {
        s.put(item("CATALOG", "P#999"), None).await
    }))
    .await;
    assert!(
        refused.contains("the product function may not call dynamodb:PutItem on key CATALOG|P#999"),
        "{refused}"
    );
    assert!(
        store.get(&Key::new("CATALOG", "P#999")).await.unwrap().is_none(),
        "nothing written"
    );

    // The same module may count its caller and read; outside a request nothing is checked.
    let s = store.clone();
    permissions::within(product.clone(), async move {
        s.update(
            Update::new(Key::new("RL#ip#203.0.113.9#1", "RL")).add("n", 1),
            Returning::AllNew,
        )
        .await
        .unwrap();
        s.query(Query::partition("CATALOG")).await.unwrap();
    })
    .await;
    store.put(item("TEST#outside", "X"), None).await.unwrap();

    // Writes to other partitions, each item of a transaction, undeclared indexes.
    let s = store.clone();
    let refused = panic_of(permissions::within(product.clone(), async move {
        s.update(Update::new(Key::new("C#1", "PROFILE")).add("n", 1), Returning::AllNew)
            .await
    }))
    .await;
    assert!(refused.contains("not granted on partition key C#1"), "{refused}");
    let s = store.clone();
    let refused = panic_of(permissions::within(product, async move {
        s.transact(vec![
            TxOp::Update(Update::new(Key::new("KEY#abc", "KEY")).add("n", 1)),
            TxOp::Check {
                key: Key::new("CATALOG", "P#1"),
                cond: Cond::exists(),
            },
        ])
        .await
    }))
    .await;
    assert!(
        refused.contains("dynamodb:ConditionCheckItem on key CATALOG|P#1"),
        "{refused}"
    );
    let s = store.clone();
    let refused = panic_of(permissions::within(
        Scope::of_path("/api/client/forum/get_list"),
        async move { s.query(Query::partition("MAILQ#0").on(Index::Gsi1)).await },
    ))
    .await;
    assert!(
        refused.contains("the forum function may not call dynamodb:Query on index gsi1"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_its_declaration_does_not_cover_fails_its_test() {
    let t = TestApp::new(Backend::Sqlite).await;
    // As if profile were declared read-only: `profile/update` writes the client, so the call
    // panics inside the pipeline and the panic reaches the test.
    let refused = panic_of(async move {
        permissions::substituting(
            "profile",
            Deployment::default().store(StoreUse::ReadOnly),
            t.call(
                Req::post("/api/client/profile/update")
                    .key(DEMO_KEY)
                    .json(json!({"city": "Vilnius"})),
            ),
        )
        .await
    })
    .await;
    assert!(refused.contains("the profile function may not call"), "{refused}");
    assert!(refused.contains("C#"), "names the client's partition: {refused}");
}

#[test]
fn paths_no_module_route_takes_are_checked_as_the_fallback() {
    for path in [
        "/api/client/nosuchmodule/get",
        "/api/admin/profile/get",
        "/api/client/profile",
        // product has guest methods only: its client path has no route and reaches `$default`.
        "/api/client/product/get",
    ] {
        let scope = Scope::of_path(path);
        assert_eq!(scope.function, "fallback", "{path}");
        assert_eq!(*scope.deploy, bb_cli::fallback());
    }
    assert_eq!(Scope::of_path("/api/guest/cart/get").function, "cart");
    assert_eq!(Scope::of_path("/api/client/cart/checkout").function, "cart");
}
