//! Outcomes that could not be stored when their execution ended. The execution's row is
//! already stored, `pending`, and its caller was answered 503; rather than leave the row
//! `pending` until housekeeping fails it (up to an hour later), the engine keeps the
//! outcome and its logs and writes them, marked as recorded late, once the store takes
//! writes again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::Error;
use crate::group_commit::GroupCommit;
use crate::model::{ExecutionStatus, LogEntry, Outcome};
use crate::store::{ExecutionStore, ExecutionWrite};

/// Error recorded on an execution whose outcome was stored after its caller had been
/// answered 503; the execution's own error, if any, follows it.
pub const RECORDED_LATE: &str = "the store was unavailable when this execution ended, so \
    its caller was answered 503; this outcome was recorded once the store was back";

/// Most outcomes held at once; past it a row is left `pending` for housekeeping.
pub(crate) const MAX_HELD: usize = 1024;
/// Wait before the first new try, doubled after each failure up to [`LAST_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// Longest wait between two tries.
const LAST_RETRY: Duration = Duration::from_secs(5);

/// Holds outcomes whose write failed and writes them once the store is back.
#[derive(Debug)]
pub(crate) struct LateFinishes {
    group: Arc<GroupCommit>,
    executions: Arc<dyn ExecutionStore>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    held: Arc<AtomicUsize>,
}

impl LateFinishes {
    /// Writes through `group` and checks rows in `executions`. Each held outcome is a task
    /// that ends when it is written or `shutdown` is cancelled; a graceful shutdown waits
    /// for them ([`wait`](Self::wait)) as for executions in flight.
    pub(crate) fn new(
        group: Arc<GroupCommit>,
        executions: Arc<dyn ExecutionStore>,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            group,
            executions,
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
    /// recorded late, and writes it (with `logs`) once the store takes writes again.
    /// Returns `false`, holding nothing, when [`MAX_HELD`] are held already.
    pub(crate) fn hold(
        &self,
        id: &str,
        outcome: Outcome,
        logs: Vec<LogEntry>,
        error: &Error,
    ) -> bool {
        if self.held.fetch_add(1, Ordering::AcqRel) >= MAX_HELD {
            self.held.fetch_sub(1, Ordering::AcqRel);
            tracing::error!(
                execution_id = id,
                error = %error,
                "too many outcomes awaiting the store: this execution stays pending until housekeeping fails it"
            );
            return false;
        }
        tracing::warn!(execution_id = id, error = %error, "execution outcome held until the store is back");
        let write = ExecutionWrite::Finish {
            id: id.to_owned(),
            outcome: late(outcome),
            logs,
        };
        let (group, executions) = (self.group.clone(), self.executions.clone());
        let (shutdown, held) = (self.shutdown.clone(), self.held.clone());
        let id = id.to_owned();
        self.tracker.spawn(async move {
            let mut wait = FIRST_RETRY;
            loop {
                let written = tokio::select! {
                    () = shutdown.cancelled() => break,
                    r = write_when_pending(&group, executions.as_ref(), &id, &write, wait) => r,
                };
                match written {
                    Ok(()) => {
                        tracing::info!(execution_id = %id, "held execution outcome recorded");
                        break;
                    }
                    Err(e) => {
                        tracing::debug!(execution_id = %id, error = %e, "the store still fails");
                        wait = (wait * 2).min(LAST_RETRY);
                    }
                }
            }
            held.fetch_sub(1, Ordering::AcqRel);
        });
        true
    }
}

/// After `wait`, writes `write` if execution `id` is still `pending` (an earlier write
/// whose failure was reported may have landed after all: it is not written twice).
async fn write_when_pending(
    group: &Arc<GroupCommit>,
    executions: &dyn ExecutionStore,
    id: &str,
    write: &ExecutionWrite,
    wait: Duration,
) -> crate::Result<()> {
    tokio::time::sleep(wait).await;
    match executions.get_execution(id).await {
        Ok(e) if e.status == ExecutionStatus::Pending => group.submit(write.clone()).await,
        // Finished meanwhile, or deleted with its function: nothing to write.
        Ok(_) | Err(Error::NotFound(_)) => Ok(()),
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
