//! A worker thread: one isolate and a single-threaded event loop on which many executions
//! are in flight at once, fed by a bounded channel.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use lunar_core::runtime::{RunJob, RunOutcome};
use tokio::sync::{mpsc, oneshot};

use crate::queue::QueueGauge;
use crate::worker::{Sizes, Worker};
use crate::{exec, platform};

/// One job for a worker.
#[derive(Debug)]
pub(crate) struct Task {
    pub(crate) job: RunJob,
    pub(crate) host_rt: Option<tokio::runtime::Handle>,
    pub(crate) reply: oneshot::Sender<RunOutcome>,
}

/// Jobs a worker's channel holds before senders wait. The worker moves jobs out as fast as
/// it can start them, so the channel is short; the bound keeps a host that sets no bound
/// of its own (`EngineConfig::max_in_flight`) from queueing without limit.
pub(crate) const WORKER_QUEUE: usize = 256;

/// The pool's side of a worker.
#[derive(Debug)]
pub(crate) struct WorkerHandle {
    pub(crate) tx: mpsc::Sender<Task>,
    pub(crate) load: Arc<AtomicUsize>,
    /// Heap in use by the worker's isolate at its last check, in bytes.
    pub(crate) heap: Arc<AtomicU64>,
    /// How long its jobs wait before they start.
    pub(crate) queue: Arc<QueueGauge>,
}

impl WorkerHandle {
    /// Spawns a worker thread.
    pub(crate) fn spawn(index: usize, sizes: Sizes) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel(WORKER_QUEUE);
        let load = Arc::new(AtomicUsize::new(0));
        let heap = Arc::new(AtomicU64::new(0));
        let queue = Arc::new(QueueGauge::default());
        let (l, h, q) = (load.clone(), heap.clone(), queue.clone());
        std::thread::Builder::new()
            .name(format!("lunar-v8-{index}"))
            .stack_size(platform::THREAD_STACK_BYTES)
            .spawn(move || worker_main(rx, &l, h, &q, sizes))?;
        Ok(Self {
            tx,
            load,
            heap,
            queue,
        })
    }
}

fn worker_main(
    mut rx: mpsc::Receiver<Task>,
    load: &Arc<AtomicUsize>,
    heap: Arc<AtomicU64>,
    queue: &Arc<QueueGauge>,
    sizes: Sizes,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start a V8 worker runtime: {e}");
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let worker = Rc::new(Worker::new(sizes, heap));
        // The isolate is made before the first job (with the default heap limit), so that
        // the first execution on this worker does not pay for it.
        worker
            .ready_for(lunar_core::runtime::Limits::default().memory_mb)
            .await;
        loop {
            let task = match rx.try_recv() {
                Ok(task) => task,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    // Idle: make the next execution's context now, off its critical path.
                    worker.prepare_spare();
                    match rx.recv().await {
                        Some(task) => task,
                        None => break,
                    }
                }
            };
            worker.ready_for(task.job.limits.memory_mb).await;
            let w = worker.clone();
            let (load, queue) = (load.clone(), queue.clone());
            tokio::task::spawn_local(async move {
                queue.started(std::time::Instant::now());
                w.in_flight.set(w.in_flight.get() + 1);
                let out = exec::run(&w, task.job, task.host_rt).await;
                w.in_flight.set(w.in_flight.get() - 1);
                if w.in_flight.get() == 0 {
                    w.drained.notify_waiters();
                }
                load.fetch_sub(1, Ordering::AcqRel);
                let _ = task.reply.send(out);
            });
            // Let the new execution start (a synchronous handler finishes) before the
            // loop looks for more work or prepares a spare context.
            tokio::task::yield_now().await;
        }
        // Let in-flight executions finish before the isolate goes away.
        while worker.in_flight.get() > 0 {
            worker.drained.notified().await;
        }
        worker.isolate.borrow_mut().take();
    });
}
