//! bb-ports: what the rest of bb-lambda talks through, and nothing it is built from. The store,
//! mailer, file store and outbound client traits (the AWS and local adapters implement them),
//! the crypto, clock and deadline every layer uses, and the API error they all answer with.
//! It depends on no other bb crate, so cargo keeps it at the bottom.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod answer;
pub mod clock;
pub mod crypto;
pub mod deadline;
pub mod error;
pub mod files;
pub mod mail;
pub mod outbound;
pub mod store;
