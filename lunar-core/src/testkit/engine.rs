//! Engine lifecycle checks, run over each store with a small Rust runtime.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::engine::{CLIENT_DISCONNECTED, SAVED_RESPONSE_TRUNCATED, SERVER_SHUTTING_DOWN};
use crate::model::{
    ExecutionStatus, FunctionLimits, FunctionUpdate, Isolation, LogLevel, NewFunction, PageRequest,
    Trigger,
};
use crate::runtime::{
    Ctx, Event, FunctionResponse, HeaderValues, ResponseBody, RunError, RunErrorKind, RunJob,
    RunOutcome, Runtime,
};
use crate::{Engine, EngineConfig, EngineError, ExecuteRequest, Stores, ids};

type RunFn = dyn Fn(RunJob) -> Pin<Box<dyn Future<Output = RunOutcome> + Send>> + Send + Sync;

/// A runtime backed by a Rust closure, standing in for JavaScript in engine tests.
pub struct FnRuntime {
    f: Box<RunFn>,
    /// What [`Runtime::queue_delay`] reports.
    queue_delay: Mutex<Option<Duration>>,
}

impl std::fmt::Debug for FnRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnRuntime")
    }
}

impl FnRuntime {
    /// Wraps an async closure.
    pub fn new<F, Fut>(f: F) -> Arc<Self>
    where
        F: Fn(RunJob) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = RunOutcome> + Send + 'static,
    {
        Arc::new(Self {
            f: Box::new(move |job| Box::pin(f(job))),
            queue_delay: Mutex::new(None),
        })
    }

    /// Sets what [`Runtime::queue_delay`] reports from now on.
    pub fn set_queue_delay(&self, delay: Option<Duration>) {
        *self
            .queue_delay
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = delay;
    }
}

#[async_trait]
impl Runtime for FnRuntime {
    fn name(&self) -> &str {
        "fn"
    }

