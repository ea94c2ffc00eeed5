//! Group commit of execution writes: concurrent executions queue their writes, and a
//! committer commits what is queued in bounded batches, one transaction each, in arrival
//! order. A committer task exists only while writes are queued: the first write of a burst
//! starts it and it ends when the queue is empty.
//!
//! A queued write can still be changed before a batch takes it: an execution that finishes
//! before its `pending` insert was committed turns that insert into one write of the
//! finished row ([`GroupCommit::upgrade`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::store::{BatchWriter, ExecutionWrite};
use crate::{Error, Result};

type Reply = oneshot::Sender<Result<()>>;

struct Queued {
    ticket: u64,
    /// Always `Some` outside of [`GroupCommit::upgrade`].
    write: Option<ExecutionWrite>,
    reply: Reply,
}

#[derive(Default)]
struct Queue {
    writes: VecDeque<Queued>,
    /// A committer task is running.
    committing: bool,
    next_ticket: u64,
}

/// A queued write: await [`Ticket::committed`] for its transaction's result.
#[derive(Debug)]
pub(crate) struct Ticket {
    id: u64,
    rx: oneshot::Receiver<Result<()>>,
}

impl Ticket {
    /// Waits until the transaction holding the write committed (or failed).
    pub(crate) async fn committed(&mut self) -> Result<()> {
        match (&mut self.rx).await {
            Ok(r) => r,
            Err(_) => Err(Error::Internal("group commit dropped the write".to_owned())),
        }
    }
}

/// Batches writes from concurrent executions into shared transactions.
pub(crate) struct GroupCommit {
    writer: Arc<dyn BatchWriter>,
    queue: Mutex<Queue>,
    max_batch: usize,
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

    pub(crate) fn new(writer: Arc<dyn BatchWriter>) -> Arc<Self> {
        Arc::new(Self {
            writer,
            queue: Mutex::new(Queue::default()),
            max_batch: Self::MAX_BATCH,
        })
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `write` (starting a committer when none runs) and returns its ticket.
    pub(crate) fn enqueue(self: &Arc<Self>, write: ExecutionWrite) -> Ticket {
        let (tx, rx) = oneshot::channel();
        let (id, start) = {
            let mut q = self.queue();
            q.next_ticket += 1;
            let id = q.next_ticket;
            q.writes.push_back(Queued {
                ticket: id,
                write: Some(write),
                reply: tx,
            });
            (id, !std::mem::replace(&mut q.committing, true))
        };
        if start {
            let this = self.clone();
            tokio::spawn(async move { this.commit_all().await });
        }
        Ticket { id, rx }
    }

    /// Queues `write` and waits for its transaction.
    pub(crate) async fn submit(self: &Arc<Self>, write: ExecutionWrite) -> Result<()> {
        self.enqueue(write).committed().await
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
        entry.write = entry.write.take().map(f);
        true
    }

    /// Commits batches until the queue is empty.
    async fn commit_all(&self) {
        loop {
            let batch: Vec<Queued> = {
                let mut q = self.queue();
                if q.writes.is_empty() {
                    q.committing = false;
                    return;
                }
                let n = q.writes.len().min(self.max_batch);
                q.writes.drain(..n).collect()
            };
            self.commit(batch).await;
        }
    }

    /// Commits one batch in one transaction. When it fails, its writes are retried one by
    /// one, so that one bad write does not fail its neighbours and each waiter learns its
    /// own write's error (kind and source kept).
    async fn commit(&self, batch: Vec<Queued>) {
        let (writes, replies): (Vec<ExecutionWrite>, Vec<Reply>) = batch
            .into_iter()
            .filter_map(|q| Some((q.write?, q.reply)))
            .unzip();
        match self.writer.write_batch(&writes).await {
            Ok(()) => {
                for r in replies {
                    let _ = r.send(Ok(()));
                }
            }
            Err(e) if writes.len() == 1 => {
                if let Some(r) = replies.into_iter().next() {
                    let _ = r.send(Err(e));
                }
            }
            Err(_) => {
                for (w, r) in writes.into_iter().zip(replies) {
                    let res = self.writer.write_batch(std::slice::from_ref(&w)).await;
                    let _ = r.send(res);
                }
            }
        }
    }
}
