//! Storage traits every backend implements, and the [`Stores`] bundle that guarantees
//! cascades across them.
//!
//! A backend implements the traits on one type (or on several) and runs the `testkit`
//! conformance suite (feature `testkit`) to prove it.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::Result;
use crate::metrics::{ExecutionMetrics, MetricsGroup, MetricsRange};
use crate::model::{
    AiRequest, EmailRequest, Execution, ExecutionStatus, Function, FunctionUpdate, FunctionVersion,
    FunctionWithActiveVersion, HostCall, KvEntry, LogEntry, NewExecution, NewFunction, Outcome,
    Page, PageRequest, Timestamp,
};

/// Functions and their versions.
///
/// Implementing a backend: every method maps one-to-one to a query or transaction; the
/// contracts below are checked by `lunar_core::testkit`.
///
/// ```
/// use async_trait::async_trait;
/// use lunar_core::{FunctionStore, Result, model::*};
///
/// #[derive(Debug)]
/// struct MyStore;
///
/// #[async_trait]
/// impl FunctionStore for MyStore {
///     async fn create_function(&self, f: NewFunction) -> Result<FunctionWithActiveVersion> { todo!() }
///     async fn get_function(&self, id: &str) -> Result<Function> { todo!() }
///     async fn list_functions(&self, p: PageRequest) -> Result<Page<FunctionWithActiveVersion>> { todo!() }
///     async fn update_function(&self, id: &str, u: FunctionUpdate) -> Result<Function> { todo!() }
///     async fn delete_function(&self, id: &str) -> Result<Vec<String>> { todo!() }
///     async fn get_version(&self, fid: &str, n: i64) -> Result<FunctionVersion> { todo!() }
///     async fn get_version_by_id(&self, fid: &str, vid: &str) -> Result<FunctionVersion> { todo!() }
///     async fn list_versions(&self, fid: &str, p: PageRequest) -> Result<Page<FunctionVersion>> { todo!() }
///     async fn active_version(&self, fid: &str) -> Result<FunctionVersion> { todo!() }
///     async fn activate_version(&self, fid: &str, vid: &str) -> Result<()> { todo!() }
///     async fn delete_version(&self, fid: &str, vid: &str) -> Result<Vec<String>> { todo!() }
///     async fn functions_with_active_cron(&self) -> Result<Vec<Function>> { todo!() }
///     async fn ping(&self) -> Result<()> { todo!() }
/// }
/// ```
#[async_trait]
pub trait FunctionStore: Debug + Send + Sync + 'static {
    /// Inserts the function and its version 1 (active) in one transaction; `cron_status`
    /// is `paused`, `created_at = updated_at = f.now`. [`Error::AlreadyExists`](crate::Error)
    /// when the id is taken.
    async fn create_function(&self, f: NewFunction) -> Result<FunctionWithActiveVersion>;

    /// The function with empty `env_vars`; `NotFound("function")`.
    async fn get_function(&self, id: &str) -> Result<Function>;

    /// Total and one page ordered by `created_at` desc, then `id` desc, each with its active
    /// version (the zero version when none).
    async fn list_functions(&self, page: PageRequest) -> Result<Page<FunctionWithActiveVersion>>;

    /// One transaction: existence check (`NotFound("function")`), an optional new version
    /// (number = max + 1, made the only active one), each given field, `updated_at = u.now`
    /// when anything is set. Returns the updated function.
    async fn update_function(&self, id: &str, u: FunctionUpdate) -> Result<Function>;

    /// Deletes the function, its versions, executions (and, where the backend cascades,
    /// their logs, AI and e-mail rows and its claims). Returns the ids of the removed
    /// executions. `NotFound("function")`.
    async fn delete_function(&self, id: &str) -> Result<Vec<String>>;

    /// The version numbered `number` of `function_id`; `NotFound("version")`.
    async fn get_version(&self, function_id: &str, number: i64) -> Result<FunctionVersion>;

    /// The version with that id if it belongs to `function_id`; `NotFound("version")`.
    async fn get_version_by_id(
        &self,
        function_id: &str,
        version_id: &str,
    ) -> Result<FunctionVersion>;

    /// Versions ordered by number desc.
    async fn list_versions(
        &self,
        function_id: &str,
        page: PageRequest,
    ) -> Result<Page<FunctionVersion>>;

    /// The single active version; `NotFound("version")` when none.
    async fn active_version(&self, function_id: &str) -> Result<FunctionVersion>;

    /// One transaction: all versions inactive, this one active; `NotFound("version")` when
    /// it is not `function_id`'s. `updated_at` unchanged.
    async fn activate_version(&self, function_id: &str, version_id: &str) -> Result<()>;

    /// Deletes a version and the executions that ran it; returns their ids.
    /// `NotFound("version")`; `Conflict` when it is the active version.
    async fn delete_version(&self, function_id: &str, version_id: &str) -> Result<Vec<String>>;

    /// Functions with `cron_status = active`, a non-empty schedule and `disabled = false`.
    async fn functions_with_active_cron(&self) -> Result<Vec<Function>>;

    /// Liveness check.
    async fn ping(&self) -> Result<()>;
}

