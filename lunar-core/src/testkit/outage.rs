//! Store failures: an outage while an execution runs (its row is already stored, `pending`,
//! when the store starts failing, so its outcome cannot be written: the caller gets a
//! store error and the row is finished, marked as recorded late, once the store takes
//! writes again), and writes whose failure was reported although they committed (each is
//! applied once).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use crate::late_finish::{RECORDED_LATE, START_NOT_RECORDED};
use crate::metrics::{ExecutionMetrics, MetricsRange};
use crate::model::{
    Execution, ExecutionStatus, LogEntry, NewExecution, Outcome, Page, PageRequest, Timestamp,
};
use crate::runtime::{FunctionResponse, RunError, RunErrorKind, RunJob};
use crate::store::{BatchWriter, EnvStore, ExecutionStore, ExecutionWrite, LogStore};
use crate::testkit::FnRuntime;
use crate::{Engine, EngineConfig, EngineError, Error, ExecuteRequest, Result, Stores};

/// The store's execution writes, failing as a backend does while `down` is set (reads go
/// through). With `cut` set, the next batch commits and still reports a failure, as when
/// the connection is lost during `COMMIT`: it first waits for `resume` (given when the code
/// ends) unless `cut_at_once` is set, and it takes the store down as it fails when
/// `cut_downs` is set.
#[derive(Debug)]
struct Outage {
    stores: Stores,
    down: AtomicBool,
    cut: AtomicBool,
    cut_at_once: AtomicBool,
    cut_downs: AtomicBool,
    /// Notified when the cut batch is waiting.
    cut_waiting: tokio::sync::Notify,
    resume: tokio::sync::Semaphore,
}

impl Outage {
    fn new(stores: &Stores) -> Arc<Self> {
        Arc::new(Self {
            stores: stores.clone(),
            down: AtomicBool::new(false),
            cut: AtomicBool::new(false),
            cut_at_once: AtomicBool::new(false),
            cut_downs: AtomicBool::new(false),
            cut_waiting: tokio::sync::Notify::new(),
            resume: tokio::sync::Semaphore::new(0),
        })
    }

    /// The stores with execution writes through this outage.
    fn stores(self: &Arc<Self>) -> Stores {
        Stores {
            executions: self.clone(),
            logs: self.clone(),
            batch: self.clone(),
            ..self.stores.clone()
        }
    }

    fn check(&self) -> Result<()> {
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::backend("outage", "the store is down"));
        }
        Ok(())
    }
}

#[async_trait]
impl ExecutionStore for Outage {
    async fn insert_execution(&self, e: NewExecution) -> Result<()> {
        self.check()?;
        self.stores.executions.insert_execution(e).await
    }

    async fn finish_execution(&self, id: &str, outcome: Outcome) -> Result<()> {
        self.check()?;
        self.stores.executions.finish_execution(id, outcome).await
    }

    async fn get_execution(&self, id: &str) -> Result<Execution> {
        self.stores.executions.get_execution(id).await
    }

    async fn list_executions(
        &self,
        function_id: &str,
        page: PageRequest,
    ) -> Result<Page<Execution>> {
        self.stores
            .executions
            .list_executions(function_id, page)
            .await
    }

    async fn execution_metrics(
        &self,
        function_id: &str,
        range: MetricsRange,
    ) -> Result<ExecutionMetrics> {
        self.stores
            .executions
            .execution_metrics(function_id, range)
            .await
    }

    async fn delete_executions_before(
        &self,
        function_id: &str,
        cutoff: Timestamp,
        max: u32,
    ) -> Result<Vec<String>> {
        self.check()?;
        self.stores
            .executions
            .delete_executions_before(function_id, cutoff, max)
            .await
    }

    async fn fail_stale_pending(&self, older_than: Timestamp, message: &str) -> Result<u64> {
        self.check()?;
        self.stores
            .executions
            .fail_stale_pending(older_than, message)
            .await
    }
}

