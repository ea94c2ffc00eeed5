//! Hourly housekeeping: retention, stale `pending` rows, old claims.

use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::model::{PageRequest, Timestamp};

/// Claim name of the hourly run.
pub const HOUSEKEEPING_JOB: &str = "housekeeping";
/// Error recorded on executions a crashed process left `pending`.
pub const INTERRUPTED: &str = "execution interrupted: server stopped before it finished";
/// Executions deleted per retention batch.
pub const RETENTION_BATCH: u32 = 500;

/// What one housekeeping pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HousekeepingReport {
    /// Executions deleted by retention.
    pub executions_deleted: u64,
    /// Stale `pending` executions failed.
    pub stale_failed: u64,
    /// Old claims deleted.
    pub claims_deleted: u64,
}

/// Runs housekeeping at minute 0 of every hour, once across nodes. The host spawns
/// [`Housekeeper::run`].
#[derive(Debug, Clone)]
pub struct Housekeeper {
    engine: Engine,
    node: String,
}

impl Housekeeper {
    /// A housekeeper over the engine's stores and clock.
    #[must_use]
    pub fn new(engine: Engine, node: impl Into<String>) -> Self {
        Self {
            engine,
            node: node.into(),
        }
    }

    /// Cutoff age for stale `pending` rows: the largest timeout ceiling plus 60 s.
    #[must_use]
    pub fn stale_after(&self) -> Duration {
        Duration::from_secs(self.engine.config().ceilings.timeout_seconds + 60)
    }

    /// Fails executions left `pending` for longer than [`Self::stale_after`] (also run once
    /// at startup).
    pub async fn fail_stale_pending(&self) -> crate::Result<u64> {
        let secs = i64::try_from(self.stale_after().as_secs()).unwrap_or(i64::MAX);
        let older_than = self.engine.clock().unix().saturating_sub(secs);
        self.engine
            .stores()
            .executions
            .fail_stale_pending(older_than, INTERRUPTED)
            .await
    }

    /// Fails every execution left `pending`, whatever its age: for a store only this
    /// process uses (SQLite, sled), where at startup any pending row belongs to a process
    /// that died. A store shared by several nodes must use
    /// [`fail_stale_pending`](Self::fail_stale_pending), as other nodes may be running
    /// their executions.
    pub async fn fail_all_pending(&self) -> crate::Result<u64> {
        self.engine
            .stores()
            .executions
            .fail_stale_pending(Timestamp::MAX, INTERRUPTED)
            .await
    }

    /// One full pass (retention for every function, stale rows, old claims), without
    /// claiming. Errors are logged and the pass goes on.
    pub async fn run_once(&self) -> HousekeepingReport {
        let mut report = HousekeepingReport::default();
        let stores = self.engine.stores();
        let now = self.engine.clock().unix();
        let mut offset = 0;
        loop {
            let page = match stores
                .functions
                .list_functions(PageRequest::new(PageRequest::MAX_LIMIT, offset))
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "housekeeping: listing functions failed");
                    break;
                }
            };
            if page.items.is_empty() {
                break;
            }
            offset += page.items.len() as u64;
            for f in &page.items {
                let cutoff = now - f.function.effective_retention_days() * 86_400;
                loop {
                    match stores
                        .delete_executions_before(&f.function.id, cutoff, RETENTION_BATCH)
                        .await
                    {
                        Ok(n) => {
                            report.executions_deleted += n as u64;
                            if n < RETENTION_BATCH as usize {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::error!(function_id = %f.function.id, error = %e, "housekeeping: retention failed");
                            break;
                        }
                    }
                }
            }
        }
        match self.fail_stale_pending().await {
            Ok(n) => report.stale_failed = n,
            Err(e) => tracing::error!(error = %e, "housekeeping: failing stale executions failed"),
        }
        match stores.claims.delete_claims_before(now - 86_400).await {
            Ok(n) => report.claims_deleted = n,
            Err(e) => tracing::error!(error = %e, "housekeeping: deleting old claims failed"),
        }
        tracing::info!(?report, "housekeeping done");
        report
    }

    /// Claims the hour `at` and runs a pass when this node wins; `None` when another node
    /// has it.
    pub async fn run_hour(&self, at: DateTime<Utc>) -> Option<HousekeepingReport> {
        let now = self.engine.clock().unix();
        match self
            .engine
            .stores()
            .claims
            .claim(HOUSEKEEPING_JOB, at.timestamp(), &self.node, now)
            .await
        {
            Ok(true) => Some(self.run_once().await),
            Ok(false) => None,
            Err(e) => {
                tracing::error!(error = %e, "housekeeping claim failed");
                None
            }
        }
    }

    /// Runs at minute 0 of every hour (not at startup) until `shutdown` fires.
    pub async fn run(&self, shutdown: CancellationToken) {
        let clock = self.engine.clock().clone();
        loop {
            let now = clock.now();
            let next = now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now) + TimeDelta::hours(1);
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = clock.sleep_until(next) => {}
            }
            self.run_hour(next).await;
        }
    }
}
