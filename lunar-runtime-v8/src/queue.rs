//! How long a new job would wait for its worker ([`Runtime::queue_delay`]). Each worker
//! keeps the send times of the jobs it has not started yet and how far apart its starts
//! are while jobs queue (its pace); a new job's wait is the longer of the oldest job's wait
//! so far and the queue's length at that pace, plus what is left of the running job. The
//! oldest wait alone lags: while it is still short, a queue many times longer may have
//! formed behind it.
//!
//! The pace outlives a queue that drains by [`PACE_KEPT`] (a gap measured meanwhile
//! renews it). Under overload the queue drains and refills within milliseconds; with the
//! pace forgotten at each drain, the jobs arriving before the worker had measured it again
//! were all admitted, and they queued well past the bound.
//!
//! The pace is the mean of the last [`GAPS_KEPT`] gaps less their longest eighth. A worker
//! whose thread is descheduled for a few milliseconds measures one long gap among short
//! ones; multiplied by a queue of 64 short jobs, that one gap looked like a wait past the
//! bound, and jobs were refused that would have started within a few milliseconds.
//!
//! [`Runtime::queue_delay`]: lunar_core::runtime::Runtime::queue_delay

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a drained worker's pace still counts: a burst arriving on a worker idle for
/// longer is queued as if its pace were unknown.
pub(crate) const PACE_KEPT: Duration = Duration::from_secs(1);

/// How many of the latest gaps between starts the pace is measured over.
const GAPS_KEPT: usize = 32;

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
    /// The latest gaps between starts of jobs that had to wait, oldest first, at most
    /// [`GAPS_KEPT`].
    gaps: VecDeque<Duration>,
    /// The worker's pace: the mean of `gaps` less their longest eighth (rounded up, but
    /// one gap alone is kept). Work whose every eighth job is long is thus paced by its
    /// short jobs; the oldest job's wait still counts the long ones.
    spacing: Duration,
    /// When the queue last drained, if no gap was measured since: `spacing` is from
    /// before then.
    drained_at: Option<Instant>,
}

impl Queue {
    /// The pace is from before a drain longer ago than [`PACE_KEPT`].
    fn pace_expired(&self, now: Instant) -> bool {
        self.drained_at
            .is_some_and(|at| now.saturating_duration_since(at) > PACE_KEPT)
    }

    /// Counts a gap between two starts in the pace.
    fn measured(&mut self, gap: Duration) {
        if self.gaps.len() == GAPS_KEPT {
            self.gaps.pop_front();
        }
        self.gaps.push_back(gap);
        let mut sorted = [Duration::ZERO; GAPS_KEPT];
        let n = self.gaps.len();
        for (slot, gap) in sorted.iter_mut().zip(&self.gaps) {
            *slot = *gap;
        }
        let sorted = &mut sorted[..n];
        sorted.sort_unstable();
        let kept = &sorted[..n - n.div_ceil(8).min(n - 1)];
        let count = u32::try_from(kept.len()).unwrap_or(u32::MAX);
        self.spacing = kept.iter().sum::<Duration>() / count;
        self.drained_at = None;
    }

    /// Forgets the pace.
    fn forget_pace(&mut self) {
        self.gaps.clear();
        self.spacing = Duration::ZERO;
        self.drained_at = None;
    }
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
        if q.pace_expired(now) {
            q.forget_pace();
        }
        if let (Some(sent), Some(last)) = (sent, q.last_start) {
            // It was waiting when the previous one started: the gap is the worker's pace.
            if sent <= last {
                q.measured(now.saturating_duration_since(last));
            }
        }
        q.last_start = Some(now);
        if q.sent.is_empty() && q.drained_at.is_none() {
            // Jobs that start at once on arrival measure no new pace: the old one
            // expires [`PACE_KEPT`] after this first drain.
            q.drained_at = Some(now);
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
        let pace = if q.pace_expired(now) {
            Duration::ZERO
        } else {
            q.spacing
        };
        let ahead = u32::try_from(q.sent.len()).unwrap_or(u32::MAX);
        // Jobs wait, so one is running: the one started last.
        let running_rest = q.last_start.map_or(Duration::ZERO, |started| {
            pace.saturating_sub(now.saturating_duration_since(started))
        });
        waited.max(pace.saturating_mul(ahead).saturating_add(running_rest))
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
        assert_eq!(g.queue().spacing, 8 * MS, "one gap of 8 ms");
        assert_eq!(
            g.delay(t + 20 * MS),
            14 * MS,
            "one job at the pace and 6 ms left of the running one: longer than the \
             oldest's wait (8 ms)"
        );
        g.started(t + 30 * MS);
        assert_eq!(g.queue().spacing, 8 * MS, "the longer of two gaps left out");
        assert_eq!(g.delay(t + 30 * MS), Duration::ZERO, "drained");
    }

