//! Cron scheduler and housekeeping checks on a manual clock.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tokio_util::sync::CancellationToken;

use super::engine::FnRuntime;
use super::update;
use crate::clock::ManualClock;
use crate::cron_scheduler::{CronScheduler, SchedulerConfig, next_run_info};
use crate::housekeeping::{Housekeeper, INTERRUPTED};
use crate::ids;
use crate::model::{
    CronStatus, ExecutionStatus, FunctionUpdate, Isolation, LogEntry, LogLevel, NewExecution,
    NewFunction, PageRequest, Trigger,
};
use crate::runtime::{Event, FunctionResponse, RunJob};
use crate::{Engine, EngineConfig, Scheduler, Stores};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
        .single()
        .expect("time")
}

struct Rig {
    stores: Stores,
    clock: Arc<ManualClock>,
    engine: Engine,
    events: Arc<Mutex<Vec<Event>>>,
}

fn rig(s: Stores) -> Rig {
    let clock = Arc::new(ManualClock::new(start()));
    let events: Arc<Mutex<Vec<Event>>> = Arc::default();
    let seen = events.clone();
    let rt = FnRuntime::new(move |job: RunJob| {
        seen.lock().expect("lock").push(job.event.clone());
        async { Ok(FunctionResponse::text(200, "ok")) }
    });
    let engine = Engine::builder(s, rt)
        .clock(clock.clone())
        .config(EngineConfig::default().with_base_url("https://example.com/lunar/"))
        .build();
    Rig {
        // Writes go through the engine's stores, as the HTTP API's do.
        stores: engine.stores().clone(),
        clock,
        engine,
        events,
    }
}

async fn cron_function(s: &Stores, name: &str, schedule: &str) -> String {
    let id = ids::new_id();
    s.functions
        .create_function(NewFunction {
            id: id.clone(),
            name: name.into(),
            description: None,
            code: "function handler(){}".into(),
            isolation: Isolation::Warm,
            now: start().timestamp(),
        })
        .await
        .expect("create");
    update(
        s,
        &id,
        schedule_update(Some(schedule), Some(CronStatus::Active), None),
    )
    .await;
    id
}

fn schedule_update(
    schedule: Option<&str>,
    status: Option<CronStatus>,
    disabled: Option<bool>,
) -> FunctionUpdate {
    FunctionUpdate {
        cron_schedule: schedule.map(str::to_owned),
        cron_status: status,
        disabled,
        now: start().timestamp(),
        ..FunctionUpdate::default()
    }
}

async fn cron_runs(s: &Stores, id: &str) -> usize {
    s.executions
        .list_executions(id, PageRequest::new(100, 0))
        .await
        .expect("list")
        .items
        .iter()
        .filter(|e| e.trigger == Trigger::Cron)
        .count()
}

/// Moves the clock to `start + minutes` and handles that minute.
async fn minute(r: &Rig, sched: &CronScheduler, minutes: i64) {
    let at = start() + TimeDelta::minutes(minutes);
    r.clock.set(at);
    sched.tick(at).await;
    sched.wait_for_fires().await;
}

/// `* * * * *` fires once per minute with the cron event; pausing stops it.
pub async fn cron_fires_every_minute_until_paused(s: Stores) {
    let r = rig(s);
    let id = cron_function(&r.stores, "ticker", "* * * * *").await;
    let sched = CronScheduler::new(r.engine.clone(), SchedulerConfig::default());
    sched.reload().await.expect("load");
    assert_eq!(sched.job_ids(), vec![id.clone()]);
    for m in 1..=3 {
        minute(&r, &sched, m).await;
    }
    assert_eq!(cron_runs(&r.stores, &id).await, 3);
    // The same minute handled again (another node, a repeated tick) does not fire twice.
    sched.tick(start() + TimeDelta::minutes(3)).await;
    sched.wait_for_fires().await;
    assert_eq!(cron_runs(&r.stores, &id).await, 3);

    let ev = r.events.lock().expect("lock")[0].clone();
    assert_eq!(ev.method, "POST");
    assert_eq!(ev.path, format!("/lunar/fn/{id}"));
    assert_eq!(ev.relative_path, "/");
    assert_eq!(ev.body, "");
    assert!(ev.query.is_empty());
    assert_eq!(ev.headers["X-Trigger"], "cron");
    assert_eq!(ev.headers["X-Cron-Schedule"], "* * * * *");
    assert_eq!(ev.headers["X-Cron-Function-Id"], id);
    assert_eq!(ev.headers["X-Cron-Function-Name"], "ticker");
    assert_eq!(
        ev.headers["X-Cron-Scheduled-Time"],
        (start() + TimeDelta::minutes(1)).timestamp().to_string()
    );
    assert_eq!(ev.headers["Content-Type"], "application/json");

    update(
        &r.stores,
        &id,
        schedule_update(None, Some(CronStatus::Paused), None),
    )
    .await;
    sched.refresh(&id).await.expect("refresh");
    assert!(sched.job_ids().is_empty());
    minute(&r, &sched, 4).await;
    assert_eq!(cron_runs(&r.stores, &id).await, 3);
}

