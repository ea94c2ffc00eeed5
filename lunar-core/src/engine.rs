//! The execution [`Engine`]: lookup, record, run and finish over the store traits and a
//! [`Runtime`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::admission::Admission;
use crate::after_insert::AfterInsert;
use crate::cache::{FunctionCache, InvalidatingEnv, InvalidatingFunctions, Runnable};
use crate::capability::{Capabilities, HostCalls};
use crate::clock::{Clock, SystemClock};
use crate::errfmt::format_run_error;
use crate::group_commit::{GroupCommit, Ticket};
use crate::http_client::HttpClient;
use crate::late_finish::{LateFinishes, START_NOT_RECORDED, Stored};
use crate::logger::Logger;
use crate::mask::{mask_headers, mask_json_text, mask_query};
use crate::model::{ExecutionStatus, Function, LogLevel, NewExecution, Outcome, Trigger};
use crate::runtime::{
    Ctx, EnvHandle, Event, FunctionResponse, Host, KvHandle, Limits, ResponseBody, RunError,
    RunErrorKind, RunJob, Runtime,
};
use crate::store::{ExecutionWrite, HostCallTracker, Stores};
use crate::telemetry::{Gauges, Refusal, Telemetry};
use crate::usage::{MeteredHttp, Usage};
use crate::validate::LimitCeilings;
use crate::{Error, ids};

/// A base URL as Lunar keeps it: one trailing `/` removed (`https://x.io/lunar/` →
/// `https://x.io/lunar`).
#[must_use]
pub fn base_url_of(url: impl Into<String>) -> String {
    let mut u: String = url.into();
    if u.ends_with('/') {
        u.pop();
    }
    u
}

/// Largest saved response body before it is cut.
pub const SAVED_RESPONSE_MAX_BYTES: usize = 1_048_576;
/// Appended to a cut saved response body.
pub const SAVED_RESPONSE_TRUNCATED: &str = "\n[TRUNCATED - Response exceeded 1MB]";
/// Error message of an execution cancelled because its client went away.
pub const CLIENT_DISCONNECTED: &str = "client disconnected";
/// Error message of an execution cancelled by shutdown.
pub const SERVER_SHUTTING_DOWN: &str = "server shutting down";

/// Engine settings. `Default` gives the server defaults (30 s, 128 MiB, 10 MiB bodies).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EngineConfig {
    /// Limits applied where a function has no override.
    pub default_limits: Limits,
    /// Largest values a function may set.
    pub ceilings: LimitCeilings,
    /// Absolute URL at which clients reach Lunar (with the mount prefix).
    pub base_url: Option<String>,
    /// IANA time zone for functions and cron (`UTC` default).
    pub timezone: String,
    /// Attempts of the final write.
    pub finish_attempts: u32,
    /// How long a loaded function (row, active version, env vars) is reused before it is
    /// read again. Writes made through this engine's stores invalidate it at once; the TTL
    /// bounds how long writes made by other nodes go unseen. Zero disables the cache.
    pub cache_ttl: Duration,
    /// Most executions in flight at once (running, or waiting for the runtime or their
    /// write); past it [`Engine::execute`] answers [`EngineError::Overloaded`] at once,
    /// before anything runs or is recorded. `None`: 256 per unit of the runtime's
    /// [`parallelism`](Runtime::parallelism), at least 1024 (executions waiting on I/O
    /// are cheap); `Some(0)`: no bound.
    pub max_in_flight: Option<usize>,
    /// Longest a new execution may expect to wait for one of the runtime's workers
    /// ([`Runtime::queue_delay`]); past it, new executions are refused as
    /// [`EngineError::Overloaded`]. A bound on executions in flight cannot tell a thousand
    /// executions awaiting I/O, which cost nothing, from a thousand waiting for CPU, each
    /// of which adds to every later one's latency; this bound refuses only while the
    /// second kind queues, so the executions admitted while CPU-bound work overloads the
    /// engine wait about this long at most. Zero: no bound. Default
    /// [`DEFAULT_MAX_QUEUE_DELAY`].
    pub max_queue_delay: Duration,
}

