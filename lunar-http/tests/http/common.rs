//! Test harness: a SQLite store in a temp dir, an engine with a Rust closure runtime, and
//! `LunarService` mounted under `/lunar` in a host axum router.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use lunar_core::runtime::{FunctionResponse, HeaderValues, RunError, RunJob, RunOutcome};
use lunar_core::testkit::FnRuntime;
use lunar_core::{Engine, EngineConfig, Runtime, Scheduler, Stores};
use lunar_http::{Auth, LunarService, LunarServiceBuilder};
use lunar_store_sql::SqliteStore;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;

/// The API key of every harness.
pub(crate) const KEY: &str = "test-key-123";

/// A scheduler that records calls.
#[derive(Debug, Default)]
pub(crate) struct RecordingScheduler {
    pub(crate) calls: Mutex<Vec<String>>,
}

impl RecordingScheduler {
    pub(crate) fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

#[async_trait]
impl Scheduler for RecordingScheduler {
    async fn refresh(&self, id: &str) -> lunar_core::Result<()> {
        self.calls.lock().unwrap().push(format!("refresh {id}"));
        Ok(())
    }
    async fn remove(&self, id: &str) -> lunar_core::Result<()> {
        self.calls.lock().unwrap().push(format!("remove {id}"));
        Ok(())
    }
}

/// The echo runtime: answers with `{"event":..,"ctx":..}`, except for special paths.
///
/// * `/throw` → a script error
/// * `/headers` → custom headers (`X-One`, an array `Set-Cookie`, `Content-Type: text/plain`,
///   and an override of `X-Function-Id`)
/// * `/status/{n}` → status n
/// * `/sleep` → waits 30 s (cancellable)
/// * `/log` → writes two log lines
/// * `/bytes` → raw bytes body
pub(crate) fn echo_runtime() -> Arc<dyn Runtime> {
    FnRuntime::new(|job: RunJob| async move { echo(job).await })
}

async fn echo(job: RunJob) -> RunOutcome {
    let rel = job.event.relative_path.clone();
    match rel.as_str() {
        "/throw" => return Err(RunError::script("Error: boom")),
        "/headers" => {
            let mut headers = BTreeMap::new();
            headers.insert("x-one".to_owned(), HeaderValues::One("1".into()));
            headers.insert(
                "Set-Cookie".to_owned(),
                HeaderValues::Many(vec!["a=1".into(), "b=2".into()]),
            );
            headers.insert(
                "Content-Type".to_owned(),
                HeaderValues::One("text/plain".into()),
            );
            headers.insert("X-Function-Id".to_owned(), HeaderValues::One("mine".into()));
            return Ok(FunctionResponse {
                status_code: 201,
                headers,
                body: lunar_core::runtime::ResponseBody::Text("hello".into()),
            });
        }
        "/sleep" => {
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
                () = job.cancel.cancelled() => {
                    return Err(RunError::new(lunar_core::runtime::RunErrorKind::Cancelled, "cancelled"));
                }
            }
        }
        "/log" => {
            job.host.logger.info("first line");
            job.host.logger.info("second line");
        }
        "/bytes" => {
            return Ok(FunctionResponse {
                status_code: 200,
                headers: BTreeMap::new(),
                body: lunar_core::runtime::ResponseBody::Bytes(vec![0, 159, 146, 150]),
            });
        }
        _ => {}
    }
    if let Some(n) = rel.strip_prefix("/status/") {
        let code = n.parse().unwrap_or(500);
        return Ok(FunctionResponse::text(code, "status"));
    }
    let body = json!({
        "event": job.event,
        "ctx": job.ctx,
    });
    Ok(FunctionResponse::text(200, body.to_string()))
}

/// A store, engine and mounted service.
pub(crate) struct Harness {
    pub(crate) app: Router,
    pub(crate) engine: Engine,
    pub(crate) stores: Stores,
    pub(crate) scheduler: Arc<RecordingScheduler>,
    _dir: TempDir,
}