/// Executions: their rows and outcomes, listing and metrics, retention, and the sweep of
/// rows left `pending`.
///
/// ```
/// use async_trait::async_trait;
/// use lunar_core::{ExecutionStore, Result, model::*};
///
/// #[derive(Debug)]
/// struct MyStore;
///
/// #[async_trait]
/// impl ExecutionStore for MyStore {
///     async fn insert_execution(&self, e: NewExecution) -> Result<()> { todo!() }
///     async fn finish_execution(&self, id: &str, o: Outcome) -> Result<()> { todo!() }
///     async fn get_execution(&self, id: &str) -> Result<Execution> { todo!() }
///     async fn list_executions(&self, fid: &str, p: PageRequest) -> Result<Page<Execution>> { todo!() }
///     async fn delete_executions_before(&self, fid: &str, cutoff: Timestamp, max: u32) -> Result<Vec<String>> { todo!() }
///     async fn fail_stale_pending(&self, older_than: Timestamp, message: &str) -> Result<u64> { todo!() }
/// }
/// ```
#[async_trait]
pub trait ExecutionStore: Debug + Send + Sync + 'static {
    /// Inserts an execution with status `pending`.
    async fn insert_execution(&self, e: NewExecution) -> Result<()>;

    /// Sets status, duration, error and response; `NotFound("execution")`.
    async fn finish_execution(&self, id: &str, outcome: Outcome) -> Result<()>;

    /// One execution with its `response_json`; `NotFound("execution")`.
    async fn get_execution(&self, id: &str) -> Result<Execution>;

    /// Executions of a function, `created_at` desc then `id` desc, without `response_json`.
    async fn list_executions(
        &self,
        function_id: &str,
        page: PageRequest,
    ) -> Result<Page<Execution>>;

    /// The function's execution metrics over `range`: counts, errors and duration
    /// percentiles, overall and per bucket. No error for an unknown function (it has no
    /// executions).
    ///
    /// The default pages through [`list_executions`](Self::list_executions) newest first
    /// until it passes `range.since`; a backend that can count in one aggregate query
    /// (grouped by bucket, status and duration, fed to [`ExecutionMetrics::from_groups`])
    /// should override it.
    async fn execution_metrics(
        &self,
        function_id: &str,
        range: MetricsRange,
    ) -> Result<ExecutionMetrics> {
        let mut groups = Vec::new();
        let mut page = PageRequest {
            limit: PageRequest::MAX_LIMIT,
            offset: 0,
        };
        loop {
            let found = self.list_executions(function_id, page).await?;
            let last = found.items.len() < page.limit as usize;
            let mut passed = false;
            for e in found.items {
                passed |= e.created_at < range.since;
                if let Some(bucket) = range.bucket_of(e.created_at) {
                    groups.push(MetricsGroup {
                        bucket,
                        status: e.status,
                        duration_ms: e.duration_ms,
                        count: 1,
                    });
                }
            }
            if last || passed {
                return Ok(ExecutionMetrics::from_groups(range, groups));
            }
            page.offset += u64::from(page.limit);
        }
    }

    /// Deletes up to `max` of the function's executions created before `cutoff`; returns
    /// their ids.
    async fn delete_executions_before(
        &self,
        function_id: &str,
        cutoff: Timestamp,
        max: u32,
    ) -> Result<Vec<String>>;

    /// Marks executions still `pending` and created before `older_than` as `error` with
    /// `message`; returns how many.
    async fn fail_stale_pending(&self, older_than: Timestamp, message: &str) -> Result<u64>;
}