/// Clearing the schedule, disabling and deleting all stop the job.
pub async fn cron_stops_on_clear_disable_delete(s: Stores) {
    let r = rig(s);
    let cleared = cron_function(&r.stores, "cleared", "* * * * *").await;
    let disabled = cron_function(&r.stores, "disabled", "* * * * *").await;
    let deleted = cron_function(&r.stores, "deleted", "* * * * *").await;
    let sched = CronScheduler::new(r.engine.clone(), SchedulerConfig::default());
    sched.reload().await.expect("load");
    minute(&r, &sched, 1).await;
    for id in [&cleared, &disabled, &deleted] {
        assert_eq!(cron_runs(&r.stores, id).await, 1);
    }
    update(&r.stores, &cleared, schedule_update(Some(""), None, None)).await;
    sched.refresh(&cleared).await.expect("refresh");
    update(
        &r.stores,
        &disabled,
        schedule_update(None, None, Some(true)),
    )
    .await;
    sched.refresh(&disabled).await.expect("refresh");
    let removed_runs = cron_runs(&r.stores, &deleted).await;
    r.stores.delete_function(&deleted).await.expect("delete");
    sched.remove(&deleted).await.expect("remove");
    assert!(sched.job_ids().is_empty());
    minute(&r, &sched, 2).await;
    minute(&r, &sched, 3).await;
    assert_eq!(cron_runs(&r.stores, &cleared).await, 1);
    assert_eq!(cron_runs(&r.stores, &disabled).await, 1);
    assert_eq!(removed_runs, 1);
    assert_eq!(
        cron_runs(&r.stores, &deleted).await,
        0,
        "rows went with the function"
    );
}

/// A schedule change takes the new expression at once; next-run follows it.
pub async fn cron_schedule_change_and_next_run(s: Stores) {
    let r = rig(s);
    let id = cron_function(&r.stores, "changing", "*/5 * * * *").await;
    let sched = CronScheduler::new(r.engine.clone(), SchedulerConfig::default());
    sched.reload().await.expect("load");
    for m in 1..=5 {
        minute(&r, &sched, m).await;
    }
    assert_eq!(cron_runs(&r.stores, &id).await, 1, "fires at :05 only");

    let f = r.stores.functions.get_function(&id).await.expect("get");
    let now = start() + TimeDelta::minutes(5);
    let info = next_run_info(&f, now, chrono_tz::UTC).expect("next run");
    assert!(info.has_schedule);
    assert_eq!(
        info.next_run,
        Some((start() + TimeDelta::minutes(10)).timestamp())
    );
    assert_eq!(info.next_run_human.as_deref(), Some("in 5 minutes"));
    assert!(!info.is_paused);

    update(
        &r.stores,
        &id,
        schedule_update(Some("0 * * * *"), None, None),
    )
    .await;
    sched.refresh(&id).await.expect("refresh");
    for m in 6..=10 {
        minute(&r, &sched, m).await;
    }
    assert_eq!(cron_runs(&r.stores, &id).await, 1, ":10 no longer fires");
    let f = r.stores.functions.get_function(&id).await.expect("get");
    let info = next_run_info(&f, now, chrono_tz::UTC).expect("next run");
    assert_eq!(
        info.next_run,
        Some((start() + TimeDelta::hours(1)).timestamp())
    );
    assert_eq!(info.next_run_human.as_deref(), Some("in 55 minutes"));

    update(
        &r.stores,
        &id,
        schedule_update(None, Some(CronStatus::Paused), None),
    )
    .await;
    let f = r.stores.functions.get_function(&id).await.expect("get");
    let info = next_run_info(&f, now, chrono_tz::UTC).expect("paused");
    assert!(info.is_paused);
    assert_eq!(info.next_run, None);
    assert_eq!(info.cron_status, Some(CronStatus::Paused));
}

