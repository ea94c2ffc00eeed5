//! The CORS headers, added to every response unless switched off.

use http::HeaderMap;
use http::HeaderValue;
use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS,
};

const ORIGIN: HeaderValue = HeaderValue::from_static("*");
const METHODS: HeaderValue = HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS");
const HEADERS: HeaderValue = HeaderValue::from_static("Content-Type, Authorization");
const EXPOSE: HeaderValue = HeaderValue::from_static(
    "X-Function-Id, X-Function-Version-Id, X-Execution-Id, X-Execution-Duration-Ms",
);

/// Adds the four CORS headers, keeping any a function set itself.
pub(crate) fn apply(headers: &mut HeaderMap) {
    headers.entry(ACCESS_CONTROL_ALLOW_ORIGIN).or_insert(ORIGIN);
    headers
        .entry(ACCESS_CONTROL_ALLOW_METHODS)
        .or_insert(METHODS);
    headers
        .entry(ACCESS_CONTROL_ALLOW_HEADERS)
        .or_insert(HEADERS);
    headers
        .entry(ACCESS_CONTROL_EXPOSE_HEADERS)
        .or_insert(EXPOSE);
}
