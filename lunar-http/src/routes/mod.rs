//! The route table and the internal axum router built from it.

pub(crate) mod auth;
pub(crate) mod docs;
pub(crate) mod executions;
pub(crate) mod fnexec;
pub(crate) mod functions;
pub(crate) mod kv;
pub(crate) mod metrics;
pub(crate) mod prometheus;
pub(crate) mod versions;

use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath};
use axum::routing::{MethodFilter, MethodRouter};
use http::StatusCode;
use http::request::Parts;
use lunar_core::model::{Page, PageRequest, Pagination};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::auth::{AUTH_REQUIRED, AuthMode};
use crate::json::{ApiError, ApiResult, error, json};
use crate::state::AppState;
use crate::uri::page;

/// One (method, path) the service answers, relative to the mount point.
///
/// `GET` routes also answer `HEAD` (no body); every path answers `OPTIONS` (204).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// HTTP method in upper case.
    pub method: &'static str,
    /// Path template in axum syntax (`/api/functions/{id}`, `/fn/{function_id}/{*path}`).
    pub path: &'static str,
    /// The route requires authentication.
    pub auth: bool,
    op: Op,
}

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Login,
    Logout,
    DocsHtml,
    DocsYaml,
    DocsJson,
    CreateFunction,
    ListFunctions,
    GetFunction,
    UpdateFunction,
    DeleteFunction,
    SetEnv,
    NextRun,
    ListVersions,
    GetVersion,
    ActivateVersion,
    DeleteVersion,
    Diff,
    ListExecutions,
    Metrics,
    Prometheus,
    ListKv,
    GetKv,
    SetKv,
    DeleteKv,
    GetExecution,
    ExecutionLogs,
    AiRequests,
    HostCalls,
    EmailRequests,
    Fn,
}

impl Route {
    /// What the route does.
    pub(crate) fn op(&self) -> Op {
        self.op
    }
}

const fn r(method: &'static str, path: &'static str, auth: bool, op: Op) -> Route {
    Route {
        method,
        path,
        auth,
        op,
    }
}

/// Path of a function call without a sub-path.
pub(crate) const FN_PATH: &str = "/fn/{function_id}";
/// Path of a function call with a sub-path.
pub(crate) const FN_SUBPATH: &str = "/fn/{function_id}/{*path}";