/// A response, fully read.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
    /// Asserts an error body, byte for byte.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16, message: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        assert_eq!(self.text(), format!("{}\n", json!({ "error": message })));
        assert_eq!(self.header("content-type"), Some("application/json"));
    }
}

pub(crate) async fn sqlite_stores() -> (Stores, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lunar.db");
    let store = SqliteStore::connect(path.to_str().unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    (Stores::from_backend(Arc::new(store)), dir)
}

impl Harness {
    /// Default: echo runtime, API key auth, base URL `http://localhost:3000/lunar`.
    pub(crate) async fn new() -> Self {
        Self::with(|b| b).await
    }

    pub(crate) async fn with(
        configure: impl FnOnce(LunarServiceBuilder) -> LunarServiceBuilder,
    ) -> Self {
        Self::build(EngineConfig::default(), echo_runtime(), configure).await
    }

    pub(crate) async fn build(
        config: EngineConfig,
        runtime: Arc<dyn Runtime>,
        configure: impl FnOnce(LunarServiceBuilder) -> LunarServiceBuilder,
    ) -> Self {
        let (stores, dir) = sqlite_stores().await;
        let engine = Engine::new(stores.clone(), runtime, config);
        Self::around(engine, stores, dir, configure)
    }

    pub(crate) fn around(
        engine: Engine,
        stores: Stores,
        dir: TempDir,
        configure: impl FnOnce(LunarServiceBuilder) -> LunarServiceBuilder,
    ) -> Self {
        let scheduler = Arc::new(RecordingScheduler::default());
        let builder = LunarService::builder(engine.clone())
            .auth(Auth::ApiKey(KEY.into()))
            .base_url("http://localhost:3000/lunar/")
            .scheduler(scheduler.clone());
        let svc = configure(builder).build();
        let app = Router::new()
            .route("/", get(|| async { "host home" }))
            .nest_service("/lunar", svc);
        Self {
            app,
            engine,
            stores,
            scheduler,
            _dir: dir,
        }
    }

    /// Sends a request through the host router.
    pub(crate) async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        Resp {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        }
    }

    /// A request with optional body and extra headers, no auth.
    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut b = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let body = body.map_or_else(Body::empty, |s| Body::from(s.to_owned()));
        self.send(b.body(body).unwrap()).await
    }

    /// An authenticated request (bearer) to `/lunar{path}`.
    pub(crate) async fn api(&self, method: &str, path: &str, body: Option<&str>) -> Resp {
        let auth = format!("Bearer {KEY}");
        self.raw(
            method,
            &format!("/lunar{path}"),
            body,
            &[("authorization", &auth)],
        )
        .await
    }

    /// Creates a function; returns its id.
    pub(crate) async fn create(&self, name: &str, code: &str) -> String {
        let r = self
            .api(
                "POST",
                "/api/functions",
                Some(&json!({"name": name, "code": code}).to_string()),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()["id"].as_str().unwrap().to_owned()
    }

    /// The JSON body of an authenticated `GET /lunar{path}`.
    pub(crate) async fn get_json(&self, path: &str) -> Value {
        self.api("GET", path, None).await.json()
    }

    /// The stored execution whose id a `/fn` response carries in `X-Execution-Id`.
    pub(crate) async fn execution_of(&self, r: &Resp) -> Value {
        let exec = r.header("x-execution-id").unwrap();
        self.get_json(&format!("/api/executions/{exec}")).await
    }

    /// Disables function `id` (`PUT {"disabled":true}`).
    pub(crate) async fn disable(&self, id: &str) {
        self.api(
            "PUT",
            &format!("/api/functions/{id}"),
            Some(r#"{"disabled":true}"#),
        )
        .await;
    }

    /// Calls a function through `/lunar/fn/...`.
    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<&str>) -> Resp {
        self.raw(method, &format!("/lunar{path}"), body, &[]).await
    }
}
