//! The [`Runtime`] trait: what a JavaScript engine receives and returns.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::Result;
use crate::clock::Clock;
pub use crate::limits::Limits;
use crate::logger::Logger;
use crate::model::{Isolation, Trigger};
use crate::store::{EnvStore, KvStore};
use crate::usage::{CallKind, UsageMeter};

/// The event passed to a handler.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Request method.
    pub method: String,
    /// Decoded path as sent, with any mount prefix.
    pub path: String,
    /// Decoded path after `/fn/{id}`; `/` when empty.
    pub relative_path: String,
    /// First value of each header, canonical names.
    pub headers: BTreeMap<String, String>,
    /// Request body as text.
    pub body: String,
    /// First value of each query key.
    pub query: BTreeMap<String, String>,
}

/// The `ctx` passed to a handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ctx {
    /// Execution id.
    pub execution_id: String,
    /// Function id.
    pub function_id: String,
    /// Function name.
    pub function_name: String,
    /// Unix seconds when the context was built.
    pub started_at: i64,
    /// Active version number as text.
    pub version: String,
    /// `http` or `cron`.
    pub trigger: Trigger,
    /// Configured base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// A header value returned by a handler: one string, or several header lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HeaderValues {
    /// One value.
    One(String),
    /// One header line per element.
    Many(Vec<String>),
}

impl HeaderValues {
    /// The values as a slice-like list.
    #[must_use]
    pub fn values(&self) -> Vec<&str> {
        match self {
            Self::One(v) => vec![v.as_str()],
            Self::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// The body of a handler's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseBody {
    /// Text (strings, numbers, JSON...).
    Text(String),
    /// Raw bytes (typed arrays, or a base64 body already decoded).
    Bytes(Vec<u8>),
}

impl ResponseBody {
    /// The bytes to send.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(t) => t.as_bytes(),
            Self::Bytes(b) => b,
        }
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A handler's response after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionResponse {
    /// 100–999.
    pub status_code: u16,
    /// Headers as returned (names as the handler spelled them).
    pub headers: BTreeMap<String, HeaderValues>,
    /// Body.
    pub body: ResponseBody,
}

impl FunctionResponse {
    /// A text response.
    #[must_use]
    pub fn text(status_code: u16, body: impl Into<String>) -> Self {
        Self {
            status_code,
            headers: BTreeMap::new(),
            body: ResponseBody::Text(body.into()),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .insert(name.into(), HeaderValues::One(value.into()));
        self
    }
}

/// Why a run failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunErrorKind {
    /// User code threw, failed to compile, or returned something invalid.
    Script,
    /// The wall-clock limit was reached.
    Timeout,
    /// The heap limit was reached.
    Memory,
    /// The CPU-time limit was reached.
    CpuTime,
    /// The cancellation token fired.
    Cancelled,
    /// The runtime itself failed.
    Internal,
}

/// A failed run. `message` is the plain text (no `Error at line` prefix); lunar-core
/// formats it with the code block and tip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError {
    /// Category.
    pub kind: RunErrorKind,
    /// Message, e.g. `TypeError: x is not a function\n    at handler (function.js:3:5)`.
    pub message: String,
    /// 1-based line in the user's code.
    pub line: Option<u32>,
    /// 1-based column in the user's code.
    pub column: Option<u32>,
}