/// Every route of the HTTP API. The router is built from this table, and the tests check
/// the OpenAPI document against it.
pub const ROUTES: &[Route] = &[
    r("POST", "/api/auth/login", false, Op::Login),
    r("POST", "/api/auth/logout", false, Op::Logout),
    r("GET", "/docs", false, Op::DocsHtml),
    r("GET", "/docs/openapi.yaml", false, Op::DocsYaml),
    r("GET", "/docs/openapi.json", false, Op::DocsJson),
    r("POST", "/api/functions", true, Op::CreateFunction),
    r("GET", "/api/functions", true, Op::ListFunctions),
    r("GET", "/api/functions/{id}", true, Op::GetFunction),
    r("PUT", "/api/functions/{id}", true, Op::UpdateFunction),
    r("DELETE", "/api/functions/{id}", true, Op::DeleteFunction),
    r("PUT", "/api/functions/{id}/env", true, Op::SetEnv),
    r("GET", "/api/functions/{id}/next-run", true, Op::NextRun),
    r(
        "GET",
        "/api/functions/{id}/versions",
        true,
        Op::ListVersions,
    ),
    r(
        "GET",
        "/api/functions/{id}/versions/{version}",
        true,
        Op::GetVersion,
    ),
    r(
        "POST",
        "/api/functions/{id}/versions/{version}/activate",
        true,
        Op::ActivateVersion,
    ),
    r(
        "DELETE",
        "/api/functions/{id}/versions/{version}",
        true,
        Op::DeleteVersion,
    ),
    r("GET", "/api/functions/{id}/diff/{v1}/{v2}", true, Op::Diff),
    r(
        "GET",
        "/api/functions/{id}/executions",
        true,
        Op::ListExecutions,
    ),
    r("GET", "/api/functions/{id}/metrics", true, Op::Metrics),
    r("GET", "/api/metrics", true, Op::Prometheus),
    r("GET", "/api/functions/{id}/kv", true, Op::ListKv),
    r("GET", "/api/functions/{id}/kv/{key}", true, Op::GetKv),
    r("PUT", "/api/functions/{id}/kv/{key}", true, Op::SetKv),
    r("DELETE", "/api/functions/{id}/kv/{key}", true, Op::DeleteKv),
    r("GET", "/api/executions/{id}", true, Op::GetExecution),
    r("GET", "/api/executions/{id}/logs", true, Op::ExecutionLogs),
    r(
        "GET",
        "/api/executions/{id}/ai-requests",
        true,
        Op::AiRequests,
    ),
    r(
        "GET",
        "/api/executions/{id}/host-calls",
        true,
        Op::HostCalls,
    ),
    r(
        "GET",
        "/api/executions/{id}/email-requests",
        true,
        Op::EmailRequests,
    ),
    r("GET", FN_PATH, false, Op::Fn),
    r("HEAD", FN_PATH, false, Op::Fn),
    r("POST", FN_PATH, false, Op::Fn),
    r("PUT", FN_PATH, false, Op::Fn),
    r("PATCH", FN_PATH, false, Op::Fn),
    r("DELETE", FN_PATH, false, Op::Fn),
    r("GET", FN_SUBPATH, false, Op::Fn),
    r("HEAD", FN_SUBPATH, false, Op::Fn),
    r("POST", FN_SUBPATH, false, Op::Fn),
    r("PUT", FN_SUBPATH, false, Op::Fn),
    r("PATCH", FN_SUBPATH, false, Op::Fn),
    r("DELETE", FN_SUBPATH, false, Op::Fn),
];

fn filter(method: &str) -> MethodFilter {
    match method {
        "GET" => MethodFilter::GET,
        "HEAD" => MethodFilter::HEAD,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        other => unreachable!("method {other} is not in the route table"),
    }
}

fn add(mr: MethodRouter<AppState>, f: MethodFilter, op: Op) -> MethodRouter<AppState> {
    match op {
        Op::Login => mr.on(f, auth::login),
        Op::Logout => mr.on(f, auth::logout),
        Op::DocsHtml => mr.on(f, docs::html),
        Op::DocsYaml => mr.on(f, docs::yaml),
        Op::DocsJson => mr.on(f, docs::json),
        Op::CreateFunction => mr.on(f, functions::create),
        Op::ListFunctions => mr.on(f, functions::list),
        Op::GetFunction => mr.on(f, functions::get),
        Op::UpdateFunction => mr.on(f, functions::update),
        Op::DeleteFunction => mr.on(f, functions::delete),
        Op::SetEnv => mr.on(f, functions::set_env),
        Op::NextRun => mr.on(f, functions::next_run),
        Op::ListVersions => mr.on(f, versions::list),
        Op::GetVersion => mr.on(f, versions::get),
        Op::ActivateVersion => mr.on(f, versions::activate),
        Op::DeleteVersion => mr.on(f, versions::delete),
        Op::Diff => mr.on(f, versions::diff),
        Op::ListExecutions => mr.on(f, executions::list),
        Op::Metrics => mr.on(f, metrics::get),
        Op::Prometheus => mr.on(f, prometheus::get),
        Op::ListKv => mr.on(f, kv::list),
        Op::GetKv => mr.on(f, kv::get),
        Op::SetKv => mr.on(f, kv::set),
        Op::DeleteKv => mr.on(f, kv::delete),
        Op::GetExecution => mr.on(f, executions::get),
        Op::ExecutionLogs => mr.on(f, executions::logs),
        Op::AiRequests => mr.on(f, executions::ai_requests),
        Op::HostCalls => mr.on(f, executions::host_calls),
        Op::EmailRequests => mr.on(f, executions::email_requests),
        Op::Fn => mr.on(f, fnexec::call),
    }
}

