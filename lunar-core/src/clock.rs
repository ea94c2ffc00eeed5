//! Time source, so that scheduler and retention tests can drive time by hand.

use std::fmt::Debug;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// A source of the current time. [`SystemClock`] is the real one and [`ManualClock`]
/// drives tests; a host may bring its own:
///
/// ```
/// use async_trait::async_trait;
/// use chrono::{DateTime, Utc};
/// use lunar_core::Clock;
///
/// /// The system clock, shifted (e.g. to replay a recorded day).
/// #[derive(Debug)]
/// struct Shifted(chrono::Duration);
///
/// #[async_trait]
/// impl Clock for Shifted {
///     fn now(&self) -> DateTime<Utc> { Utc::now() + self.0 }
///     async fn sleep_until(&self, at: DateTime<Utc>) {
///         let wait = (at - self.now()).to_std().unwrap_or_default();
///         tokio::time::sleep(wait).await;
///     }
/// }
/// ```
#[async_trait]
pub trait Clock: Debug + Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Current Unix seconds.
    fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Resolves once `now() >= at`.
    async fn sleep_until(&self, at: DateTime<Utc>);
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep_until(&self, at: DateTime<Utc>) {
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
    }
}

/// A clock that only moves when told to; sleepers wake when it passes their deadline.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    tick: watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    #[must_use]
    pub fn new(start: DateTime<Utc>) -> Self {
        let (tick, _) = watch::channel(start);
        Self {
            now: Mutex::new(start),
            tick,
        }
    }

    /// Sets the time (it may go forward only; earlier values are ignored).
    pub fn set(&self, t: DateTime<Utc>) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if t > *now {
            *now = t;
            self.tick.send_replace(t);
        }
    }

    /// Moves the time forward.
    pub fn advance(&self, by: chrono::Duration) {
        let t = self.now() + by;
        self.set(t);
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn sleep_until(&self, at: DateTime<Utc>) {
        let mut rx = self.tick.subscribe();
        // The receiver starts with the current value marked seen; check, then wait.
        loop {
            if *rx.borrow_and_update() >= at {
                return;
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}

/// Milliseconds since `since`, as the stores record durations (saturating).
pub(crate) fn elapsed_ms(since: std::time::Instant) -> i64 {
    i64::try_from(since.elapsed().as_millis()).unwrap_or(i64::MAX)
}
