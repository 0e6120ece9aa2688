//! A stand-in for the Lambda Runtime API (`/2018-06-01/runtime/...`), so a real function
//! binary can be started and invoked on this machine: by the tests, and by the cold-start
//! benchmark.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, oneshot};

#[derive(Default)]
struct State {
    pending: HashMap<String, oneshot::Sender<String>>,
    /// When the function first asked for work (its init finished).
    first_poll: Option<Instant>,
    init_error: Option<String>,
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    events: mpsc::UnboundedSender<(String, String)>,
    state: Arc<Mutex<State>>,
    polled: Arc<Notify>,
    next_id: Mutex<u64>,
    task: tokio::task::JoinHandle<()>,
}

fn respond(status: u16, body: impl Into<Bytes>, headers: &[(&str, String)]) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    for (n, v) in headers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(n.as_bytes()),
            hyper::header::HeaderValue::from_str(v),
        ) {
            r.headers_mut().insert(n, v);
        }
    }
    r
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = mpsc::unbounded_channel::<(String, String)>();
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let state = Arc::new(Mutex::new(State::default()));
        let polled = Arc::new(Notify::new());
        let (st, pl) = (state.clone(), polled.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (rx, st, pl) = (rx.clone(), st.clone(), pl.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let (rx, st, pl) = (rx.clone(), st.clone(), pl.clone());
                        async move { Ok::<_, Infallible>(handle(req, rx, st, pl).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        RuntimeApi {
            addr,
            events: tx,
            state,
            polled,
            next_id: Mutex::new(0),
            task,
        }
    }

    /// Waits until the function has finished its init and asked for the first event.
    pub async fn wait_for_first_poll(&self) -> Instant {
        loop {
            let notified = self.polled.notified();
            if let Some(at) = self.state.lock().expect("state").first_poll {
                return at;
            }
            if let Some(e) = self.state.lock().expect("state").init_error.clone() {
                panic!("function init failed: {e}");
            }
            notified.await;
        }
    }

    /// Hands the function one event and returns its response payload.
    pub async fn invoke(&self, event: &serde_json::Value) -> serde_json::Value {
        let id = {
            let mut n = self.next_id.lock().expect("id");
            *n += 1;
            format!("invocation-{n}")
        };
        let (done_tx, done_rx) = oneshot::channel();
        self.state.lock().expect("state").pending.insert(id.clone(), done_tx);
        self.events.send((id, event.to_string())).expect("runtime api running");
        let body = done_rx.await.expect("a response from the function");
        serde_json::from_str(&body).expect("JSON response payload")
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    req: Request<Incoming>,
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, String)>>>,
    state: Arc<Mutex<State>>,
    polled: Arc<Notify>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    if method == hyper::Method::GET && path == "/2018-06-01/runtime/invocation/next" {
        {
            let mut s = state.lock().expect("state");
            s.first_poll.get_or_insert_with(Instant::now);
        }
        polled.notify_waiters();
        let Some((id, event)) = rx.lock().await.recv().await else {
            return respond(500, "shutting down", &[]);
        };
        let deadline = (std::time::SystemTime::now() + std::time::Duration::from_secs(30))
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        return respond(
            200,
            event,
            &[
                ("lambda-runtime-aws-request-id", id),
                ("lambda-runtime-deadline-ms", deadline.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:local".into(),
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000".into(),
                ),
                ("content-type", "application/json".into()),
            ],
        );
    }
    if let Some(rest) = path.strip_prefix("/2018-06-01/runtime/invocation/") {
        let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
        let sender = state.lock().expect("state").pending.remove(id);
        if let Some(tx) = sender {
            let payload = if kind == "response" {
                body
            } else {
                serde_json::json!({"runtimeError": body}).to_string()
            };
            let _ = tx.send(payload);
        }
        return respond(202, "{}", &[]);
    }
    if path == "/2018-06-01/runtime/init/error" {
        state.lock().expect("state").init_error = Some(body);
        polled.notify_waiters();
        return respond(202, "{}", &[]);
    }
    respond(404, "not found", &[])
}
