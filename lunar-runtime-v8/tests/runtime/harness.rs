//! The one place that runs code: through the [`Engine`] over a real SQLite store, so every
//! behaviour test also checks what gets recorded. A transparent wrapper keeps the raw
//! [`RunOutcome`] so fixtures can assert error kinds and positions exactly.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use lunar_core::capability::Capabilities;
use lunar_core::model::{Execution, FunctionUpdate, Isolation, LogEntry, NewFunction, PageRequest};
use lunar_core::runtime::{Event, Limits, RunJob, RunOutcome, Runtime};
use lunar_core::{Engine, EngineConfig, ExecuteRequest, HttpClient, Stores, ids};
use lunar_runtime_v8::{V8Options, V8Runtime};
use lunar_store_sql::SqliteStore;
use tokio_util::sync::CancellationToken;

/// Base URL the engine is configured with.
pub(crate) const BASE_URL: &str = "https://lunar.example.com";

/// Delegates to V8 and remembers each run's raw outcome by execution id.
#[derive(Debug)]
struct Tee {
    rt: Arc<V8Runtime>,
    outcomes: Mutex<HashMap<String, RunOutcome>>,
}

#[async_trait]
impl Runtime for Tee {
    fn name(&self) -> &str {
        "v8"
    }

    async fn run(&self, job: RunJob) -> RunOutcome {
        let id = job.ctx.execution_id.clone();
        let out = self.rt.run(job).await;
        self.outcomes.lock().expect("lock").insert(id, out.clone());
        out
    }
}

/// The shared runtime (2 workers).
pub(crate) fn runtime() -> &'static Arc<V8Runtime> {
    static RT: OnceLock<Arc<V8Runtime>> = OnceLock::new();
    RT.get_or_init(|| {
        Arc::new(V8Runtime::new(V8Options::default().with_workers(2)).expect("runtime"))
    })
}

struct TestStore {
    stores: Stores,
    _dir: tempfile::TempDir,
    // Functions created for a fixed version key, reused so the code cache sees one version.
    by_key: Mutex<HashMap<String, String>>,
}

thread_local! {
    // One SQLite database per test thread (each test has its own thread and runtime).
    static STORE: RefCell<Option<Arc<TestStore>>> = const { RefCell::new(None) };
}

async fn store() -> Arc<TestStore> {
    if let Some(s) = STORE.with(|s| s.borrow().clone()) {
        return s;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("lunar.db");
    let sqlite = Arc::new(
        SqliteStore::connect(db.to_str().expect("utf-8 path"))
            .await
            .expect("sqlite"),
    );
    sqlite.migrate().await.expect("migrate");
    let ts = Arc::new(TestStore {
        stores: Stores::from_backend(sqlite.clone()),
        _dir: dir,
        by_key: Mutex::new(HashMap::new()),
    });
    STORE.with(|s| *s.borrow_mut() = Some(ts.clone()));
    ts
}

/// Inputs of one run.
#[derive(Debug, Clone)]
pub(crate) struct RunOpts {
    pub(crate) event: Event,
    pub(crate) limits: Limits,
    pub(crate) env: BTreeMap<String, String>,
    /// Runs with the same key share one function (and so one version id).
    pub(crate) version_id: Option<String>,
    /// Cancelled by the test to simulate a client disconnect.
    pub(crate) cancel: CancellationToken,
    /// The engine's outbound HTTP client (`http`, `fetch`, `ai`, `email`).
    pub(crate) http: Option<Arc<dyn HttpClient>>,
    /// The function's isolation mode (set when the function is created).
    pub(crate) isolation: Isolation,
    /// The function's name (set when the function is created).
    pub(crate) name: String,
    /// The engine's host capabilities.
    pub(crate) capabilities: Option<Capabilities>,
}

impl Default for RunOpts {
    fn default() -> Self {
        Self {
            event: Event {
                method: "GET".into(),
                path: "/fn/f1/hello".into(),
                relative_path: "/hello".into(),
                ..Event::default()
            },
            limits: Limits::default().with_timeout(Duration::from_secs(5)),
            env: BTreeMap::new(),
            version_id: None,
            cancel: CancellationToken::new(),
            http: None,
            isolation: Isolation::Warm,
            name: "hello".into(),
            capabilities: None,
        }
    }
}

/// What a run produced and what the engine recorded.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The runtime's raw outcome.
    pub(crate) result: RunOutcome,
    /// Logs as stored (the engine's error entry, if any, is last).
    pub(crate) logs: Vec<LogEntry>,
    /// The execution row.
    pub(crate) execution: Execution,
}

