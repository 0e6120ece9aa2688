//! A programmable HTTP server on 127.0.0.1 standing in for an external system (registrar,
//! control panel, SolusVM, ...): it records every request and answers through a handler.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// A request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Query, urlencoded and multipart fields, in order (names may repeat).
    pub fn fields(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = form_urlencoded::parse(self.query.as_bytes()).into_owned().collect();
        let content_type = self.header("content-type").unwrap_or_default().to_string();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            out.extend(form_urlencoded::parse(&self.body).into_owned());
        } else if let Some(boundary) = content_type.split("boundary=").nth(1) {
            let body = self.text();
            for part in body.split(&format!("--{boundary}")) {
                let Some((head, value)) = part.split_once("\r\n\r\n") else {
                    continue;
                };
                let Some(name) = head.split("name=\"").nth(1).and_then(|n| n.split('"').next()) else {
                    continue;
                };
                out.push((name.to_string(), value.trim_end_matches("\r\n").to_string()));
            }
        }
        out
    }

    pub fn field(&self, name: &str) -> Option<String> {
        self.fields().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields()
            .into_iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// What the fake answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(value: Value) -> Reply {
        Reply::with("application/json", value.to_string())
    }

    pub fn text(body: impl Into<String>) -> Reply {
        Reply::with("text/plain", body.into())
    }

    pub fn xml(body: impl Into<String>) -> Reply {
        Reply::with("text/xml", body.into())
    }

    pub fn with(content_type: &str, body: String) -> Reply {
        Reply {
            status: 200,
            content_type: content_type.into(),
            body: body.into_bytes(),
        }
    }

    pub fn status(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

pub struct FakeServer {
    /// `http://127.0.0.1:<port>`
    pub url: String,
    pub port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind fake server");
        let port = listener.local_addr().expect("fake address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let log = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let handler = handler.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let handler = handler.clone();
                        let log = log.clone();
                        async move {
                            let recorded = record(req).await;
                            let reply = handler(&recorded);
                            log.lock().expect("fake log").push(recorded);
                            let mut response = Response::new(Full::new(Bytes::from(reply.body)));
                            *response.status_mut() =
                                hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::OK);
                            if let Ok(v) = hyper::header::HeaderValue::from_str(&reply.content_type) {
                                response.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
                            }
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeServer {
            url: format!("http://127.0.0.1:{port}"),
            port,
            requests,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("fake log").clone()
    }

    pub fn last(&self) -> Recorded {
        self.requests().last().cloned().expect("the fake received no request")
    }

    pub fn clear(&self) {
        self.requests.lock().expect("fake log").clear();
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(req: Request<Incoming>) -> Recorded {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    Recorded {
        method,
        path,
        query,
        headers,
        body,
    }
}

/// A port on 127.0.0.1 nothing listens on (for "unreachable" cases).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    port
}