impl RunError {
    /// A script error without position.
    pub fn script(message: impl Into<String>) -> Self {
        Self {
            kind: RunErrorKind::Script,
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// An error of the given kind without position.
    pub fn new(kind: RunErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// Sets the position.
    #[must_use]
    pub fn at(mut self, line: u32, column: Option<u32>) -> Self {
        self.line = Some(line);
        self.column = column;
        self
    }
}

/// What a run produced.
pub type RunOutcome = std::result::Result<FunctionResponse, RunError>;

/// The function's environment: a snapshot read by `env.get` and the store `env.set` writes.
#[derive(Debug, Clone)]
pub struct EnvHandle {
    function_id: Arc<str>,
    snapshot: Arc<Mutex<BTreeMap<String, String>>>,
    store: Arc<dyn EnvStore>,
}

impl EnvHandle {
    /// A handle over a loaded snapshot.
    pub fn new(
        function_id: impl Into<Arc<str>>,
        snapshot: BTreeMap<String, String>,
        store: Arc<dyn EnvStore>,
    ) -> Self {
        Self {
            function_id: function_id.into(),
            snapshot: Arc::new(Mutex::new(snapshot)),
            store,
        }
    }

    /// Reads the snapshot.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<String> {
        self.snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// Persists a variable and updates the snapshot.
    pub async fn set(&self, key: &str, value: &str) -> Result<()> {
        self.store.set(&self.function_id, key, value).await?;
        self.snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    /// Deletes a variable and updates the snapshot.
    pub async fn delete(&self, key: &str) -> Result<()> {
        self.store.delete(&self.function_id, key).await?;
        self.snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
        Ok(())
    }
}

/// The function-scoped KV store.
#[derive(Debug, Clone)]
pub struct KvHandle {
    function_id: Arc<str>,
    store: Arc<dyn KvStore>,
    /// Where calls are counted (the execution's meter, set by [`Host::new`]).
    usage: Option<Arc<UsageMeter>>,
    /// Longest key and value in bytes ([`Limits::max_kv_key_bytes`], `max_kv_value_bytes`).
    max_key: u64,
    max_value: u64,
}

impl KvHandle {
    /// A handle for one function, with the default key and value limits.
    pub fn new(function_id: impl Into<Arc<str>>, store: Arc<dyn KvStore>) -> Self {
        let limits = Limits::default();
        Self {
            function_id: function_id.into(),
            store,
            usage: None,
            max_key: limits.max_kv_key_bytes,
            max_value: limits.max_kv_value_bytes,
        }
    }

    /// The same handle with the key and value limits of `limits`.
    #[must_use]
    pub fn with_limits(mut self, limits: &Limits) -> Self {
        self.max_key = limits.max_kv_key_bytes;
        self.max_value = limits.max_kv_value_bytes;
        self
    }

    /// Why `key` (or `value`) is over this handle's limits, or `None`. Every call checks
    /// it, whatever runtime makes the call; a runtime may check first to report it its own
    /// way (the V8 runtime throws a `RangeError`).
    #[must_use]
    pub fn over_limit(&self, key: &str, value: Option<&str>) -> Option<String> {
        crate::validate::kv_key_too_long(key, self.max_key)
            .or_else(|| value.and_then(|v| crate::validate::kv_value_too_long(v, self.max_value)))
    }

    fn check(&self, key: &str, value: Option<&str>) -> Result<()> {
        match self.over_limit(key, value) {
            Some(m) => Err(crate::Error::invalid("kv", m)),
            None => Ok(()),
        }
    }

    fn count(&self) {
        if let Some(u) = &self.usage {
            u.count(CallKind::Kv);
        }
    }

    /// `kv.get`; a key over the limit fails with [`Error::InvalidInput`](crate::Error).
    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        self.check(key, None)?;
        self.count();
        self.store.get(&self.function_id, key).await
    }

    /// `kv.set`; a key or value over the limit fails with
    /// [`Error::InvalidInput`](crate::Error) and stores nothing.
    pub async fn set(&self, key: &str, value: &str) -> Result<()> {
        self.check(key, Some(value))?;
        self.count();
        self.store.set(&self.function_id, key, value).await
    }

    /// `kv.delete`; a key over the limit fails with [`Error::InvalidInput`](crate::Error).
    pub async fn delete(&self, key: &str) -> Result<()> {
        self.check(key, None)?;
        self.count();
        self.store.delete(&self.function_id, key).await
    }
}

/// Everything a running function may touch on the host side.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Host {
    /// Per-function KV.
    pub kv: KvHandle,
    /// Per-function env.
    pub env: EnvHandle,
    /// The execution's logger.
    pub logger: Logger,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Outbound HTTP, when configured.
    pub http: Option<Arc<dyn crate::http_client::HttpClient>>,
    /// The execution this host serves (AI and e-mail rows are tracked under it).
    pub execution_id: String,
    /// Where `ai.chat` calls are tracked.
    pub ai: Option<Arc<dyn crate::store::AiTracker>>,
    /// Where `email.send` calls are tracked.
    pub email: Option<Arc<dyn crate::store::EmailTracker>>,
    /// The host capabilities this execution may call (`host.<name>(args)`), when the
    /// engine has any.
    pub capabilities: Option<crate::capability::HostCalls>,
    /// The execution's resource counters: the host APIs count their calls on it, the
    /// runtime adds CPU time and heap.
    pub usage: Arc<UsageMeter>,
}

impl Host {
    /// A host over the given parts.
    pub fn new(mut kv: KvHandle, env: EnvHandle, logger: Logger, clock: Arc<dyn Clock>) -> Self {
        let usage = Arc::new(UsageMeter::new());
        kv.usage = Some(usage.clone());
        Self {
            kv,
            env,
            logger,
            clock,
            http: None,
            execution_id: String::new(),
            ai: None,
            email: None,
            capabilities: None,
            usage,
        }
    }
}

/// One execution handed to a runtime.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunJob {
    /// Source code.
    pub code: Arc<str>,
    /// Version id, the compile-cache key.
    pub version_id: String,
    /// Handler's first argument.
    pub ctx: Ctx,
    /// Handler's second argument (unmasked).
    pub event: Event,
    /// Limits.
    pub limits: Limits,
    /// IANA time zone for `Date`, `time.format`, `time.parse`.
    pub timezone: String,
    /// Host services.
    pub host: Host,
    /// Fires on client disconnect or shutdown.
    pub cancel: CancellationToken,
    /// Whether the version's warm context may serve this execution (default), or it gets
    /// a fresh one.
    pub isolation: Isolation,
}

impl RunJob {
    /// Builds a job.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        code: Arc<str>,
        version_id: String,
        ctx: Ctx,
        event: Event,
        limits: Limits,
        timezone: String,
        host: Host,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            code,
            version_id,
            ctx,
            event,
            limits,
            timezone,
            host,
            cancel,
            isolation: Isolation::Warm,
        }
    }

    /// Returns this job with another isolation mode.
    #[must_use]
    pub fn with_isolation(mut self, isolation: Isolation) -> Self {
        self.isolation = isolation;
        self
    }
}

