//! Group commit of execution writes: concurrent executions queue their writes, and a
//! committer commits what is queued in bounded batches, one transaction each, in arrival
//! order. A committer task exists only while writes are queued: the first write of a burst
//! starts it and it ends when the queue is empty.
//!
//! A queued write can still be changed before a batch takes it: an execution that finishes
//! before its `pending` insert was committed turns that insert into one write of the
//! finished row ([`GroupCommit::upgrade`]). To give fast executions that chance, a queue
//! holding only `pending` inserts is committed once the oldest has waited
//! [`GroupCommit::INSERT_DELAY`] (any other write is committed at once, with the inserts
//! that have waited that long).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, oneshot};

use crate::store::{BatchWriter, ExecutionWrite};

/// What group commit commits through: a store's batch writer (or a test's recorder).
#[async_trait::async_trait]
pub(crate) trait Commit: Send + Sync + 'static {
    /// Applies `writes` in one transaction.
    async fn commit(&self, writes: &[ExecutionWrite]) -> Result<()>;
}

#[async_trait::async_trait]
impl Commit for Arc<dyn BatchWriter> {
    async fn commit(&self, writes: &[ExecutionWrite]) -> Result<()> {
        self.write_batch(writes).await
    }
}
use crate::telemetry::Telemetry;
use crate::{Error, Result};

type Reply = oneshot::Sender<std::result::Result<(), Failed>>;

/// A write that was not committed: the error, and the write handed back (`None` when the
/// committer went away).
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) error: Error,
    pub(crate) write: Option<ExecutionWrite>,
}

struct Queued {
    ticket: u64,
    queued_at: Instant,
    /// Always `Some` outside of [`GroupCommit::upgrade`].
    write: Option<ExecutionWrite>,
    reply: Reply,
}

#[derive(Default)]
struct Queue {
    writes: VecDeque<Queued>,
    /// Queued writes that are not `pending` inserts (they are committed at once).
    urgent: usize,
    /// A committer task is running.
    committing: bool,
    next_ticket: u64,
    /// Batches finished so far.
    batches: usize,
}

enum Next {
    Done,
    WaitUntil(Instant),
    Commit(Vec<Queued>),
}

/// A queued write: await [`Ticket::committed`] for its transaction's result.
#[derive(Debug)]
pub(crate) struct Ticket {
    id: u64,
    rx: oneshot::Receiver<std::result::Result<(), Failed>>,
    /// Batches finished when the write was queued.
    #[cfg(test)]
    batches_before: usize,
}

impl Ticket {
    /// Waits until the transaction holding the write committed (or failed).
    pub(crate) async fn committed(&mut self) -> std::result::Result<(), Failed> {
        match (&mut self.rx).await {
            Ok(r) => r,
            Err(_) => Err(Failed {
                error: Error::Internal("group commit dropped the write".to_owned()),
                write: None,
            }),
        }
    }
}

/// Batches writes from concurrent executions into shared transactions.
pub(crate) struct GroupCommit {
    writer: Arc<dyn Commit>,
    queue: Mutex<Queue>,
    /// Wakes a committer waiting out the insert delay when an urgent write arrives.
    urgent: Notify,
    max_batch: usize,
    /// [`Self::INSERT_DELAY`], longer in some tests.
    insert_delay: Duration,
    telemetry: Arc<Telemetry>,
    /// The batch (counted from 0) each ticket was committed in, for the tests.
    #[cfg(test)]
    committed_in: Mutex<std::collections::HashMap<u64, usize>>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Most writes in one transaction.
    pub(crate) const MAX_BATCH: usize = 256;
    /// How long a queue of only `pending` inserts waits before it is committed.
    pub(crate) const INSERT_DELAY: Duration = Duration::from_millis(1);

    /// Group commit whose batches are reported nowhere (the unit tests').
    #[cfg(test)]
    pub(crate) fn new(writer: Arc<dyn Commit>) -> Arc<Self> {
        Self::with_telemetry(writer, Arc::default())
    }

