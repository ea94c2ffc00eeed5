//! The reqwest-based [`HttpClient`] behind `http`, `fetch`, `ai` and `email`, with the
//! network policy.
//!
//! One shared reqwest client keeps the connection pool. Redirects are followed here, hop by
//! hop, so the policy sees every destination; host names are resolved by a resolver that
//! checks every address before reqwest may connect to it (no DNS rebinding), and IP-literal
//! hosts are checked before each hop is sent.

mod policy;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lunar_core::http_client::{
    BodyStream, HttpClient, OutboundError, OutboundRequest, OutboundResponse, StreamedResponse,
};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use url::{Host, Url};

pub use policy::NetworkPolicy;
use policy::PolicyDenied;

/// Most redirects followed per request.
const MAX_REDIRECTS: usize = 10;

/// Options of a [`ReqwestClient`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The network policy.
    pub policy: NetworkPolicy,
    /// Largest response body read (default 10 MiB).
    pub max_body_bytes: u64,
    /// Total timeout of a request without its own (default 30 s).
    pub default_timeout: Duration,
    /// How long idle connections are kept (default 90 s).
    pub pool_idle_timeout: Duration,
    /// Most idle connections kept per host (default 10).
    pub pool_max_idle_per_host: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            policy: NetworkPolicy::default(),
            max_body_bytes: 10 * 1024 * 1024,
            default_timeout: Duration::from_secs(30),
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: 10,
        }
    }
}

impl ClientOptions {
    /// Returns these options with another network policy.
    #[must_use]
    pub fn with_policy(mut self, policy: NetworkPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Returns these options with another response body cap.
    #[must_use]
    pub fn with_max_body_bytes(mut self, n: u64) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// Returns these options with another default timeout.
    #[must_use]
    pub fn with_default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = timeout;
        self
    }
}

/// The outbound [`HttpClient`] over one shared reqwest client.
///
/// ```no_run
/// use std::sync::Arc;
/// use lunar_runtime_v8::{ClientOptions, NetworkPolicy, ReqwestClient};
///
/// let policy = NetworkPolicy::default().deny_private_networks(true);
/// let client = ReqwestClient::new(ClientOptions::default().with_policy(policy))
///     .expect("TLS initialises");
/// let http: Arc<dyn lunar_core::HttpClient> = Arc::new(client);
/// # let _ = http;
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestClient {
    client: reqwest::Client,
    policy: Arc<NetworkPolicy>,
    max_body_bytes: u64,
    default_timeout: Duration,
}

