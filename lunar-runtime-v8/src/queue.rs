//! How long a new job would wait for its worker ([`Runtime::queue_delay`]). Each worker
//! keeps the send times of the jobs it has not started yet and how far apart its starts
//! are while jobs queue; a new job's wait is the longer of the oldest job's wait so far and
//! the queue's length times that spacing. The oldest wait alone lags: while it is still
//! short, a queue many times longer may have formed behind it.
//!
//! [`Runtime::queue_delay`]: lunar_core::runtime::Runtime::queue_delay

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// One worker's waiting jobs as the pool sees them: written by the pool (jobs sent) and
/// the worker thread (jobs started), read by the engine's admission.
#[derive(Debug, Default)]
pub(crate) struct QueueGauge(Mutex<Queue>);

#[derive(Debug, Default)]
struct Queue {
    /// Send times of the jobs sent to the worker that have not started, oldest first.
    sent: VecDeque<Instant>,
    /// When the worker last started a job.
    last_start: Option<Instant>,
    /// Average time between starts of jobs that had to wait (an exponential moving
    /// average, weight 1/8), since the queue last drained.
    spacing: Duration,
}

impl QueueGauge {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A job sent at `at` is on its way to the worker.
    pub(crate) fn sent(&self, at: Instant) {
        self.queue().sent.push_back(at);
    }

    /// The worker started the oldest job at `now`. (Two senders may queue their jobs in
    /// the other order than they noted them; the oldest time noted is still the longest
    /// wait.)
    pub(crate) fn started(&self, now: Instant) {
        let mut q = self.queue();
        let sent = q.sent.pop_front();
        if let (Some(sent), Some(last)) = (sent, q.last_start) {
            // It was waiting when the previous one started: the gap is the worker's pace.
            if sent <= last {
                let gap = now.saturating_duration_since(last);
                q.spacing = (q.spacing * 7 + gap) / 8;
            }
        }
        q.last_start = Some(now);
        if q.sent.is_empty() {
            // The queue has drained: the next one may hold different work.
            q.spacing = Duration::ZERO;
        }
    }

    /// The job sent at `at` will never start.
    pub(crate) fn abandoned(&self, at: Instant) {
        let mut q = self.queue();
        if let Some(i) = q.sent.iter().position(|t| *t == at) {
            q.sent.remove(i);
        }
    }

    /// How long a job sent at `now` would wait; zero when none waits.
    pub(crate) fn delay(&self, now: Instant) -> Duration {
        let q = self.queue();
        let Some(oldest) = q.sent.front() else {
            return Duration::ZERO;
        };
        let waited = now.saturating_duration_since(*oldest);
        let ahead = u32::try_from(q.sent.len()).unwrap_or(u32::MAX);
        waited.max(q.spacing.saturating_mul(ahead))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_delay_is_the_oldest_jobs_wait_or_the_queue_at_the_workers_pace() {
        let g = QueueGauge::default();
        let t = Instant::now();
        assert_eq!(g.delay(t), Duration::ZERO, "nothing waiting");
        g.sent(t);
        g.sent(t + 3 * MS);
        g.sent(t + 5 * MS);
        assert_eq!(g.delay(t + 10 * MS), 10 * MS, "no pace known yet");
        g.started(t + 10 * MS);
        assert_eq!(g.delay(t + 10 * MS), 7 * MS, "the next oldest");
        g.abandoned(t + 3 * MS);
        assert_eq!(
            g.delay(t + 10 * MS),
            5 * MS,
            "an abandoned job no longer waits"
        );
        g.sent(t + 12 * MS);
        g.started(t + 18 * MS);
        assert_eq!(g.queue().spacing, MS, "one gap of 8 ms, weighted 1/8");
        assert_eq!(
            g.delay(t + 20 * MS),
            8 * MS,
            "the oldest waited 8 ms: the longer"
        );
        g.started(t + 20 * MS);
        assert_eq!(g.delay(t + 20 * MS), Duration::ZERO, "drained");
        assert_eq!(g.queue().spacing, Duration::ZERO, "the pace is forgotten");
        g.sent(t + 21 * MS);
        assert_eq!(
            g.delay(t + 21 * MS),
            Duration::ZERO,
            "a new job on a drained queue"
        );
    }

    #[test]
    fn a_long_queue_counts_before_its_oldest_job_has_waited_long() {
        let g = QueueGauge::default();
        let t = Instant::now();
        // Jobs arrive every 0.5 ms and start every 2 ms: the queue grows.
        for i in 0..200 {
            g.sent(t + i * MS / 2);
        }
        for i in 1..=40 {
            g.started(t + i * 2 * MS);
        }
        let now = t + 80 * MS;
        let oldest = now - (t + 40 * MS / 2);
        assert!(
            g.delay(now) > 4 * oldest,
            "{:?} vs {oldest:?}",
            g.delay(now)
        );
        assert!(g.delay(now) <= 160 * 2 * MS);
    }
}
