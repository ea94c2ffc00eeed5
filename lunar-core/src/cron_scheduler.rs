//! The [`CronScheduler`]: cron jobs fired through the engine, claimed once across nodes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::Result;
use crate::cron::CronSchedule;
use crate::engine::{Engine, ExecuteRequest};
use crate::model::{CronStatus, Function, NextRun};
use crate::runtime::Event;
use crate::scheduler::Scheduler;
use async_trait::async_trait;

/// Fires detected later than this after their scheduled time are skipped.
pub const MAX_FIRE_DELAY: TimeDelta = TimeDelta::seconds(60);

/// Settings of the [`CronScheduler`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SchedulerConfig {
    /// This node's name in schedule claims.
    pub node: String,
    /// Default zone of schedules without a `CRON_TZ=` prefix.
    pub timezone: chrono_tz::Tz,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            node: crate::ids::new_id(),
            timezone: chrono_tz::UTC,
        }
    }
}

impl SchedulerConfig {
    /// Sets the node name.
    #[must_use]
    pub fn with_node(mut self, node: impl Into<String>) -> Self {
        self.node = node.into();
        self
    }

    /// Sets the default zone.
    #[must_use]
    pub fn with_timezone(mut self, tz: chrono_tz::Tz) -> Self {
        self.timezone = tz;
        self
    }
}

#[derive(Debug, Clone)]
struct Job {
    expr: String,
    schedule: CronSchedule,
}

/// The cron scheduler: one job per active schedule, fires claimed across
/// nodes through [`ClaimStore::claim`](crate::ClaimStore::claim) and run through the
/// [`Engine`] with trigger `cron`. The host spawns [`CronScheduler::run`].
#[derive(Debug, Clone)]
pub struct CronScheduler {
    inner: Arc<SchedInner>,
}

#[derive(Debug)]
struct SchedInner {
    engine: Engine,
    config: SchedulerConfig,
    jobs: Mutex<HashMap<String, Job>>,
    fires: TaskTracker,
}

impl CronScheduler {
    /// A scheduler firing through `engine` (whose clock it uses).
    #[must_use]
    pub fn new(engine: Engine, config: SchedulerConfig) -> Self {
        Self {
            inner: Arc::new(SchedInner {
                engine,
                config,
                jobs: Mutex::new(HashMap::new()),
                fires: TaskTracker::new(),
            }),
        }
    }

    /// Ids of the functions with a job, sorted.
    #[must_use]
    pub fn job_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.jobs().keys().cloned().collect();
        ids.sort();
        ids
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.inner
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn job_for(&self, f: &Function) -> Option<Job> {
        if !f.has_active_cron() {
            return None;
        }
        let expr = f.cron_schedule.clone().unwrap_or_default();
        match CronSchedule::parse_in(&expr, self.inner.config.timezone) {
            Ok(schedule) => Some(Job { expr, schedule }),
            Err(e) => {
                tracing::warn!(function_id = %f.id, schedule = %expr, error = %e, "skipping unparsable cron schedule");
                None
            }
        }
    }

    /// Replaces the job list with the store's active schedules.
    pub async fn reload(&self) -> crate::Result<()> {
        let functions = self
            .inner
            .engine
            .stores()
            .functions
            .functions_with_active_cron()
            .await?;
        let jobs: HashMap<String, Job> = functions
            .iter()
            .filter_map(|f| self.job_for(f).map(|j| (f.id.clone(), j)))
            .collect();
        *self.jobs() = jobs;
        Ok(())
    }

    /// Runs until `shutdown` fires: loads the schedules, then at each minute reloads them
    /// and fires the due jobs. On shutdown it waits for the fires it started.
    pub async fn run(&self, shutdown: CancellationToken) {
        if let Err(e) = self.reload().await {
            tracing::error!(error = %e, "failed to load cron schedules");
        }
        let clock = self.inner.engine.clock().clone();
        let mut tick = next_minute(clock.now());
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = clock.sleep_until(tick) => {}
            }
            self.tick(tick).await;
            tick = next_minute(clock.now().max(tick));
        }
        self.inner.fires.close();
        self.inner.fires.wait().await;
    }

    /// Handles the minute `at`: reloads the schedules and fires every job due at `at`.
    /// Exposed so hosts and tests can drive the scheduler step by step.
    pub async fn tick(&self, at: DateTime<Utc>) {
        let now = self.inner.engine.clock().now();
        if now - at > MAX_FIRE_DELAY {
            tracing::warn!(scheduled = %at, "skipping cron tick detected too late");
            return;
        }
        if let Err(e) = self.reload().await {
            tracing::error!(error = %e, "failed to reload cron schedules");
        }
        let due: Vec<(String, Job)> = self
            .jobs()
            .iter()
            .filter(|(_, j)| j.schedule.next_after(at - TimeDelta::seconds(1)) == Some(at))
            .map(|(id, j)| (id.clone(), j.clone()))
            .collect();
        for (fid, job) in due {
            self.fire(fid, job, at).await;
        }
    }

    async fn fire(&self, function_id: String, job: Job, at: DateTime<Utc>) {
        let engine = &self.inner.engine;
        let now = engine.clock().unix();
        let won = match engine
            .stores()
            .claims
            .claim(&function_id, at.timestamp(), &self.inner.config.node, now)
            .await
        {
            Ok(won) => won,
            Err(e) => {
                tracing::error!(function_id, error = %e, "cron claim failed");
                return;
            }
        };
        if !won {
            return;
        }
        // Re-read: fire only if still active, enabled, with the same schedule.
        let f = match engine.stores().functions.get_function(&function_id).await {
            Ok(f) => f,
            Err(e) => {
                tracing::info!(function_id, error = %e, "cron function gone before its fire");
                return;
            }
        };
        if !f.has_active_cron() || f.cron_schedule.as_deref() != Some(job.expr.as_str()) {
            return;
        }
        let event = cron_event(engine, &f, &job.expr, at);
        let engine = engine.clone();
        self.inner.fires.spawn(async move {
            match engine.execute(ExecuteRequest::cron(&f.id, event)).await {
                Ok(r) => tracing::info!(
                    function_id = %f.id,
                    execution_id = %r.execution_id,
                    status = r.status.as_str(),
                    duration_ms = r.duration_ms,
                    "cron fire finished"
                ),
                Err(e) => tracing::warn!(function_id = %f.id, error = %e, "cron fire failed"),
            }
        });
    }

    /// Waits until the fires started so far have finished (for tests and shutdown).
    pub async fn wait_for_fires(&self) {
        // A tracker reopened after waiting keeps accepting new fires.
        self.inner.fires.close();
        self.inner.fires.wait().await;
        self.inner.fires.reopen();
    }
}

