//! Records and rules shared by several modules.

pub mod activity;
pub mod cart;
pub mod catalog;
pub mod client;
pub mod invoice;
pub mod money;
pub mod order;
pub mod period;
pub mod service;
