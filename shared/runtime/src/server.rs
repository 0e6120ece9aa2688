//! The local HTTP server: every route of every module in one process, plus
//! `/api/openapi.json`, the API reference page `/api/docs` and the signed links of the local
//! file folder.

use bb_core::config::MAX_BODY;
use bb_core::crypto::random_bytes;
use bb_core::http::{ApiRequest, ApiResponse};
use bb_core::pipeline::Api;
use bb_local::FolderFiles;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What the server answers besides the API.
#[derive(Clone)]
pub struct Extras {
    pub openapi: Arc<String>,
    pub files: Option<Arc<FolderFiles>>,
    /// The API reference page (`/api/docs`), when the binary carries one.
    pub docs: Option<Arc<Docs>>,
}

/// An API reference page and the script that renders it (served at [`DOCS_RENDERER`]).
pub struct Docs {
    pub page: String,
    pub renderer: &'static [u8],
}

pub const DOCS_PAGE: &str = "/api/docs";
pub const DOCS_RENDERER: &str = "/api/docs/redoc.standalone.js";

fn request_id() -> String {
    random_bytes::<12>().map(hex::encode).unwrap_or_default()
}

fn plain(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    resp.headers_mut().insert(
        "x-content-type-options",
        hyper::header::HeaderValue::from_static("nosniff"),
    );
    resp
}

fn from_api(answer: ApiResponse) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(answer.body)));
    *resp.status_mut() = hyper::StatusCode::from_u16(answer.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}

fn query_value(query: &str, name: &str) -> Option<String> {
    bb_core::params::parse_form(query)
        .ok()?
        .get(name)
        .and_then(|v| v.as_str().map(String::from))
}

fn serve_file(files: &FolderFiles, key: &str, query: &str) -> Response<Full<Bytes>> {
    let name = query_value(query, "name").unwrap_or_default();
    let expires = query_value(query, "expires").and_then(|e| e.parse().ok()).unwrap_or(0);
    let sig = query_value(query, "sig").unwrap_or_default();
    match files.open_signed(key, &name, expires, &sig) {
        Ok(bytes) => {
            let mut resp = plain(200, "application/octet-stream", bytes);
            let disposition = bb_core::files::attachment_disposition(&name);
            if let Ok(v) = hyper::header::HeaderValue::from_str(&disposition) {
                resp.headers_mut().insert(hyper::header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Err(_) => plain(403, "text/plain; charset=utf-8", "Forbidden"),
    }
}

async fn route(api: Api, extras: Extras, peer: SocketAddr, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(String::from);
    if path == "/api/openapi.json" {
        return plain(
            200,
            "application/json; charset=utf-8",
            extras.openapi.as_bytes().to_vec(),
        );
    }
    if let Some(docs) = &extras.docs {
        if path == DOCS_PAGE || path == "/api/docs/" {
            return plain(200, "text/html; charset=utf-8", docs.page.clone());
        }
        if path == DOCS_RENDERER {
            let mut resp = plain(200, "text/javascript; charset=utf-8", Bytes::from_static(docs.renderer));
            resp.headers_mut().insert(
                hyper::header::CACHE_CONTROL,
                hyper::header::HeaderValue::from_static("public, max-age=3600"),
            );
            return resp;
        }
    }
    if let (Some(key), Some(files)) = (path.strip_prefix("/files/"), &extras.files) {
        return serve_file(files, key, query.as_deref().unwrap_or(""));
    }
    if !path.starts_with("/api/") && path != "/api" {
        return plain(404, "text/plain; charset=utf-8", "Not found. The API is under /api/.\n");
    }
    let method = req.method().as_str().to_string();
    let headers = req
        .headers()
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let body = match Limited::new(req.into_body(), MAX_BODY + 1).collect().await {
        Ok(collected) => collected.to_bytes(),
        // Over the limit (or a broken stream): the pipeline answers 413 for anything this long.
        Err(_) => Bytes::from(vec![b' '; MAX_BODY + 1]),
    };
    let answer = api
        .handle(ApiRequest {
            method,
            path,
            query,
            headers,
            body,
            source_ip: Some(peer.ip().to_string()),
            request_id: request_id(),
            deadline: None,
        })
        .await;
    from_api(answer)
}

/// Serves until the listener fails or the task is dropped.
pub async fn serve(api: Api, listener: TcpListener, extras: Extras) -> std::io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let (api, extras) = (api.clone(), extras.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let (api, extras) = (api.clone(), extras.clone());
                async move { Ok::<_, Infallible>(route(api, extras, peer, req).await) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
}