    #[test]
    fn the_pace_outlives_a_short_drain_not_an_idle_worker() {
        let t = Instant::now() + 8 * MS;
        // A worker at a 4 ms pace whose queue drained as it started a job at `t`.
        let drained = || {
            let g = QueueGauge::default();
            g.sent(t - 8 * MS);
            {
                let mut q = g.queue();
                q.measured(4 * MS);
                q.last_start = Some(t - 4 * MS);
            }
            g.started(t);
            assert_eq!(g.delay(t), Duration::ZERO, "drained");
            g
        };
        // Three arrive 1 ms later, while the job started at `t` runs (3 ms left).
        let g = drained();
        for _ in 0..3 {
            g.sent(t + MS);
        }
        assert_eq!(
            g.delay(t + MS),
            15 * MS,
            "three jobs at the pace kept, and the running one's rest"
        );
        // A gap measured after the drain is averaged in.
        g.started(t + 4 * MS);
        g.started(t + 5 * MS);
        assert_eq!(
            g.queue().spacing,
            5 * MS / 2,
            "gaps of 4, 4 and 1 ms (the job started at `t + 4 ms` arrived after `t`), the \
             longest left out"
        );

        // The same burst on a worker idle for longer than the pace is kept.
        let idle = drained();
        let later = t + PACE_KEPT + MS;
        for _ in 0..3 {
            idle.sent(later);
        }
        assert_eq!(
            idle.delay(later),
            Duration::ZERO,
            "a burst on an idle worker: the pace is unknown"
        );

        // Jobs that start on arrival (none waits) keep no pace alive.
        let steady = drained();
        for i in 1..=3 {
            let at = t + i * PACE_KEPT / 2;
            steady.sent(at);
            steady.started(at);
        }
        let at = t + 2 * PACE_KEPT + MS;
        steady.sent(at);
        steady.sent(at);
        assert_eq!(steady.delay(at), Duration::ZERO, "expired all the same");
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
        // 160 waiting and the one started now, 2 ms each.
        assert!(g.delay(now) <= 161 * 2 * MS);
    }

    #[test]
    fn the_running_jobs_rest_counts() {
        let g = QueueGauge::default();
        let t = Instant::now();
        {
            // A 4 ms pace, and a job started at `t`.
            let mut q = g.queue();
            q.spacing = 4 * MS;
            q.last_start = Some(t);
        }
        g.sent(t + MS);
        g.sent(t + MS);
        assert_eq!(
            g.delay(t + 2 * MS),
            10 * MS,
            "two jobs' time and the 2 ms left of the running one"
        );
        assert_eq!(
            g.delay(t + 5 * MS),
            8 * MS,
            "the running job is due: the two waiting jobs' time"
        );
    }

    #[test]
    fn one_stall_among_short_jobs_is_not_the_pace() {
        let g = QueueGauge::default();
        let t = Instant::now();
        let us50 = MS / 20;
        // 64 clients, closed loop, of a 50 µs job; the worker's thread is descheduled
        // for 5 ms once.
        for _ in 0..64 {
            g.sent(t);
        }
        let mut at = t;
        for i in 0..100 {
            at += if i == 90 { 5 * MS } else { us50 };
            g.started(at);
            g.sent(at);
        }
        assert_eq!(g.queue().spacing, us50, "the stall is left out of the pace");
        let oldest = at - *g.queue().sent.front().expect("64 wait");
        assert_eq!(
            g.delay(at),
            oldest,
            "the oldest job's wait, stall and all, is the longest"
        );
        assert!(g.delay(at) < 9 * MS, "{:?}", g.delay(at));
    }
}
