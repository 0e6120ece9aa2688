//! The transport-neutral request and response the pipeline works on. The Lambda adapter, the
//! local server and the tests all convert to and from these.

use bytes::Bytes;

#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Header names lower-cased; repeated headers appear repeatedly.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The caller's address as the platform saw it (API Gateway's `sourceIp`, the socket peer
    /// locally). Never taken from `X-Forwarded-For`.
    pub source_ip: Option<String>,
    pub request_id: String,
    /// When the platform stops waiting (Lambda: the invocation's deadline less a margin for the
    /// answer). `None`: the configured request budget from now (`BB_REQUEST_BUDGET`).
    pub deadline: Option<std::time::Instant>,
}

impl ApiRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A cookie value from any `Cookie` header.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim_matches('"'))
    }
}

#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// BoxBilling error code of the answer, if it is an error.
    pub error_code: Option<i64>,
    /// Store round trips the request made (logged; read by round-trip tests).
    pub store_calls: u32,
    /// DynamoDB capacity those calls cost, by the documented rules (logged; the cost table).
    pub capacity: bb_ports::store::metrics::Capacity,
}

impl ApiResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
