//! The external systems the service modules speak to, each over its real wire protocol through
//! the outbound HTTP port: domain registrars, hosting control panels, SolusVM, CentovaCast,
//! YouHosting, the BoxBilling partner API and custom-plugin webhooks.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod centovacast;
pub mod panel;
pub mod partner;
pub mod plugin;
pub mod registrar;
pub mod solusvm;
pub mod xml;
pub mod youhosting;

use bb_ports::error::ApiError;
use bb_ports::outbound::{Outbound, OutboundError, OutboundRequest, OutboundResponse};

/// Sends a request to `system`; a transport failure becomes a client-facing error that names
/// the system only (the detail, without credentials, goes to the log).
pub async fn exchange(
    http: &dyn Outbound,
    system: &str,
    request: OutboundRequest,
) -> Result<OutboundResponse, ApiError> {
    http.send(request).await.map_err(|e| unreachable(system, &e))
}

pub fn unreachable(system: &str, error: &OutboundError) -> ApiError {
    tracing::warn!(target: "bb::outbound", system, error = %error, "external system unreachable");
    ApiError::new(format!("Could not connect to the {system}. Please try again later."))
}
