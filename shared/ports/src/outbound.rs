//! The outbound HTTP port: how service modules speak to registrars, control panels, SolusVM,
//! CentovaCast and plugins. The adapter (`bb-runtime`) is a pooled HTTPS client; tests point
//! it at fake servers on 127.0.0.1.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::time::Duration;

/// The longest any external system is waited for (API Gateway gives up at 30 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why a request got no answer. The text names the host, never credentials or bodies.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboundError {
    InvalidUrl(String),
    Unreachable(String),
    Timeout(String),
}

impl std::fmt::Display for OutboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutboundError::InvalidUrl(u) => write!(f, "invalid URL {u}"),
            OutboundError::Unreachable(why) => write!(f, "could not connect: {why}"),
            OutboundError::Timeout(host) => write!(f, "{host} did not answer in time"),
        }
    }
}

impl std::error::Error for OutboundError {}

#[async_trait]
pub trait Outbound: Send + Sync {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError>;
}

impl OutboundRequest {
    pub fn new(method: &str, url: impl Into<String>) -> OutboundRequest {
        OutboundRequest {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    pub fn get(url: impl Into<String>) -> OutboundRequest {
        OutboundRequest::new("GET", url)
    }

    pub fn post(url: impl Into<String>) -> OutboundRequest {
        OutboundRequest::new("POST", url)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> OutboundRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn basic_auth(self, user: &str, password: &str) -> OutboundRequest {
        let token = STANDARD.encode(format!("{user}:{password}"));
        self.header("Authorization", format!("Basic {token}"))
    }

    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> OutboundRequest {
        self.headers.push(("Content-Type".into(), content_type.into()));
        self.body = body.into();
        self
    }

    /// An `application/x-www-form-urlencoded` body; repeated names stay repeated (`ns=a&ns=b`).
    pub fn form<'a>(self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> OutboundRequest {
        let body = encode_form(pairs);
        self.body("application/x-www-form-urlencoded", body)
    }

    /// Parameters appended to the URL's query string.
    pub fn query<'a>(mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> OutboundRequest {
        let query = encode_form(pairs);
        if !query.is_empty() {
            let joiner = if self.url.contains('?') { '&' } else { '?' };
            self.url = format!("{}{joiner}{query}", self.url);
        }
        self
    }

    /// A `multipart/form-data` body of text fields (what PHP's curl sends for an array).
    pub fn multipart<'a>(self, fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> OutboundRequest {
        let boundary = format!(
            "bb-{}",
            crate::crypto::random_alphanumeric(24).unwrap_or_else(|_| "boundary0000000000".into())
        );
        let mut body = String::new();
        for (name, value) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                name.replace('"', "%22")
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        self.body(&format!("multipart/form-data; boundary={boundary}"), body)
    }

    pub fn timeout(mut self, timeout: Duration) -> OutboundRequest {
        self.timeout = timeout;
        self
    }

    /// The host (and port) the request goes to, for messages and logs.
    pub fn host(&self) -> String {
        let rest = self.url.split_once("://").map_or(self.url.as_str(), |(_, r)| r);
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        authority.rsplit('@').next().unwrap_or_default().to_string()
    }
}

impl OutboundResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

pub fn encode_form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// Joins a base URL and a path with exactly one slash between them.
pub fn join_url(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_repeat_names_and_escape_values() {
        let r = OutboundRequest::post("http://h/x").form([("ns", "a.b"), ("ns", "c d"), ("k", "S3cret!&")]);
        assert_eq!(String::from_utf8(r.body).unwrap(), "ns=a.b&ns=c+d&k=S3cret%21%26");
        assert_eq!(r.headers[0].1, "application/x-www-form-urlencoded");
    }

    #[test]
    fn query_parameters_extend_the_url() {
        let r = OutboundRequest::get("http://h/api/x.json").query([("a", "1"), ("b", "x y")]);
        assert_eq!(r.url, "http://h/api/x.json?a=1&b=x+y");
        let r = OutboundRequest::get("http://h/?z=0").query([("a", "1")]);
        assert_eq!(r.url, "http://h/?z=0&a=1");
    }

    #[test]
    fn multipart_bodies_carry_every_field() {
        let r = OutboundRequest::post("http://h").multipart([("id", "7"), ("key", "")]);
        let ct = &r.headers[0].1;
        let boundary = ct.split("boundary=").nth(1).unwrap();
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.contains(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"id\"\r\n\r\n7\r\n"
        )));
        assert!(body.contains("name=\"key\"\r\n\r\n\r\n"));
        assert!(body.ends_with(&format!("--{boundary}--\r\n")));
    }

    #[test]
    fn host_hides_credentials_and_path() {
        assert_eq!(
            OutboundRequest::get("https://u:p@example.com:2087/json-api/x?a=1").host(),
            "example.com:2087"
        );
        assert_eq!(
            join_url("http://h/api/", "/domains/x.json"),
            "http://h/api/domains/x.json"
        );
    }
}
