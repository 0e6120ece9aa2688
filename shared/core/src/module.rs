//! Method tables. A module is a list of methods; a method is a plain async function over a
//! context and typed parameters, returning something serialisable:
//!
//! ```ignore
//! pub fn module() -> Module {
//!     Module::new("profile").method(Access::Read, "get", get)
//! }
//! async fn get(ctx: ClientCtx, _: NoParams) -> ApiResult<Value> { ... }
//! ```
//!
//! The context type decides the role (`ClientCtx` → `/api/client`, `GuestCtx` →
//! `/api/guest`); the parameter type decides parsing, required-parameter texts and the
//! OpenAPI schema.
//!
//! A module also declares what its deployment needs ([`Deployment`]): how it uses the table,
//! which indexes it queries, whether it signs files or calls external systems, its memory.
//! `bb infra template` turns that into the SAM template's functions and least-privilege
//! policies, and the API tests check every store call against it.

use crate::context::{Call, FromCall};
use crate::params::{ParamInfo, Params};
use crate::route::Role;
use bb_ports::answer::Answer;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::store::Index;
use futures::future::BoxFuture;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

/// What a method does, which decides CSRF and rate-limit treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only: no CSRF token needed.
    Read,
    /// Changes state: a cookie session must send its CSRF token.
    Write,
    /// A write under the tighter login/password rate limit.
    Sensitive,
}

impl Access {
    pub fn changes_state(self) -> bool {
        !matches!(self, Access::Read)
    }
}

type Handler = Arc<dyn Fn(Call) -> BoxFuture<'static, ApiResult<Value>> + Send + Sync>;

#[derive(Clone)]
pub struct MethodDef {
    pub role: Role,
    pub name: &'static str,
    pub access: Access,
    /// Serves every method name of its role the module does not define (`servicecustom`).
    pub dispatcher: bool,
    pub params: fn() -> Vec<ParamInfo>,
    /// The JSON Schema of the method's `result`.
    pub result: fn() -> Value,
    handler: Handler,
}

impl MethodDef {
    pub async fn call(&self, call: Call) -> ApiResult<Value> {
        (self.handler)(call).await
    }
}

#[derive(Clone)]
pub struct Module {
    pub name: &'static str,
    pub methods: Vec<MethodDef>,
    /// What the module's Lambda function needs (permissions, memory, timeout).
    pub deploy: Deployment,
}

impl Module {
    pub fn new(name: &'static str) -> Self {
        Module {
            name,
            methods: Vec::new(),
            deploy: Deployment::default(),
        }
    }

    /// See [`Deployment::store`].
    pub fn store(mut self, store: StoreUse) -> Self {
        self.deploy = self.deploy.store(store);
        self
    }

    /// See [`Deployment::indexes`].
    pub fn indexes(mut self, indexes: &[Index]) -> Self {
        self.deploy = self.deploy.indexes(indexes);
        self
    }

    /// See [`Deployment::files`].
    pub fn files(mut self) -> Self {
        self.deploy = self.deploy.files();
        self
    }

    /// See [`Deployment::external_calls`].
    pub fn external_calls(mut self) -> Self {
        self.deploy = self.deploy.external_calls();
        self
    }

    /// See [`Deployment::memory`].
    pub fn memory(mut self, mb: u32) -> Self {
        self.deploy = self.deploy.memory(mb);
        self
    }

    /// See [`Deployment::summary`].
    pub fn summary(mut self, text: &'static str) -> Self {
        self.deploy = self.deploy.summary(text);
        self
    }

    /// The roles the module has methods for, guest last (the order of its routes).
    pub fn roles(&self) -> Vec<Role> {
        [Role::Client, Role::Guest]
            .into_iter()
            .filter(|r| self.methods.iter().any(|m| m.role == *r))
            .collect()
    }

