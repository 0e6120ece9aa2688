//! The outbound HTTP adapter: a pooled hyper client over rustls (the AWS SDK's TLS stack, the
//! system's root certificates). Built on first use, so functions that never call out pay no
//! start-up cost for it.

use async_trait::async_trait;
use bb_core::outbound::{Outbound, OutboundError, OutboundRequest, OutboundResponse};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::{Arc, OnceLock};

/// Answers larger than this are refused rather than buffered.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

#[derive(Default)]
pub struct HyperOutbound {
    client: OnceLock<Result<HttpsClient, String>>,
}

impl HyperOutbound {
    pub fn new() -> HyperOutbound {
        HyperOutbound::default()
    }

    fn client(&self) -> Result<&HttpsClient, OutboundError> {
        self.client
            .get_or_init(build_client)
            .as_ref()
            .map_err(|e| OutboundError::Unreachable(e.clone()))
    }
}

fn build_client() -> Result<HttpsClient, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)
        .map_err(|e| format!("TLS roots: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

#[async_trait]
impl Outbound for HyperOutbound {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let host = request.host();
        let uri: hyper::Uri = request
            .url
            .parse()
            .map_err(|_| OutboundError::InvalidUrl(host.clone()))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(OutboundError::InvalidUrl(host));
        }
        let method = hyper::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| OutboundError::InvalidUrl(host.clone()))?;
        let mut builder = hyper::Request::builder().method(method).uri(uri);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let req = builder
            .body(Full::new(Bytes::from(request.body)))
            .map_err(|e| OutboundError::InvalidUrl(format!("{host}: {e}")))?;
        let client = self.client()?;
        let exchange = async {
            let response = client
                .request(req)
                .await
                .map_err(|e| OutboundError::Unreachable(format!("{host}: {}", root_cause(&e))))?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| OutboundError::Unreachable(format!("{host}: {e}")))?
                .to_bytes()
                .to_vec();
            Ok(OutboundResponse { status, headers, body })
        };
        // The call's own limit, cut to what the request has left: the calls of one request share
        // its deadline.
        match tokio::time::timeout(bb_core::deadline::bound(request.timeout), exchange).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout(host)),
        }
    }
}

/// The innermost error's text ("Connection refused"), not the client's wrapper.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}