/// Claims of scheduled fires, so that each fires on one node only.
///
/// ```
/// use async_trait::async_trait;
/// use lunar_core::{ClaimStore, Result, model::Timestamp};
///
/// #[derive(Debug)]
/// struct MyStore;
///
/// #[async_trait]
/// impl ClaimStore for MyStore {
///     async fn claim(&self, job: &str, at: Timestamp, node: &str, now: Timestamp) -> Result<bool> { todo!() }
///     async fn delete_claims_before(&self, cutoff: Timestamp) -> Result<u64> { todo!() }
/// }
/// ```
#[async_trait]
pub trait ClaimStore: Debug + Send + Sync + 'static {
    /// Records a claim of `(job, scheduled_at)`; `true` only for the first claimant.
    async fn claim(
        &self,
        job: &str,
        scheduled_at: Timestamp,
        node: &str,
        now: Timestamp,
    ) -> Result<bool>;

    /// Deletes claims made before `cutoff`; returns how many.
    async fn delete_claims_before(&self, cutoff: Timestamp) -> Result<u64>;
}

/// A per-function key-value store.
///
/// ```
/// use std::{collections::HashMap, sync::Mutex};
/// use async_trait::async_trait;
/// use lunar_core::{KvStore, Result};
/// use lunar_core::model::{KvEntry, Page, PageRequest};
///
/// #[derive(Debug, Default)]
/// struct MemKv(Mutex<HashMap<(String, String), String>>);
///
/// #[async_trait]
/// impl KvStore for MemKv {
///     async fn get(&self, f: &str, k: &str) -> Result<Option<String>> {
///         Ok(self.0.lock().unwrap().get(&(f.into(), k.into())).cloned())
///     }
///     async fn set(&self, f: &str, k: &str, v: &str) -> Result<()> {
///         self.0.lock().unwrap().insert((f.into(), k.into()), v.into());
///         Ok(())
///     }
///     async fn delete(&self, f: &str, k: &str) -> Result<()> {
///         self.0.lock().unwrap().remove(&(f.into(), k.into()));
///         Ok(())
///     }
///     async fn delete_all(&self, f: &str) -> Result<()> {
///         self.0.lock().unwrap().retain(|(fid, _), _| fid != f);
///         Ok(())
///     }
///     async fn list(&self, f: &str, prefix: &str, p: PageRequest) -> Result<Page<KvEntry>> {
///         let mut all: Vec<KvEntry> = self.0.lock().unwrap().iter()
///             .filter(|((fid, k), _)| fid == f && k.starts_with(prefix))
///             .map(|((_, k), v)| KvEntry { key: k.clone(), value: v.clone() })
///             .collect();
///         all.sort_by(|a, b| a.key.cmp(&b.key));
///         let total = all.len() as u64;
///         let items = all.into_iter().skip(p.offset as usize).take(p.limit as usize).collect();
///         Ok(Page { items, total })
///     }
/// }
/// ```
#[async_trait]
pub trait KvStore: Debug + Send + Sync + 'static {
    /// The value, or `None` when missing.
    async fn get(&self, function_id: &str, key: &str) -> Result<Option<String>>;
    /// Upsert.
    async fn set(&self, function_id: &str, key: &str, value: &str) -> Result<()>;
    /// Delete; no error when absent.
    async fn delete(&self, function_id: &str, key: &str) -> Result<()>;
    /// Delete every key of the function.
    async fn delete_all(&self, function_id: &str) -> Result<()>;
    /// The function's entries whose key starts with `prefix` (`""`: all), ordered by key
    /// (byte order), paged; `total` counts every match. No error for an unknown function.
    async fn list(
        &self,
        function_id: &str,
        prefix: &str,
        page: PageRequest,
    ) -> Result<Page<KvEntry>>;
}