/// Several scheduler instances on one store fire each minute exactly once, driven by the
/// `run` loop on a manual clock.
pub async fn cron_exactly_once_across_schedulers(s: Stores) {
    let r = rig(s);
    let id = cron_function(&r.stores, "shared", "* * * * *").await;
    let nodes: Vec<CronScheduler> = (0..3)
        .map(|n| {
            CronScheduler::new(
                r.engine.clone(),
                SchedulerConfig::default().with_node(format!("node-{n}")),
            )
        })
        .collect();
    let shutdown = CancellationToken::new();
    let mut handles = Vec::new();
    for n in &nodes {
        let n = n.clone();
        let stop = shutdown.clone();
        handles.push(tokio::spawn(async move { n.run(stop).await }));
    }
    // Let every loop load its schedules and start waiting.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    for m in 1..=4 {
        r.clock.set(start() + TimeDelta::minutes(m));
        let want = usize::try_from(m).expect("small");
        for _ in 0..200 {
            if cron_runs(&r.stores, &id).await >= want {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // Give late claimants a moment to (wrongly) fire too.
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        assert_eq!(cron_runs(&r.stores, &id).await, want, "minute {m}");
    }
    shutdown.cancel();
    for h in handles {
        h.await.expect("scheduler stopped");
    }
    for n in &nodes {
        n.wait_for_fires().await;
    }
    let list = r
        .stores
        .executions
        .list_executions(&id, PageRequest::new(100, 0))
        .await
        .expect("list");
    assert!(
        list.items
            .iter()
            .all(|e| e.status == ExecutionStatus::Success)
    );
}

/// Housekeeping deletes each function's executions past its own retention, with their
/// rows, fails stale `pending` rows, and runs once per hour across nodes.
pub async fn housekeeping_retention_per_function(s: Stores) {
    let r = rig(s);
    let now = start().timestamp();
    let day = 86_400;
    let week_fn = cron_function(&r.stores, "week", "").await;
    let month_fn = cron_function(&r.stores, "month", "").await;
    update(
        &r.stores,
        &month_fn,
        FunctionUpdate {
            retention_days: Some(30),
            now,
            ..FunctionUpdate::default()
        },
    )
    .await;
    let insert = |fid: String, age_days: i64, pending: bool| {
        let stores = r.stores.clone();
        async move {
            let id = ids::new_id();
            let at = now - age_days * day;
            stores
                .executions
                .insert_execution(NewExecution {
                    id: id.clone(),
                    function_id: fid.clone(),
                    function_version_id: ids::version_id(&fid, 1),
                    event_json: None,
                    trigger: Trigger::Http,
                    created_at: at,
                })
                .await
                .expect("insert");
            if !pending {
                stores
                    .executions
                    .finish_execution(&id, super::succeeded())
                    .await
                    .expect("finish");
            }
            stores
                .logs
                .append(
                    &id,
                    &[LogEntry {
                        level: LogLevel::Info,
                        message: "m".into(),
                        created_at: at,
                    }],
                )
                .await
                .expect("log");
            id
        }
    };
    let week_old = insert(week_fn.clone(), 8, false).await;
    let week_new = insert(week_fn.clone(), 6, false).await;
    let month_ten_days = insert(month_fn.clone(), 10, false).await;
    let month_old = insert(month_fn.clone(), 31, false).await;
    let stale = insert(week_fn.clone(), 1, true).await;

    let keeper = Housekeeper::new(r.engine.clone(), "node-a");
    let other = Housekeeper::new(r.engine.clone(), "node-b");
    let hour = start() + TimeDelta::hours(1);
    r.clock.set(hour);
    let report = keeper.run_hour(hour).await.expect("node-a wins the hour");
    assert!(other.run_hour(hour).await.is_none(), "the hour runs once");
    assert_eq!(report.executions_deleted, 2);
    assert_eq!(report.stale_failed, 1);

    let gone = |id: String| {
        let stores = r.stores.clone();
        async move { stores.executions.get_execution(&id).await.is_err() }
    };
    assert!(gone(week_old.clone()).await);
    assert!(gone(month_old.clone()).await);
    assert!(!gone(week_new).await);
    assert!(
        !gone(month_ten_days).await,
        "30-day function keeps 10-day-old runs"
    );
    for id in [&week_old, &month_old] {
        let logs = r
            .stores
            .logs
            .list(id, PageRequest::default())
            .await
            .expect("logs");
        assert_eq!(logs.total, 0);
    }
    let e = r
        .stores
        .executions
        .get_execution(&stale)
        .await
        .expect("stale");
    assert_eq!(e.status, ExecutionStatus::Error);
    assert_eq!(e.error_message.as_deref(), Some(INTERRUPTED));
}
