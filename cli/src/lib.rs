//! `bb`: the local server, the fixtures loader, the OpenAPI writer and the operator commands
//! (ops have no admin API; these work on either backend).

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod fixtures;
pub mod ops;
pub mod serve;

use bb_core::module::Registry;

/// Every module, as the local server and the OpenAPI document serve them. A new module crate
/// is added here and in `infra/template.yaml`.
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
    ])
}
