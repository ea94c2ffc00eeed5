//! Outcomes that could not be stored when their execution ended. The execution's row is
//! already stored, `pending`, and its caller was answered 503; rather than leave the row
//! `pending` until housekeeping fails it (up to an hour later), the engine keeps the
//! outcome and its logs and writes them, marked as recorded late, once the store takes
//! writes again.
//!
//! The same goes for an execution whose row may be stored: a write that failed may have
//! committed all the same (a connection lost during `COMMIT`), so when the write of an
//! execution's `pending` insert or of its whole row fails, its outcome is held too, as the
//! finish of that row; once the store answers that there is no such row, nothing is
//! written. The engine cannot tell such a failure from a store that was down all along,
//! so during an outage nearly every execution refused with 503 is held this way, briefly
//! once the store is back.
//!
//! Only backend failures are held, at most [`MAX_HELD`] at a time (of which at most
//! [`MAX_MAYBE_HELD`] whose row may not exist, so that rows known to be `pending` always
//! find a place) and each for at most [`HOLD_FOR`]; a graceful shutdown gives them its
//! grace period. A row not written for one of these reasons stays `pending` until
//! housekeeping fails it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::Error;
use crate::group_commit::GroupCommit;
use crate::model::{ExecutionStatus, LogEntry, Outcome};
use crate::store::ExecutionWrite;

/// Error recorded on an execution whose outcome was stored after its caller had been
/// answered 503; the execution's own error, if any, follows it.
pub const RECORDED_LATE: &str = "the store was unavailable when this execution ended, so \
    its caller was answered 503; this outcome was recorded once the store was back";

/// Own error of an execution cancelled because the store failed to record its start (its
/// `pending` row); held like an outcome, as that row may have been stored after all.
pub const START_NOT_RECORDED: &str = "cancelled: the store failed to record this execution's start";

/// Most outcomes held at once; past it a row is left `pending` for housekeeping.
pub const MAX_HELD: usize = 1024;
/// Most outcomes held at once counting those of rows that may not exist: one of these is
/// held only while fewer are held in all, which leaves the rest of [`MAX_HELD`] to rows
/// known to be `pending`.
pub const MAX_MAYBE_HELD: usize = MAX_HELD / 2;
/// How long an outcome is held at most; then its row is left `pending` for housekeeping.
pub const HOLD_FOR: Duration = Duration::from_secs(3600);
/// Wait before the first new try, doubled after each failure up to [`LAST_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// Longest wait between two tries.
const LAST_RETRY: Duration = Duration::from_secs(5);

/// Whether the row of a held outcome is known to be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    /// Stored, `pending`: its insert committed.
    Pending,
    /// Stored only if a write whose failure was reported committed after all.
    Maybe,
}

impl Stored {
    /// Most outcomes held in all for one of this kind to be held too.
    fn bound(self) -> usize {
        match self {
            Self::Pending => MAX_HELD,
            Self::Maybe => MAX_MAYBE_HELD,
        }
    }
}

/// Holds outcomes whose write failed and writes them once the store is back.
#[derive(Debug)]
pub(crate) struct LateFinishes {
    group: Arc<GroupCommit>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    held: Arc<AtomicUsize>,
}

impl LateFinishes {
    /// Writes through `group`. Each held outcome is a task that ends when it is written or
    /// `shutdown` is cancelled; a graceful shutdown waits for them ([`wait`](Self::wait)) as
    /// for executions in flight.
    pub(crate) fn new(group: Arc<GroupCommit>, shutdown: CancellationToken) -> Self {
        Self {
            group,
            shutdown,
            tracker: TaskTracker::new(),
            held: Arc::default(),
        }
    }

    /// Lets [`wait`](Self::wait) end once no outcome is held (outcomes held later are
    /// still written and waited for).
    pub(crate) fn close(&self) {
        self.tracker.close();
    }

    /// Waits, once [`close`](Self::close)d, until every held outcome is written or its
    /// task stopped at shutdown.
    pub(crate) async fn wait(&self) {
        self.tracker.wait().await;
    }

