//! The one outbound HTTP path (`http`, `fetch`, `ai`, `email`), implemented by the host.

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;

/// An outbound request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboundRequest {
    /// Method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Header lines in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Total timeout.
    pub timeout: Option<Duration>,
    /// Follow redirects (at most 10).
    pub follow_redirects: bool,
}

impl OutboundRequest {
    /// A request with default options (redirects followed).
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            url: url.into(),
            follow_redirects: true,
            ..Self::default()
        }
    }
}

/// An outbound response, body read fully.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboundResponse {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub status_text: String,
    /// Header lines as received.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Final URL after redirects.
    pub url: String,
    /// True when at least one redirect was followed.
    pub redirected: bool,
}

/// Why an outbound call failed; `Display` gives the detail after the API's prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutboundError {
    /// Not an absolute URL (`failed to parse URL: ...`).
    #[error("{0}")]
    InvalidUrl(String),
    /// Bad method or header (`failed to create request: ...`).
    #[error("{0}")]
    InvalidRequest(String),
    /// Connection, TLS, DNS, policy, timeout, redirects (`HTTP request failed: ...`).
    #[error("{0}")]
    Request(String),
    /// Body read failed or too large (`failed to read response body: ...`).
    #[error("{0}")]
    Body(String),
}

/// Sends outbound requests under the server's network policy. lunar-runtime-v8 ships a
/// reqwest-based implementation; a host may supply its own:
///
/// ```
/// use async_trait::async_trait;
/// use lunar_core::http_client::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
///
/// /// Refuses every call (a host that allows no outbound network).
/// #[derive(Debug)]
/// struct NoNetwork;
///
/// #[async_trait]
/// impl HttpClient for NoNetwork {
///     async fn send(&self, r: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
///         Err(OutboundError::Request(format!("{} is not reachable from functions", r.url)))
///     }
/// }
/// ```
#[async_trait]
pub trait HttpClient: Debug + Send + Sync + 'static {
    /// Sends a request and reads the whole response.
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError>;

    /// Sends a request and answers once the response's head arrived; the body is read as
    /// it comes (`fetch` hands it to the function as a stream). The same limits apply as
    /// for [`send`](Self::send). Provided: `send`, then the whole body as one chunk.
    async fn send_streamed(
        &self,
        request: OutboundRequest,
    ) -> Result<StreamedResponse, OutboundError> {
        let mut head = self.send(request).await?;
        let body = std::mem::take(&mut head.body);
        Ok(StreamedResponse::new(head, Box::new(WholeBody(Some(body)))))
    }

    /// Like [`send_streamed`](Self::send_streamed), with the request body sent as `body`
    /// produces it (`fetch` with a `ReadableStream` body); `request.body` is ignored. An
    /// error from `body` fails the request. A redirect that would send the body again
    /// fails too, since a stream cannot be replayed. Provided: reads `body` whole, then
    /// `send_streamed`.
    async fn send_upload(
        &self,
        mut request: OutboundRequest,
        mut body: Box<dyn BodyStream>,
    ) -> Result<StreamedResponse, OutboundError> {
        request.body.clear();
        while let Some(chunk) = body.next_chunk().await {
            request.body.extend_from_slice(&chunk?);
        }
        self.send_streamed(request).await
    }
}

/// A body read a chunk at a time: a [`StreamedResponse`]'s, or a request's in
/// [`HttpClient::send_upload`].
#[async_trait]
pub trait BodyStream: Debug + Send + 'static {
    /// The next chunk (never empty), an error, or `None` at the end.
    async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, OutboundError>>;
}

/// A response whose body is still to be read.
#[derive(Debug)]
#[non_exhaustive]
pub struct StreamedResponse {
    /// Status, headers, final URL; `body` is empty.
    pub head: OutboundResponse,
    /// The body.
    pub body: Box<dyn BodyStream>,
}

impl StreamedResponse {
    /// A response of `head` whose body comes from `body`.
    pub fn new(head: OutboundResponse, body: Box<dyn BodyStream>) -> Self {
        Self { head, body }
    }
}

/// A body already read: one chunk (none when empty).
#[derive(Debug)]
struct WholeBody(Option<Vec<u8>>);

#[async_trait]
impl BodyStream for WholeBody {
    async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, OutboundError>> {
        self.0.take().filter(|b| !b.is_empty()).map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Answers every request with its own body, and keeps the requests.
    #[derive(Debug, Default)]
    struct Echo(Mutex<Vec<OutboundRequest>>);

    #[async_trait]
    impl HttpClient for Echo {
        async fn send(&self, r: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
            let resp = OutboundResponse {
                status: 200,
                body: r.body.clone(),
                ..OutboundResponse::default()
            };
            self.0.lock().expect("lock").push(r);
            Ok(resp)
        }
    }

    /// Chunks, then maybe an error.
    #[derive(Debug)]
    struct Chunks(Vec<Result<Vec<u8>, OutboundError>>);

    #[async_trait]
    impl BodyStream for Chunks {
        async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, OutboundError>> {
            (!self.0.is_empty()).then(|| self.0.remove(0))
        }
    }

    #[tokio::test]
    async fn a_client_with_only_send_takes_uploads_whole() {
        let echo = Echo::default();
        let mut req = OutboundRequest::new("POST", "http://example.test/");
        req.body = b"ignored".to_vec();
        let body = Chunks(vec![Ok(b"ab".to_vec()), Ok(b"cd".to_vec())]);
        let mut r = echo.send_upload(req, Box::new(body)).await.expect("sent");
        assert_eq!(r.body.next_chunk().await, Some(Ok(b"abcd".to_vec())));
        assert_eq!(r.body.next_chunk().await, None);

        // A body that fails fails the call before anything is sent.
        let failed = Chunks(vec![
            Ok(b"ab".to_vec()),
            Err(OutboundError::Body("source gone".into())),
        ]);
        let req = OutboundRequest::new("POST", "http://example.test/");
        let e = echo.send_upload(req, Box::new(failed)).await.unwrap_err();
        assert_eq!(e, OutboundError::Body("source gone".into()));
        assert_eq!(echo.0.lock().expect("lock").len(), 1);
    }
}