/// The default [`EngineConfig::max_queue_delay`]: 20 ms, a queue short enough to keep
/// latency low under overload and long enough that a burst of executions arriving at
/// once on an idle engine is queued, not refused (the V8 runtime forgets a worker's pace
/// a second after its queue drained).
pub const DEFAULT_MAX_QUEUE_DELAY: Duration = Duration::from_millis(20);

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            default_limits: Limits::default(),
            ceilings: LimitCeilings::default(),
            base_url: None,
            timezone: "UTC".to_owned(),
            finish_attempts: 3,
            cache_ttl: Duration::from_secs(1),
            max_in_flight: None,
            max_queue_delay: DEFAULT_MAX_QUEUE_DELAY,
        }
    }
}

impl EngineConfig {
    /// Sets the default limits.
    #[must_use]
    pub fn with_default_limits(mut self, limits: Limits) -> Self {
        self.default_limits = limits;
        self
    }

    /// Sets the base URL (one trailing `/` removed).
    #[must_use]
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url_of(base_url));
        self
    }

    /// Sets the time zone.
    #[must_use]
    pub fn with_timezone(mut self, tz: impl Into<String>) -> Self {
        self.timezone = tz.into();
        self
    }

    /// The time zone, parsed ([`LunarConfig`](crate::app::LunarConfig) refuses a name that
    /// is not an IANA zone; a bad name set here directly reads as UTC).
    #[must_use]
    pub fn zone(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// Sets the function cache TTL (zero disables the cache).
    #[must_use]
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Sets the bound on executions in flight (`0`: none).
    #[must_use]
    pub fn with_max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = Some(max);
        self
    }

    /// Sets the longest wait for the runtime's workers before executions are refused
    /// (zero: no bound).
    #[must_use]
    pub fn with_max_queue_delay(mut self, max: Duration) -> Self {
        self.max_queue_delay = max;
        self
    }

    /// Sets the ceilings.
    #[must_use]
    pub fn with_ceilings(mut self, ceilings: LimitCeilings) -> Self {
        self.ceilings = ceilings;
        self
    }

    /// Effective limits for a function: its overrides, else the defaults.
    #[must_use]
    pub fn limits_for(&self, f: &Function) -> Limits {
        let mut l = self.default_limits;
        let o = &f.limits;
        if let Some(t) = o.timeout_seconds {
            l.timeout = Duration::from_secs(t);
        }
        if let Some(m) = o.memory_mb {
            l.memory_mb = m;
        }
        if let Some(b) = o.max_request_body_bytes {
            l.max_request_body_bytes = b;
        }
        if let Some(b) = o.max_response_body_bytes {
            l.max_response_body_bytes = b;
        }
        if let Some(n) = o.max_log_entries {
            l.max_log_entries = n;
        }
        if let Some(ms) = o.cpu_time_ms {
            l.cpu_time = Some(Duration::from_millis(ms));
        }
        l
    }
}

/// One execution to run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExecuteRequest {
    /// The function.
    pub function_id: String,
    /// The event (unmasked).
    pub event: Event,
    /// What started it.
    pub trigger: Trigger,
}

impl ExecuteRequest {
    /// An HTTP-triggered request.
    pub fn http(function_id: impl Into<String>, event: Event) -> Self {
        Self {
            function_id: function_id.into(),
            event,
            trigger: Trigger::Http,
        }
    }

    /// A cron-triggered request.
    pub fn cron(function_id: impl Into<String>, event: Event) -> Self {
        Self {
            function_id: function_id.into(),
            event,
            trigger: Trigger::Cron,
        }
    }
}

