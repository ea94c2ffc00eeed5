//! `/docs` (Scalar API reference page) and `/docs/openapi.{yaml,json}`.

use axum::body::Body;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode, Uri};

use crate::json::{INTERNAL, error};
use crate::state::AppState;

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

fn page(content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut res = Response::new(body.into());
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut().insert(CACHE_CONTROL, NO_STORE);
    res
}

fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `GET /docs`.
pub(crate) async fn html(
    State(state): State<AppState>,
    OriginalUri(original): OriginalUri,
    uri: Uri,
) -> Response {
    // The base URL's path, else the mount prefix the host's router stripped.
    let prefix = if state.base_url.is_some() {
        state.base_path.clone()
    } else {
        original
            .path()
            .strip_suffix(uri.path())
            .unwrap_or("")
            .to_owned()
    };
    let spec = escape_attr(&format!("{prefix}/docs/openapi.yaml"));
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lunar API reference</title>
</head>
<body>
<script id="api-reference" data-url="{spec}"></script>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script>
</body>
</html>
"#
    );
    page("text/html; charset=utf-8", body)
}

/// `GET /docs/openapi.yaml`.
pub(crate) async fn yaml(State(state): State<AppState>) -> Response {
    match crate::openapi::document(state.base_url.as_deref()).to_yaml() {
        Ok(y) => page("application/yaml", y),
        Err(e) => {
            tracing::error!(error = %e, "failed to render the OpenAPI document");
            error(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
        }
    }
}

/// `GET /docs/openapi.json`.
pub(crate) async fn json(State(state): State<AppState>) -> Response {
    match crate::openapi::document(state.base_url.as_deref()).to_json() {
        Ok(mut j) => {
            j.push('\n');
            page("application/json", j)
        }
        Err(e) => {
            tracing::error!(error = %e, "failed to render the OpenAPI document");
            error(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
        }
    }
}