/// A JavaScript engine.
///
/// ```
/// use async_trait::async_trait;
/// use lunar_core::runtime::{FunctionResponse, RunJob, RunOutcome, Runtime};
///
/// /// Answers every request with "hello".
/// #[derive(Debug)]
/// struct Hello;
///
/// #[async_trait]
/// impl Runtime for Hello {
///     fn name(&self) -> &str { "hello" }
///     async fn run(&self, job: RunJob) -> RunOutcome {
///         job.host.logger.info("hi");
///         Ok(FunctionResponse::text(200, "hello"))
///     }
/// }
/// ```
#[async_trait]
pub trait Runtime: Debug + Send + Sync + 'static {
    /// Short name, e.g. `v8`.
    fn name(&self) -> &str;

    /// How many executions the runtime runs in parallel (its worker threads); the engine
    /// sizes its default bound on executions in flight from it.
    fn parallelism(&self) -> usize {
        1
    }

    /// Heap in use by the runtime, when it can tell (the metrics endpoint's gauge).
    fn heap_used_bytes(&self) -> Option<u64> {
        None
    }

    /// How long a new execution would wait for a worker: at least as long as the one
    /// waiting longest has waited so far, more when a long queue has formed behind it;
    /// zero when none is waiting. `None`: the runtime does not measure it. While it
    /// exceeds [`EngineConfig::max_queue_delay`](crate::EngineConfig::max_queue_delay)
    /// the engine refuses new executions as [`Overloaded`](crate::EngineError::Overloaded),
    /// which keeps the queue for CPU to about that bound.
    fn queue_delay(&self) -> Option<Duration> {
        None
    }

    /// Runs one execution to completion, respecting `job.limits` (including the optional
    /// CPU-time limit, reported as [`RunErrorKind::CpuTime`]) and `job.cancel`. The CPU
    /// time and heap the execution used go on `job.host.usage`; the host APIs count their
    /// own calls there.
    async fn run(&self, job: RunJob) -> RunOutcome;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KvEntry, Page, PageRequest};

    /// A KV store that records what reached it.
    #[derive(Debug, Default)]
    struct Recording(Mutex<Vec<String>>);

    #[async_trait]
    impl KvStore for Recording {
        async fn get(&self, _: &str, key: &str) -> Result<Option<String>> {
            self.0.lock().unwrap().push(format!("get {key}"));
            Ok(None)
        }
        async fn set(&self, _: &str, key: &str, _: &str) -> Result<()> {
            self.0.lock().unwrap().push(format!("set {key}"));
            Ok(())
        }
        async fn delete(&self, _: &str, key: &str) -> Result<()> {
            self.0.lock().unwrap().push(format!("delete {key}"));
            Ok(())
        }
        async fn delete_all(&self, _: &str) -> Result<()> {
            Ok(())
        }
        async fn list(&self, _: &str, _: &str, _: PageRequest) -> Result<Page<KvEntry>> {
            Ok(Page::empty())
        }
    }

    /// Any runtime's KV calls are held to the execution's limits, not only the V8 one's.
    #[tokio::test]
    async fn kv_handle_refuses_keys_and_values_over_its_limits() {
        let store = Arc::new(Recording::default());
        let limits = Limits {
            max_kv_key_bytes: 4,
            max_kv_value_bytes: 8,
            ..Limits::default()
        };
        let kv = KvHandle::new("f", store.clone()).with_limits(&limits);
        let err = |r: Result<()>| r.unwrap_err().to_string();
        assert_eq!(
            err(kv.set("12345", "v").await),
            "kv: kv key cannot be longer than 4 bytes"
        );
        assert_eq!(
            err(kv.set("k", "123456789").await),
            "kv: kv value cannot be longer than 8 bytes"
        );
        assert_eq!(
            err(kv.delete("12345").await),
            "kv: kv key cannot be longer than 4 bytes"
        );
        assert!(kv.get("12345").await.is_err());
        assert!(
            store.0.lock().unwrap().is_empty(),
            "nothing reached the store"
        );
        kv.set("1234", "12345678").await.unwrap();
        assert_eq!(*store.0.lock().unwrap(), ["set 1234"]);
        // Without limits given, the defaults apply.
        let kv = KvHandle::new("f", store.clone());
        assert!(kv.over_limit(&"k".repeat(512), None).is_none());
        assert!(kv.over_limit(&"k".repeat(513), None).is_some());
    }
}