/// Why an execution could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// No such function (HTTP 404).
    #[error("Function not found")]
    FunctionNotFound,
    /// The function is disabled (HTTP 403).
    #[error("Function is disabled")]
    FunctionDisabled,
    /// The function has no active version (HTTP 500).
    #[error("No active version found")]
    NoActiveVersion,
    /// The engine already has its `max_in_flight` executions, or the runtime's queue is
    /// past `max_queue_delay` (HTTP 503, retry later); nothing ran and nothing was
    /// recorded.
    #[error("Server is overloaded, retry later")]
    Overloaded,
    /// The function already has its `max_concurrency` executions in flight (HTTP 429,
    /// retry later); nothing ran and nothing was recorded.
    #[error("Function is at its concurrency limit, retry later")]
    ConcurrencyLimit,
    /// The store failed (HTTP 503, retry later): the function could not be looked up, or
    /// its execution could not be recorded — nothing of it is stored, or its row stays
    /// `pending` (or may have been stored, although its write was reported failed) until
    /// the store is back, when the engine records the outcome as an
    /// `error` ([`RECORDED_LATE`](crate::late_finish::RECORDED_LATE); within the bounds
    /// [`late_finish`](crate::late_finish) states, else housekeeping fails the row). The
    /// source names the backend.
    #[error("store unavailable: {0}")]
    Store(#[source] Error),
    /// Anything else before the code ran (HTTP 500); nothing was recorded.
    #[error("internal error: {0}")]
    Internal(#[source] Error),
}

/// The result of a recorded execution.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExecutionReport {
    /// Execution id.
    pub execution_id: String,
    /// Version that ran.
    pub version_id: String,
    /// Duration in ms.
    pub duration_ms: i64,
    /// `success` or `error`.
    pub status: ExecutionStatus,
    /// Formatted error text.
    pub error_message: Option<String>,
    /// The handler's response (absent on a runtime error).
    pub response: Option<FunctionResponse>,
    /// What the execution cost (as stored with it).
    pub usage: Usage,
}

/// Runs executions: lookup, record, run, finish. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    stores: Stores,
    runtime: Arc<dyn Runtime>,
    http: Option<Arc<dyn HttpClient>>,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    cache: Arc<FunctionCache>,
    group: Arc<GroupCommit>,
    /// Outcomes whose write failed, written once the store is back.
    late: LateFinishes,
    admission: Admission,
    capabilities: Option<Arc<Capabilities>>,
    telemetry: Arc<Telemetry>,
}

impl Engine {
    /// An engine over `stores` and `runtime`, with the system clock and no outbound HTTP.
    pub fn new(stores: Stores, runtime: Arc<dyn Runtime>, config: EngineConfig) -> Self {
        Self::builder(stores, runtime).config(config).build()
    }

    /// A builder for the optional parts.
    pub fn builder(stores: Stores, runtime: Arc<dyn Runtime>) -> EngineBuilder {
        EngineBuilder {
            stores,
            runtime,
            http: None,
            clock: Arc::new(SystemClock),
            config: EngineConfig::default(),
            capabilities: Capabilities::default(),
        }
    }

    /// The stores.
    #[must_use]
    pub fn stores(&self) -> &Stores {
        &self.inner.stores
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The clock.
    #[must_use]
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The runtime.
    #[must_use]
    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.inner.runtime
    }

    /// Whether a new execution would wait for the runtime's workers past the configured
    /// bound.
    fn queue_too_long(&self) -> bool {
        let max = self.inner.config.max_queue_delay;
        !max.is_zero() && self.inner.runtime.queue_delay().is_some_and(|d| d > max)
    }

    /// Runs one execution. The work happens on a spawned task, so the final write completes
    /// even when the caller's future is dropped; dropping it cancels the run, which is then
    /// recorded with `client disconnected`.
    pub async fn execute(&self, req: ExecuteRequest) -> Result<ExecutionReport, EngineError> {
        if self.inner.tracker.is_closed() {
            return Err(EngineError::Internal(Error::Runtime(
                SERVER_SHUTTING_DOWN.to_owned(),
            )));
        }
        let telemetry = &self.inner.telemetry;
        if self.queue_too_long() {
            telemetry.refused(Refusal::QueueDelay);
            return Err(EngineError::Overloaded);
        }
        let Some(permit) = self.inner.admission.enter() else {
            telemetry.refused(Refusal::Overloaded);
            return Err(EngineError::Overloaded);
        };
        let cancel = self.inner.shutdown.child_token();
        let guard = cancel.clone().drop_guard();
        let inner = self.inner.clone();
        let execution_id = ids::new_id();
        // One span per execution (a host's OpenTelemetry layer sees it); the version is
        // recorded once the function is loaded.
        let span = tracing::info_span!(
            "execution",
            function_id = %req.function_id,
            execution_id = %execution_id,
            trigger = req.trigger.as_str(),
            version = tracing::field::Empty,
        );
        let task = self.inner.tracker.spawn(
            async move {
                let _permit = permit;
                inner.execute(req, cancel, execution_id).await
            }
            .instrument(span),
        );
        let result = task.await;
        guard.disarm();
        let result = match result {
            Ok(r) => r,
            Err(e) => Err(EngineError::Internal(Error::Internal(format!(
                "execution task failed: {e}"
            )))),
        };
        match &result {
            Err(EngineError::ConcurrencyLimit) => telemetry.refused(Refusal::ConcurrencyLimit),
            Err(EngineError::Store(_)) => telemetry.refused(Refusal::Store),
            _ => {}
        }
        result
    }