/// Per-function environment variables.
///
/// Implement `all`, `set`, `delete`, `replace_all`, `delete_all`; `get` has a default that
/// reads `all`, which a backend may override with a point lookup.
///
/// ```
/// use std::{collections::{BTreeMap, HashMap}, sync::Mutex};
/// use async_trait::async_trait;
/// use lunar_core::{EnvStore, Result};
///
/// #[derive(Debug, Default)]
/// struct MemEnv(Mutex<HashMap<String, BTreeMap<String, String>>>);
///
/// #[async_trait]
/// impl EnvStore for MemEnv {
///     async fn all(&self, f: &str) -> Result<BTreeMap<String, String>> {
///         Ok(self.0.lock().unwrap().get(f).cloned().unwrap_or_default())
///     }
///     async fn set(&self, f: &str, k: &str, v: &str) -> Result<()> {
///         self.0.lock().unwrap().entry(f.into()).or_default().insert(k.into(), v.into());
///         Ok(())
///     }
///     async fn delete(&self, f: &str, k: &str) -> Result<()> {
///         if let Some(m) = self.0.lock().unwrap().get_mut(f) { m.remove(k); }
///         Ok(())
///     }
///     async fn replace_all(&self, f: &str, vars: &BTreeMap<String, String>) -> Result<()> {
///         // One lock: readers see the old or the new set, never a mix.
///         self.0.lock().unwrap().insert(f.into(), vars.clone());
///         Ok(())
///     }
///     async fn delete_all(&self, f: &str) -> Result<()> {
///         self.0.lock().unwrap().remove(f);
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait EnvStore: Debug + Send + Sync + 'static {
    /// One variable.
    async fn get(&self, function_id: &str, key: &str) -> Result<Option<String>> {
        Ok(self.all(function_id).await?.remove(key))
    }
    /// All variables (empty map when none).
    async fn all(&self, function_id: &str) -> Result<BTreeMap<String, String>>;
    /// Upsert one.
    async fn set(&self, function_id: &str, key: &str, value: &str) -> Result<()>;
    /// Delete one; no error when absent.
    async fn delete(&self, function_id: &str, key: &str) -> Result<()>;
    /// Atomically replace the whole set with `vars`.
    async fn replace_all(&self, function_id: &str, vars: &BTreeMap<String, String>) -> Result<()>;
    /// Delete all of the function's variables.
    async fn delete_all(&self, function_id: &str) -> Result<()>;
}

/// Execution logs.
///
/// A backend keeps insertion order within an execution (an autoincrement key, a sequence
/// number) so that entries with the same `created_at` list in the order written.
///
/// ```
/// use std::{collections::HashMap, sync::Mutex};
/// use async_trait::async_trait;
/// use lunar_core::{LogStore, Result, model::{LogEntry, Page, PageRequest}};
///
/// #[derive(Debug, Default)]
/// struct MemLogs(Mutex<HashMap<String, Vec<LogEntry>>>);
///
/// #[async_trait]
/// impl LogStore for MemLogs {
///     async fn append(&self, e: &str, entries: &[LogEntry]) -> Result<()> {
///         self.0.lock().unwrap().entry(e.into()).or_default().extend_from_slice(entries);
///         Ok(())
///     }
///     async fn list(&self, e: &str, p: PageRequest) -> Result<Page<LogEntry>> {
///         let map = self.0.lock().unwrap();
///         let mut all = map.get(e).cloned().unwrap_or_default();
///         all.sort_by_key(|l| l.created_at); // stable: insertion order within a second
///         let total = all.len() as u64;
///         let items = all.into_iter().skip(p.offset as usize).take(p.limit as usize).collect();
///         Ok(Page { items, total })
///     }
///     async fn delete_for_executions(&self, ids: &[String]) -> Result<()> {
///         let mut map = self.0.lock().unwrap();
///         for id in ids { map.remove(id); }
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait LogStore: Debug + Send + Sync + 'static {
    /// Appends one execution's buffered entries, in order.
    async fn append(&self, execution_id: &str, entries: &[LogEntry]) -> Result<()>;
    /// Oldest first (`created_at`, then insertion order).
    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<LogEntry>>;
    /// Deletes the logs of these executions.
    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()>;
}