impl ReqwestClient {
    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`lunar_core::Error::Internal`] when the TLS backend cannot be initialised.
    #[allow(clippy::needless_pass_by_value)] // options are consumed, builder style
    pub fn new(options: ClientOptions) -> lunar_core::Result<Self> {
        let policy = Arc::new(options.policy.clone());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .pool_idle_timeout(options.pool_idle_timeout)
            .pool_max_idle_per_host(options.pool_max_idle_per_host)
            .dns_resolver(Arc::new(PolicyResolver {
                policy: policy.clone(),
            }))
            .build()
            .map_err(|e| {
                lunar_core::Error::Internal(format!("cannot build the HTTP client: {e}"))
            })?;
        Ok(Self {
            client,
            policy,
            max_body_bytes: options.max_body_bytes,
            default_timeout: options.default_timeout,
        })
    }

    /// The network policy in force.
    #[must_use]
    pub fn policy(&self) -> &NetworkPolicy {
        &self.policy
    }

    /// Sends `req` (with `upload` as its body when given, else `req.body`), following
    /// redirects when asked, up to the final response's head.
    async fn open(
        &self,
        req: OutboundRequest,
        upload: Option<reqwest::Body>,
    ) -> Result<(reqwest::Response, Url, bool), OutboundError> {
        let mut url = parse_url(&req.url)?;
        let mut method = Method::from_bytes(req.method.as_bytes()).map_err(|_| {
            OutboundError::InvalidRequest(format!("net/http: invalid method {:?}", req.method))
        })?;
        let mut headers = HeaderMap::new();
        for (name, value) in &req.headers {
            let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                OutboundError::InvalidRequest(format!(
                    "net/http: invalid header field name {name:?}"
                ))
            })?;
            let v = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
                OutboundError::InvalidRequest(format!(
                    "net/http: invalid header field value for {name:?}"
                ))
            })?;
            headers.append(n, v);
        }
        if !headers.contains_key(header::USER_AGENT) {
            headers.insert(
                header::USER_AGENT,
                HeaderValue::from_static(concat!("lunar/", env!("CARGO_PKG_VERSION"))),
            );
        }
        let mut body = match upload {
            Some(stream) => Payload::Stream(Some(stream)),
            None => Payload::Bytes(req.body),
        };
        let mut redirected = false;
        let mut hops = 0;
        loop {
            self.check_literal(&url)?;
            let mut rb = self
                .client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            match &mut body {
                Payload::Bytes(b) if !b.is_empty() => rb = rb.body(b.clone()),
                Payload::Bytes(_) => {}
                Payload::Stream(s) => {
                    if let Some(s) = s.take() {
                        rb = rb.body(s);
                    }
                }
            }
            let resp = rb.send().await.map_err(|e| request_error(&e))?;
            let status = resp.status();
            let location = resp.headers().get(header::LOCATION).cloned();
            if let (true, true, Some(loc)) = (req.follow_redirects, is_redirect(status), location) {
                if hops >= MAX_REDIRECTS {
                    return Err(OutboundError::Request(format!(
                        "stopped after {MAX_REDIRECTS} redirects"
                    )));
                }
                hops += 1;
                let loc = String::from_utf8_lossy(loc.as_bytes()).into_owned();
                let next = url.join(&loc).map_err(|e| {
                    OutboundError::Request(format!("failed to parse Location header {loc:?}: {e}"))
                })?;
                check_scheme(&next)?;
                let to_get = status == StatusCode::SEE_OTHER && method != Method::HEAD
                    || matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                        && method == Method::POST;
                if to_get {
                    method = Method::GET;
                    body = Payload::Bytes(Vec::new());
                    headers.remove(header::CONTENT_TYPE);
                    headers.remove(header::CONTENT_LENGTH);
                } else if matches!(body, Payload::Stream(_)) {
                    return Err(OutboundError::Request(format!(
                        "cannot follow a {} redirect: the streamed request body cannot be sent again",
                        status.as_u16()
                    )));
                }
                if next.host_str() != url.host_str() {
                    headers.remove(header::AUTHORIZATION);
                    headers.remove(header::COOKIE);
                    headers.remove(header::PROXY_AUTHORIZATION);
                }
                url = next;
                redirected = true;
                continue;
            }
            return Ok((resp, url, redirected));
        }
    }

    /// Checks an IP-literal host (those never reach the resolver).
    fn check_literal(&self, url: &Url) -> Result<(), OutboundError> {
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        let host = url.host_str().unwrap_or_default();
        self.policy
            .check(host, ip)
            .map_err(|e| OutboundError::Request(e.0))
    }

    /// The response's status, headers and URL (body empty); refuses a declared length
    /// over the cap.
    fn head(
        &self,
        resp: &reqwest::Response,
        url: Url,
        redirected: bool,
    ) -> Result<OutboundResponse, OutboundError> {
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body_bytes)
        {
            return Err(self.too_large());
        }
        let status = resp.status();
        let mut out = OutboundResponse::default();
        out.status = status.as_u16();
        out.status_text = status.canonical_reason().unwrap_or_default().to_owned();
        out.headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    canonical_name(n.as_str()),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        out.url = url.into();
        out.redirected = redirected;
        Ok(out)
    }

    fn too_large(&self) -> OutboundError {
        OutboundError::Body(format!(
            "response body exceeds {} bytes",
            self.max_body_bytes
        ))
    }

    /// Sends and reads the whole body.
    async fn send_inner(&self, req: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let (resp, url, redirected) = self.open(req, None).await?;
        let mut out = self.head(&resp, url, redirected)?;
        let mut body = ReqwestBody {
            resp,
            cap: self.max_body_bytes,
            read: 0,
            deadline: None,
        };
        while let Some(chunk) = body.next_chunk().await {
            out.body.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}

/// A response body read from reqwest: at most `cap` bytes, before `deadline`.
#[derive(Debug)]
struct ReqwestBody {
    resp: reqwest::Response,
    cap: u64,
    read: u64,
    /// The request's deadline and its timeout in ms (for the message), when streaming.
    deadline: Option<(tokio::time::Instant, u128)>,
}

#[async_trait]
impl BodyStream for ReqwestBody {
    async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, OutboundError>> {
        let chunk = match self.deadline {
            Some((at, ms)) => match tokio::time::timeout_at(at, self.resp.chunk()).await {
                Ok(c) => c,
                Err(_) => {
                    return Some(Err(OutboundError::Request(format!(
                        "request timed out after {ms} ms"
                    ))));
                }
            },
            None => self.resp.chunk().await,
        };
        match chunk {
            Ok(Some(c)) => {
                self.read += c.len() as u64;
                if self.read > self.cap {
                    return Some(Err(OutboundError::Body(format!(
                        "response body exceeds {} bytes",
                        self.cap
                    ))));
                }
                Some(Ok(c.to_vec()))
            }
            Ok(None) => None,
            Err(e) => Some(Err(OutboundError::Body(error_chain(&e)))),
        }
    }
}

#[async_trait]
impl HttpClient for ReqwestClient {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let timeout = request.timeout.unwrap_or(self.default_timeout);
        match tokio::time::timeout(timeout, self.send_inner(request)).await {
            Ok(r) => r,
            Err(_) => Err(timed_out(timeout)),
        }
    }

    /// The head within the request's timeout; the body's chunks until the same deadline.
    async fn send_streamed(
        &self,
        request: OutboundRequest,
    ) -> Result<StreamedResponse, OutboundError> {
        self.streamed(request, None).await
    }

    /// The body is sent as it comes, at most `max_body_bytes` of it (past that the request
    /// fails with `request body exceeds <N> bytes`); the timeout covers the upload.
    async fn send_upload(
        &self,
        request: OutboundRequest,
        body: Box<dyn BodyStream>,
    ) -> Result<StreamedResponse, OutboundError> {
        let cap = self.max_body_bytes;
        let chunks = futures_util::stream::unfold(Some((body, 0u64)), move |state| async move {
            let (mut body, sent) = state?;
            match body.next_chunk().await? {
                Ok(chunk) => {
                    let sent = sent + chunk.len() as u64;
                    if sent > cap {
                        let e = OutboundError::Body(format!("request body exceeds {cap} bytes"));
                        return Some((Err(e), None));
                    }
                    Some((Ok(chunk), Some((body, sent))))
                }
                Err(e) => Some((Err(e), None)),
            }
        });
        self.streamed(request, Some(reqwest::Body::wrap_stream(chunks)))
            .await
    }
}

