//! The error every method and the pipeline return, rendered as BoxBilling's error envelope.

use crate::store::StoreError;
use std::borrow::Cow;
use std::fmt;

/// BoxBilling's code for business errors that have no code of their own.
pub const BUSINESS: i64 = 9999;
/// A fault of ours: generic message, detail only in the log.
pub const INTERNAL: i64 = 9998;
/// The store stayed busy through every retry, or a call's outcome is unknown: nothing is
/// wrong with the request, and sending it again is safe (HTTP 503 with `Retry-After`).
pub const UNAVAILABLE: i64 = 503;

/// An API error: `{"result": null, "error": {"message", "code"}}` with an HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: i64,
    pub message: Cow<'static, str>,
    pub status: u16,
    /// For faults: what went wrong, logged with the request id, never sent.
    pub detail: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A business error (validation, not found, state conflict): code 9999, HTTP 200.
    pub fn new(message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::coded(BUSINESS, message)
    }

    /// A business error with BoxBilling's own code, HTTP status from the code.
    pub fn coded(code: i64, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            code,
            message: message.into(),
            status: status_for(code),
            detail: None,
        }
    }

    /// A fault of ours (HTTP 500, code 9998). The detail goes to the log only.
    pub fn internal(detail: impl Into<String>) -> Self {
        ApiError {
            code: INTERNAL,
            message: Cow::Borrowed("Internal error. Please try again later."),
            status: 500,
            detail: Some(detail.into()),
        }
    }

    /// The store was busy (conflicts, throttling) through every retry, or the outcome of a call
    /// is unknown (a timeout, a lost answer). HTTP 503, code 503; the detail goes to the log.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        ApiError {
            code: UNAVAILABLE,
            message: Cow::Borrowed("The service is busy. Please try again in a moment."),
            status: 503,
            detail: Some(detail.into()),
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// `Authentication Failed` with one of the codes 201-206.
    pub fn auth(code: i64) -> Self {
        ApiError::coded(code, "Authentication Failed")
    }

    pub fn malformed() -> Self {
        ApiError::coded(400, "Malformed request").with_status(400)
    }

    pub fn too_large() -> Self {
        ApiError::coded(413, "Request body is too large").with_status(413)
    }

    pub fn rate_limited() -> Self {
        ApiError::coded(429, "Too many requests. Please try again later.").with_status(429)
    }

    pub fn csrf() -> Self {
        ApiError::coded(403, "Invalid CSRF token").with_status(403)
    }

    pub fn is_internal(&self) -> bool {
        self.code == INTERNAL
    }
}

/// HTTP status for an error code, as decisions.md maps them.
fn status_for(code: i64) -> u16 {
    match code {
        201..=206 => 401,
        701 | 715 | 740 | 879 => 404,
        _ => 200,
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict | StoreError::Throttled | StoreError::Indeterminate(_) => {
                ApiError::unavailable(format!("store: {e}"))
            }
            e => ApiError::internal(format!("store: {e}")),
        }
    }
}

/// For writes conditional on what was read: when the conditions failed because `what` changed
/// meanwhile, a business error asking to try again; any other store failure stays a fault.
pub fn changed_meanwhile(what: &'static str) -> impl FnOnce(StoreError) -> ApiError {
    move |e| {
        if e.is_condition_failure() {
            ApiError::new(format!("The {what} was changed by another request. Please try again."))
        } else {
            e.into()
        }
    }
}