    pub fn method<C, P, R, F, Fut>(mut self, access: Access, name: &'static str, f: F) -> Self
    where
        C: FromCall,
        P: Params,
        R: Answer + Send + 'static,
        F: Fn(C, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<R>> + Send + 'static,
    {
        let f = Arc::new(f);
        let handler: Handler = Arc::new(move |call: Call| {
            let f = f.clone();
            Box::pin(async move {
                let params = P::from_params(&call.params)?;
                let ctx = C::from_call(call)?;
                let result = f(ctx, params).await?;
                serde_json::to_value(result).map_err(|e| ApiError::internal(format!("result does not serialise: {e}")))
            })
        });
        self.methods.push(MethodDef {
            role: C::ROLE,
            name,
            access,
            dispatcher: false,
            params: P::describe,
            result: R::schema,
            handler,
        });
        self
    }

    /// Like [`Module::method`], and the method also answers every other method name of its
    /// role (the handler reads the called name from `ctx.meta.method`).
    pub fn dispatcher<C, P, R, F, Fut>(self, access: Access, name: &'static str, f: F) -> Self
    where
        C: FromCall,
        P: Params,
        R: Answer + Send + 'static,
        F: Fn(C, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<R>> + Send + 'static,
    {
        let mut module = self.method(access, name, f);
        if let Some(last) = module.methods.last_mut() {
            last.dispatcher = true;
        }
        module
    }

    pub fn find(&self, role: Role, method: &str) -> Option<&MethodDef> {
        self.methods
            .iter()
            .find(|m| m.role == role && m.name == method)
            .or_else(|| self.methods.iter().find(|m| m.role == role && m.dispatcher))
    }
}

/// The modules one process serves: one module in a Lambda function, all of them locally.
#[derive(Clone, Default)]
pub struct Registry {
    pub modules: Vec<Module>,
}

impl Registry {
    pub fn new(modules: Vec<Module>) -> Self {
        Registry { modules }
    }

    pub fn module(&self, name: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// Every routed method as `(role, module, method)`.
    pub fn routes(&self) -> Vec<(Role, &'static str, &MethodDef)> {
        self.modules
            .iter()
            .flat_map(|m| m.methods.iter().map(move |d| (d.role, m.name, d)))
            .collect()
    }
}

/// Memory of a function that hashes passwords (Argon2id, CPU-bound). Lambda gives a function CPU
/// in proportion to its memory, one full vCPU at 1769 MB. Below that a hash takes longer in
/// inverse proportion, so the cost of a hash (memory × time) is the same at any size up to one
/// vCPU while the caller waits less; above it the second vCPU stays idle (one hash is one thread).
pub const PASSWORD_HASHING_MEMORY_MB: u32 = 1769;

/// Memory of every other function: ample for the binary and a request's items.
pub const DEFAULT_MEMORY_MB: u32 = 256;

/// Timeout of a function that only talks to the store.
pub const DEFAULT_TIMEOUT_S: u32 = 10;

/// Timeout of a function that calls registrars, panels and other external systems. API
/// Gateway's HTTP API gives up on an integration after 30 s, so the function must end first
/// (and answer its own error) instead of being cut off.
pub const EXTERNAL_CALL_TIMEOUT_S: u32 = 25;

/// Partition-key prefixes every function writes while checking a request, whatever its own
/// work: the per-IP rate counters (`RL#`) and the credential items that authentication updates
/// (`KEY#` API keys, `SESSION#` sessions; see `keys.rs`).
pub const PIPELINE_KEY_PREFIXES: &[&str] = &["RL#", "KEY#", "SESSION#"];

/// How a function uses the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StoreUse {
    /// Item reads and writes, transactions and Query (never Scan: the store port has none).
    #[default]
    ReadWrite,
    /// Reads only (GetItem, BatchGetItem, Query), plus UpdateItem on the items the pipeline
    /// itself writes ([`PIPELINE_KEY_PREFIXES`]).
    ReadOnly,
}

/// One kind of DynamoDB request as IAM authorises it. A transaction needs, per item, the action
/// of that item's operation (there is no separate transaction permission).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOp {
    GetItem,
    BatchGetItem,
    Query,
    PutItem,
    UpdateItem,
    DeleteItem,
    ConditionCheckItem,
}

impl StoreOp {
    /// The IAM action.
    pub fn action(self) -> &'static str {
        match self {
            StoreOp::GetItem => "dynamodb:GetItem",
            StoreOp::BatchGetItem => "dynamodb:BatchGetItem",
            StoreOp::Query => "dynamodb:Query",
            StoreOp::PutItem => "dynamodb:PutItem",
            StoreOp::UpdateItem => "dynamodb:UpdateItem",
            StoreOp::DeleteItem => "dynamodb:DeleteItem",
            StoreOp::ConditionCheckItem => "dynamodb:ConditionCheckItem",
        }
    }
}

/// Actions on the table, optionally only on items whose partition key starts with one of
/// `leading_keys` (IAM's `dynamodb:LeadingKeys`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Names the grant's policy statement (`Sid`: letters and digits).
    pub name: &'static str,
    pub ops: &'static [StoreOp],
    pub leading_keys: Option<&'static [&'static str]>,
}

