//! Requests as real clients send them, and answers as they read them.

use base64::Engine;
use bb_core::http::{ApiRequest, ApiResponse};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub ip: String,
}

impl Req {
    pub fn new(method: &str, path: &str) -> Req {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (path.to_string(), None),
        };
        Req {
            method: method.into(),
            path,
            query,
            headers: Vec::new(),
            body: Vec::new(),
            ip: "198.51.100.7".into(),
        }
    }
    pub fn post(path: &str) -> Req {
        Req::new("POST", path)
    }
    pub fn get(path: &str) -> Req {
        Req::new("GET", path)
    }
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_ascii_lowercase(), value.to_string()));
        self
    }
    /// A JSON body (laravel-boxbilling, FOSSBilling).
    pub fn json(mut self, body: Value) -> Req {
        self.body = body.to_string().into_bytes();
        self.header("content-type", "application/json")
    }
    /// A form body with PHP bracket keys (Service_BoxBilling, jQuery `bb.post`).
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Req {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            ser.append_pair(k, v);
        }
        self.body = ser.finish().into_bytes();
        self.header("content-type", "application/x-www-form-urlencoded")
    }
    pub fn raw(mut self, content_type: &str, body: &[u8]) -> Req {
        self.body = body.to_vec();
        self.header("content-type", content_type)
    }
    pub fn basic(self, user: &str, password: &str) -> Req {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.header("authorization", &format!("Basic {token}"))
    }
    /// Basic `client:<key>`.
    pub fn key(self, key: &str) -> Req {
        self.basic("client", key)
    }
    pub fn from_ip(mut self, ip: &str) -> Req {
        self.ip = ip.into();
        self
    }
    pub fn into_api(self) -> ApiRequest {
        ApiRequest {
            method: self.method,
            path: self.path,
            query: self.query,
            headers: self.headers,
            body: self.body.into(),
            source_ip: Some(self.ip),
            request_id: "test-request".into(),
            deadline: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub json: Value,
    pub store_calls: u32,
    /// Read and write capacity units of those calls (DynamoDB's rules, from item sizes).
    pub capacity: bb_core::store::metrics::Capacity,
}

impl From<ApiResponse> for Resp {
    fn from(r: ApiResponse) -> Resp {
        let json = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        Resp {
            status: r.status,
            headers: r.headers,
            body: r.body,
            json,
            store_calls: r.store_calls,
            capacity: r.capacity,
        }
    }
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// The result, asserting the call succeeded.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!(
            self.json["error"].is_null() && self.status == 200,
            "expected success, got HTTP {}: {}",
            self.status,
            self.body
        );
        &self.json["result"]
    }
    /// (code, message), asserting the call failed with BoxBilling's envelope.
    #[track_caller]
    pub fn err(&self) -> (i64, String) {
        assert!(self.json["result"].is_null(), "expected an error, got {}", self.body);
        let code = self.json["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no error code in {}", self.body));
        let message = self.json["error"]["message"].as_str().unwrap_or_default().to_string();
        (code, message)
    }
    #[track_caller]
    pub fn assert_err(&self, status: u16, code: i64, message: &str) {
        assert_eq!(self.err(), (code, message.to_string()), "body: {}", self.body);
        assert_eq!(self.status, status, "body: {}", self.body);
    }
}

/// A cookie jar, as curl `-c/-b` or a browser keeps one.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub cookies: Vec<(String, String)>,
    pub csrf: Option<String>,
}

impl Session {
    /// Stores the cookies an answer sets (a `Max-Age=0` cookie is removed).
    pub fn absorb(&mut self, resp: &Resp) {
        for set in resp.headers_named("set-cookie") {
            let first = set.split(';').next().unwrap_or("");
            let Some((name, value)) = first.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(n, _)| n != name);
            if !set.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
        if let Some(token) = resp.header("x-csrf-token") {
            self.csrf = Some(token.to_string());
        }
    }
    /// Adds the jar's cookies to a request.
    pub fn send(&self, req: Req) -> Req {
        if self.cookies.is_empty() {
            return req;
        }
        let cookie = self
            .cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        req.header("cookie", &cookie)
    }
    /// Adds cookies and the CSRF header.
    pub fn send_with_csrf(&self, req: Req) -> Req {
        let req = self.send(req);
        match &self.csrf {
            Some(token) => req.header("x-csrf-token", token),
            None => req,
        }
    }
}
