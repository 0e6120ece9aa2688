//! Records shared by several modules.

pub mod activity;
pub mod client;
