//! `/api/client/servicedownloadable/send_file`: the ordered file. The answer redirects (302) to
//! a short-lived signed link that downloads it under its name; the envelope carries the link
//! too, for API clients that do not follow redirects.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::activity;
use bb_core::domain::service::downloadable::DownloadableService;
use bb_core::domain::service::{self, Lookup, OrderRef};
use bb_core::error::changed_meanwhile;
use bb_core::prelude::*;
use std::time::Duration;

/// How long a download link works.
const LINK_LIFETIME: Duration = Duration::from_secs(300);

pub fn module() -> Module {
    Module::new("servicedownloadable")
        .summary("signed download links")
        .files()
        .method(Access::Read, "send_file", send_file)
}

#[derive(Params)]
struct SendParams {
    order_id: Option<OrderRef>,
}

fn unavailable() -> ApiError {
    ApiError::coded(404, "File can not be downloaded at the moment. Please contact support")
}

async fn send_file(ctx: ClientCtx, p: SendParams) -> ApiResult<String> {
    let found =
        service::find::<DownloadableService>(ctx.store(), ctx.client_id, p.order_id, "downloadable", Lookup::Core)
            .await?;
    let d = &found.service;
    let files = &ctx.app.files;
    let exists = files.exists(&d.file_key).await.map_err(|e| {
        tracing::warn!(target: "bb::files", error = %e, "file store check failed");
        unavailable()
    })?;
    if !exists {
        return Err(unavailable());
    }
    let url = files
        .download_url(&d.file_key, &d.filename, LINK_LIFETIME)
        .await
        .map_err(|e| {
            tracing::warn!(target: "bb::files", error = %e, "download link failed");
            unavailable()
        })?;
    // Counted once per link handed out, with its log line.
    let update = found.download_counted(&ctx.now_text());
    let log = activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Downloaded service {} file", d.id),
    );
    ctx.store()
        .transact(vec![TxOp::Update(update), log])
        .await
        .map_err(changed_meanwhile("download"))?;
    ctx.redirect(&url);
    Ok(url)
}