    /// The engine's metrics in the Prometheus text exposition format (0.0.4): executions
    /// by function, status and trigger, duration histograms per function, refusals,
    /// executions in flight, the runtime's heap, and group-commit batch sizes and commit
    /// times.
    #[must_use]
    pub fn prometheus_text(&self) -> String {
        self.inner.telemetry.render(Gauges {
            in_flight: self.in_flight(),
            heap_used_bytes: self.inner.runtime.heap_used_bytes(),
            queue_delay: self.inner.runtime.queue_delay(),
            awaiting_store: self.inner.late.held(),
        })
    }

    /// Stops taking executions, waits up to `grace` for those in flight (and for outcomes
    /// held while the store failed), then cancels the rest (each recorded `error` with
    /// `server shutting down`) and waits for their writes.
    pub async fn shutdown(&self, grace: Duration) {
        let (executions, late) = (&self.inner.tracker, &self.inner.late);
        executions.close();
        late.close();
        let all = async {
            executions.wait().await;
            late.wait().await;
        };
        if tokio::time::timeout(grace, all).await.is_err() {
            self.inner.shutdown.cancel();
            executions.wait().await;
            late.wait().await;
        }
    }

    /// Looks the function up as an execution would (unknown → `FunctionNotFound`, disabled
    /// → `FunctionDisabled`, no active version → `NoActiveVersion`) and returns its
    /// effective limits, e.g. to apply the request-body limit before reading a body. Served
    /// from the function cache.
    pub async fn limits_for_function(&self, function_id: &str) -> Result<Limits, EngineError> {
        let r = self.inner.load(function_id).await?;
        Ok(self.inner.config.limits_for(&r.function))
    }

    /// Number of executions in flight.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.inner.tracker.len()
    }
}

/// Builds an [`Engine`].
#[derive(Debug)]
pub struct EngineBuilder {
    stores: Stores,
    runtime: Arc<dyn Runtime>,
    http: Option<Arc<dyn HttpClient>>,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
    capabilities: Capabilities,
}

impl EngineBuilder {
    /// The host capabilities functions may call as `host.<name>(args)` (see
    /// [`Capabilities`]; none by default).
    #[must_use]
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Sets the configuration.
    #[must_use]
    pub fn config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the clock.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the outbound HTTP client.
    #[must_use]
    pub fn http_client(mut self, http: Arc<dyn HttpClient>) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the engine.
    #[must_use]
    pub fn build(self) -> Engine {
        let cache = Arc::new(FunctionCache::new(self.config.cache_ttl));
        let mut stores = self.stores;
        stores.functions = Arc::new(InvalidatingFunctions {
            inner: stores.functions,
            cache: cache.clone(),
        });
        stores.env = Arc::new(InvalidatingEnv {
            inner: stores.env,
            cache: cache.clone(),
        });
        let telemetry = Arc::new(Telemetry::default());
        let group = GroupCommit::with_telemetry(Arc::new(stores.batch.clone()), telemetry.clone());
        let max_in_flight = self
            .config
            .max_in_flight
            .unwrap_or_else(|| (256 * self.runtime.parallelism()).max(1024));
        let shutdown = CancellationToken::new();
        let late = LateFinishes::new(group.clone(), shutdown.clone());
        Engine {
            inner: Arc::new(Inner {
                stores,
                runtime: self.runtime,
                http: self.http,
                clock: self.clock,
                config: self.config,
                shutdown,
                tracker: TaskTracker::new(),
                cache,
                group,
                late,
                admission: Admission::new(max_in_flight),
                capabilities: (!self.capabilities.is_empty()).then(|| Arc::new(self.capabilities)),
                telemetry,
            }),
        }
    }
}

