//! Wall-clock timeouts and cancellation of JavaScript that is running: one process-wide
//! thread terminates an isolate's execution through its thread-safe handle, but only
//! while the execution it watches is the one inside JavaScript.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// Why the watchdog stopped an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fired {
    /// The deadline passed.
    Timeout,
    /// The job's token fired.
    Cancelled,
}

/// Which execution of a worker is inside JavaScript, and the isolate to stop.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    inner: Mutex<GateInner>,
}

#[derive(Debug, Default)]
struct GateInner {
    running: u64,
    handle: Option<v8::IsolateHandle>,
}

impl Gate {
    /// Sets the isolate that executions of this worker run in.
    pub(crate) fn set_isolate(&self, handle: Option<v8::IsolateHandle>) {
        self.lock().handle = handle;
    }

    /// Marks `exec` as inside JavaScript.
    pub(crate) fn enter(&self, exec: u64) {
        self.lock().running = exec;
    }

    /// Marks that no execution is inside JavaScript.
    pub(crate) fn leave(&self) {
        self.lock().running = 0;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One execution under watch. Dropping it ends the watch.
#[derive(Debug)]
pub(crate) struct Watch {
    exec: u64,
    deadline: Instant,
    cancel: CancellationToken,
    gate: Arc<Gate>,
    fired: AtomicU8,
}

impl Watch {
    /// What the watchdog did to this execution, if anything.
    pub(crate) fn fired(&self) -> Option<Fired> {
        match self.fired.load(Ordering::Acquire) {
            1 => Some(Fired::Timeout),
            2 => Some(Fired::Cancelled),
            _ => None,
        }
    }

    fn check(&self, now: Instant) {
        if self.fired.load(Ordering::Acquire) != 0 {
            return;
        }
        let reason = if self.cancel.is_cancelled() {
            2
        } else if now >= self.deadline {
            1
        } else {
            return;
        };
        let gate = self.gate.lock();
        if gate.running == self.exec
            && let Some(handle) = &gate.handle
        {
            self.fired.store(reason, Ordering::Release);
            handle.terminate_execution();
        }
    }
}

#[derive(Debug, Default)]
struct Registry {
    watches: Mutex<Vec<Weak<Watch>>>,
    wake: Condvar,
}

static REGISTRY: OnceLock<Arc<Registry>> = OnceLock::new();

const TICK: Duration = Duration::from_millis(5);

fn registry() -> &'static Arc<Registry> {
    REGISTRY.get_or_init(|| {
        let reg = Arc::new(Registry::default());
        let r = reg.clone();
        // The watchdog thread lives as long as the process; it sleeps while idle.
        let spawned = std::thread::Builder::new()
            .name("lunar-v8-watchdog".into())
            .spawn(move || watchdog_loop(&r));
        if let Err(e) = spawned {
            tracing::error!("cannot start the V8 watchdog thread: {e}");
        }
        reg
    })
}

fn watchdog_loop(reg: &Registry) {
    let mut watches = reg.watches.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        watches.retain(|w| w.strong_count() > 0);
        if watches.is_empty() {
            watches = reg
                .wake
                .wait(watches)
                .unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        let live: Vec<Arc<Watch>> = watches.iter().filter_map(Weak::upgrade).collect();
        drop(watches);
        let now = Instant::now();
        for w in &live {
            w.check(now);
        }
        drop(live);
        std::thread::sleep(TICK);
        watches = reg.watches.lock().unwrap_or_else(PoisonError::into_inner);
    }
}

/// Starts watching an execution until the returned handle is dropped.
pub(crate) fn watch(
    exec: u64,
    deadline: Instant,
    cancel: CancellationToken,
    gate: Arc<Gate>,
) -> Arc<Watch> {
    let w = Arc::new(Watch {
        exec,
        deadline,
        cancel,
        gate,
        fired: AtomicU8::new(0),
    });
    let reg = registry();
    reg.watches
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Arc::downgrade(&w));
    reg.wake.notify_one();
    w
}
