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

use crate::context::{Call, FromCall};
use crate::error::{ApiError, ApiResult};
use crate::params::{ParamInfo, Params};
use crate::pipeline::Role;
use futures::future::BoxFuture;
use serde::Serialize;
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
}

impl Module {
    pub fn new(name: &'static str) -> Self {
        Module {
            name,
            methods: Vec::new(),
        }
    }

    pub fn method<C, P, R, F, Fut>(mut self, access: Access, name: &'static str, f: F) -> Self
    where
        C: FromCall,
        P: Params,
        R: Serialize + Send + 'static,
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
        R: Serialize + Send + 'static,
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
