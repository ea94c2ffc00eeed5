//! The dashboard (feature `dashboard`): the single-page UI in `lunar-http/dashboard/`,
//! embedded in the binary and served at the root of the mount, so the page is `/` (or
//! `/prefix/` inside a host's router) and its assets are `dashboard/<file>`.
//!
//! The page is public (it holds no data); it calls the API with the session cookie of
//! `POST /api/auth/login`. Every URL it uses is relative to the mount.

use axum::Router;
use axum::body::Body;
use axum::extract::OriginalUri;
use axum::routing::get;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderValue, Response, StatusCode};

use crate::json::error;
use crate::state::AppState;

/// What the page may load and reach: its own origin only (inline styles are allowed for
/// the sandboxed HTML preview of a function's response).
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
    frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        /// Every asset: its path under `dashboard/` and its bytes.
        const ASSETS: &[(&str, &[u8])] = &[
            $(($path, include_bytes!(concat!("../dashboard/", $path))),)*
        ];
    };
}

assets!(
    "api.js",
    "app.css",
    "app.js",
    "dom.js",
    "editor.js",
    "i18n.js",
    "state.js",
    "templates.js",
    "views/code.js",
    "views/env.js",
    "views/execution.js",
    "views/executions.js",
    "views/function.js",
    "views/functions.js",
    "views/kv.js",
    "views/login.js",
    "views/metrics.js",
    "views/palette.js",
    "views/settings.js",
    "views/test.js",
    "views/versions.js",
);

const INDEX: &[u8] = include_bytes!("../dashboard/index.html");

/// Adds the page (`/`) and its assets (`/dashboard/{*file}`) to the router.
pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/", get(index))
        .route("/dashboard/{*file}", get(asset))
}

/// The page. Its relative asset URLs need a URL ending in `/`: a host mount reached
/// without it (`/lunar`) is redirected to `/lunar/`.
async fn index(parts: http::request::Parts) -> Response<Body> {
    if let Some(OriginalUri(uri)) = parts.extensions.get::<OriginalUri>()
        && !uri.path().ends_with('/')
    {
        let mut target = format!("{}/", uri.path());
        if let Some(q) = uri.query() {
            target.push('?');
            target.push_str(q);
        }
        if let Ok(location) = HeaderValue::from_str(&target) {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::PERMANENT_REDIRECT;
            res.headers_mut().insert(LOCATION, location);
            return res;
        }
    }
    let mut res = file(INDEX, "text/html; charset=utf-8");
    res.headers_mut()
        .insert("content-security-policy", HeaderValue::from_static(CSP));
    res
}

async fn asset(axum::extract::Path(path): axum::extract::Path<String>) -> Response<Body> {
    let Some((_, bytes)) = ASSETS.iter().find(|(p, _)| *p == path) else {
        return error(StatusCode::NOT_FOUND, "Not found");
    };
    let kind = if path.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    file(bytes, kind)
}

fn file(bytes: &'static [u8], content_type: &'static str) -> Response<Body> {
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Revalidated on each load, so an upgraded server never runs a stale mix of modules.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    /// Every module the page imports is embedded (a file added to the folder but not to
    /// the list would 404 in the browser).
    #[test]
    fn every_dashboard_file_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboard");
        let mut on_disk = Vec::new();
        for sub in ["", "views"] {
            for entry in std::fs::read_dir(dir.join(sub)).expect("dashboard folder") {
                let name = entry
                    .expect("entry")
                    .file_name()
                    .into_string()
                    .expect("utf-8");
                if name.ends_with(".js") || name.ends_with(".css") {
                    on_disk.push(if sub.is_empty() {
                        name
                    } else {
                        format!("{sub}/{name}")
                    });
                }
            }
        }
        on_disk.sort();
        let embedded: Vec<String> = ASSETS.iter().map(|(p, _)| (*p).to_owned()).collect();
        assert_eq!(embedded, on_disk);
    }
}
