//! JSON responses (compact, one trailing `\n`), `{"error":..}` bodies, and the request-body
//! reader and decoder.

use std::borrow::Cow;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::state::AppState;

/// `Content-Type` of every JSON response.
pub(crate) const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Message of a body that cannot be decoded.
pub(crate) const INVALID_BODY: &str = "Invalid request body";
/// Message of a body over the limit.
pub(crate) const BODY_TOO_LARGE: &str = "Request body too large";
/// Message of a generic failure.
pub(crate) const INTERNAL: &str = "Internal server error";

/// A response with a JSON body: compact, then one `\n`.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    let mut buf = Vec::with_capacity(256);
    match serde_json::to_writer(&mut buf, value) {
        Ok(()) => {
            buf.push(b'\n');
            raw_json(status, buf)
        }
        Err(e) => {
            tracing::error!(error = %e, "failed to serialise a response");
            error(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
        }
    }
}

/// A response whose body is already JSON text (with its `\n`).
pub(crate) fn raw_json(status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut res = Response::new(Body::from(body.into()));
    *res.status_mut() = status;
    res.headers_mut().insert(CONTENT_TYPE, APPLICATION_JSON);
    res
}

/// `{"error":"<message>"}` with the given status.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        error: &'a str,
    }
    let mut buf = Vec::with_capacity(message.len() + 16);
    // Serialising a struct of one string cannot fail.
    if serde_json::to_writer(&mut buf, &ErrorBody { error: message }).is_err() {
        buf = br#"{"error":"Internal server error"}"#.to_vec();
    }
    buf.push(b'\n');
    raw_json(status, buf)
}

/// A response with a status and no body (no `Content-Type`).
pub(crate) fn empty(status: StatusCode) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = status;
    res
}

/// The words for a store that failed: `the sqlite store is unavailable`.
pub(crate) fn store_unavailable(backend: &str) -> String {
    format!("the {backend} store is unavailable")
}

/// An error answered as `{"error":..}`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    /// HTTP status.
    pub(crate) status: StatusCode,
    /// Message.
    pub(crate) message: Cow<'static, str>,
}

impl ApiError {
    /// An error with a fixed message.
    pub(crate) const fn new(status: StatusCode, message: &'static str) -> Self {
        Self {
            status,
            message: Cow::Borrowed(message),
        }
    }

    /// `400` with a computed message (validation).
    pub(crate) fn bad_request(message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: Cow::Owned(message),
        }
    }

    /// `404` with a fixed message.
    pub(crate) const fn not_found(message: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// `500` with a fixed message, logging the cause; `503` naming the store when the
    /// cause is a backend failure (an outage the client may retry after).
    pub(crate) fn internal(message: &'static str, cause: &lunar_core::Error) -> Self {
        tracing::error!(error = %cause, "{message}");
        match cause.failed_backend() {
            Some(backend) => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: Cow::Owned(format!("{message}: {}", store_unavailable(backend))),
            },
            None => Self::new(StatusCode::INTERNAL_SERVER_ERROR, message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error(self.status, &self.message)
    }
}

/// What a handler returns.
pub(crate) type ApiResult = Result<Response, ApiError>;

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Over the limit.
    TooLarge,
    /// The transport failed.
    Read,
}

/// The announced `Content-Length`, if any.
pub(crate) fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Reads a whole body, failing once it exceeds `limit` bytes (`Content-Length` is checked
/// first, so an announced oversized body is refused without reading it).
pub(crate) async fn read_body(req: Request, limit: u64) -> Result<Bytes, BodyError> {
    let announced = content_length(req.headers());
    read_limited(req.into_body(), announced, limit).await
}

/// Reads `body` with a limit; `announced` is the request's `Content-Length`.
pub(crate) async fn read_limited(
    body: Body,
    announced: Option<u64>,
    limit: u64,
) -> Result<Bytes, BodyError> {
    if announced.is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge);
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) => {
            if is_length_limit(&*e) {
                Err(BodyError::TooLarge)
            } else {
                Err(BodyError::Read)
            }
        }
    }
}

/// True when an error (or one of its sources) is a [`LengthLimitError`].
fn is_length_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<LengthLimitError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// A request body type: a JSON object whose named members, when present and not null,
/// must be objects too (serde's derived structs would also accept arrays).
pub(crate) trait ObjectBody: DeserializeOwned {
    /// Members holding nested objects.
    const NESTED_OBJECTS: &'static [&'static str] = &[];
}

impl ObjectBody for lunar_core::validate::CreateFunctionRequest {}
impl ObjectBody for lunar_core::validate::EnvVarsRequest {}
impl ObjectBody for lunar_core::validate::KvSetRequest {}
impl ObjectBody for lunar_core::validate::UpdateFunctionRequest {
    const NESTED_OBJECTS: &'static [&'static str] = &["limits"];
}

/// Decodes exactly one JSON object (surrounding whitespace allowed, unknown fields ignored,
/// the last of duplicate members wins, Content-Type not checked).
pub(crate) fn decode<T: ObjectBody>(bytes: &[u8]) -> Result<T, ApiError> {
    let invalid = || ApiError::new(StatusCode::BAD_REQUEST, INVALID_BODY);
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| invalid())?;
    let Some(object) = value.as_object() else {
        return Err(invalid());
    };
    for name in T::NESTED_OBJECTS {
        if object
            .get(*name)
            .is_some_and(|v| !v.is_object() && !v.is_null())
        {
            return Err(invalid());
        }
    }
    serde_json::from_value(value).map_err(|_| invalid())
}

/// A JSON request body, read with the service's body limit.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: ObjectBody> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match read_body(req, state.max_request_body_bytes).await {
            Ok(bytes) => decode(&bytes).map(JsonBody),
            Err(BodyError::TooLarge) => {
                Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, BODY_TOO_LARGE))
            }
            // A body that cannot be read cannot be decoded either.
            Err(BodyError::Read) => Err(ApiError::new(StatusCode::BAD_REQUEST, INVALID_BODY)),
        }
    }
}

/// Raw body read with the service's limit, for handlers with their own error shape.
pub(crate) async fn read_api_body(req: Request, state: &AppState) -> Result<Bytes, BodyError> {
    read_body(req, state.max_request_body_bytes).await
}
