//! `/fn/{function_id}[/{*path}]`: builds the event, runs the function, sends its response.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::header::{CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use lunar_core::runtime::{Event, FunctionResponse, HeaderValues, ResponseBody};
use lunar_core::{EngineError, ExecuteRequest, ExecutionReport};

use crate::json::{
    APPLICATION_JSON, BODY_TOO_LARGE, BodyError, INTERNAL, content_length, error, read_limited,
};
use crate::routes::functions::FUNCTION_NOT_FOUND;
use crate::state::AppState;
use crate::uri::{canonical_header_name, decode_path, first_values};

/// The (still encoded) path the client sent, mount prefix included; set by the service
/// before routing.
#[derive(Debug, Clone)]
pub(crate) struct ClientPath(pub(crate) String);

const DISABLED: &str = "Function is disabled";
const NO_ACTIVE_VERSION: &str = "No active version found";
const EXECUTION_FAILED: &str = "Function execution failed";

static X_FUNCTION_ID: HeaderName = HeaderName::from_static("x-function-id");
static X_FUNCTION_VERSION_ID: HeaderName = HeaderName::from_static("x-function-version-id");
static X_EXECUTION_ID: HeaderName = HeaderName::from_static("x-execution-id");
static X_EXECUTION_DURATION_MS: HeaderName = HeaderName::from_static("x-execution-duration-ms");

/// Splits `/fn/{id}{rest}` into the decoded id and relative path (`/` when empty).
fn split_path(path: &str) -> (String, String) {
    let rest = path.strip_prefix("/fn/").unwrap_or("");
    let (raw_id, raw_rel) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let relative = if raw_rel.is_empty() || raw_rel == "/" {
        "/".to_owned()
    } else {
        decode_path(raw_rel)
    };
    (decode_path(raw_id), relative)
}

/// First value of each header under its canonical name, `Host` excluded.
fn event_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in headers.keys() {
        if name == HOST {
            continue;
        }
        if let Some(v) = headers.get(name) {
            out.insert(
                canonical_header_name(name.as_str()),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            );
        }
    }
    out
}