    fn queue_delay(&self) -> Option<Duration> {
        *self
            .queue_delay
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn run(&self, job: RunJob) -> RunOutcome {
        (self.f)(job).await
    }
}

const CODE: &str = "line one\nline two\nline three\nline four\n";

pub(crate) async fn function(s: &Stores) -> String {
    let id = ids::new_id();
    s.functions
        .create_function(NewFunction {
            id: id.clone(),
            name: "engine-fn".into(),
            description: None,
            code: CODE.into(),
            isolation: Isolation::Warm,
            now: 1_700_000_000,
        })
        .await
        .expect("create");
    id
}

pub(crate) fn event() -> Event {
    let mut headers = BTreeMap::new();
    headers.insert("Authorization".into(), "Bearer secret-token".into());
    headers.insert("Content-Type".into(), "application/json".into());
    let mut query = BTreeMap::new();
    query.insert("api_key".into(), "k".into());
    query.insert("limit".into(), "5".into());
    Event {
        method: "POST".into(),
        path: "/fn/x/users".into(),
        relative_path: "/users".into(),
        headers,
        body: r#"{"user":"ann","password":"hunter2"}"#.into(),
        query,
    }
}

fn engine(s: &Stores, rt: Arc<dyn Runtime>) -> Engine {
    Engine::new(
        s.clone(),
        rt,
        EngineConfig::default().with_base_url("http://lunar.test/"),
    )
}

/// Success: the row goes pending → success with duration, masked event, logs and ctx.
pub async fn engine_success_records_execution(s: Stores) {
    let fid = function(&s).await;
    let seen: Arc<Mutex<Option<(Ctx, Event)>>> = Arc::default();
    let seen2 = seen.clone();
    let rt = FnRuntime::new(move |job: RunJob| {
        let seen = seen2.clone();
        async move {
            job.host.logger.info("hello");
            job.host
                .logger
                .log(LogLevel::Warn, "token=abcdefghijklmnop");
            *seen.lock().expect("lock") = Some((job.ctx.clone(), job.event.clone()));
            Ok(FunctionResponse::text(201, "made").with_header("X-A", "1"))
        }
    });
    let report = engine(&s, rt)
        .execute(ExecuteRequest::http(&fid, event()))
        .await
        .expect("execute");
    assert_eq!(report.status, ExecutionStatus::Success);
    assert_eq!(report.error_message, None);
    assert_eq!(report.version_id, ids::version_id(&fid, 1));
    let resp = report.response.expect("response");
    assert_eq!(resp.status_code, 201);

    let (ctx, ev) = seen.lock().expect("lock").clone().expect("runtime ran");
    assert_eq!(ctx.execution_id, report.execution_id);
    assert_eq!(ctx.function_id, fid);
    assert_eq!(ctx.function_name, "engine-fn");
    assert_eq!(ctx.version, "1");
    assert_eq!(ctx.trigger, Trigger::Http);
    assert_eq!(ctx.base_url.as_deref(), Some("http://lunar.test"));
    assert_eq!(
        ev.headers["Authorization"], "Bearer secret-token",
        "runtime sees unmasked"
    );

    let e = s
        .executions
        .get_execution(&report.execution_id)
        .await
        .expect("row");
    assert_eq!(e.status, ExecutionStatus::Success);
    assert_eq!(e.duration_ms, Some(report.duration_ms));
    assert_eq!(e.trigger, Trigger::Http);
    assert_eq!(e.response_json, None, "save_response is off");
    let ej: serde_json::Value =
        serde_json::from_str(e.event_json.as_deref().expect("event_json")).expect("json");
    assert_eq!(ej["method"], "POST");
    assert_eq!(ej["relativePath"], "/users");
    assert_eq!(ej["headers"]["Authorization"], "[REDACTED]");
    assert_eq!(ej["headers"]["Content-Type"], "application/json");
    assert_eq!(ej["query"]["api_key"], "[REDACTED]");
    assert_eq!(ej["query"]["limit"], "5");
    assert_eq!(ej["body"], r#"{"password":"[REDACTED]","user":"ann"}"#);
    let logs = s
        .logs
        .list(&report.execution_id, PageRequest::default())
        .await
        .expect("logs");
    let msgs: Vec<&str> = logs.items.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(msgs, vec!["hello", "[REDACTED]"]);
}

/// A thrown error: `error` with the formatted text, also logged under the execution.
pub async fn engine_thrown_error_is_recorded(s: Stores) {
    let fid = function(&s).await;
    let rt = FnRuntime::new(|_job: RunJob| async {
        Err(RunError::script("TypeError: x is not a function").at(2, Some(3)))
    });
    let report = engine(&s, rt)
        .execute(ExecuteRequest::http(&fid, event()))
        .await
        .expect("execute");
    assert_eq!(report.status, ExecutionStatus::Error);
    assert!(report.response.is_none());
    let msg = report.error_message.expect("message");
    assert!(
        msg.starts_with("Error at line 2: TypeError: x is not a function\n\n[CODE]\n"),
        "{msg}"
    );
    assert!(msg.contains("> "), "{msg}");
    assert!(msg.contains("line two"), "{msg}");
    assert!(
        msg.contains("[TIP] You're calling a function that doesn't exist"),
        "{msg}"
    );
    let e = s
        .executions
        .get_execution(&report.execution_id)
        .await
        .expect("row");
    assert_eq!(e.status, ExecutionStatus::Error);
    assert_eq!(e.error_message.as_deref(), Some(msg.as_str()));
    let logs = s
        .logs
        .list(&report.execution_id, PageRequest::default())
        .await
        .expect("logs");
    assert_eq!(logs.items.len(), 1);
    assert_eq!(logs.items[0].level, LogLevel::Error);
    assert_eq!(logs.items[0].message, msg);
}

/// A response with status ≥ 400 is `error` without a message.
pub async fn engine_status_400_is_error_without_message(s: Stores) {
    let fid = function(&s).await;
    let rt = FnRuntime::new(|_job: RunJob| async { Ok(FunctionResponse::text(404, "nope")) });
    let report = engine(&s, rt)
        .execute(ExecuteRequest::http(&fid, event()))
        .await
        .expect("execute");
    assert_eq!(report.status, ExecutionStatus::Error);
    assert_eq!(report.error_message, None);
    assert_eq!(report.response.expect("response").status_code, 404);
    let e = s
        .executions
        .get_execution(&report.execution_id)
        .await
        .expect("row");
    assert_eq!((e.status, e.error_message), (ExecutionStatus::Error, None));
}

/// Unknown and disabled functions are refused before anything is recorded.
pub async fn engine_missing_and_disabled_record_nothing(s: Stores) {
    let fid = function(&s).await;
    let rt = FnRuntime::new(|_job: RunJob| async { Ok(FunctionResponse::text(200, "")) });
    let eng = engine(&s, rt);
    assert!(matches!(
        eng.execute(ExecuteRequest::http("nope", event())).await,
        Err(EngineError::FunctionNotFound)
    ));
    super::update(
        &s,
        &fid,
        FunctionUpdate {
            disabled: Some(true),
            now: 1_700_000_001,
            ..FunctionUpdate::default()
        },
    )
    .await;
    assert!(matches!(
        eng.execute(ExecuteRequest::http(&fid, event())).await,
        Err(EngineError::FunctionDisabled)
    ));
    super::assert_no_executions(&s, &fid).await;
}

/// With `save_response`, the response is stored; large bodies are cut at 1 MiB and bytes
/// are stored base64-encoded.
pub async fn engine_save_response(s: Stores) {
    let fid = function(&s).await;
    super::update(
        &s,
        &fid,
        FunctionUpdate {
            save_response: Some(true),
            now: 1_700_000_001,
            ..FunctionUpdate::default()
        },
    )
    .await;
    let rt = FnRuntime::new(|job: RunJob| async move {
        let mut r = match job.event.relative_path.as_str() {
            "/big" => FunctionResponse::text(200, "é".repeat(600_000)),
            "/bytes" => FunctionResponse {
                status_code: 200,
                headers: BTreeMap::new(),
                body: ResponseBody::Bytes(vec![0, 1, 2, 255]),
            },
            _ => FunctionResponse::text(202, r#"{"ok":true}"#),
        };
        r.headers.insert(
            "Set-Cookie".into(),
            HeaderValues::Many(vec!["a=1".into(), "b=2".into()]),
        );
        Ok(r)
    });
    let eng = engine(&s, rt);
    let run = |path: &'static str| {
        let eng = eng.clone();
        let fid = fid.clone();
        async move {
            let mut ev = event();
            ev.relative_path = path.into();
            let r = eng
                .execute(ExecuteRequest::http(&fid, ev))
                .await
                .expect("execute");
            let e = s_get(&eng, &r.execution_id).await;
            serde_json::from_str::<serde_json::Value>(&e).expect("response json")
        }
    };
    let small = run("/").await;
    assert_eq!(small["statusCode"], 202);
    assert_eq!(small["body"], r#"{"ok":true}"#);
    assert_eq!(small["isBase64Encoded"], false);
    assert_eq!(
        small["headers"]["Set-Cookie"],
        serde_json::json!(["a=1", "b=2"])
    );
    let bytes = run("/bytes").await;
    assert_eq!(bytes["body"], "AAEC/w==");
    assert_eq!(bytes["isBase64Encoded"], true);
    let big = run("/big").await;
    let body = big["body"].as_str().expect("body");
    assert!(body.ends_with(SAVED_RESPONSE_TRUNCATED));
    assert_eq!(body.len() - SAVED_RESPONSE_TRUNCATED.len(), 1_048_576);
}

async fn s_get(eng: &Engine, id: &str) -> String {
    eng.stores()
        .executions
        .get_execution(id)
        .await
        .expect("row")
        .response_json
        .expect("response_json saved")
}

/// A runtime timeout is recorded with the timeout text and tip.
pub async fn engine_timeout_from_runtime(s: Stores) {
    let fid = function(&s).await;
    super::update(
        &s,
        &fid,
        FunctionUpdate {
            limits: Some(FunctionLimits {
                timeout_seconds: Some(1),
                ..FunctionLimits::default()
            }),
            now: 1_700_000_001,
            ..FunctionUpdate::default()
        },
    )
    .await;
    let rt = FnRuntime::new(|job: RunJob| async move {
        // The effective limit reaches the runtime.
        let ms = job.limits.timeout.as_millis();
        Err(RunError::new(
            RunErrorKind::Timeout,
            format!("execution timed out after {ms} ms"),
        ))
    });
    let report = engine(&s, rt)
        .execute(ExecuteRequest::http(&fid, event()))
        .await
        .expect("execute");
    let msg = report.error_message.expect("message");
    assert!(
        msg.starts_with("Error: execution timed out after 1000 ms"),
        "{msg}"
    );
    assert!(
        msg.contains("[TIP] The function ran longer than its time limit"),
        "{msg}"
    );
}

/// Dropping the caller's future cancels the run; the row says `client disconnected`.
pub async fn engine_client_disconnect_is_recorded(s: Stores) {
    let fid = function(&s).await;
    let started = Arc::new(tokio::sync::Notify::new());
    let started2 = started.clone();
    let rt = FnRuntime::new(move |job: RunJob| {
        let started = started2.clone();
        async move {
            started.notify_one();
            job.cancel.cancelled().await;
            Err(RunError::new(RunErrorKind::Cancelled, "cancelled"))
        }
    });
    let eng = engine(&s, rt);
    let fut = eng.execute(ExecuteRequest::http(&fid, event()));
    tokio::select! {
        _ = fut => panic!("the run never finishes on its own"),
        () = started.notified() => {}
    }
    // The future is dropped here; the write completes in the background.
    let mut row = None;
    for _ in 0..200 {
        let list = s
            .executions
            .list_executions(&fid, PageRequest::default())
            .await
            .expect("list");
        if let Some(e) = list
            .items
            .first()
            .filter(|e| e.status != ExecutionStatus::Pending)
        {
            row = Some(e.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let e = row.expect("execution finished after disconnect");
    assert_eq!(e.status, ExecutionStatus::Error);
    assert_eq!(e.error_message.as_deref(), Some(CLIENT_DISCONNECTED));
}

/// Shutdown waits for the grace period, then cancels with `server shutting down`.
pub async fn engine_shutdown_cancels_in_flight(s: Stores) {
    let fid = function(&s).await;
    let rt = FnRuntime::new(|job: RunJob| async move {
        if job.event.relative_path == "/quick" {
            return Ok(FunctionResponse::text(200, "quick"));
        }
        job.cancel.cancelled().await;
        Err(RunError::new(RunErrorKind::Cancelled, "cancelled"))
    });
    let eng = engine(&s, rt);
    let eng2 = eng.clone();
    let fid2 = fid.clone();
    let slow =
        tokio::spawn(async move { eng2.execute(ExecuteRequest::http(&fid2, event())).await });
    while eng.in_flight() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eng.shutdown(Duration::from_millis(100)).await;
    let report = slow.await.expect("join").expect("report");
    assert_eq!(report.status, ExecutionStatus::Error);
    assert_eq!(report.error_message.as_deref(), Some(SERVER_SHUTTING_DOWN));
    let e = s
        .executions
        .get_execution(&report.execution_id)
        .await
        .expect("row");
    assert_eq!(e.error_message.as_deref(), Some(SERVER_SHUTTING_DOWN));
    // After shutdown nothing new starts.
    let mut ev = event();
    ev.relative_path = "/quick".into();
    assert!(eng.execute(ExecuteRequest::http(&fid, ev)).await.is_err());
}

/// KV and env reach the runtime scoped to the function; the log limit applies.
pub async fn engine_host_kv_env_and_log_limit(s: Stores) {
    let fid = function(&s).await;
    s.env.set(&fid, "GREETING", "hi").await.expect("env");
    super::update(
        &s,
        &fid,
        FunctionUpdate {
            limits: Some(FunctionLimits {
                max_log_entries: Some(2),
                ..FunctionLimits::default()
            }),
            now: 1_700_000_001,
            ..FunctionUpdate::default()
        },
    )
    .await;
    let rt = FnRuntime::new(|job: RunJob| async move {
        let greeting = job.host.env.get("GREETING").unwrap_or_default();
        job.host
            .kv
            .set("count", "1")
            .await
            .map_err(|e| RunError::script(e.to_string()))?;
        let _ = job.host.kv.get("count").await;
        // What a runtime reports for the time and heap it spent.
        job.host
            .usage
            .add_cpu(std::time::Duration::from_micros(1234));
        job.host.usage.observe_heap(5_000_000);
        job.host
            .env
            .set("SEEN", "yes")
            .await
            .map_err(|e| RunError::script(e.to_string()))?;
        for i in 0..5 {
            job.host.logger.info(&format!("line {i}"));
        }
        Ok(FunctionResponse::text(200, greeting))
    });
    let report = engine(&s, rt)
        .execute(ExecuteRequest::http(&fid, event()))
        .await
        .expect("execute");
    assert_eq!(
        report.response.expect("response").body,
        ResponseBody::Text("hi".into())
    );
    assert_eq!(
        s.kv.get(&fid, "count").await.expect("kv").as_deref(),
        Some("1")
    );
    assert_eq!(
        s.env.get(&fid, "SEEN").await.expect("env").as_deref(),
        Some("yes")
    );
    let logs = s
        .logs
        .list(&report.execution_id, PageRequest::default())
        .await
        .expect("logs");
    let msgs: Vec<&str> = logs.items.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(msgs, vec!["line 0", "line 1", "log limit reached"]);
    // The execution's usage: the runtime's figures, the KV calls the host counted, the
    // request and response body sizes; stored as reported.
    let u = report.usage;
    assert_eq!((u.cpu_time_us, u.peak_heap_bytes), (1234, 5_000_000));
    assert_eq!(u.calls.kv, 2);
    assert_eq!((u.calls.http, u.calls.ai, u.calls.host), (0, 0, 0));
    assert_eq!(u.request_bytes, event().body.len() as u64);
    assert_eq!(u.response_bytes, 2);
    let e = s
        .executions
        .get_execution(&report.execution_id)
        .await
        .expect("row");
    assert_eq!(e.usage, Some(u));
}

/// Delegates to a real store but reports no active version, a state the API cannot create
/// (every function keeps one) but a damaged or legacy database can hold.
#[derive(Debug)]
struct WithoutActiveVersion(Arc<dyn crate::FunctionStore>);

#[async_trait]
impl crate::FunctionStore for WithoutActiveVersion {
    async fn create_function(
        &self,
        f: NewFunction,
    ) -> crate::Result<crate::model::FunctionWithActiveVersion> {
        self.0.create_function(f).await
    }
    async fn get_function(&self, id: &str) -> crate::Result<crate::model::Function> {
        self.0.get_function(id).await
    }
    async fn list_functions(
        &self,
        p: PageRequest,
    ) -> crate::Result<crate::model::Page<crate::model::FunctionWithActiveVersion>> {
        self.0.list_functions(p).await
    }
    async fn update_function(
        &self,
        id: &str,
        u: FunctionUpdate,
    ) -> crate::Result<crate::model::Function> {
        self.0.update_function(id, u).await
    }
    async fn delete_function(&self, id: &str) -> crate::Result<Vec<String>> {
        self.0.delete_function(id).await
    }
    async fn get_version(&self, fid: &str, n: i64) -> crate::Result<crate::model::FunctionVersion> {
        self.0.get_version(fid, n).await
    }
    async fn get_version_by_id(
        &self,
        fid: &str,
        vid: &str,
    ) -> crate::Result<crate::model::FunctionVersion> {
        self.0.get_version_by_id(fid, vid).await
    }
    async fn list_versions(
        &self,
        fid: &str,
        p: PageRequest,
    ) -> crate::Result<crate::model::Page<crate::model::FunctionVersion>> {
        self.0.list_versions(fid, p).await
    }
    async fn active_version(&self, _fid: &str) -> crate::Result<crate::model::FunctionVersion> {
        Err(crate::Error::NotFound("version"))
    }
    async fn activate_version(&self, fid: &str, vid: &str) -> crate::Result<()> {
        self.0.activate_version(fid, vid).await
    }
    async fn delete_version(&self, fid: &str, vid: &str) -> crate::Result<Vec<String>> {
        self.0.delete_version(fid, vid).await
    }
    async fn functions_with_active_cron(&self) -> crate::Result<Vec<crate::model::Function>> {
        self.0.functions_with_active_cron().await
    }
    async fn ping(&self) -> crate::Result<()> {
        self.0.ping().await
    }
}

/// A function without an active version is `NoActiveVersion`, and nothing is recorded.
pub async fn engine_no_active_version_records_nothing(s: Stores) {
    let fid = function(&s).await;
    let mut broken = s.clone();
    broken.functions = Arc::new(WithoutActiveVersion(s.functions.clone()));
    let rt = FnRuntime::new(|_job: RunJob| async { Ok(FunctionResponse::text(200, "")) });
    assert!(matches!(
        engine(&broken, rt)
            .execute(ExecuteRequest::http(&fid, event()))
            .await,
        Err(EngineError::NoActiveVersion)
    ));
    super::assert_no_executions(&s, &fid).await;
}

/// Changes made through the engine's stores (code, env, disabling) apply to the very next
/// execution, although loaded functions are cached.
pub async fn engine_sees_updates_immediately(s: Stores) {
    let fid = function(&s).await;
    let rt = FnRuntime::new(|job: RunJob| async move {
        let env = job.host.env.get("MODE").unwrap_or_default();
        Ok(FunctionResponse::text(
            200,
            format!("{}:{}:{env}", job.ctx.version, job.ctx.function_name),
        ))
    });
    let eng = Engine::new(
        s,
        rt,
        EngineConfig::default().with_cache_ttl(Duration::from_secs(3600)),
    );
    let body = |r: crate::ExecutionReport| match r.response.expect("response").body {
        ResponseBody::Text(t) => t,
        ResponseBody::Bytes(_) => panic!("text expected"),
    };
    let run = || eng.execute(ExecuteRequest::http(&fid, event()));
    assert_eq!(body(run().await.expect("run")), "1:engine-fn:");
    let st = eng.stores().clone();
    super::update(
        &st,
        &fid,
        FunctionUpdate {
            code: Some("v2".into()),
            name: Some("renamed".into()),
            now: 1_700_000_002,
            ..FunctionUpdate::default()
        },
    )
    .await;
    assert_eq!(body(run().await.expect("run")), "2:renamed:");
    st.env.set(&fid, "MODE", "on").await.expect("env");
    assert_eq!(body(run().await.expect("run")), "2:renamed:on");
    st.functions
        .activate_version(&fid, &ids::version_id(&fid, 1))
        .await
        .expect("activate");
    assert_eq!(body(run().await.expect("run")), "1:renamed:on");
    super::update(
        &st,
        &fid,
        FunctionUpdate {
            disabled: Some(true),
            now: 1_700_000_003,
            ..FunctionUpdate::default()
        },
    )
    .await;
    assert!(matches!(run().await, Err(EngineError::FunctionDisabled)));
    st.delete_function(&fid).await.expect("delete");
    assert!(matches!(run().await, Err(EngineError::FunctionNotFound)));
}

/// 300 concurrent executions with logs (group-committed when the store offers a batch
/// writer) are all recorded with their logs.
pub async fn engine_concurrent_executions_all_recorded(s: Stores) {
    let fid = function(&s).await;
    let rt = FnRuntime::new(|job: RunJob| async move {
        job.host.logger.info("one");
        job.host.logger.info("two");
        tokio::task::yield_now().await;
        Ok(FunctionResponse::text(200, job.ctx.execution_id.clone()))
    });
    let eng = engine(&s, rt);
    let mut tasks = Vec::new();
    for _ in 0..300 {
        let eng = eng.clone();
        let fid = fid.clone();
        tasks.push(tokio::spawn(async move {
            eng.execute(ExecuteRequest::http(&fid, event()))
                .await
                .expect("execute")
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let r = t.await.expect("join");
        assert_eq!(r.status, ExecutionStatus::Success);
        ids.push(r.execution_id);
    }
    let list = s
        .executions
        .list_executions(&fid, PageRequest::new(1, 0))
        .await
        .expect("list");
    assert_eq!(list.total, 300);
    for id in ids.iter().step_by(13) {
        let e = s.executions.get_execution(id).await.expect("row");
        assert_eq!(e.status, ExecutionStatus::Success);
        let logs = s.logs.list(id, PageRequest::default()).await.expect("logs");
        let msgs: Vec<&str> = logs.items.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(msgs, vec!["one", "two"]);
    }
}

/// The store's batch writer applies writes in order and all or nothing (the provided
/// one-by-one `write_batch` does not: a transactional backend overrides it).
pub async fn batch_writer_is_atomic(s: Stores) {
    let batch = s.batch.clone();
    let fid = function(&s).await;
    let vid = ids::version_id(&fid, 1);
    let new = |id: &str| crate::model::NewExecution {
        id: id.to_owned(),
        function_id: fid.clone(),
        function_version_id: vid.clone(),
        event_json: None,
        trigger: Trigger::Http,
        created_at: 1_700_000_000,
    };
    let done = crate::model::Outcome {
        status: ExecutionStatus::Success,
        duration_ms: 3,
        error_message: None,
        response_json: None,
        usage: None,
    };
    let a = ids::new_id();
    let b = ids::new_id();
    batch
        .write_batch(&[
            crate::ExecutionWrite::Insert(new(&a)),
            crate::ExecutionWrite::Insert(new(&b)),
            crate::ExecutionWrite::Finish {
                id: a.clone(),
                outcome: done.clone(),
                logs: vec![crate::model::LogEntry {
                    level: LogLevel::Info,
                    message: "x".into(),
                    created_at: 1_700_000_000,
                }],
            },
        ])
        .await
        .expect("batch");
    assert_eq!(
        s.executions.get_execution(&a).await.expect("a").status,
        ExecutionStatus::Success
    );
    assert_eq!(
        s.executions.get_execution(&b).await.expect("b").status,
        ExecutionStatus::Pending
    );
    assert_eq!(
        s.logs
            .list(&a, PageRequest::default())
            .await
            .expect("logs")
            .total,
        1
    );
    // A batch with a bad write changes nothing.
    let c = ids::new_id();
    let r = batch
        .write_batch(&[
            crate::ExecutionWrite::Insert(new(&c)),
            crate::ExecutionWrite::Finish {
                id: "missing".into(),
                outcome: done,
                logs: Vec::new(),
            },
        ])
        .await;
    assert!(matches!(r, Err(crate::Error::NotFound(_))), "{r:?}");
    assert!(s.executions.get_execution(&c).await.is_err(), "rolled back");
}

/// A batch writer writes a finished execution in one `Record` (row, outcome and logs), a
/// large mixed batch keeps every execution's logs in order, and a `Record` of an existing
/// id is `AlreadyExists` with nothing written.
pub async fn batch_writer_records_finished_executions(s: Stores) {
    let batch = s.batch.clone();
    let fid = function(&s).await;
    let vid = ids::version_id(&fid, 1);
    let new = |id: &str| crate::model::NewExecution {
        id: id.to_owned(),
        function_id: fid.clone(),
        function_version_id: vid.clone(),
        event_json: Some(format!("{{\"n\":\"{id}\"}}")),
        trigger: Trigger::Cron,
        created_at: 1_700_000_100,
    };
    let outcome = |n: i64| crate::model::Outcome {
        status: if n % 2 == 0 {
            ExecutionStatus::Success
        } else {
            ExecutionStatus::Error
        },
        duration_ms: n,
        error_message: (n % 2 == 1).then(|| format!("failed {n}")),
        response_json: Some(format!("{{\"statusCode\":{}}}", 200 + n)),
        usage: (n % 4 != 3).then(|| super::sample_usage(n.unsigned_abs())),
    };
    let logs = |id: &str, n: usize| -> Vec<crate::model::LogEntry> {
        (0..n)
            .map(|i| crate::model::LogEntry {
                level: LogLevel::Info,
                message: format!("{id} line {i}"),
                created_at: 1_700_000_100,
            })
            .collect()
    };
    // 150 executions (more than one statement chunk): records, inserts finished in the
    // same batch, and inserts left pending.
    let ids: Vec<String> = (0..150).map(|_| ids::new_id()).collect();
    let mut writes = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        match n % 3 {
            0 => writes.push(crate::ExecutionWrite::Record {
                row: new(id),
                outcome: outcome(n as i64),
                logs: logs(id, n % 5),
            }),
            _ => writes.push(crate::ExecutionWrite::Insert(new(id))),
        }
    }
    for (n, id) in ids.iter().enumerate().filter(|(n, _)| n % 3 == 1) {
        writes.push(crate::ExecutionWrite::Finish {
            id: id.clone(),
            outcome: outcome(n as i64),
            logs: logs(id, 2),
        });
    }
    batch.write_batch(&writes).await.expect("batch");
    for (n, id) in ids.iter().enumerate() {
        let e = s.executions.get_execution(id).await.expect("row");
        assert_eq!(e.trigger, Trigger::Cron);
        assert_eq!(
            e.event_json.as_deref(),
            Some(format!("{{\"n\":\"{id}\"}}").as_str())
        );
        let want_logs = match n % 3 {
            0 => n % 5,
            1 => 2,
            _ => 0,
        };
        if n % 3 == 2 {
            assert_eq!(e.status, ExecutionStatus::Pending, "execution {n}");
        } else {
            let o = outcome(n as i64);
            assert_eq!(e.status, o.status, "execution {n}");
            assert_eq!(e.duration_ms, Some(o.duration_ms));
            assert_eq!(e.error_message, o.error_message);
            assert_eq!(e.response_json, o.response_json);
            assert_eq!(e.usage, o.usage, "usage of execution {n}");
        }
        let got = s.logs.list(id, PageRequest::default()).await.expect("logs");
        let msgs: Vec<String> = got.items.iter().map(|l| l.message.clone()).collect();
        let want: Vec<String> = (0..want_logs).map(|i| format!("{id} line {i}")).collect();
        assert_eq!(msgs, want, "logs of execution {n}");
    }
    // Recording an id that exists fails as a whole.
    let fresh = ids::new_id();
    let r = batch
        .write_batch(&[
            crate::ExecutionWrite::Record {
                row: new(&fresh),
                outcome: outcome(0),
                logs: logs(&fresh, 1),
            },
            crate::ExecutionWrite::Record {
                row: new(&ids[0]),
                outcome: outcome(0),
                logs: Vec::new(),
            },
        ])
        .await;
    assert!(matches!(r, Err(crate::Error::AlreadyExists(_))), "{r:?}");
    assert!(
        s.executions.get_execution(&fresh).await.is_err(),
        "rolled back"
    );
    // The same without logs (a store may write such a batch as one statement).
    let r = batch
        .write_batch(&[
            crate::ExecutionWrite::Record {
                row: new(&fresh),
                outcome: outcome(0),
                logs: Vec::new(),
            },
            crate::ExecutionWrite::Record {
                row: new(&ids[0]),
                outcome: outcome(0),
                logs: Vec::new(),
            },
        ])
        .await;
    assert!(matches!(r, Err(crate::Error::AlreadyExists(_))), "{r:?}");
    assert!(
        s.executions.get_execution(&fresh).await.is_err(),
        "rolled back"
    );
    let only_rows: Vec<String> = (0..5).map(|_| ids::new_id()).collect();
    let writes: Vec<_> = only_rows
        .iter()
        .map(|id| crate::ExecutionWrite::Record {
            row: new(id),
            outcome: outcome(2),
            logs: Vec::new(),
        })
        .collect();
    batch.write_batch(&writes).await.expect("rows only");
    for id in &only_rows {
        let e = s.executions.get_execution(id).await.expect("row");
        assert_eq!(e.status, ExecutionStatus::Success);
        assert_eq!(e.duration_ms, Some(2));
    }
}

/// A runtime whose executions wait at a gate until [`release`](Self::release)d, counting
/// how many reached it: for holding executions in flight in tests.
#[derive(Debug, Clone)]
pub struct GatedRuntime {
    /// The runtime to hand to the engine; each execution answers `200 ok` once released.
    pub runtime: Arc<dyn Runtime>,
    inner: Arc<FnRuntime>,
    gate: Arc<tokio::sync::Semaphore>,
    entered: Arc<AtomicUsize>,
}

impl Default for GatedRuntime {
    fn default() -> Self {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let entered = Arc::new(AtomicUsize::new(0));
        let (g, e) = (gate.clone(), entered.clone());
        let inner = FnRuntime::new(move |_job: RunJob| {
            let (gate, entered) = (g.clone(), e.clone());
            async move {
                entered.fetch_add(1, Ordering::SeqCst);
                gate.acquire().await.expect("gate open").forget();
                Ok(FunctionResponse::text(200, "ok"))
            }
        });
        Self {
            runtime: inner.clone(),
            inner,
            gate,
            entered,
        }
    }
}

impl GatedRuntime {
    /// Lets `n` waiting (or future) executions finish.
    pub fn release(&self, n: usize) {
        self.gate.add_permits(n);
    }

    /// Sets what the runtime reports as its [`queue_delay`](Runtime::queue_delay).
    pub fn set_queue_delay(&self, delay: Option<Duration>) {
        self.inner.set_queue_delay(delay);
    }

    /// How many executions have reached the runtime so far.
    #[must_use]
    pub fn entered(&self) -> usize {
        self.entered.load(Ordering::SeqCst)
    }

    /// Waits (up to 5 s, else panics) until `n` executions have reached the runtime.
    pub async fn wait_entered(&self, n: usize) {
        for _ in 0..500 {
            if self.entered() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{n} executions never reached the runtime");
    }
}

/// Back-pressure: past the engine's `max_in_flight` an execution is refused as
/// `Overloaded`, and past a function's `max_concurrency` as `ConcurrencyLimit` — at once,
/// before the runtime runs and without a row; places free up as executions end.
pub async fn engine_admission_bounds(s: Stores) {
    let fid = function(&s).await;
    let other = function(&s).await;
    let gated = GatedRuntime::default();
    let eng = Engine::new(
        s.clone(),
        gated.runtime.clone(),
        EngineConfig::default().with_max_in_flight(2),
    );
    let run = |id: &str| {
        let (eng, id) = (eng.clone(), id.to_owned());
        tokio::spawn(async move { eng.execute(ExecuteRequest::http(&id, event())).await })
    };
    let held = [run(&fid), run(&other)];
    gated.wait_entered(2).await;
    let refused = eng.execute(ExecuteRequest::http(&fid, event())).await;
    assert!(
        matches!(refused, Err(EngineError::Overloaded)),
        "{refused:?}"
    );
    assert_eq!(gated.entered(), 2, "the runtime never saw it");
    gated.release(2);
    for h in held {
        let report = h.await.expect("task").expect("admitted");
        assert_eq!(report.status, ExecutionStatus::Success);
    }
    let rows = |id: String| {
        let s = s.clone();
        async move {
            s.executions
                .list_executions(&id, PageRequest::default())
                .await
                .expect("list")
                .total
        }
    };
    assert_eq!(rows(fid.clone()).await, 1, "the refused call left no row");

    // Per function: max_concurrency 1 refuses a second execution of that function only.
    s.functions
        .update_function(
            &fid,
            FunctionUpdate {
                limits: Some(FunctionLimits {
                    max_concurrency: Some(1),
                    ..FunctionLimits::default()
                }),
                now: 1_700_000_001,
                ..FunctionUpdate::default()
            },
        )
        .await
        .expect("set max_concurrency");
    let eng = Engine::new(s.clone(), eng.runtime().clone(), EngineConfig::default());
    let run = |id: &str| {
        let (eng, id) = (eng.clone(), id.to_owned());
        tokio::spawn(async move { eng.execute(ExecuteRequest::http(&id, event())).await })
    };
    let first = run(&fid);
    gated.wait_entered(3).await;
    let refused = eng.execute(ExecuteRequest::http(&fid, event())).await;
    assert!(
        matches!(refused, Err(EngineError::ConcurrencyLimit)),
        "{refused:?}"
    );
    let beside = run(&other);
    gated.wait_entered(4).await;
    gated.release(2);
    first.await.expect("task").expect("first runs");
    beside
        .await
        .expect("task")
        .expect("another function is not limited");
    // The place is free again.
    let again = run(&fid);
    gated.wait_entered(5).await;
    gated.release(1);
    again.await.expect("task").expect("runs again");
    assert_eq!(
        rows(fid.clone()).await,
        3,
        "three admitted, the two refused left no row"
    );
    assert_eq!(rows(other.clone()).await, 2);

    // A runtime queue past `max_queue_delay` refuses as Overloaded, whatever the bound on
    // executions in flight; a shorter one, or an engine without the bound, admits.
    let config = EngineConfig::default().with_max_queue_delay(Duration::from_millis(5));
    let eng = Engine::new(s.clone(), eng.runtime().clone(), config.clone());
    gated.set_queue_delay(Some(Duration::from_millis(6)));
    let refused = eng.execute(ExecuteRequest::http(&other, event())).await;
    assert!(
        matches!(refused, Err(EngineError::Overloaded)),
        "{refused:?}"
    );
    let metrics = eng.prometheus_text();
    assert!(
        metrics.contains("lunar_executions_refused_total{reason=\"queue_delay\"} 1"),
        "counted under its own reason"
    );
    assert!(
        metrics.contains("lunar_runtime_queue_delay_seconds 0.006\n"),
        "the wait is a gauge: {metrics}"
    );
    gated.release(2);
    gated.set_queue_delay(Some(Duration::from_millis(5)));
    eng.execute(ExecuteRequest::http(&other, event()))
        .await
        .expect("at the bound: admitted");
    gated.set_queue_delay(Some(Duration::from_secs(1)));
    let unbounded = Engine::new(
        s.clone(),
        eng.runtime().clone(),
        config.with_max_queue_delay(Duration::ZERO),
    );
    unbounded
        .execute(ExecuteRequest::http(&other, event()))
        .await
        .expect("no bound: admitted");
    assert_eq!(
        gated.entered(),
        7,
        "the refused one never reached the runtime"
    );
    assert_eq!(rows(other).await, 4, "the refused one left no row");
}