#[async_trait]
impl LogStore for Outage {
    async fn append(&self, execution_id: &str, entries: &[LogEntry]) -> Result<()> {
        self.check()?;
        self.stores.logs.append(execution_id, entries).await
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<LogEntry>> {
        self.stores.logs.list(execution_id, page).await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        self.check()?;
        self.stores.logs.delete_for_executions(execution_ids).await
    }
}

#[async_trait]
impl BatchWriter for Outage {
    async fn write_batch(&self, writes: &[ExecutionWrite]) -> Result<()> {
        let cut = self.cut.swap(false, Ordering::SeqCst);
        if cut && !self.cut_at_once.load(Ordering::SeqCst) {
            self.cut_waiting.notify_one();
            self.resume.acquire().await.expect("resume").forget();
        }
        self.check()?;
        self.stores.batch.write_batch(writes).await?;
        if cut {
            if self.cut_downs.load(Ordering::SeqCst) {
                self.down.store(true, Ordering::SeqCst);
            }
            return Err(Error::backend("outage", "connection lost during COMMIT"));
        }
        Ok(())
    }
}

/// Waits (up to 10 s, else panics) until execution `id` has status `want`.
async fn wait_status(s: &Stores, id: &str, want: ExecutionStatus) -> Execution {
    for _ in 0..1_000 {
        if let Ok(e) = s.executions.get_execution(id).await
            && e.status == want
        {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("execution {id} never reached {want:?}");
}

/// An execution held at a gate with its `pending` row stored, over a store that can be
/// taken down.
struct Scene {
    eng: Engine,
    outage: Arc<Outage>,
    gate: Arc<tokio::sync::Semaphore>,
    call: tokio::task::JoinHandle<std::result::Result<crate::ExecutionReport, EngineError>>,
    fid: String,
}

/// What becomes of the batch holding the execution's `pending` insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// It commits.
    No,
    /// It commits once the code has ended, and reports a failure.
    AfterTheCode,
    /// The same, and the store goes down as it fails.
    AfterTheCodeThenDown,
    /// It commits while the code runs, reports a failure, and the store goes down.
    WhileRunningThenDown,
    /// It fails: the store is down from the start.
    DownFromTheStart,
}

impl Scene {
    /// Starts the execution (it logs one line, then waits at the gate or until it is
    /// cancelled), with the first batch cut as `cut` says.
    async fn start(s: &Stores, cut: Cut) -> Self {
        let fid = super::engine::function(s).await;
        let outage = Outage::new(s);
        outage.cut.store(
            !matches!(cut, Cut::No | Cut::DownFromTheStart),
            Ordering::SeqCst,
        );
        outage
            .down
            .store(cut == Cut::DownFromTheStart, Ordering::SeqCst);
        outage
            .cut_at_once
            .store(cut == Cut::WhileRunningThenDown, Ordering::SeqCst);
        outage.cut_downs.store(
            matches!(cut, Cut::AfterTheCodeThenDown | Cut::WhileRunningThenDown),
            Ordering::SeqCst,
        );
        let stores = outage.stores();
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let (g, o) = (gate.clone(), outage.clone());
        let rt = FnRuntime::new(move |job: RunJob| {
            let (gate, outage) = (g.clone(), o.clone());
            async move {
                job.host.logger.info("before the outage");
                tokio::select! {
                    permit = gate.acquire() => permit.expect("gate open").forget(),
                    () = job.cancel.cancelled() => {
                        return Err(RunError::new(RunErrorKind::Cancelled, "cancelled"));
                    }
                }
                // A cut batch may go on once the code has ended.
                outage.resume.add_permits(1);
                Ok(FunctionResponse::text(200, "ok"))
            }
        });
        // One attempt, so that a failed finish is held at once; a cut batch is retried.
        let config = EngineConfig {
            finish_attempts: if cut == Cut::No { 1 } else { 3 },
            ..EngineConfig::default()
        };
        let eng = Engine::new(stores, rt, config);
        let call = {
            let (eng, fid) = (eng.clone(), fid.clone());
            tokio::spawn(async move {
                eng.execute(ExecuteRequest::http(&fid, super::engine::event()))
                    .await
            })
        };
        Self {
            eng,
            outage,
            gate,
            call,
            fid,
        }
    }

    /// Waits until the execution's `pending` row is stored (its insert commits while the
    /// code waits at the gate) and returns its id.
    async fn pending_id(&self, s: &Stores) -> String {
        let id = loop {
            let list = s
                .executions
                .list_executions(&self.fid, PageRequest::default())
                .await
                .expect("list");
            if let Some(e) = list.items.first() {
                break e.id.clone();
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        wait_status(s, &id, ExecutionStatus::Pending).await;
        id
    }

    /// Takes the store down and lets the execution end: the caller is told its outcome
    /// could not be stored.
    async fn end_during_outage(&mut self) {
        self.outage.down.store(true, Ordering::SeqCst);
        self.gate.add_permits(1);
        self.store_failed().await;
    }

    /// Waits for the call's result: `EngineError::Store`.
    async fn store_failed(&mut self) {
        let err = (&mut self.call)
            .await
            .expect("join")
            .expect_err("the execution was not stored");
        assert!(matches!(err, EngineError::Store(_)), "{err:?}");
    }

    /// Once the store is back: the row `id` becomes an `error` with `message`, its
    /// duration and its one log line, the gauge returns to 0, and shutdown finds nothing
    /// to wait for.
    async fn recorded_late(self, s: &Stores, id: &str, message: &str) {
        let e = wait_status(s, id, ExecutionStatus::Error).await;
        assert_eq!(e.error_message.as_deref(), Some(message));
        assert!(e.duration_ms.is_some(), "its duration is kept");
        let logs = s.logs.list(id, PageRequest::default()).await.expect("logs");
        let msgs: Vec<&str> = logs.items.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(msgs, ["before the outage"], "its logs are stored once");
        for _ in 0..100 {
            if self.awaiting(0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(self.awaiting(0), "{}", self.eng.prometheus_text());
        tokio::time::timeout(
            Duration::from_secs(5),
            self.eng.shutdown(Duration::from_secs(5)),
        )
        .await
        .expect("nothing is left to wait for");
    }

    /// Whether the engine's metrics show `n` outcomes awaiting the store.
    fn awaiting(&self, n: usize) -> bool {
        self.eng
            .prometheus_text()
            .contains(&format!("\nlunar_executions_awaiting_store {n}\n"))
    }
}

/// A store that fails while an execution runs: the caller gets `EngineError::Store`, the
/// row stays `pending` during the outage, and once the store is back the engine finishes
/// it as an `error` recorded late, with the execution's logs and duration; the
/// `lunar_executions_awaiting_store` gauge counts it meanwhile.
pub async fn engine_outcome_is_recorded_once_the_store_is_back(s: Stores) {
    let mut scene = Scene::start(&s, Cut::No).await;
    let id = scene.pending_id(&s).await;
    scene.end_during_outage().await;
    assert!(scene.awaiting(1), "{}", scene.eng.prometheus_text());
    // Tried while the store is still down (its first retry is half a second away).
    tokio::time::sleep(Duration::from_millis(700)).await;

    scene.outage.down.store(false, Ordering::SeqCst);
    scene.recorded_late(&s, &id, RECORDED_LATE).await;
}

/// An outcome held while the store stays down gets the shutdown's grace period, and no
/// more: its row stays `pending` (housekeeping fails it).
pub async fn engine_shutdown_gives_up_on_held_outcomes(s: Stores) {
    let mut scene = Scene::start(&s, Cut::No).await;
    let id = scene.pending_id(&s).await;
    scene.end_during_outage().await;
    let started = std::time::Instant::now();
    tokio::time::timeout(
        Duration::from_secs(5),
        scene.eng.shutdown(Duration::from_millis(300)),
    )
    .await
    .expect("shutdown ends after its grace period");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the held outcome was given the grace period"
    );
    let e = s.executions.get_execution(&id).await.expect("row");
    assert_eq!(e.status, ExecutionStatus::Pending);
}

/// The batch holding an execution's `pending` insert commits but reports a failure (the
/// connection was lost during `COMMIT`) after the code has ended: the engine's retried
/// write of the whole execution finds the row already stored, still `pending`, and
/// finishes it, so the caller's `200` has its outcome and logs stored.
pub async fn engine_finishes_a_row_whose_insert_failed_after_committing(s: Stores) {
    let scene = Scene::start(&s, Cut::AfterTheCode).await;
    // The insert's batch waits to commit until the code has ended.
    scene.outage.cut_waiting.notified().await;
    scene.gate.add_permits(1);
    let report = scene.call.await.expect("join").expect("recorded");
    assert_eq!(report.status, ExecutionStatus::Success);
    let e = s
        .executions
        .get_execution(&report.execution_id)
        .await
        .expect("row");
    assert_eq!(e.status, ExecutionStatus::Success, "no row stays pending");
    let logs = s
        .logs
        .list(&report.execution_id, PageRequest::default())
        .await
        .expect("logs");
    assert_eq!(logs.items.len(), 1, "{:?}", logs.items);
}

/// As [`engine_finishes_a_row_whose_insert_failed_after_committing`], but the store goes
/// down as that batch fails, so the retried writes fail too and the caller gets
/// `EngineError::Store`: the row, stored `pending` after all, is finished as an `error`
/// recorded late once the store is back.
pub async fn engine_finishes_a_row_whose_insert_committed_as_the_store_went_down(s: Stores) {
    let mut scene = Scene::start(&s, Cut::AfterTheCodeThenDown).await;
    scene.outage.cut_waiting.notified().await;
    scene.gate.add_permits(1);
    scene.store_failed().await;
    let id = scene.pending_id(&s).await;
    assert!(scene.awaiting(1), "{}", scene.eng.prometheus_text());
    scene.outage.down.store(false, Ordering::SeqCst);
    scene.recorded_late(&s, &id, RECORDED_LATE).await;
}

/// The batch holding an execution's `pending` insert commits while the code runs, but
/// reports a failure, and the store goes down: the execution is cancelled and its caller
/// gets `EngineError::Store`. The row, stored after all, does not stay `pending`: once the
/// store is back it is finished as an `error` recorded late, saying why it was cancelled.
pub async fn engine_finishes_a_row_whose_start_was_reported_failed(s: Stores) {
    let mut scene = Scene::start(&s, Cut::WhileRunningThenDown).await;
    scene.store_failed().await;
    let id = scene.pending_id(&s).await;
    assert!(scene.awaiting(1), "{}", scene.eng.prometheus_text());
    scene.outage.down.store(false, Ordering::SeqCst);
    let message = format!("{RECORDED_LATE}. Its own error: {START_NOT_RECORDED}");
    scene.recorded_late(&s, &id, &message).await;
}

/// The store is down when an execution starts: its `pending` insert fails, the execution
/// is cancelled and its caller gets `EngineError::Store`. Its outcome is held in case the
/// failed write stored the row after all; once the store is back and has no such row,
/// nothing is written and nothing stays held.
pub async fn engine_holds_nothing_once_the_store_has_no_row(s: Stores) {
    let mut scene = Scene::start(&s, Cut::DownFromTheStart).await;
    scene.store_failed().await;
    assert!(scene.awaiting(1), "{}", scene.eng.prometheus_text());
    scene.outage.down.store(false, Ordering::SeqCst);
    for _ in 0..300 {
        if scene.awaiting(0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(scene.awaiting(0), "{}", scene.eng.prometheus_text());
    let list = s
        .executions
        .list_executions(&scene.fid, PageRequest::default())
        .await
        .expect("list");
    assert!(list.items.is_empty(), "{:?}", list.items);
    tokio::time::timeout(
        Duration::from_secs(5),
        scene.eng.shutdown(Duration::from_secs(5)),
    )
    .await
    .expect("nothing is left to wait for");
}

/// A `Finish` of a row that is no longer `pending` (written again after a commit whose
/// failure was reported, or by a retry) changes nothing and adds no logs, alone or beside
/// other writes in a batch.
pub async fn batch_writer_finishes_a_row_once(s: Stores) {
    let fid = super::engine::function(&s).await;
    let new = |id: &str| NewExecution {
        id: id.to_owned(),
        function_id: fid.clone(),
        function_version_id: crate::ids::version_id(&fid, 1),
        event_json: None,
        trigger: crate::model::Trigger::Http,
        created_at: 1_700_000_000,
    };
    let finish = |id: &str, status: ExecutionStatus, message: &str| ExecutionWrite::Finish {
        id: id.to_owned(),
        outcome: Outcome {
            status,
            duration_ms: if status == ExecutionStatus::Success {
                3
            } else {
                9
            },
            error_message: None,
            response_json: None,
            usage: None,
        },
        logs: vec![LogEntry {
            level: crate::model::LogLevel::Info,
            message: message.to_owned(),
            created_at: 1_700_000_000,
        }],
    };
    let (a, b) = (crate::ids::new_id(), crate::ids::new_id());
    let (c, d) = (crate::ids::new_id(), crate::ids::new_id());
    s.batch
        .write_batch(&[
            ExecutionWrite::Insert(new(&a)),
            ExecutionWrite::Insert(new(&c)),
        ])
        .await
        .expect("insert");
    s.batch
        .write_batch(&[finish(&a, ExecutionStatus::Success, "first")])
        .await
        .expect("finish");
    s.batch
        .write_batch(&[finish(&a, ExecutionStatus::Error, "again")])
        .await
        .expect("finishing a finished row is done already");
    let recorded = match finish(&d, ExecutionStatus::Success, "recorded") {
        ExecutionWrite::Finish { outcome, logs, .. } => ExecutionWrite::Record {
            row: new(&d),
            outcome,
            logs,
        },
        _ => unreachable!("a finish"),
    };
    s.batch
        .write_batch(&[
            finish(&a, ExecutionStatus::Error, "again"),
            ExecutionWrite::Insert(new(&b)),
            recorded,
            finish(&d, ExecutionStatus::Error, "again"),
            finish(&c, ExecutionStatus::Success, "c done"),
        ])
        .await
        .expect("a batch with finishes of finished rows");
    let e = s.executions.get_execution(&a).await.expect("a");
    assert_eq!(
        (e.status, e.duration_ms),
        (ExecutionStatus::Success, Some(3)),
        "the first outcome stays"
    );
    let messages = |id: &str| {
        let (logs, id) = (s.logs.clone(), id.to_owned());
        async move {
            let page = logs.list(&id, PageRequest::default()).await.expect("logs");
            page.items
                .into_iter()
                .map(|l| l.message)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(messages(&a).await, ["first"], "its logs are added once");
    assert_eq!(messages(&d).await, ["recorded"], "a record keeps its logs");
    assert_eq!(messages(&c).await, ["c done"], "a pending row is finished");
    for (id, status) in [
        (&b, ExecutionStatus::Pending),
        (&c, ExecutionStatus::Success),
        (&d, ExecutionStatus::Success),
    ] {
        let e = s.executions.get_execution(id).await.expect("row");
        assert_eq!(e.status, status, "the rest of the batch is written");
    }
}

/// Environment variables that cannot be read, as when the store fails just after the
/// function itself was read.
#[derive(Debug)]
struct EnvDown;

impl EnvDown {
    fn down<T>() -> Result<T> {
        Err(Error::backend("outage", "the store is down"))
    }
}

#[async_trait]
impl EnvStore for EnvDown {
    async fn all(&self, _function_id: &str) -> Result<BTreeMap<String, String>> {
        Self::down()
    }

    async fn set(&self, _function_id: &str, _key: &str, _value: &str) -> Result<()> {
        Self::down()
    }

    async fn delete(&self, _function_id: &str, _key: &str) -> Result<()> {
        Self::down()
    }

    async fn replace_all(
        &self,
        _function_id: &str,
        _vars: &BTreeMap<String, String>,
    ) -> Result<()> {
        Self::down()
    }

    async fn delete_all(&self, _function_id: &str) -> Result<()> {
        Self::down()
    }
}

/// A store that fails while the function is being loaded, after the function itself was
/// read, is a store failure (HTTP 503, retry later), not an internal error; nothing runs
/// and nothing is recorded.
pub async fn engine_store_failure_while_loading_is_a_store_error(s: Stores) {
    let fid = super::engine::function(&s).await;
    let stores = Stores {
        env: Arc::new(EnvDown),
        ..s.clone()
    };
    let ran = Arc::new(AtomicBool::new(false));
    let r2 = ran.clone();
    let rt = FnRuntime::new(move |_job: RunJob| {
        r2.store(true, Ordering::SeqCst);
        async { Ok(FunctionResponse::text(200, "ran")) }
    });
    let r = Engine::new(stores, rt, EngineConfig::default())
        .execute(ExecuteRequest::http(&fid, super::engine::event()))
        .await;
    assert!(matches!(r, Err(EngineError::Store(_))), "{r:?}");
    assert!(!ran.load(Ordering::SeqCst), "nothing ran");
    super::assert_no_executions(&s, &fid).await;
}