/// Tracked AI provider calls.
///
/// ```
/// use std::sync::Mutex;
/// use async_trait::async_trait;
/// use lunar_core::{AiTracker, Result, model::{AiRequest, Page, PageRequest}};
///
/// #[derive(Debug, Default)]
/// struct MemAi(Mutex<Vec<AiRequest>>);
///
/// #[async_trait]
/// impl AiTracker for MemAi {
///     async fn record(&self, r: &AiRequest) -> Result<()> {
///         self.0.lock().unwrap().push(r.clone());
///         Ok(())
///     }
///     async fn list(&self, e: &str, p: PageRequest) -> Result<Page<AiRequest>> {
///         let mut rows: Vec<AiRequest> =
///             self.0.lock().unwrap().iter().filter(|r| r.execution_id == e).cloned().collect();
///         rows.sort_by_key(|r| r.created_at);
///         let total = rows.len() as u64;
///         let items = rows.into_iter().skip(p.offset as usize).take(p.limit as usize).collect();
///         Ok(Page { items, total })
///     }
///     async fn delete_for_executions(&self, ids: &[String]) -> Result<()> {
///         self.0.lock().unwrap().retain(|r| !ids.contains(&r.execution_id));
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait AiTracker: Debug + Send + Sync + 'static {
    /// Stores one call.
    async fn record(&self, request: &AiRequest) -> Result<()>;
    /// Calls of an execution, `created_at` asc then insertion order.
    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<AiRequest>>;
    /// Deletes the rows of these executions.
    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()>;
}

/// Tracked e-mail sends. Implemented like [`AiTracker`], over [`EmailRequest`] rows:
///
/// ```
/// use std::sync::Mutex;
/// use async_trait::async_trait;
/// use lunar_core::{EmailTracker, Result, model::{EmailRequest, Page, PageRequest}};
///
/// #[derive(Debug, Default)]
/// struct MemEmail(Mutex<Vec<EmailRequest>>);
///
/// #[async_trait]
/// impl EmailTracker for MemEmail {
///     async fn record(&self, r: &EmailRequest) -> Result<()> {
///         self.0.lock().unwrap().push(r.clone());
///         Ok(())
///     }
///     async fn list(&self, e: &str, p: PageRequest) -> Result<Page<EmailRequest>> {
///         let mut rows: Vec<EmailRequest> =
///             self.0.lock().unwrap().iter().filter(|r| r.execution_id == e).cloned().collect();
///         rows.sort_by_key(|r| r.created_at);
///         let total = rows.len() as u64;
///         let items = rows.into_iter().skip(p.offset as usize).take(p.limit as usize).collect();
///         Ok(Page { items, total })
///     }
///     async fn delete_for_executions(&self, ids: &[String]) -> Result<()> {
///         self.0.lock().unwrap().retain(|r| !ids.contains(&r.execution_id));
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait EmailTracker: Debug + Send + Sync + 'static {
    /// Stores one send.
    async fn record(&self, request: &EmailRequest) -> Result<()>;
    /// Sends of an execution, `created_at` asc then insertion order.
    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<EmailRequest>>;
    /// Deletes the rows of these executions.
    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()>;
}

/// One write of the execution path, for group commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutionWrite {
    /// Insert a `pending` execution.
    Insert(NewExecution),
    /// Insert an execution that has already finished, with its buffered logs: the one
    /// write of an execution that ended before its `pending` insert was committed.
    Record {
        /// The row as it would have been inserted.
        row: NewExecution,
        /// Final state.
        outcome: Outcome,
        /// Buffered log entries, in order.
        logs: Vec<LogEntry>,
    },
    /// Finish an execution and append its buffered logs.
    Finish {
        /// Execution id.
        id: String,
        /// Final state.
        outcome: Outcome,
        /// Buffered log entries, in order.
        logs: Vec<LogEntry>,
    },
}

