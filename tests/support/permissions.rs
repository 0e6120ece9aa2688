//! Least privilege, proven by the API tests: every [`crate::TestApp`]'s store checks each call
//! made while a request is handled against the declaration of the function that serves the
//! request in AWS (`Module::deploy`; `bb_cli::fallback()` for paths no module route takes).
//! That declaration is what `bb infra template` turns into the function's IAM policy, so a call
//! it does not cover would be refused in AWS: here it panics, failing the test that made it,
//! before the call reaches the backend.
//!
//! Calls outside a request (fixtures, the background mail worker, operator commands) are not
//! checked: in AWS they are other principals (an operator, the mailer function).

use async_trait::async_trait;
use bb_core::module::{Deployment, StoreOp};
use bb_core::route::Role;
use bb_core::store::{Batch, Cond, Index, Item, Key, Page, Query, Returning, Store, StoreResult, TxOp, Update};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};

/// The function a request runs in, with its declaration.
#[derive(Clone, Debug)]
pub struct Scope {
    pub function: String,
    pub deploy: Arc<Deployment>,
}

tokio::task_local! {
    static SCOPE: Scope;
    /// A declaration a test puts in place of a module's own (to show a refusal end to end).
    static SUBSTITUTE: (String, Arc<Deployment>);
}

/// Each module's roles and declaration.
type Declared = HashMap<&'static str, (Vec<Role>, Arc<Deployment>)>;

/// Every module's roles and declaration, built once.
fn declared() -> &'static Declared {
    static DECLARED: OnceLock<Declared> = OnceLock::new();
    DECLARED.get_or_init(|| {
        bb_cli::registry()
            .modules
            .iter()
            .map(|m| (m.name, (m.roles(), Arc::new(m.deploy.clone()))))
            .collect()
    })
}

impl Scope {
    pub fn new(function: &str, deploy: Deployment) -> Scope {
        Scope {
            function: function.into(),
            deploy: Arc::new(deploy),
        }
    }

    /// The function that runs a request for `path`: the module the pipeline routes it to, when
    /// that module has methods for the role (it then has a route for it in the HTTP API), else
    /// the fallback (`$default`), as for unknown modules, roles and malformed paths.
    pub fn of_path(path: &str) -> Scope {
        let Ok(route) = bb_core::route::parse(path) else {
            return Scope::new("fallback", bb_cli::fallback());
        };
        if let Ok(Some(scope)) = SUBSTITUTE.try_with(|(module, deploy)| {
            (*module == route.module).then(|| Scope {
                function: module.clone(),
                deploy: deploy.clone(),
            })
        }) {
            return scope;
        }
        match declared().get(route.module.as_str()) {
            Some((roles, deploy)) if roles.contains(&route.role) => Scope {
                function: route.module.clone(),
                deploy: deploy.clone(),
            },
            _ => Scope::new("fallback", bb_cli::fallback()),
        }
    }
}

/// Runs `work` as the function of `scope`: its store calls are checked.
pub async fn within<F: Future>(scope: Scope, work: F) -> F::Output {
    SCOPE.scope(scope, work).await
}

/// Runs `work` with `deploy` standing in for the declaration of `module`.
pub async fn substituting<F: Future>(module: &str, deploy: Deployment, work: F) -> F::Output {
    SUBSTITUTE.scope((module.to_string(), Arc::new(deploy)), work).await
}

/// The store wrapper: checks, then delegates.
pub struct Checked {
    inner: Arc<dyn Store>,
}

impl Checked {
    /// Wraps the store the application is built on (below its `Resilient` layer, above any
    /// fault-injecting test wrapper: what is checked is what the application sends, as IAM
    /// sees it, including calls a fault wrapper then refuses).
    pub fn install(inner: Arc<dyn Store>) -> Arc<dyn Store> {
        Arc::new(Checked { inner })
    }
}

/// Panics when the current request's function may not make this call.
fn check(op: StoreOp, index: Index, key: &Key) {
    let Ok(scope) = SCOPE.try_with(Clone::clone) else {
        return;
    };
    if let Err(refusal) = scope.deploy.allows(op, index, &key.pk) {
        let on = match index.name() {
            Some(name) => format!("index {name}, partition {}", key.pk),
            None => format!("key {key}"),
        };
        panic!(
            "least privilege: the {} function may not call {} on {on}: {refusal}. Declare what it needs \
             in its module() (store use, indexes), then regenerate infra/template.yaml.",
            scope.function,
            op.action(),
        );
    }
}

fn tx_op(op: &TxOp) -> StoreOp {
    match op {
        TxOp::Put { .. } => StoreOp::PutItem,
        TxOp::Update(_) => StoreOp::UpdateItem,
        TxOp::Delete { .. } => StoreOp::DeleteItem,
        TxOp::Check { .. } => StoreOp::ConditionCheckItem,
    }
}

fn key_of(item: &Item) -> Key {
    Key::of(item).unwrap_or_else(|| Key::new("", ""))
}

// `get_many` is left to the trait's default, so each of its batch reads is checked here.
#[async_trait]
impl Store for Checked {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        check(StoreOp::GetItem, Index::Table, key);
        self.inner.get(key).await
    }

    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Batch> {
        for key in keys {
            check(StoreOp::BatchGetItem, Index::Table, key);
        }
        self.inner.batch_get(keys).await
    }

    async fn put(&self, item: Item, cond: Option<Cond>) -> StoreResult<()> {
        check(StoreOp::PutItem, Index::Table, &key_of(&item));
        self.inner.put(item, cond).await
    }

    async fn update(&self, update: Update, returning: Returning) -> StoreResult<Option<Item>> {
        check(StoreOp::UpdateItem, Index::Table, &update.key);
        self.inner.update(update, returning).await
    }

    async fn delete(&self, key: &Key, cond: Option<Cond>) -> StoreResult<Option<Item>> {
        check(StoreOp::DeleteItem, Index::Table, key);
        self.inner.delete(key, cond).await
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        check(StoreOp::Query, query.index, &Key::new(query.pk.clone(), ""));
        self.inner.query(query).await
    }

    /// IAM authorises a transaction item by item, by each item's own action.
    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        for op in &ops {
            check(tx_op(op), Index::Table, &op.key().unwrap_or_else(|| Key::new("", "")));
        }
        self.inner.transact(ops).await
    }
}