const READ_WRITE: &[Grant] = &[Grant {
    name: "TableItems",
    ops: &[
        StoreOp::GetItem,
        StoreOp::BatchGetItem,
        StoreOp::PutItem,
        StoreOp::UpdateItem,
        StoreOp::DeleteItem,
        StoreOp::ConditionCheckItem,
        StoreOp::Query,
    ],
    leading_keys: None,
}];

const READ_ONLY: &[Grant] = &[
    Grant {
        name: "TableReads",
        ops: &[StoreOp::GetItem, StoreOp::BatchGetItem, StoreOp::Query],
        leading_keys: None,
    },
    Grant {
        name: "PipelineItems",
        ops: &[StoreOp::UpdateItem],
        leading_keys: Some(PIPELINE_KEY_PREFIXES),
    },
];

impl StoreUse {
    /// What the function may do on the table itself (indexes: [`Deployment::indexes`]).
    pub fn grants(self) -> &'static [Grant] {
        match self {
            StoreUse::ReadWrite => READ_WRITE,
            StoreUse::ReadOnly => READ_ONLY,
        }
    }
}

/// A store call a declaration does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The action is not granted on the table at all.
    Op(StoreOp),
    /// The action is granted only on other partition-key prefixes.
    Key { op: StoreOp, pk: String },
    /// A query on an index the function did not declare (or another action on an index).
    Index { op: StoreOp, index: Index },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Op(op) => write!(f, "{} is not granted", op.action()),
            Refusal::Key { op, pk } => write!(f, "{} is not granted on partition key {pk}", op.action()),
            Refusal::Index { op, index } => write!(
                f,
                "{} is not granted on index {}",
                op.action(),
                index.name().unwrap_or("(table)")
            ),
        }
    }
}

/// What a function's deployment needs to know about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    pub store: StoreUse,
    /// Global indexes the function queries.
    pub indexes: Vec<Index>,
    /// Signs S3 downloads (gets the bucket and read access to its objects).
    pub files: bool,
    /// Calls external systems (registrars, panels): see [`EXTERNAL_CALL_TIMEOUT_S`].
    pub external_calls: bool,
    pub memory_mb: u32,
    pub timeout_s: u32,
    /// What the function is for, after its routes in the function's description.
    pub summary: Option<&'static str>,
}

impl Default for Deployment {
    fn default() -> Self {
        Deployment {
            store: StoreUse::default(),
            indexes: Vec::new(),
            files: false,
            external_calls: false,
            memory_mb: DEFAULT_MEMORY_MB,
            timeout_s: DEFAULT_TIMEOUT_S,
            summary: None,
        }
    }
}

impl Deployment {
    pub fn store(mut self, store: StoreUse) -> Self {
        self.store = store;
        self
    }

