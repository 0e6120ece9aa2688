//! Wiring shared by every binary: adapters chosen from the environment, the Lambda entry
//! point, the local HTTP server and logging.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod backends;
pub mod lambda;
pub mod logging;
pub mod outbound;
#[cfg(feature = "local")]
pub mod server;
