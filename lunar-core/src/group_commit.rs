//! Group commit of execution writes: concurrent executions queue their writes and one of
//! them (the leader) commits everything queued in one transaction, then hands over.
//! No background task: the leader is whichever writer found no commit in progress.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::store::{BatchWriter, ExecutionWrite};
use crate::{Error, Result};

type Reply = oneshot::Sender<std::result::Result<(), String>>;

#[derive(Debug, Default)]
struct Queue {
    writes: Vec<(ExecutionWrite, Reply)>,
    leader: bool,
}

/// Batches writes from concurrent executions into shared transactions.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    writer: Arc<dyn BatchWriter>,
    queue: Mutex<Queue>,
    max_batch: usize,
}

impl GroupCommit {
    pub(crate) fn new(writer: Arc<dyn BatchWriter>) -> Self {
        Self {
            writer,
            queue: Mutex::new(Queue::default()),
            max_batch: 512,
        }
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `write` and returns once the transaction holding it committed.
    pub(crate) async fn submit(&self, write: ExecutionWrite) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        let lead = {
            let mut q = self.queue();
            q.writes.push((write, tx));
            !std::mem::replace(&mut q.leader, true)
        };
        if lead {
            self.lead().await;
        }
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(Error::Internal(message)),
            Err(_) => Err(Error::Internal("group commit dropped the write".to_owned())),
        }
    }

    async fn lead(&self) {
        loop {
            let batch: Vec<(ExecutionWrite, Reply)> = {
                let mut q = self.queue();
                if q.writes.is_empty() {
                    q.leader = false;
                    return;
                }
                let n = q.writes.len().min(self.max_batch);
                q.writes.drain(..n).collect()
            };
            let (writes, replies): (Vec<ExecutionWrite>, Vec<Reply>) = batch.into_iter().unzip();
            match self.writer.write_batch(&writes).await {
                Ok(()) => {
                    for r in replies {
                        let _ = r.send(Ok(()));
                    }
                }
                // One bad write must not fail its neighbours: retry them one by one.
                Err(_) if writes.len() > 1 => {
                    for (w, r) in writes.into_iter().zip(replies) {
                        let res = self
                            .writer
                            .write_batch(std::slice::from_ref(&w))
                            .await
                            .map_err(|e| e.to_string());
                        let _ = r.send(res);
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    for r in replies {
                        let _ = r.send(Err(msg.clone()));
                    }
                }
            }
        }
    }
}
