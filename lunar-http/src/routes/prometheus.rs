//! `GET /api/metrics`: the engine's metrics in the Prometheus text format, protected like
//! the rest of the API (a scraper sends the API key as a bearer token).

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};

use crate::state::AppState;

/// The media type of the text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /api/metrics`.
pub(crate) async fn get(State(state): State<AppState>) -> Response {
    let mut res = Response::new(Body::from(state.engine.prometheus_text()));
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(PROMETHEUS_TEXT));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
