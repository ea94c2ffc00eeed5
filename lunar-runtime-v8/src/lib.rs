#![doc = include_str!("../README.md")]
// `unsafe` is denied workspace-wide; the few places that need it here (V8 callbacks, the
// buffer allocator, the thread CPU clock) allow it locally, each block with a `// SAFETY:`
// comment.

mod api;
mod args;
mod buffers;
mod cpu;
mod errors;
mod exec;
pub mod net;
mod platform;
mod prelude;
mod queue;
mod rejections;
mod response;
mod state;
mod thread;
mod watchdog;
mod webcrypto;
mod worker;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use lunar_core::runtime::{RunError, RunErrorKind, RunJob, RunOutcome, Runtime};
use tokio::sync::oneshot;

use crate::thread::{Task, WorkerHandle};
use crate::worker::Sizes;

pub use crate::net::{ClientOptions, NetworkPolicy, ReqwestClient};

/// Options of a [`V8Runtime`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct V8Options {
    /// Worker threads, each owning one isolate (default: the CPU count).
    pub workers: usize,
    /// Compiled scripts (and ES modules' V8 code caches) kept per worker, by version id
    /// (default 256).
    pub code_cache_entries: usize,
    /// Warm contexts kept per worker, one per function, least recently used dropped first
    /// (default 64; 0 gives every execution a fresh context). Independently of this bound,
    /// the older half is dropped whenever the isolate's heap passes half its limit.
    pub warm_contexts: usize,
    /// IANA time zone of `Date` local time (default `UTC`). V8's default zone is
    /// process-wide: the latest [`V8Runtime::new`] sets it for every isolate created
    /// afterwards, so a process should use one zone (the server's `LUNAR_TIMEZONE`).
    /// `time.format`/`time.parse` use the job's own zone.
    pub timezone: String,
}

impl Default for V8Options {
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            code_cache_entries: 256,
            warm_contexts: 64,
            timezone: "UTC".to_owned(),
        }
    }
}

impl V8Options {
    /// Returns these options with `n` workers (at least one).
    #[must_use]
    pub fn with_workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// Returns these options with `Date` local time in `tz` (an IANA name such as
    /// `Europe/Paris`).
    #[must_use]
    pub fn with_timezone(mut self, tz: impl Into<String>) -> Self {
        self.timezone = tz.into();
        self
    }

    /// Returns these options with at most `n` warm contexts per worker (0: none).
    #[must_use]
    pub fn with_warm_contexts(mut self, n: usize) -> Self {
        self.warm_contexts = n;
        self
    }

    /// Returns these options with a code cache of `n` versions per worker (0 disables).
    #[must_use]
    pub fn with_code_cache_entries(mut self, n: usize) -> Self {
        self.code_cache_entries = n;
        self
    }
}

/// The V8 [`Runtime`]: a pool of isolate-owning worker threads.
#[derive(Debug)]
pub struct V8Runtime {
    workers: Vec<WorkerHandle>,
    /// Where the search for the least-loaded worker starts (rotates, so ties spread).
    next: AtomicUsize,
}

impl V8Runtime {
    /// Initialises V8 (once per process), builds the startup snapshot and starts the
    /// worker threads.
    ///
    /// # Errors
    ///
    /// [`lunar_core::Error::Runtime`] when the time zone is unknown, or the snapshot or
    /// a thread cannot be created.
    #[allow(clippy::needless_pass_by_value)] // options are consumed, builder style
    pub fn new(options: V8Options) -> lunar_core::Result<Self> {
        platform::set_time_zone(&options.timezone).map_err(lunar_core::Error::Runtime)?;
        platform::snapshot().map_err(lunar_core::Error::Runtime)?;
        let sizes = Sizes {
            code_cache: options.code_cache_entries,
            warm_contexts: options.warm_contexts,
        };
        let workers = (0..options.workers.max(1))
            .map(|i| WorkerHandle::spawn(i, sizes))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| lunar_core::Error::Runtime(format!("cannot start a V8 worker: {e}")))?;
        Ok(Self {
            workers,
            next: AtomicUsize::new(0),
        })
    }

    /// Number of worker threads.
    #[must_use]
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// The least-loaded worker; among equally loaded ones, the next in rotation.
    fn pick(&self) -> &WorkerHandle {
        let n = self.workers.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let mut best = &self.workers[start];
        let mut best_load = best.load.load(Ordering::Acquire);
        for i in 1..n {
            let w = &self.workers[(start + i) % n];
            let load = w.load.load(Ordering::Acquire);
            if load < best_load {
                best = w;
                best_load = load;
            }
        }
        best
    }
}

/// One job counted in a worker's load and queue until it is handed over to the worker,
/// which then uncounts it from the queue when the job starts and from the load when it
/// ends.
struct Counted<'a> {
    worker: &'a WorkerHandle,
    sent: Instant,
    handed_over: bool,
}

impl<'a> Counted<'a> {
    fn new(worker: &'a WorkerHandle) -> Self {
        let sent = Instant::now();
        worker.load.fetch_add(1, Ordering::AcqRel);
        worker.queue.sent(sent);
        Self {
            worker,
            sent,
            handed_over: false,
        }
    }

    fn handed_over(mut self) {
        self.handed_over = true;
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        if !self.handed_over {
            self.worker.load.fetch_sub(1, Ordering::AcqRel);
            self.worker.queue.abandoned(self.sent);
        }
    }
}

#[async_trait]
impl Runtime for V8Runtime {
    fn name(&self) -> &str {
        "v8"
    }

    fn parallelism(&self) -> usize {
        self.workers.len()
    }

    fn heap_used_bytes(&self) -> Option<u64> {
        Some(
            self.workers
                .iter()
                .map(|w| w.heap.load(Ordering::Relaxed))
                .sum(),
        )
    }

    /// The shortest of the workers' waits: the picked worker is the least loaded, so a
    /// new job waits long only when every worker has a long queue.
    fn queue_delay(&self) -> Option<Duration> {
        let now = Instant::now();
        self.workers.iter().map(|w| w.queue.delay(now)).min()
    }

    async fn run(&self, job: RunJob) -> RunOutcome {
        let worker = self.pick();
        let (reply, rx) = oneshot::channel();
        // Counted before it is queued (the worker may finish it at once); uncounted again
        // if it never gets there (the worker stopped, or this call was dropped while the
        // full queue made it wait).
        let queued = Counted::new(worker);
        let task = Task {
            job,
            host_rt: tokio::runtime::Handle::try_current().ok(),
            reply,
        };
        if worker.tx.send(task).await.is_err() {
            return Err(RunError::new(
                RunErrorKind::Internal,
                "the V8 worker has stopped",
            ));
        }
        queued.handed_over();
        rx.await.unwrap_or_else(|_| {
            Err(RunError::new(
                RunErrorKind::Internal,
                "the V8 worker dropped the execution",
            ))
        })
    }
}