    /// Group commit that reports each batch's size and commit time to `telemetry`.
    pub(crate) fn with_telemetry(writer: Arc<dyn Commit>, telemetry: Arc<Telemetry>) -> Arc<Self> {
        Arc::new(Self {
            writer,
            queue: Mutex::new(Queue::default()),
            urgent: Notify::new(),
            max_batch: Self::MAX_BATCH,
            insert_delay: Self::INSERT_DELAY,
            telemetry,
            #[cfg(test)]
            committed_in: Mutex::default(),
        })
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `write` (starting a committer when none runs) and returns its ticket.
    pub(crate) fn enqueue(self: &Arc<Self>, write: ExecutionWrite) -> Ticket {
        let (tx, rx) = oneshot::channel();
        let urgent = !matches!(write, ExecutionWrite::Insert(_));
        let (id, start, _batches) = {
            let mut q = self.queue();
            q.next_ticket += 1;
            let id = q.next_ticket;
            q.writes.push_back(Queued {
                ticket: id,
                queued_at: Instant::now(),
                write: Some(write),
                reply: tx,
            });
            q.urgent += usize::from(urgent);
            (id, !std::mem::replace(&mut q.committing, true), q.batches)
        };
        if urgent {
            self.urgent.notify_one();
        }
        if start {
            let this = self.clone();
            tokio::spawn(async move { this.commit_all().await });
        }
        Ticket {
            id,
            rx,
            #[cfg(test)]
            batches_before: _batches,
        }
    }

    /// Queues `write` and waits for its transaction.
    pub(crate) async fn submit(self: &Arc<Self>, write: ExecutionWrite) -> Result<()> {
        self.enqueue(write).committed().await.map_err(|f| f.error)
    }

    /// Replaces the write of `ticket` by `f(write)` if no batch has taken it yet; returns
    /// whether it did.
    pub(crate) fn upgrade(
        &self,
        ticket: &Ticket,
        f: impl FnOnce(ExecutionWrite) -> ExecutionWrite,
    ) -> bool {
        let mut q = self.queue();
        let Some(entry) = q.writes.iter_mut().find(|e| e.ticket == ticket.id) else {
            return false;
        };
        let was_urgent = !matches!(entry.write, Some(ExecutionWrite::Insert(_)));
        entry.write = entry.write.take().map(f);
        let urgent = !matches!(entry.write, Some(ExecutionWrite::Insert(_)));
        q.urgent = q.urgent + usize::from(urgent) - usize::from(was_urgent);
        drop(q);
        if urgent {
            self.urgent.notify_one();
        }
        true
    }

    /// Commits batches until the queue is empty.
    async fn commit_all(&self) {
        loop {
            // Let the tasks that are ready run first: under load some are executions
            // about to queue their writes, which then join this batch.
            tokio::task::yield_now().await;
            match self.next_batch() {
                Next::Done => return,
                Next::WaitUntil(due) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(due.into()) => {}
                        () = self.urgent.notified() => {}
                    }
                }
                Next::Commit(batch) => {
                    #[cfg(test)]
                    {
                        let index = self.queue().batches;
                        let mut c = self
                            .committed_in
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        c.extend(batch.iter().map(|w| (w.ticket, index)));
                    }
                    self.commit(batch).await;
                    self.queue().batches += 1;
                }
            }
        }
    }

    /// What the committer does next: stop (nothing queued), wait out the insert delay
    /// (only young `pending` inserts queued), or commit the oldest writes.
    fn next_batch(&self) -> Next {
        let mut q = self.queue();
        let Some(oldest) = q.writes.front().map(|w| w.queued_at) else {
            q.committing = false;
            return Next::Done;
        };
        let now = Instant::now();
        let due = oldest + self.insert_delay;
        if q.urgent == 0 && now < due {
            return Next::WaitUntil(due);
        }
        // Urgent writes and inserts that have waited out the delay, in arrival order. The
        // younger inserts stay queued: most belong to executions about to finish, whose
        // insert then becomes one write of the finished row instead of two writes (the
        // insert now, an update later).
        let mut batch = Vec::with_capacity(q.writes.len().min(self.max_batch));
        let mut kept = VecDeque::new();
        while let Some(w) = q.writes.pop_front() {
            let young_insert = matches!(w.write, Some(ExecutionWrite::Insert(_)))
                && w.queued_at + self.insert_delay > now;
            if young_insert || batch.len() == self.max_batch {
                kept.push_back(w);
            } else {
                batch.push(w);
            }
        }
        q.writes = kept;
        let taken = batch
            .iter()
            .filter(|w| !matches!(w.write, Some(ExecutionWrite::Insert(_))))
            .count();
        q.urgent -= taken;
        Next::Commit(batch)
    }

    /// How many batches ended from when `ticket`'s write was queued to when its own batch
    /// ended (its own included).
    #[cfg(test)]
    fn batches_waited(&self, ticket: &Ticket) -> usize {
        let c = self
            .committed_in
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        c.get(&ticket.id)
            .map_or(usize::MAX, |&index| index + 1 - ticket.batches_before)
    }

    /// Commits one batch in one transaction. When it fails, its writes are retried one by
    /// one, so that one bad write does not fail its neighbours and each waiter learns its
    /// own write's error (kind and source kept).
    async fn commit(&self, batch: Vec<Queued>) {
        let (writes, replies): (Vec<ExecutionWrite>, Vec<Reply>) = batch
            .into_iter()
            .filter_map(|q| Some((q.write?, q.reply)))
            .unzip();
        let started = Instant::now();
        let written = self.writer.commit(&writes).await;
        self.telemetry.batch(writes.len(), started.elapsed());
        match written {
            Ok(()) => {
                for r in replies {
                    let _ = r.send(Ok(()));
                }
            }
            // One write, failed: its own error. An insert failed by the backend is applied
            // once more below, as the failure may be of a commit that happened after all.
            Err(error)
                if writes.len() == 1
                    && !(matches!(writes[0], ExecutionWrite::Insert(_))
                        && error.failed_backend().is_some()) =>
            {
                if let (Some(r), Some(write)) =
                    (replies.into_iter().next(), writes.into_iter().next())
                {
                    let _ = r.send(Err(Failed {
                        error,
                        write: Some(write),
                    }));
                }
            }
            Err(_) => {
                for (w, r) in writes.into_iter().zip(replies) {
                    let res = match self.writer.commit(std::slice::from_ref(&w)).await {
                        Ok(()) => Ok(()),
                        // The batch committed although it reported a failure (a connection
                        // lost during `COMMIT`): the row is there, as this write wanted.
                        Err(Error::AlreadyExists(_)) if matches!(w, ExecutionWrite::Insert(_)) => {
                            Ok(())
                        }
                        Err(error) => Err(Failed {
                            error,
                            write: Some(w),
                        }),
                    };
                    let _ = r.send(res);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::model::{ExecutionStatus, NewExecution, Outcome, Trigger};

    /// Records each batch it is given; fails batches holding the id `bad`.
    #[derive(Debug, Default)]
    struct Recorder {
        batches: Mutex<Vec<Vec<ExecutionWrite>>>,
    }

    #[async_trait]
    impl Commit for Recorder {
        async fn commit(&self, writes: &[ExecutionWrite]) -> Result<()> {
            tokio::time::sleep(Duration::from_millis(2)).await;
            let bad = writes.iter().any(|w| match w {
                ExecutionWrite::Insert(r) | ExecutionWrite::Record { row: r, .. } => r.id == "bad",
                ExecutionWrite::Finish { id, .. } => id == "bad",
            });
            if bad {
                return Err(Error::NotFound("execution"));
            }
            self.batches.lock().unwrap().push(writes.to_vec());
            Ok(())
        }
    }

    fn row(id: &str) -> NewExecution {
        NewExecution {
            id: id.to_owned(),
            function_id: "f".into(),
            function_version_id: "v".into(),
            event_json: None,
            trigger: Trigger::Http,
            created_at: 0,
        }
    }

    fn outcome() -> Outcome {
        Outcome {
            status: ExecutionStatus::Success,
            duration_ms: 1,
            error_message: None,
            response_json: None,
            usage: None,
        }
    }

    /// What the engine does to the insert of an execution that finished: one record.
    fn finished(w: ExecutionWrite) -> ExecutionWrite {
        match w {
            ExecutionWrite::Insert(row) => ExecutionWrite::Record {
                row,
                outcome: outcome(),
                logs: Vec::new(),
            },
            other => other,
        }
    }

    #[tokio::test]
    async fn an_insert_still_queued_becomes_one_record() {
        let rec = Arc::new(Recorder::default());
        let g = GroupCommit::new(rec.clone());
        let mut t = g.enqueue(ExecutionWrite::Insert(row("a")));
        assert!(g.upgrade(&t, finished));
        t.committed().await.expect("committed");
        let batches = rec.batches.lock().unwrap().clone();
        assert_eq!(batches.len(), 1);
        assert!(matches!(&batches[0][..], [ExecutionWrite::Record { row, .. }] if row.id == "a"));
        // Once committed it can no longer be changed.
        assert!(!g.upgrade(&t, |w| w));
    }

    /// A batch taken for an urgent write leaves a younger `pending` insert queued, so that
    /// its execution, finishing meanwhile, is written once.
    #[tokio::test]
    async fn a_young_insert_waits_out_an_urgent_batch() {
        let rec = Arc::new(Recorder::default());
        let g = Arc::new(GroupCommit {
            insert_delay: Duration::from_secs(60),
            ..Arc::into_inner(GroupCommit::new(rec.clone())).expect("one owner")
        });
        let mut young = g.enqueue(ExecutionWrite::Insert(row("young")));
        g.submit(ExecutionWrite::Record {
            row: row("urgent"),
            outcome: outcome(),
            logs: Vec::new(),
        })
        .await
        .expect("committed");
        assert!(g.upgrade(&young, finished));
        young.committed().await.expect("committed");
        let batches = rec.batches.lock().unwrap().clone();
        let ids: Vec<Vec<&str>> = batches
            .iter()
            .map(|b| {
                b.iter()
                    .map(|w| match w {
                        ExecutionWrite::Record { row, .. } => row.id.as_str(),
                        ExecutionWrite::Insert(_) => "insert",
                        ExecutionWrite::Finish { .. } => "finish",
                    })
                    .collect()
            })
            .collect();
        assert_eq!(ids, vec![vec!["urgent"], vec!["young"]]);
    }

    #[tokio::test]
    async fn a_lone_insert_is_committed_after_the_delay() {
        let rec = Arc::new(Recorder::default());
        let g = GroupCommit::new(rec.clone());
        let start = Instant::now();
        g.submit(ExecutionWrite::Insert(row("a")))
            .await
            .expect("committed");
        assert!(start.elapsed() >= GroupCommit::INSERT_DELAY);
        assert_eq!(rec.batches.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_failed_batch_reports_each_write_with_its_own_error() {
        let rec = Arc::new(Recorder::default());
        let g = GroupCommit::new(rec.clone());
        let mut good = g.enqueue(ExecutionWrite::Record {
            row: row("good"),
            outcome: outcome(),
            logs: Vec::new(),
        });
        let mut bad = g.enqueue(ExecutionWrite::Finish {
            id: "bad".into(),
            outcome: outcome(),
            logs: Vec::new(),
        });
        good.committed()
            .await
            .expect("the good write commits on its own");
        let e = bad.committed().await.expect_err("the bad write fails");
        assert!(matches!(e.error, Error::NotFound("execution")), "{e:?}");
        // The write comes back, so that the caller can write it another way.
        assert!(
            matches!(&e.write, Some(ExecutionWrite::Finish { id, .. }) if id == "bad"),
            "{e:?}"
        );
    }

    /// Commits every batch, but reports the first one as failed (a connection lost during
    /// `COMMIT`); an insert of a row it has is `AlreadyExists`.
    #[derive(Debug, Default)]
    struct LostCommit {
        rows: Mutex<Vec<String>>,
        cut: std::sync::atomic::AtomicBool,
        /// How many writes the cut batch held.
        cut_size: std::sync::atomic::AtomicUsize,
    }

    #[async_trait]
    impl Commit for LostCommit {
        async fn commit(&self, writes: &[ExecutionWrite]) -> Result<()> {
            let mut rows = self.rows.lock().unwrap();
            for w in writes {
                if let ExecutionWrite::Insert(r) = w {
                    if rows.contains(&r.id) {
                        return Err(Error::AlreadyExists("execution".into()));
                    }
                    rows.push(r.id.clone());
                }
            }
            if !self.cut.swap(true, std::sync::atomic::Ordering::SeqCst) {
                self.cut_size
                    .store(writes.len(), std::sync::atomic::Ordering::SeqCst);
                return Err(Error::backend("test", "connection lost during COMMIT"));
            }
            Ok(())
        }
    }

    #[tokio::test]
    async fn an_insert_whose_failed_batch_committed_after_all_is_committed() {
        let lost = Arc::new(LostCommit::default());
        let g = GroupCommit::new(lost.clone());
        let mut a = g.enqueue(ExecutionWrite::Insert(row("a")));
        let mut b = g.enqueue(ExecutionWrite::Insert(row("b")));
        a.committed().await.expect("a is stored");
        b.committed().await.expect("b is stored");
        assert_eq!(
            lost.cut_size.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "the batch of both was cut"
        );
        assert_eq!(*lost.rows.lock().unwrap(), ["a", "b"]);

        // A batch of one insert alike.
        let lost = Arc::new(LostCommit::default());
        let g = GroupCommit::new(lost.clone());
        g.enqueue(ExecutionWrite::Insert(row("c")))
            .committed()
            .await
            .expect("c is stored");
        assert_eq!(*lost.rows.lock().unwrap(), ["c"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_64_concurrent_writers_nobody_waits_more_than_two_batches() {
        let rec = Arc::new(Recorder::default());
        let g = GroupCommit::new(rec.clone());
        let mut tasks = Vec::new();
        for w in 0..64 {
            let g = g.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..20 {
                    let id = format!("{w}-{i}");
                    let mut t = g.enqueue(ExecutionWrite::Record {
                        row: row(&id),
                        outcome: outcome(),
                        logs: Vec::new(),
                    });
                    t.committed().await.expect("committed");
                    // Counted by the committer, not when this task wakes up (which a
                    // loaded machine may delay past later batches).
                    let waited = g.batches_waited(&t);
                    assert!(waited <= 2, "{id} waited for {waited} batches");
                }
            }));
        }
        for t in tasks {
            t.await.expect("writer");
        }
        let written: usize = rec.batches.lock().unwrap().iter().map(Vec::len).sum();
        assert_eq!(written, 64 * 20);
    }
}