    /// Outcomes held now.
    pub(crate) fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    /// Holds the outcome of execution `id`, whose write failed with `error`, as an `error`
    /// recorded late, and writes it (with `logs`) once the store takes writes again, to
    /// its row if there is one (`stored`). Holds nothing when `error` is not a backend
    /// failure, the engine is shutting down, or the bound for `stored` is reached.
    pub(crate) fn hold(
        &self,
        id: &str,
        stored: Stored,
        outcome: Outcome,
        logs: Vec<LogEntry>,
        error: &Error,
    ) {
        if error.failed_backend().is_none() {
            return;
        }
        if self.shutdown.is_cancelled() {
            tracing::warn!(execution_id = id, error = %error, "shutting down: its row, if stored, stays pending until housekeeping fails it");
            return;
        }
        let Some(slot) = Slot::take(&self.held, stored.bound()) else {
            match stored {
                Stored::Pending => tracing::error!(
                    execution_id = id,
                    error = %error,
                    "too many outcomes awaiting the store: this execution stays pending until housekeeping fails it"
                ),
                Stored::Maybe => tracing::debug!(
                    execution_id = id,
                    error = %error,
                    "too many outcomes awaiting the store: its row, if stored, stays pending until housekeeping fails it"
                ),
            }
            return;
        };
        match stored {
            Stored::Pending => {
                tracing::warn!(execution_id = id, error = %error, "execution outcome held until the store is back");
            }
            Stored::Maybe => {
                tracing::debug!(execution_id = id, error = %error, "execution outcome held until the store is back, for its row if the failed write stored it");
            }
        }
        let write = ExecutionWrite::Finish {
            id: id.to_owned(),
            outcome: late(outcome),
            logs,
        };
        let (group, shutdown) = (self.group.clone(), self.shutdown.clone());
        let id = id.to_owned();
        self.tracker.spawn(async move {
            let _slot = slot;
            let until = tokio::time::Instant::now() + HOLD_FOR;
            let mut wait = FIRST_RETRY;
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => {
                        tracing::warn!(execution_id = %id, "shutting down: a held outcome's row, if stored, stays pending until housekeeping fails it");
                        return;
                    }
                    () = tokio::time::sleep(wait) => {}
                }
                // Once started, a write is not abandoned: it could still commit after the
                // engine has shut down.
                match write_unless_finished(&group, &write).await {
                    Ok(()) => {
                        tracing::info!(execution_id = %id, "held execution outcome recorded");
                        return;
                    }
                    Err(e) if tokio::time::Instant::now() >= until => {
                        tracing::error!(execution_id = %id, error = %e, "held outcome dropped: the store failed for too long; its row, if stored, stays pending until housekeeping fails it");
                        return;
                    }
                    Err(e) => {
                        tracing::debug!(execution_id = %id, error = %e, "the store still fails");
                        wait = (wait * 2).min(LAST_RETRY);
                    }
                }
            }
        });
    }
}

/// One of the [`MAX_HELD`] places, given back when dropped (however its task ends).
struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// A place, while fewer than `bound` are taken.
    fn take(held: &Arc<AtomicUsize>, bound: usize) -> Option<Self> {
        if held.fetch_add(1, Ordering::AcqRel) >= bound {
            held.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Self(held.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Writes the `Finish` `write`. A row no longer `pending` (an earlier write whose failure
/// was reported committed after all, or housekeeping failed it) is left as it is by the
/// store; a row deleted with its function is nothing to write.
async fn write_unless_finished(
    group: &Arc<GroupCommit>,
    write: &ExecutionWrite,
) -> crate::Result<()> {
    match group.submit(write.clone()).await {
        Ok(()) | Err(Error::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `outcome` as recorded late: an `error` (its caller never got its response), keeping its
/// duration, saved response and usage.
fn late(mut outcome: Outcome) -> Outcome {
    outcome.error_message = Some(match outcome.error_message.take() {
        Some(own) => format!("{RECORDED_LATE}. Its own error: {own}"),
        None => RECORDED_LATE.to_owned(),
    });
    outcome.status = ExecutionStatus::Error;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: ExecutionStatus, error: Option<&str>) -> Outcome {
        Outcome {
            status,
            duration_ms: 7,
            error_message: error.map(str::to_owned),
            response_json: Some("{}".into()),
            usage: None,
        }
    }

    #[test]
    fn at_most_max_held_places_each_given_back_when_dropped() {
        let held = Arc::new(AtomicUsize::new(0));
        let take = |stored: Stored| Slot::take(&held, stored.bound());
        let mut slots: Vec<Slot> = (0..MAX_MAYBE_HELD)
            .map(|_| take(Stored::Maybe).expect("a free place"))
            .collect();
        assert!(
            take(Stored::Maybe).is_none(),
            "rows that may not exist have taken their share"
        );
        slots.extend((MAX_MAYBE_HELD..MAX_HELD).map(|_| take(Stored::Pending).expect("kept")));
        assert!(take(Stored::Pending).is_none(), "all taken");
        assert_eq!(held.load(Ordering::Acquire), MAX_HELD);
        slots.pop();
        assert_eq!(held.load(Ordering::Acquire), MAX_HELD - 1);
        assert!(take(Stored::Maybe).is_none(), "still past the share");
        assert!(take(Stored::Pending).is_some(), "one given back");
        drop(slots);
        assert_eq!(held.load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_late_outcome_is_an_error_that_keeps_its_own() {
        let ok = late(outcome(ExecutionStatus::Success, None));
        assert_eq!(ok.status, ExecutionStatus::Error);
        assert_eq!(ok.error_message.as_deref(), Some(RECORDED_LATE));
        assert_eq!(
            (ok.duration_ms, ok.response_json.as_deref()),
            (7, Some("{}"))
        );

        let failed = late(outcome(ExecutionStatus::Error, Some("Error: boom")));
        assert_eq!(
            failed.error_message,
            Some(format!("{RECORDED_LATE}. Its own error: Error: boom"))
        );
    }
}