/// Builds one router from table rows (paths in table order).
fn build(routes: impl Iterator<Item = &'static Route>) -> Router<AppState> {
    let mut paths: Vec<(&'static str, Option<MethodRouter<AppState>>)> = Vec::new();
    for route in routes {
        let f = filter(route.method);
        match paths.iter_mut().find(|(p, _)| *p == route.path) {
            Some((_, mr)) => *mr = mr.take().map(|m| add(m, f, route.op)),
            None => paths.push((route.path, Some(add(MethodRouter::new(), f, route.op)))),
        }
    }
    let mut router = Router::new();
    for (path, mr) in paths {
        if let Some(mr) = mr {
            router = router.route(path, mr);
        }
    }
    router
}

/// The internal router: routes of [`ROUTES`] (auth routes only in API-key mode), JSON
/// 404/405, and auth on protected routes (after routing).
pub(crate) fn router(state: AppState) -> Router {
    let api_key = matches!(state.auth, AuthMode::ApiKey { .. });
    let public = build(
        ROUTES
            .iter()
            .filter(|r| !r.auth && (api_key || !matches!(r.op, Op::Login | Op::Logout))),
    );
    // `/fn/{id}/` (empty sub-path) reaches the function too.
    let public = public.route(
        "/fn/{function_id}/",
        ROUTES
            .iter()
            .filter(|r| r.path == FN_PATH)
            .fold(MethodRouter::new(), |mr, r| add(mr, filter(r.method), r.op)),
    );
    #[cfg(feature = "dashboard")]
    let public = if state.dashboard {
        crate::dashboard::routes(public)
    } else {
        public
    };
    let protected = build(ROUTES.iter().filter(|r| r.auth))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), require));
    public
        .merge(protected)
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> axum::response::Response {
    error(StatusCode::NOT_FOUND, "Not found")
}

/// Middleware on protected routes: 401 unless the configured mode allows the request.
async fn require(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if matches!(state.auth, AuthMode::Disabled) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    if state.auth.allows(&parts, state.engine.clock().unix()).await {
        next.run(axum::extract::Request::from_parts(parts, body))
            .await
    } else {
        error(StatusCode::UNAUTHORIZED, AUTH_REQUIRED).into_response()
    }
}

async fn method_not_allowed() -> axum::response::Response {
    error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}

/// The path parameters of the matched route, in template order, percent-decoded (invalid
/// UTF-8 becomes U+FFFD).
#[derive(Debug)]
pub(crate) struct Params(Vec<String>);

impl Params {
    /// The `i`-th parameter (`""` when missing).
    pub(crate) fn get(&self, i: usize) -> &str {
        self.0.get(i).map_or("", String::as_str)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(matched) = parts.extensions.get::<MatchedPath>() else {
            return Err(ApiError::not_found("Not found"));
        };
        // Aligned from the end: inside a host's router the matched path carries the
        // host's prefix, while our URI has it stripped. API templates have no wildcard.
        let mut values: Vec<String> = matched
            .as_str()
            .rsplit('/')
            .zip(parts.uri.path().rsplit('/'))
            .filter(|(t, _)| t.starts_with('{'))
            .map(|(_, v)| crate::uri::decode_path(v))
            .collect();
        values.reverse();
        Ok(Self(values))
    }
}

/// A list response: `{"<key>": items, "pagination": …}`.
struct Listed<T> {
    key: &'static str,
    items: Vec<T>,
    pagination: Pagination,
}

impl<T: Serialize> Serialize for Listed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.key, &self.items)?;
        map.serialize_entry("pagination", &self.pagination)?;
        map.end()
    }
}

/// Answers the page of items the query asks for, listed under `key`: `fetch` reads it.
pub(crate) async fn paged<T: Serialize>(
    query: Option<&str>,
    key: &'static str,
    fetch: impl AsyncFnOnce(PageRequest) -> Result<Page<T>, ApiError>,
) -> ApiResult {
    let p = page(query);
    let found = fetch(p).await?;
    Ok(json(
        StatusCode::OK,
        &Listed {
            key,
            items: found.items,
            pagination: p.pagination(found.total),
        },
    ))
}
