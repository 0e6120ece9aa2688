//! `bb`: the local server, the fixtures loader, the OpenAPI writer and the operator commands
//! (ops have no admin API; these work on either backend).

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod docs;
pub mod fixtures;
pub mod infra;
pub mod ops;
pub mod serve;

use bb_core::module::{Deployment, Registry, StoreUse};
use bb_core::store::Index;

/// Every module, as the local server and the OpenAPI document serve them. A new module crate
/// is added here (`bb infra template` then gives it its function, routes and policies).
pub fn registry() -> Registry {
    Registry::new(vec![
        fn_cart::module(),
        fn_client::module(),
        fn_currency::module(),
        fn_email::module(),
        fn_example::module(),
        fn_forum::module(),
        fn_invoice::module(),
        fn_order::module(),
        fn_product::module(),
        fn_profile::module(),
        fn_support::module(),
        fn_serviceyouhosting::module(),
        fn_serviceboxbillinglicense::module(),
        fn_servicecustom::module(),
        fn_servicecentovacast::module(),
        fn_servicesolusvm::module(),
        fn_servicedomain::module(),
        fn_servicedownloadable::module(),
        fn_servicelicense::module(),
        fn_servicehosting::module(),
        fn_system::module(),
    ])
}

/// The `fallback` function (the HTTP API's `$default` route): it serves no module, but counts
/// the caller's IP and authenticates client calls before answering 715.
pub fn fallback() -> Deployment {
    Deployment::default()
        .store(StoreUse::ReadOnly)
        .summary("catch-all route with BoxBilling's routing errors")
}

/// The `mailer` function (the table's stream and the sweep schedule): claims, sends and records
/// mail items, expands fan-out jobs, and sweeps the unsent-mail index (gsi1). A sweep pass
/// sends up to its limit one by one, so it gets more time than a request.
pub fn mailer() -> Deployment {
    Deployment::default()
        .indexes(&[Index::Gsi1])
        .timeout(60)
        .summary("delivers queued mail and expands fan-outs (table stream), sweeps unsent mail (schedule)")
}