impl Outcome {
    /// User log lines as `level: message` (without the engine's error entry).
    pub(crate) fn log_lines(&self) -> Vec<String> {
        let mut logs: &[LogEntry] = &self.logs;
        if self.result.is_err()
            && let Some((last, rest)) = logs.split_last()
            && Some(&last.message) == self.execution.error_message.as_ref()
        {
            logs = rest;
        }
        logs.iter()
            .map(|e| format!("{}: {}", e.level.as_str(), e.message))
            .collect()
    }
}

async fn function_for(
    ts: &TestStore,
    code: &str,
    key: Option<&str>,
    isolation: Isolation,
    name: &str,
) -> String {
    if let Some(k) = key
        && let Some(id) = ts.by_key.lock().expect("lock").get(k).cloned()
    {
        return id;
    }
    let id = ids::new_id();
    ts.stores
        .functions
        .create_function(NewFunction {
            id: id.clone(),
            name: name.into(),
            description: None,
            code: code.into(),
            isolation,
            now: 1_700_000_000,
        })
        .await
        .expect("create function");
    if let Some(k) = key {
        ts.by_key
            .lock()
            .expect("lock")
            .insert(k.to_owned(), id.clone());
    }
    id
}

/// Replaces the code of the function kept for the version key `key`: a new version,
/// activated, so later runs with that key run `code` under a new version id.
pub(crate) async fn update_code(key: &str, code: &str) {
    let ts = store().await;
    let fid = ts
        .by_key
        .lock()
        .expect("lock")
        .get(key)
        .cloned()
        .expect("a function for this key");
    ts.stores
        .functions
        .update_function(
            &fid,
            FunctionUpdate {
                code: Some(code.into()),
                ..FunctionUpdate::default()
            },
        )
        .await
        .expect("update function");
}

/// Runs `code` on `rt` through the engine and returns the outcome and the recorded rows.
pub(crate) async fn run_on(rt: &Arc<V8Runtime>, code: &str, opts: RunOpts) -> Outcome {
    let ts = store().await;
    let fid = function_for(
        &ts,
        code,
        opts.version_id.as_deref(),
        opts.isolation,
        &opts.name,
    )
    .await;
    if !opts.env.is_empty() {
        ts.stores
            .env
            .replace_all(&fid, &opts.env)
            .await
            .expect("env");
    }
    let tee = Arc::new(Tee {
        rt: rt.clone(),
        outcomes: Mutex::new(HashMap::new()),
    });
    let mut builder = Engine::builder(ts.stores.clone(), tee.clone()).config(
        EngineConfig::default()
            .with_default_limits(opts.limits)
            .with_base_url(BASE_URL),
    );
    if let Some(http) = opts.http.clone() {
        builder = builder.http_client(http);
    }
    if let Some(caps) = opts.capabilities.clone() {
        builder = builder.capabilities(caps);
    }
    let engine = builder.build();
    let cancel = opts.cancel.clone();
    let exec = engine.execute(ExecuteRequest::http(&fid, opts.event));
    // Cancelling the token drops the request future, as a disconnecting client does.
    let report = tokio::select! {
        r = exec => Some(r.expect("engine accepted the run")),
        () = cancel.cancelled() => None,
    };
    let execution = match &report {
        Some(r) => ts
            .stores
            .executions
            .get_execution(&r.execution_id)
            .await
            .expect("execution row"),
        None => wait_finished(&ts.stores, &fid).await,
    };
    let result = tee
        .outcomes
        .lock()
        .expect("lock")
        .remove(&execution.id)
        .expect("the runtime ran");
    let logs = ts
        .stores
        .logs
        .list(&execution.id, PageRequest::new(100, 0))
        .await
        .expect("logs");
    let mut all = logs.items;
    if logs.total > 100 {
        let rest = ts
            .stores
            .logs
            .list(&execution.id, PageRequest::new(100_000, 100))
            .await
            .expect("logs");
        all.extend(rest.items);
    }
    Outcome {
        result,
        logs: all,
        execution,
    }
}

/// The newest execution of `fid` once it left `pending` (waiting up to 30 s: on a loaded
/// 2-core machine the worker may be busy with other tests' code for a while).
async fn wait_finished(stores: &Stores, fid: &str) -> Execution {
    for _ in 0..3000 {
        let page = stores
            .executions
            .list_executions(fid, PageRequest::new(1, 0))
            .await
            .expect("list");
        if let Some(e) = page.items.into_iter().next()
            && e.status != lunar_core::model::ExecutionStatus::Pending
        {
            return stores.executions.get_execution(&e.id).await.expect("row");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("execution never finished");
}

/// Runs `code` on the shared runtime.
pub(crate) async fn run(code: &str, opts: RunOpts) -> Outcome {
    run_on(runtime(), code, opts).await
}

/// The stores of this test thread's database (the one `run` records into).
pub(crate) async fn stores() -> Stores {
    store().await.stores.clone()
}
