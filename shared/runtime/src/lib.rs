//! Wiring shared by every binary: adapters chosen from the environment, the Lambda entry
//! point, the local HTTP server and logging.

pub mod backends;
pub mod lambda;
pub mod logging;
pub mod server;
