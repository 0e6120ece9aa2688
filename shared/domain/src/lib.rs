//! bb-domain: every record and rule of bb-lambda (clients, the catalogue, carts, orders,
//! invoices, services, the activity log, notices, keys, settings), written over the ports
//! alone. Nothing here knows a request, an HTTP API, Lambda or AWS: time, settings and ids
//! are arguments, so each rule is tested with plain data.

// Rules return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

// The ports, named inside this crate as `crate::store`, `crate::error`, ...
use bb_ports::{clock, crypto, error, store};

pub mod activation;
pub mod activity;
pub mod cart;
pub mod catalog;
pub mod client;
pub mod forum;
pub mod invoice;
pub mod keys;
pub mod money;
pub mod notice;
pub mod order;
pub mod patch;
pub mod period;
pub mod service;
pub mod settings;
pub mod support;
pub mod validate;