/// The event a cron execution receives.
fn cron_event(engine: &Engine, f: &Function, expr: &str, at: DateTime<Utc>) -> Event {
    let base_path = engine
        .config()
        .base_url
        .as_deref()
        .map(base_path_of)
        .unwrap_or_default();
    let mut headers = BTreeMap::new();
    headers.insert("X-Trigger".to_owned(), "cron".to_owned());
    headers.insert("X-Cron-Schedule".to_owned(), expr.to_owned());
    headers.insert("X-Cron-Function-Id".to_owned(), f.id.clone());
    headers.insert("X-Cron-Function-Name".to_owned(), f.name.clone());
    headers.insert(
        "X-Cron-Scheduled-Time".to_owned(),
        at.timestamp().to_string(),
    );
    headers.insert("Content-Type".to_owned(), "application/json".to_owned());
    Event {
        method: "POST".to_owned(),
        path: format!("{base_path}/fn/{}", f.id),
        relative_path: "/".to_owned(),
        headers,
        body: String::new(),
        query: BTreeMap::new(),
    }
}

/// The path part of a base URL without a trailing `/` (`https://h/lunar/` → `/lunar`).
#[must_use]
pub fn base_path_of(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.trim_end_matches('/').to_owned()
}

/// The next-run answer for a stored function: no schedule, paused (status
/// not `active`, or disabled), or the next fire strictly after `now` with its human text.
/// An unparsable stored schedule is an error.
pub(crate) fn next_run_info(
    f: &Function,
    now: DateTime<Utc>,
    default_zone: chrono_tz::Tz,
) -> std::result::Result<NextRun, crate::cron::CronError> {
    let schedule = match f.cron_schedule.as_deref() {
        None | Some("") => return Ok(NextRun::default()),
        Some(s) => s,
    };
    let mut info = NextRun {
        has_schedule: true,
        cron_schedule: Some(schedule.to_owned()),
        cron_status: f.cron_status,
        ..NextRun::default()
    };
    if f.cron_status != Some(CronStatus::Active) || f.disabled {
        info.is_paused = true;
        return Ok(info);
    }
    if let Some(next) = crate::cron::next_run(schedule, now, default_zone)? {
        info.next_run = Some(next.timestamp());
        info.next_run_human = Some(crate::cron::human_until(next.timestamp(), now.timestamp()));
    }
    Ok(info)
}

fn next_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::minutes(1)).unwrap_or(t) + TimeDelta::minutes(1)
}

#[async_trait]
impl Scheduler for CronScheduler {
    async fn refresh(&self, function_id: &str) -> Result<()> {
        let f = match self
            .inner
            .engine
            .stores()
            .functions
            .get_function(function_id)
            .await
        {
            Ok(f) => Some(f),
            Err(crate::Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let job = f.as_ref().and_then(|f| self.job_for(f));
        let mut jobs = self.jobs();
        match job {
            Some(j) => {
                jobs.insert(function_id.to_owned(), j);
            }
            None => {
                jobs.remove(function_id);
            }
        }
        Ok(())
    }

    async fn remove(&self, function_id: &str) -> Result<()> {
        self.jobs().remove(function_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path() {
        assert_eq!(base_path_of("https://example.com/lunar/"), "/lunar");
        assert_eq!(base_path_of("https://example.com/lunar"), "/lunar");
        assert_eq!(base_path_of("http://localhost:3000"), "");
        assert_eq!(base_path_of("http://localhost:3000/"), "");
    }

    #[test]
    fn minutes() {
        let t = DateTime::from_timestamp(1_700_000_030, 0).expect("ts");
        assert_eq!(next_minute(t).timestamp(), 1_700_000_040);
    }
}