    /// Adds global indexes the function queries (`Index::Table` needs no declaration).
    pub fn indexes(mut self, indexes: &[Index]) -> Self {
        for index in indexes {
            if *index != Index::Table && !self.indexes.contains(index) {
                self.indexes.push(*index);
            }
        }
        self
    }

    pub fn files(mut self) -> Self {
        self.files = true;
        self
    }

    /// Calls external systems: the longer timeout.
    pub fn external_calls(mut self) -> Self {
        self.external_calls = true;
        self.timeout_s = self.timeout_s.max(EXTERNAL_CALL_TIMEOUT_S);
        self
    }

    pub fn memory(mut self, mb: u32) -> Self {
        self.memory_mb = mb;
        self
    }

    /// A timeout other than the defaults (functions that are not behind the HTTP API).
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout_s = seconds;
        self
    }

    pub fn summary(mut self, text: &'static str) -> Self {
        self.summary = Some(text);
        self
    }

    /// Whether the declared permissions cover one store call on an item (or query partition)
    /// with partition key `pk`.
    pub fn allows(&self, op: StoreOp, index: Index, pk: &str) -> Result<(), Refusal> {
        if index != Index::Table {
            return if op == StoreOp::Query && self.indexes.contains(&index) {
                Ok(())
            } else {
                Err(Refusal::Index { op, index })
            };
        }
        let granted: Vec<&Grant> = self.store.grants().iter().filter(|g| g.ops.contains(&op)).collect();
        if granted.is_empty() {
            return Err(Refusal::Op(op));
        }
        let on_key = granted.iter().any(|g| {
            g.leading_keys
                .is_none_or(|prefixes| prefixes.iter().any(|p| pk.starts_with(p)))
        });
        if on_key {
            Ok(())
        } else {
            Err(Refusal::Key { op, pk: pk.to_string() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bb_domain::keys;

    #[test]
    fn pipeline_prefixes_are_the_keys_the_pipeline_writes() {
        for key in [
            keys::rate_counter("ip", "203.0.113.5", 7),
            keys::rate_counter("login", "203.0.113.5", 7),
            keys::api_key("abc"),
            keys::session("abc"),
        ] {
            let read_only = Deployment::default().store(StoreUse::ReadOnly);
            assert_eq!(
                read_only.allows(StoreOp::UpdateItem, Index::Table, &key.pk),
                Ok(()),
                "{key}"
            );
        }
    }

    #[test]
    fn read_only_refuses_writes_elsewhere_and_undeclared_indexes() {
        let d = Deployment::default().store(StoreUse::ReadOnly).indexes(&[Index::Gsi2]);
        assert_eq!(d.allows(StoreOp::Query, Index::Table, "CATALOG"), Ok(()));
        assert_eq!(d.allows(StoreOp::Query, Index::Gsi2, "FTOPICS#1"), Ok(()));
        assert_eq!(
            d.allows(StoreOp::Query, Index::Gsi1, "MAILQ#0"),
            Err(Refusal::Index {
                op: StoreOp::Query,
                index: Index::Gsi1
            })
        );
        assert_eq!(
            d.allows(StoreOp::PutItem, Index::Table, "RL#ip"),
            Err(Refusal::Op(StoreOp::PutItem))
        );
        assert!(matches!(
            d.allows(StoreOp::UpdateItem, Index::Table, "C#1"),
            Err(Refusal::Key { .. })
        ));
        assert_eq!(
            Deployment::default().allows(StoreOp::DeleteItem, Index::Table, "C#1"),
            Ok(())
        );
    }

    #[test]
    fn external_calls_take_the_longer_timeout() {
        assert_eq!(Deployment::default().timeout_s, DEFAULT_TIMEOUT_S);
        assert_eq!(
            Deployment::default().external_calls().timeout_s,
            EXTERNAL_CALL_TIMEOUT_S
        );
    }
}