/// A store error met while running an execution: a backend failure is
/// [`EngineError::Store`], anything else [`EngineError::Internal`].
fn store_failure(e: Error) -> EngineError {
    if e.failed_backend().is_some() {
        EngineError::Store(e)
    } else {
        EngineError::Internal(e)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventJson<'a> {
    method: &'a str,
    path: &'a str,
    relative_path: &'a str,
    headers: std::collections::BTreeMap<String, String>,
    body: String,
    query: std::collections::BTreeMap<String, String>,
}

/// The masked `event_json` stored with an execution.
#[must_use]
pub(crate) fn masked_event_json(event: &Event) -> String {
    let e = EventJson {
        method: &event.method,
        path: &event.path,
        relative_path: &event.relative_path,
        headers: mask_headers(&event.headers),
        body: mask_json_text(&event.body),
        query: mask_query(&event.query),
    };
    serde_json::to_string(&e).unwrap_or_else(|_| "{}".to_owned())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SavedResponse<'a> {
    status_code: u16,
    headers: &'a std::collections::BTreeMap<String, crate::runtime::HeaderValues>,
    body: String,
    is_base64_encoded: bool,
}

/// The saved `response_json` stored with an execution when `save_response` is on.
#[must_use]
pub(crate) fn saved_response_json(r: &FunctionResponse) -> String {
    let (mut body, is_base64_encoded) = match &r.body {
        ResponseBody::Text(t) => (t.clone(), false),
        ResponseBody::Bytes(b) => (base64::engine::general_purpose::STANDARD.encode(b), true),
    };
    if body.len() > SAVED_RESPONSE_MAX_BYTES {
        let mut end = SAVED_RESPONSE_MAX_BYTES;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
        body.push_str(SAVED_RESPONSE_TRUNCATED);
    }
    serde_json::to_string(&SavedResponse {
        status_code: r.status_code,
        headers: &r.headers,
        body,
        is_base64_encoded,
    })
    .unwrap_or_else(|_| "{}".to_owned())
}

impl Inner {
    async fn load(&self, function_id: &str) -> Result<Arc<Runnable>, EngineError> {
        let runnable = match self.cache.get(function_id) {
            Some(r) => r,
            None => {
                let generation = self.cache.generation();
                let function = match self.stores.functions.get_function(function_id).await {
                    Ok(f) => f,
                    Err(Error::NotFound(_)) => return Err(EngineError::FunctionNotFound),
                    Err(e) => return Err(store_failure(e)),
                };
                if function.disabled {
                    return Err(EngineError::FunctionDisabled);
                }
                let version = match self.stores.functions.active_version(function_id).await {
                    Ok(v) => v,
                    Err(Error::NotFound(_)) => return Err(EngineError::NoActiveVersion),
                    Err(e) => return Err(store_failure(e)),
                };
                let env = self
                    .stores
                    .env
                    .all(function_id)
                    .await
                    .map_err(store_failure)?;
                let r = Arc::new(Runnable {
                    code: Arc::from(version.code.as_str()),
                    function,
                    version,
                    env,
                });
                self.cache.put(function_id, generation, r.clone());
                r
            }
        };
        if runnable.function.disabled {
            return Err(EngineError::FunctionDisabled);
        }
        Ok(runnable)
    }

    async fn execute(
        &self,
        req: ExecuteRequest,
        cancel: CancellationToken,
        execution_id: String,
    ) -> Result<ExecutionReport, EngineError> {
        // Step 1.
        let started = Instant::now();
        let trigger = req.trigger;
        // Steps 2-5 (the env snapshot is loaded with the function).
        let runnable = self.load(&req.function_id).await?;
        let Runnable {
            function,
            version,
            code,
            env,
        } = &*runnable;
        tracing::Span::current().record("version", version.version);
        let limits = self.config.limits_for(function);
        let _slot = match function.limits.max_concurrency {
            Some(max) => Some(
                self.admission
                    .enter_function(&function.id, max)
                    .ok_or(EngineError::ConcurrencyLimit)?,
            ),
            None => None,
        };
        // Step 6.
        let now = self.clock.unix();
        let ctx = Ctx {
            execution_id: execution_id.clone(),
            function_id: function.id.clone(),
            function_name: function.name.clone(),
            started_at: now,
            version: version.version.to_string(),
            trigger: req.trigger,
            base_url: self.config.base_url.clone(),
        };
        // Steps 7-8.
        let event_json = masked_event_json(&req.event);
        let row = NewExecution {
            id: execution_id.clone(),
            function_id: function.id.clone(),
            function_version_id: version.id.clone(),
            event_json: Some(event_json),
            trigger: req.trigger,
            created_at: now,
        };
        // The insert is queued for group commit and the code runs meanwhile; an
        // execution that ends before a batch took its insert is written once, finished.
        let mut pending = Pending::Queued(self.group.enqueue(ExecutionWrite::Insert(row)));
        // Step 9.
        let logger = Logger::new(&limits, self.clock.clone());
        let mut host = Host::new(
            KvHandle::new(function.id.as_str(), self.stores.kv.clone()).with_limits(&limits),
            EnvHandle::new(function.id.as_str(), env.clone(), self.stores.env.clone()),
            logger.clone(),
            self.clock.clone(),
        );
        let usage = host.usage.clone();
        // Outbound traffic (http, fetch, AI, e-mail) is counted on the execution's meter.
        host.http = self.http.as_ref().map(|inner| {
            Arc::new(MeteredHttp {
                inner: inner.clone(),
                meter: usage.clone(),
            }) as Arc<dyn HttpClient>
        });
        let request_bytes = u64::try_from(req.event.body.len()).unwrap_or(u64::MAX);
        host.execution_id.clone_from(&execution_id);
        host.ai = Some(self.stores.ai.clone());
        host.email = Some(self.stores.email.clone());
        // AI, e-mail and host-call rows reference the execution: while its row is queued,
        // they are written once it is committed.
        let (inserted, inserted_rx) = match &pending {
            Pending::Queued(_) => {
                let (tx, rx) = tokio::sync::watch::channel(false);
                host.ai = Some(Arc::new(AfterInsert {
                    inner: self.stores.ai.clone(),
                    inserted: rx.clone(),
                }));
                host.email = Some(Arc::new(AfterInsert {
                    inner: self.stores.email.clone(),
                    inserted: rx.clone(),
                }));
                (Some(tx), Some(rx))
            }
            Pending::Committed => (None, None),
        };
        // Only an engine with capabilities pays for their tracker.
        host.capabilities = self.capabilities.as_ref().map(|caps| {
            let tracker: Arc<dyn HostCallTracker> = match inserted_rx {
                Some(rx) => Arc::new(AfterInsert {
                    inner: self.stores.host_calls.clone(),
                    inserted: rx,
                }),
                None => self.stores.host_calls.clone(),
            };
            HostCalls::new(
                caps.clone(),
                runnable.clone(),
                execution_id.clone(),
                tracker,
                self.clock.clone(),
                usage.clone(),
            )
        });
        let job = RunJob::new(
            code.clone(),
            version.id.clone(),
            ctx,
            req.event,
            limits,
            self.config.timezone.clone(),
            host,
            cancel.clone(),
        )
        .with_isolation(function.isolation);
        let outcome = match pending {
            Pending::Committed => self.runtime.run(job).await,
            Pending::Queued(ticket) => {
                match self
                    .run_while_inserting(job, ticket, &cancel, inserted)
                    .await
                {
                    Ok((outcome, p)) => {
                        pending = p;
                        outcome
                    }
                    Err(error) => {
                        // A failure reported by the batch does not prove that its insert
                        // did not commit (a connection lost during `COMMIT`): the row, if
                        // it is there, is finished once the store is back.
                        let duration_ms = crate::clock::elapsed_ms(started);
                        let outcome = Outcome {
                            status: ExecutionStatus::Error,
                            duration_ms,
                            error_message: Some(START_NOT_RECORDED.to_owned()),
                            response_json: None,
                            usage: Some(usage.snapshot(request_bytes, 0)),
                        };
                        self.late.hold(
                            &execution_id,
                            Stored::Maybe,
                            outcome,
                            logger.take(),
                            &error,
                        );
                        return Err(store_failure(error));
                    }
                }
            }
        };
        // Step 10.
        let duration_ms = crate::clock::elapsed_ms(started);
        // Steps 11-13.
        let (status, error_message, response) = match outcome {
            Ok(resp) => {
                let status = if resp.status_code >= 400 {
                    ExecutionStatus::Error
                } else {
                    ExecutionStatus::Success
                };
                (status, None, Some(resp))
            }
            Err(err) => {
                let text = self.error_text(code, &err);
                if err.kind != RunErrorKind::Cancelled {
                    logger.system(LogLevel::Error, &text);
                }
                tracing::warn!(
                    function_id = %function.id,
                    execution_id = %execution_id,
                    error = %text,
                    "function execution failed"
                );
                (ExecutionStatus::Error, Some(text), None)
            }
        };
        let response_json = match (&response, function.save_response) {
            (Some(r), true) => Some(saved_response_json(r)),
            _ => None,
        };
        let response_bytes = response
            .as_ref()
            .map_or(0, |r| u64::try_from(r.body.len()).unwrap_or(u64::MAX));
        let usage = usage.snapshot(request_bytes, response_bytes);
        // Step 14.
        self.finish(
            &execution_id,
            Outcome {
                status,
                duration_ms,
                error_message: error_message.clone(),
                response_json,
                usage: Some(usage),
            },
            &logger,
            pending,
        )
        .await
        .map_err(store_failure)?;
        self.telemetry.execution(
            &function.id,
            status,
            trigger,
            started.elapsed(),
            usage.cpu_time_us,
        );
        // Step 15.
        Ok(ExecutionReport {
            execution_id,
            version_id: version.id.clone(),
            duration_ms,
            status,
            error_message,
            response,
            usage,
        })
    }

    fn error_text(&self, code: &str, err: &RunError) -> String {
        if err.kind == RunErrorKind::Cancelled {
            return if self.shutdown.is_cancelled() {
                SERVER_SHUTTING_DOWN.to_owned()
            } else {
                CLIENT_DISCONNECTED.to_owned()
            };
        }
        format_run_error(code, &err.message, err.line, err.column)
    }

    /// Runs `job` while its queued `pending` insert commits. When the insert fails the
    /// run is cancelled and its error returned: the execution fails to start.
    async fn run_while_inserting(
        &self,
        job: RunJob,
        mut ticket: Ticket,
        cancel: &CancellationToken,
        inserted: Option<tokio::sync::watch::Sender<bool>>,
    ) -> crate::Result<(crate::runtime::RunOutcome, Pending)> {
        let run = self.runtime.run(job);
        tokio::pin!(run);
        let committed = tokio::select! {
            biased;
            out = &mut run => return Ok((out, Pending::Queued(ticket))),
            r = ticket.committed() => r,
        };
        if let Err(failed) = committed {
            cancel.cancel();
            let _ = run.await;
            return Err(failed.error);
        }
        if let Some(tx) = inserted {
            let _ = tx.send(true);
        }
        Ok((run.await, Pending::Committed))
    }

    /// Step 14: the final write with the buffered logs, retried. An execution whose insert
    /// is still queued is written once, finished ([`ExecutionWrite::Record`]); one whose
    /// insert failed is written whole the same way. Fails when the outcome could not be
    /// stored: nothing of the execution, or the finish of its stored `pending` row. The
    /// outcome is then held and recorded late once the store is back, to the row if there
    /// is one (a write whose failure was reported may have stored it).
    async fn finish(
        &self,
        execution_id: &str,
        outcome: Outcome,
        logger: &Logger,
        pending: Pending,
    ) -> crate::Result<()> {
        let entries = logger.take();
        let mut parts = Some((outcome, entries));
        if let Pending::Queued(mut ticket) = pending {
            let upgraded = self.group.upgrade(&ticket, |w| match (w, parts.take()) {
                (ExecutionWrite::Insert(row), Some((outcome, logs))) => {
                    ExecutionWrite::Record { row, outcome, logs }
                }
                (other, taken) => {
                    parts = taken;
                    other
                }
            });
            match ticket.committed().await {
                Ok(()) if upgraded => return Ok(()),
                // A batch had taken the insert: the finish follows it.
                Ok(()) => {}
                // Nothing of the execution is stored: write it whole, again.
                Err(failed) => {
                    tracing::warn!(execution_id, error = %failed.error, "retrying execution write");
                    let write = match (failed.write, parts.take()) {
                        (Some(w @ ExecutionWrite::Record { .. }), _) => w,
                        (Some(ExecutionWrite::Insert(row)), Some((outcome, logs))) => {
                            ExecutionWrite::Record { row, outcome, logs }
                        }
                        _ => return Err(failed.error),
                    };
                    let written = self.write_retried(execution_id, write, 2).await;
                    return self.hold_unwritten(execution_id, written);
                }
            }
        }
        let Some((outcome, entries)) = parts else {
            return Ok(());
        };
        let write = ExecutionWrite::Finish {
            id: execution_id.to_owned(),
            outcome,
            logs: entries,
        };
        let written = self.write_retried(execution_id, write, 1).await;
        self.hold_unwritten(execution_id, written)
    }

    /// The result of a final write. When it failed, the outcome is held and written once
    /// the store is back: as the finish of a row known to be stored, `pending` (a `Finish`
    /// handed back), or of a row that may be (a `Record` handed back: an earlier write of
    /// it, or the execution's `pending` insert, may have committed although its failure
    /// was reported; when none did, there is no row and nothing is written).
    fn hold_unwritten(
        &self,
        execution_id: &str,
        written: Result<(), (Error, ExecutionWrite)>,
    ) -> crate::Result<()> {
        let Err((error, write)) = written else {
            return Ok(());
        };
        match write {
            ExecutionWrite::Finish { outcome, logs, .. } => {
                self.late
                    .hold(execution_id, Stored::Pending, outcome, logs, &error);
            }
            ExecutionWrite::Record { outcome, logs, .. } => {
                self.late
                    .hold(execution_id, Stored::Maybe, outcome, logs, &error);
            }
            ExecutionWrite::Insert(_) => {}
        }
        Err(error)
    }

    /// Submits `write` through group commit, attempt `first` of the configured number,
    /// retrying with backoff. On failure `write` is handed back, or, for a `Record` whose
    /// row turned out to be stored, the `Finish` of that row.
    ///
    /// A retried `Record` may find its row already stored: an earlier write whose failure
    /// was reported committed after all (a connection lost during `COMMIT`). That write
    /// was this `Record` or the execution's `pending` insert; the row is finished now (a
    /// `Finish` of a row no longer `pending` changes nothing).
    async fn write_retried(
        &self,
        execution_id: &str,
        write: ExecutionWrite,
        first: u32,
    ) -> Result<(), (Error, ExecutionWrite)> {
        let g = &self.group;
        let stored = &std::sync::atomic::AtomicBool::new(false);
        let written = self
            .retried(execution_id, first, |attempt| {
                let write = write.clone();
                async move {
                    let finish = match &write {
                        ExecutionWrite::Record { outcome, logs, .. } if attempt > 1 => {
                            Some(ExecutionWrite::Finish {
                                id: execution_id.to_owned(),
                                outcome: outcome.clone(),
                                logs: logs.clone(),
                            })
                        }
                        _ => None,
                    };
                    match (g.submit(write).await, finish) {
                        (Err(Error::AlreadyExists(_)), Some(finish)) => {
                            stored.store(true, std::sync::atomic::Ordering::Release);
                            g.submit(finish).await
                        }
                        (r, _) => r,
                    }
                }
            })
            .await;
        written.map_err(|e| match write {
            ExecutionWrite::Record { outcome, logs, .. }
                if stored.load(std::sync::atomic::Ordering::Acquire) =>
            {
                let id = execution_id.to_owned();
                (e, ExecutionWrite::Finish { id, outcome, logs })
            }
            write => (e, write),
        })
    }

    /// Runs `write(attempt)` for attempts `first..` up to the configured number, with
    /// backoff, until one succeeds; a last failure is logged and returned.
    async fn retried<F, Fut>(
        &self,
        execution_id: &str,
        first: u32,
        mut write: F,
    ) -> crate::Result<()>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = crate::Result<()>>,
    {
        let attempts = self.config.finish_attempts.max(first);
        let mut delay = Duration::from_millis(50);
        let mut attempt = first;
        loop {
            match write(attempt).await {
                Ok(()) => return Ok(()),
                Err(e) if attempt < attempts => {
                    tracing::warn!(execution_id, attempt, error = %e, "retrying execution write");
                    tokio::time::sleep(delay).await;
                    delay *= 4;
                    attempt += 1;
                }
                Err(e) => {
                    tracing::error!(execution_id, error = %e, "failed to record execution outcome");
                    return Err(e);
                }
            }
        }
    }
}

/// Where an execution's `pending` insert stands.
enum Pending {
    /// Committed.
    Committed,
    /// Queued for group commit.
    Queued(Ticket),
}
