//! Wall-clock timeouts, CPU-time limits and cancellation of JavaScript that is running:
//! one process-wide thread terminates an isolate's execution through its thread-safe
//! handle, but only while the execution it watches is the one inside JavaScript.
//!
//! The [`Gate`] also times each turn in JavaScript, so that an execution is charged for
//! the CPU it used and a single long turn (a busy loop) is stopped once the execution's
//! CPU time passes its limit. Reading a thread's CPU clock is a system call that costs
//! close to a microsecond, so it is read once per turn, at its end: a turn is charged the
//! CPU the thread used since the previous reading, but never more than the turn's wall
//! time — exact when the thread was not preempted during the turn, and otherwise over by
//! at most the little work the thread did between the two turns.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use lunar_core::usage::UsageMeter;
use tokio_util::sync::CancellationToken;

use crate::cpu::ThreadClock;

/// Why the watchdog stopped an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fired {
    /// The deadline passed.
    Timeout,
    /// The job's token fired.
    Cancelled,
    /// The execution's CPU time passed its limit.
    CpuTime,
    /// An `ArrayBuffer` allocation was refused: the isolate's buffers are at its memory
    /// limit.
    Memory,
}

/// Which execution of a worker is inside JavaScript since when, and the isolate to stop.
#[derive(Debug)]
pub(crate) struct Gate {
    inner: Mutex<GateInner>,
    /// The worker thread's CPU clock (none: turns are timed on the wall clock).
    clock: Option<ThreadClock>,
    /// Raised by the isolate's buffer allocator when it refuses an allocation; lowered
    /// by the execution that sees it after its turn.
    pub(crate) buffers_exceeded: Arc<AtomicBool>,
}

#[derive(Debug)]
struct GateInner {
    running: u64,
    handle: Option<v8::IsolateHandle>,
    /// The thread's CPU clock when a turn last ended (or the worker started).
    last_cpu: Option<Duration>,
    /// When the current turn began.
    turn_wall: Instant,
}

impl Gate {
    /// A gate for the worker thread whose CPU clock is `clock`.
    pub(crate) fn new(clock: Option<ThreadClock>) -> Self {
        Self {
            inner: Mutex::new(GateInner {
                running: 0,
                handle: None,
                last_cpu: clock.and_then(ThreadClock::now),
                turn_wall: Instant::now(),
            }),
            clock,
            buffers_exceeded: Arc::default(),
        }
    }

    /// CPU time used by the current turn so far, given the thread's CPU clock now: what the
    /// thread used since the last reading, capped by the turn's wall time (wall time alone
    /// where there is no clock).
    fn in_turn(inner: &GateInner, cpu_now: Option<Duration>) -> Duration {
        let wall = inner.turn_wall.elapsed();
        match (cpu_now, inner.last_cpu) {
            (Some(now), Some(last)) => now.saturating_sub(last).min(wall),
            _ => wall,
        }
    }

    /// Sets the isolate that executions of this worker run in.
    pub(crate) fn set_isolate(&self, handle: Option<v8::IsolateHandle>) {
        self.lock().handle = handle;
    }

    /// Marks `exec` as inside JavaScript (on the worker thread).
    pub(crate) fn enter(&self, exec: u64) {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.running = exec;
        inner.turn_wall = now;
    }

    /// Marks that no execution is inside JavaScript (on the worker thread); returns the
    /// CPU time the turn used.
    pub(crate) fn leave(&self) -> Duration {
        let cpu_now = self.clock.and_then(ThreadClock::now);
        let mut inner = self.lock();
        inner.running = 0;
        let spent = Self::in_turn(&inner, cpu_now);
        inner.last_cpu = cpu_now;
        spent
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
    /// The execution's CPU-time limit, and where its CPU time of finished turns adds up.
    cpu: Option<(Duration, Arc<UsageMeter>)>,
}

impl Watch {
    /// What the watchdog did to this execution, if anything.
    pub(crate) fn fired(&self) -> Option<Fired> {
        match self.fired.load(Ordering::Acquire) {
            1 => Some(Fired::Timeout),
            2 => Some(Fired::Cancelled),
            3 => Some(Fired::CpuTime),
            4 => Some(Fired::Memory),
            _ => None,
        }
    }

    fn check(&self, now: Instant) {
        if self.fired.load(Ordering::Acquire) != 0 {
            return;
        }
        let cancelled = self.cancel.is_cancelled();
        let late = now >= self.deadline;
        let buffers = self.gate.buffers_exceeded.load(Ordering::Acquire);
        if !cancelled && !late && !buffers && self.cpu.is_none() {
            return;
        }
        let gate = self.gate.lock();
        if gate.running != self.exec {
            return;
        }
        let reason = if cancelled {
            2
        } else if late {
            1
        } else if buffers {
            4
        } else if let Some((limit, meter)) = &self.cpu
            && meter.cpu() + Gate::in_turn(&gate, self.gate.clock.and_then(ThreadClock::now))
                >= *limit
        {
            3
        } else {
            return;
        };
        if let Some(handle) = &gate.handle {
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

/// Starts watching an execution until the returned handle is dropped; `cpu` is its
/// CPU-time limit and the meter its finished turns are charged to.
pub(crate) fn watch(
    exec: u64,
    deadline: Instant,
    cancel: CancellationToken,
    gate: Arc<Gate>,
    cpu: Option<(Duration, Arc<UsageMeter>)>,
) -> Arc<Watch> {
    let w = Arc::new(Watch {
        exec,
        deadline,
        cancel,
        gate,
        fired: AtomicU8::new(0),
        cpu,
    });
    let reg = registry();
    reg.watches
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Arc::downgrade(&w));
    reg.wake.notify_one();
    w
}