impl ReqwestClient {
    /// [`HttpClient::send_streamed`], with `upload` as the body when given.
    async fn streamed(
        &self,
        request: OutboundRequest,
        upload: Option<reqwest::Body>,
    ) -> Result<StreamedResponse, OutboundError> {
        let timeout = request.timeout.unwrap_or(self.default_timeout);
        let deadline = tokio::time::Instant::now() + timeout;
        let (resp, url, redirected) = tokio::time::timeout_at(deadline, self.open(request, upload))
            .await
            .map_err(|_| timed_out(timeout))??;
        let head = self.head(&resp, url, redirected)?;
        let body = ReqwestBody {
            resp,
            cap: self.max_body_bytes,
            read: 0,
            deadline: Some((deadline, timeout.as_millis())),
        };
        Ok(StreamedResponse::new(head, Box::new(body)))
    }
}

/// A request's body: bytes, sent again on a redirect that keeps the body, or a stream,
/// sent once.
enum Payload {
    Bytes(Vec<u8>),
    Stream(Option<reqwest::Body>),
}

fn timed_out(timeout: Duration) -> OutboundError {
    OutboundError::Request(format!(
        "request timed out after {} ms",
        timeout.as_millis()
    ))
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

pub(crate) fn parse_url(raw: &str) -> Result<Url, OutboundError> {
    let url =
        Url::parse(raw).map_err(|e| OutboundError::InvalidUrl(format!("parse {raw:?}: {e}")))?;
    check_scheme(&url)?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(OutboundError::Request(
            "http: no Host in request URL".into(),
        ));
    }
    Ok(url)
}

fn check_scheme(url: &Url) -> Result<(), OutboundError> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        s => Err(OutboundError::Request(format!(
            "unsupported protocol scheme {s:?}"
        ))),
    }
}

/// `content-type` → `Content-Type` (Go's canonical MIME header key).
pub(crate) fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        upper = c == '-';
    }
    out
}

/// An error and its sources joined by `: `, without repeats.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        src = s.source();
    }
    parts.join(": ")
}

fn request_error(e: &reqwest::Error) -> OutboundError {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(denied) = s.downcast_ref::<PolicyDenied>() {
            return OutboundError::Request(denied.0.clone());
        }
        // A streamed upload's own failure (its source, or the size cap).
        if let Some(upload) = s.downcast_ref::<OutboundError>() {
            return upload.clone();
        }
        src = s.source();
    }
    OutboundError::Request(error_chain(e))
}

/// Resolves host names and refuses any whose addresses the policy denies, so reqwest
/// connects only to checked addresses.
#[derive(Debug)]
struct PolicyResolver {
    policy: Arc<NetworkPolicy>,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for a in &addrs {
                policy.check(&host, a.ip())?;
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names() {
        assert_eq!(canonical_name("content-type"), "Content-Type");
        assert_eq!(canonical_name("x-request-id"), "X-Request-Id");
        assert_eq!(canonical_name("etag"), "Etag");
    }

    #[test]
    fn url_errors() {
        assert!(matches!(
            parse_url("/relative"),
            Err(OutboundError::InvalidUrl(_))
        ));
        assert_eq!(
            parse_url("ftp://example.com/").unwrap_err(),
            OutboundError::Request("unsupported protocol scheme \"ftp\"".into())
        );
    }
}
