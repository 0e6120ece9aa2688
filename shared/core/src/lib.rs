//! bb-core: the application layer every bb-lambda function shares: the request pipeline,
//! authentication, rate limits, parameters, the module table, the OpenAPI document and mail
//! delivery, over the ports (bb-ports) and the domain (bb-domain). A module crate adds only its
//! method table and functions.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate self as bb_core;

// The ports, re-exported so every layer names them as `bb_core::store`, `bb_core::error`, ...
pub use bb_ports::{answer, clock, crypto, deadline, error, files, mail, outbound, store};

// The domain, re-exported so modules name it as `bb_core::domain`, `bb_core::keys`, ...
pub use bb_domain as domain;
pub use bb_domain::{keys, validate};

pub mod app;
pub mod auth;
pub mod config;
pub mod context;
pub mod forms;
pub mod http;
pub mod idempotency;
pub mod mail_queue;
pub mod module;
pub mod notifier;
pub mod openapi;
pub mod params;
pub mod pipeline;
pub mod ratelimit;
pub mod route;

/// What a module crate needs, in one import.
pub mod prelude {
    pub use crate::answer::{OneOf, PhpMap, Relayed};
    pub use crate::app::App;
    pub use crate::context::{ClientCtx, Ctx, GuestCtx, Page, Paging};
    pub use crate::error::{ApiError, ApiResult};
    pub use crate::module::{Access, Module};
    pub use crate::notifier::Commit;
    pub use crate::params::{Ignored, NoParams, ParamMap, Params, Patch};
    pub use crate::store::{
        Attr, Cond, IdKind, Item, Key, OpHandle, Query, Record, Returning, Store, StoreError, Tx, TxOp, Update,
        Versioned,
    };
    pub use bb_macros::Answer;
    pub use serde_json::{Value, json};
}
