//! The Lambda entry point: API Gateway HTTP API (payload 2.0) events in, the pipeline's answer
//! out. Each function binary is `bb_runtime::lambda::run(<module>())`.

use bb_core::app::App;
use bb_core::http::{ApiRequest, ApiResponse};
use bb_core::module::{Module, Registry};
use bb_core::pipeline::Api;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use std::convert::Infallible;

/// Converts an API Gateway request into the pipeline's request.
pub fn from_lambda(req: &Request) -> ApiRequest {
    let (source_ip, context_id) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => (ctx.http.source_ip.clone(), ctx.request_id.clone()),
        _ => (None, None),
    };
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .filter(|id| !id.is_empty())
        .or(context_id)
        .unwrap_or_default();
    let deadline = req.lambda_context_ref().and_then(|c| deadline(c.deadline));
    ApiRequest {
        method: req.method().as_str().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().map(String::from),
        headers: req
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: bytes::Bytes::copy_from_slice(req.body().as_ref()),
        source_ip,
        request_id,
        deadline,
    }
}

/// What is kept of the invocation's time for writing the answer and the log line.
const ANSWER_MARGIN: std::time::Duration = std::time::Duration::from_millis(500);

/// The request's deadline from the invocation's (epoch milliseconds): the function's timeout
/// less [`ANSWER_MARGIN`], so a slow panel or store makes a clean answer, not a killed process.
fn deadline(epoch_ms: u64) -> Option<std::time::Instant> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_millis();
    let left = std::time::Duration::from_millis(u64::try_from(u128::from(epoch_ms).checked_sub(now_ms)?).ok()?);
    Some(std::time::Instant::now() + left.saturating_sub(ANSWER_MARGIN))
}

/// Converts the pipeline's answer into the Lambda response (cookies become `cookies`).
pub fn to_lambda(answer: ApiResponse) -> Response<Body> {
    let mut builder = Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        builder = builder.header(name, value);
    }
    builder.body(Body::Text(answer.body)).unwrap_or_else(|_| {
        let mut fallback = Response::new(Body::Text(
            r#"{"result":null,"error":{"message":"Internal error. Please try again later.","code":9998}}"#.into(),
        ));
        *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// Handles one Lambda event.
pub async fn handle(api: &Api, req: Request) -> Response<Body> {
    to_lambda(api.handle(from_lambda(&req)).await)
}

/// Runs a registry (one module, or none for the fallback) as a Lambda function: adapters and
/// clients are built once per execution environment, before the first event.
pub async fn run(registry: Registry) -> Result<(), lambda_http::Error> {
    crate::logging::init();
    let (app, backends) = crate::backends::app_from_env().await?;
    tracing::info!(backends = %backends.summary, "function ready");
    let api = Api::new(app, registry);
    lambda_http::run(service_fn(move |req: Request| {
        let api = api.clone();
        async move { Ok::<_, Infallible>(handle(&api, req).await) }
    }))
    .await
}

/// The whole `main` of a module's function binary: a single-threaded runtime (Lambda hands a
/// process one event at a time) running [`run`] over that module.
pub fn main(module: fn() -> Module) -> std::process::ExitCode {
    main_with(|| Registry::new(vec![module()]))
}

/// `main` over any registry (the fallback function serves none).
pub fn main_with(registry: impl FnOnce() -> Registry) -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(registry())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("function stopped: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The whole `main` of an event-driven function (not HTTP): `handler` gets the application
/// and each event's JSON payload, and returns the response payload.
pub fn main_events<F, Fut>(handler: F) -> std::process::ExitCode
where
    F: Fn(App, serde_json::Value) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = serde_json::Value> + Send,
{
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result: Result<(), lambda_http::Error> = runtime.block_on(async move {
        crate::logging::init();
        let (app, backends) = crate::backends::app_from_env().await?;
        tracing::info!(backends = %backends.summary, "function ready");
        let handler = std::sync::Arc::new(handler);
        lambda_http::lambda_runtime::run(lambda_http::service_fn(
            move |event: lambda_http::LambdaEvent<serde_json::Value>| {
                let (app, handler) = (app.clone(), handler.clone());
                let until = deadline(event.context.deadline);
                async move {
                    let work = handler(app, event.payload);
                    Ok::<_, Infallible>(match until {
                        Some(at) => bb_core::deadline::within(at, work).await,
                        None => work.await,
                    })
                }
            },
        ))
        .await
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("function stopped: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
