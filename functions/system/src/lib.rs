//! `/api/guest/system/version`: the product's version, as BoxBilling answers its own; clients
//! call it to test a connection.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::module::StoreUse;
use bb_core::prelude::*;

pub fn module() -> Module {
    Module::new("system")
        .summary("the product's version")
        .store(StoreUse::ReadOnly)
        .method(Access::Read, "version", version)
}

/// The version string.
async fn version(ctx: GuestCtx, _: NoParams) -> ApiResult<&'static str> {
    Ok(ctx.app.config.version)
}