/// Applying many execution writes at once: the engine group-commits concurrent
/// executions through it instead of paying a transaction per row.
///
/// The provided [`write_batch`](Self::write_batch) applies the writes one by one through
/// [`ExecutionStore`] and [`LogStore`], so every backend has it (`impl BatchWriter for
/// MyStore {}`). A backend with transactions overrides it to apply them in order, all or
/// nothing, in one transaction; a finish of an unknown execution is
/// `NotFound("execution")` either way, and a finish of an execution no longer `pending`
/// changes nothing and adds no logs (it was applied already, by a write whose failure was
/// reported although it committed).
///
/// ```
/// use async_trait::async_trait;
/// use lunar_core::{BatchWriter, ExecutionWrite, Result};
/// # use lunar_core::{ExecutionStore, LogStore, model::*};
/// # #[derive(Debug)]
/// # struct MyStore;
/// # #[async_trait]
/// # impl ExecutionStore for MyStore {
/// #     async fn insert_execution(&self, e: NewExecution) -> Result<()> { todo!() }
/// #     async fn finish_execution(&self, id: &str, o: Outcome) -> Result<()> { todo!() }
/// #     async fn get_execution(&self, id: &str) -> Result<Execution> { todo!() }
/// #     async fn list_executions(&self, fid: &str, p: PageRequest) -> Result<Page<Execution>> { todo!() }
/// #     async fn delete_executions_before(&self, fid: &str, c: Timestamp, m: u32) -> Result<Vec<String>> { todo!() }
/// #     async fn fail_stale_pending(&self, o: Timestamp, m: &str) -> Result<u64> { todo!() }
/// # }
/// # #[async_trait]
/// # impl LogStore for MyStore {
/// #     async fn append(&self, e: &str, l: &[LogEntry]) -> Result<()> { todo!() }
/// #     async fn list(&self, e: &str, p: PageRequest) -> Result<Page<LogEntry>> { todo!() }
/// #     async fn delete_for_executions(&self, ids: &[String]) -> Result<()> { todo!() }
/// # }
///
/// #[async_trait]
/// impl BatchWriter for MyStore {
///     async fn write_batch(&self, writes: &[ExecutionWrite]) -> Result<()> {
///         // BEGIN; for each write: insert the pending row, or update it and append its
///         // logs, or insert the finished row with its logs; COMMIT (roll back everything
///         // on the first error).
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait BatchWriter: ExecutionStore + LogStore {
    /// Applies `writes` in order. Provided: one store call at a time (not atomic).
    async fn write_batch(&self, writes: &[ExecutionWrite]) -> Result<()> {
        for w in writes {
            match w {
                ExecutionWrite::Insert(row) => self.insert_execution(row.clone()).await?,
                ExecutionWrite::Record { row, outcome, logs } => {
                    self.insert_execution(row.clone()).await?;
                    LogStore::append(self, &row.id, logs).await?;
                    self.finish_execution(&row.id, outcome.clone()).await?;
                }
                ExecutionWrite::Finish { id, outcome, logs } => {
                    if self.get_execution(id).await?.status == ExecutionStatus::Pending {
                        LogStore::append(self, id, logs).await?;
                        self.finish_execution(id, outcome.clone()).await?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Host-capability calls per execution.
///
/// ```
/// use std::sync::Mutex;
/// use async_trait::async_trait;
/// use lunar_core::{HostCallTracker, Result};
/// use lunar_core::model::{HostCall, Page, PageRequest};
///
/// #[derive(Debug, Default)]
/// struct MemCalls(Mutex<Vec<HostCall>>);
///
/// #[async_trait]
/// impl HostCallTracker for MemCalls {
///     async fn record(&self, c: &HostCall) -> Result<()> {
///         self.0.lock().unwrap().push(c.clone());
///         Ok(())
///     }
///     async fn list(&self, e: &str, p: PageRequest) -> Result<Page<HostCall>> {
///         let all: Vec<HostCall> =
///             self.0.lock().unwrap().iter().filter(|c| c.execution_id == e).cloned().collect();
///         let total = all.len() as u64;
///         let items = all.into_iter().skip(p.offset as usize).take(p.limit as usize).collect();
///         Ok(Page { items, total })
///     }
///     async fn delete_for_executions(&self, ids: &[String]) -> Result<()> {
///         self.0.lock().unwrap().retain(|c| !ids.contains(&c.execution_id));
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait HostCallTracker: Debug + Send + Sync + 'static {
    /// Stores one call; `NotFound("execution")` when the execution does not exist.
    async fn record(&self, call: &HostCall) -> Result<()>;
    /// The execution's calls, oldest first.
    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<HostCall>>;
    /// Deletes the calls of these executions.
    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()>;
}

/// A backend implementing every store trait.
pub trait Backend:
    FunctionStore
    + ExecutionStore
    + ClaimStore
    + KvStore
    + EnvStore
    + LogStore
    + AiTracker
    + EmailTracker
    + HostCallTracker
    + BatchWriter
{
}
impl<T> Backend for T where
    T: FunctionStore
        + ExecutionStore
        + ClaimStore
        + KvStore
        + EnvStore
        + LogStore
        + AiTracker
        + EmailTracker
        + HostCallTracker
        + BatchWriter
{
}

/// The stores, and the operations whose cascades cross them.
#[derive(Debug, Clone)]
pub struct Stores {
    /// Functions and versions.
    pub functions: Arc<dyn FunctionStore>,
    /// Executions.
    pub executions: Arc<dyn ExecutionStore>,
    /// Schedule claims.
    pub claims: Arc<dyn ClaimStore>,
    /// Key-value.
    pub kv: Arc<dyn KvStore>,
    /// Environment variables.
    pub env: Arc<dyn EnvStore>,
    /// Logs.
    pub logs: Arc<dyn LogStore>,
    /// AI calls.
    pub ai: Arc<dyn AiTracker>,
    /// E-mails.
    pub email: Arc<dyn EmailTracker>,
    /// Host-capability calls.
    pub host_calls: Arc<dyn HostCallTracker>,
    /// Group commit of execution writes.
    pub batch: Arc<dyn BatchWriter>,
}

impl Stores {
    /// All of them from one backend.
    pub fn from_backend<B: Backend>(backend: Arc<B>) -> Self {
        Self {
            functions: backend.clone(),
            executions: backend.clone(),
            claims: backend.clone(),
            kv: backend.clone(),
            env: backend.clone(),
            logs: backend.clone(),
            ai: backend.clone(),
            email: backend.clone(),
            host_calls: backend.clone(),
            batch: backend,
        }
    }

    /// Deletes the function and everything that belongs to it.
    pub async fn delete_function(&self, id: &str) -> Result<()> {
        let removed = self.functions.delete_function(id).await?;
        self.kv.delete_all(id).await?;
        self.env.delete_all(id).await?;
        self.delete_execution_rows(&removed).await
    }

    /// Deletes a version and the executions that ran it, with their dependent rows.
    pub async fn delete_version(&self, function_id: &str, version_id: &str) -> Result<()> {
        let removed = self
            .functions
            .delete_version(function_id, version_id)
            .await?;
        self.delete_execution_rows(&removed).await
    }

    /// Deletes up to `max` of the function's executions created before `cutoff`, with
    /// their logs, AI and e-mail rows; returns how many went.
    pub async fn delete_executions_before(
        &self,
        function_id: &str,
        cutoff: Timestamp,
        max: u32,
    ) -> Result<usize> {
        let removed = self
            .executions
            .delete_executions_before(function_id, cutoff, max)
            .await?;
        self.delete_execution_rows(&removed).await?;
        Ok(removed.len())
    }

    async fn delete_execution_rows(&self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.logs.delete_for_executions(ids).await?;
        self.ai.delete_for_executions(ids).await?;
        self.email.delete_for_executions(ids).await?;
        self.host_calls.delete_for_executions(ids).await
    }
}