fn text(bytes: bytes::Bytes) -> String {
    match String::from_utf8(Vec::from(bytes)) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Reads the body under the function's limit (looked up through the engine's function
/// cache). An empty body needs no lookup: every limit is at least one byte, and the engine
/// answers unknown or disabled functions itself.
async fn body_for(
    state: &AppState,
    function_id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<String, Response> {
    if http_body::Body::size_hint(&body).upper() == Some(0) {
        return Ok(String::new());
    }
    let limit = match state.engine.limits_for_function(function_id).await {
        Ok(limits) => limits.max_request_body_bytes,
        Err(e) => return Err(engine_error(&e)),
    };
    match read_limited(body, content_length(headers), limit).await {
        Ok(bytes) => Ok(text(bytes)),
        Err(BodyError::TooLarge) => Err(error(StatusCode::PAYLOAD_TOO_LARGE, BODY_TOO_LARGE)),
        Err(BodyError::Read) => Err(error(
            StatusCode::BAD_REQUEST,
            "Failed to read request body",
        )),
    }
}

/// Any method on `/fn/{function_id}[/{*path}]`.
pub(crate) async fn call(State(state): State<AppState>, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let (function_id, relative_path) = split_path(parts.uri.path());
    let body = match body_for(&state, &function_id, &parts.headers, body).await {
        Ok(b) => b,
        Err(res) => return res,
    };
    let path = match parts.extensions.remove::<ClientPath>() {
        Some(c) => decode_path(&c.0),
        None => decode_path(parts.uri.path()),
    };
    let event = Event {
        method: parts.method.as_str().to_owned(),
        path,
        relative_path,
        headers: event_headers(&parts.headers),
        body,
        query: first_values(parts.uri.query()),
    };
    match state
        .engine
        .execute(ExecuteRequest::http(function_id.clone(), event))
        .await
    {
        Ok(report) => respond(function_id, report),
        Err(e) => engine_error(&e),
    }
}

/// The response for an execution that could not start (nothing was recorded).
fn engine_error(e: &EngineError) -> Response {
    match e {
        EngineError::FunctionNotFound => error(StatusCode::NOT_FOUND, FUNCTION_NOT_FOUND),
        EngineError::FunctionDisabled => error(StatusCode::FORBIDDEN, DISABLED),
        EngineError::NoActiveVersion => error(StatusCode::INTERNAL_SERVER_ERROR, NO_ACTIVE_VERSION),
        EngineError::Overloaded => retry_later(StatusCode::SERVICE_UNAVAILABLE, OVERLOADED),
        EngineError::ConcurrencyLimit => {
            retry_later(StatusCode::TOO_MANY_REQUESTS, CONCURRENCY_LIMIT)
        }
        EngineError::Store(e) => {
            tracing::error!(error = %e, "execution could not be recorded");
            let backend = e.failed_backend().unwrap_or("execution");
            retry_later(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!(
                    "Execution could not be recorded: {}",
                    crate::json::store_unavailable(backend)
                ),
            )
        }
        e => {
            tracing::error!(error = %e, "execution could not start");
            error(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
        }
    }
}

const OVERLOADED: &str = "Server is overloaded, retry later";
const CONCURRENCY_LIMIT: &str = "Function is at its concurrency limit, retry later";

/// A refusal the client may retry: the error body with `Retry-After: 1`.
fn retry_later(status: StatusCode, message: &str) -> Response {
    let mut res = error(status, message);
    res.headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

fn header_value(s: String) -> HeaderValue {
    HeaderValue::try_from(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The response of a recorded execution: Lunar's four headers, then the function's.
fn respond(function_id: String, report: ExecutionReport) -> Response {
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(X_FUNCTION_ID.clone(), header_value(function_id));
    headers.insert(
        X_FUNCTION_VERSION_ID.clone(),
        header_value(report.version_id),
    );
    headers.insert(X_EXECUTION_ID.clone(), header_value(report.execution_id));
    headers.insert(
        X_EXECUTION_DURATION_MS.clone(),
        HeaderValue::from(report.duration_ms),
    );
    let Some(FunctionResponse {
        status_code,
        headers: returned,
        body,
    }) = report.response
    else {
        let mut res = error(StatusCode::INTERNAL_SERVER_ERROR, EXECUTION_FAILED);
        for (k, v) in headers {
            if let Some(k) = k {
                res.headers_mut().insert(k, v);
            }
        }
        return res;
    };
    for (name, values) in returned {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            tracing::warn!(header = %name, "function returned an invalid header name");
            continue;
        };
        match values {
            HeaderValues::One(v) => match HeaderValue::try_from(v) {
                Ok(v) => {
                    headers.insert(name, v);
                }
                Err(_) => {
                    tracing::warn!(header = %name, "function returned an invalid header value");
                }
            },
            HeaderValues::Many(vs) => {
                headers.remove(&name);
                for v in vs {
                    match HeaderValue::try_from(v) {
                        Ok(v) => {
                            headers.append(name.clone(), v);
                        }
                        Err(_) => {
                            tracing::warn!(header = %name, "function returned an invalid header value");
                        }
                    }
                }
            }
        }
    }
    headers.entry(CONTENT_TYPE).or_insert(APPLICATION_JSON);
    let body = match body {
        ResponseBody::Text(t) => Body::from(t),
        ResponseBody::Bytes(b) => Body::from(b),
    };
    let mut res = Response::new(body);
    *res.status_mut() =
        StatusCode::from_u16(status_code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *res.headers_mut() = headers;
    res
}

#[cfg(test)]
mod tests {
    use super::split_path;

    #[test]
    fn relative_paths() {
        let s = |p: &str| split_path(p);
        assert_eq!(s("/fn/abc"), ("abc".into(), "/".into()));
        assert_eq!(s("/fn/abc/"), ("abc".into(), "/".into()));
        assert_eq!(s("/fn/abc/users/42"), ("abc".into(), "/users/42".into()));
        assert_eq!(s("/fn/a%20b/x%2Fy"), ("a b".into(), "/x/y".into()));
        assert_eq!(s("/fn/abc/../x"), ("abc".into(), "/../x".into()));
    }
}
