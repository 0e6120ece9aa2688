//! The API through the pipeline, on both backends: wire dialects, authentication, every
//! method's behaviour, isolation between clients and round-trip budgets.

mod auth;
mod billing;
mod communication;
mod coverage;
mod domains;
mod faults;
mod golden;
mod hosting;
mod lambda;
mod lists;
mod local_server;
mod mail;
mod permissions;
mod plugins;
mod profile;
mod signup;
mod vps;
mod wire;
