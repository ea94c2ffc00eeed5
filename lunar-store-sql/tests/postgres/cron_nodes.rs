//! Three Lunar nodes — each with its own pool, engine and cron scheduler — share one
//! database over several simulated minutes: every scheduled fire runs exactly once.

use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use lunar_core::model::{CronStatus, FunctionUpdate, Isolation, NewFunction, PageRequest, Trigger};
use lunar_core::runtime::{FunctionResponse, RunJob};
use lunar_core::testkit::FnRuntime;
use lunar_core::{
    CronScheduler, Engine, EngineConfig, ExecutionStore, FunctionStore, ManualClock,
    SchedulerConfig, Stores, ids,
};

use crate::support::{TestSchema, url};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_schedulers_fire_each_minute_exactly_once() {
    let Some(url) = url() else {
        return;
    };
    let schema = TestSchema::create(&url).await;
    let start = Utc
        .with_ymd_and_hms(2026, 5, 4, 12, 0, 0)
        .single()
        .expect("time");
    let clock = Arc::new(ManualClock::new(start));
    let mut nodes = Vec::new();
    for n in 0..3 {
        let store = Arc::new(schema.node(4).await);
        let stores = Stores::from_backend(store.clone());
        let rt = FnRuntime::new(|_job: RunJob| async { Ok(FunctionResponse::text(200, "ok")) });
        let engine = Engine::builder(stores, rt)
            .clock(clock.clone())
            .config(EngineConfig::default())
            .build();
        nodes.push(CronScheduler::new(
            engine,
            SchedulerConfig::default().with_node(format!("node-{n}")),
        ));
    }
    let first = schema.store().await;
    let every_minute = ids::new_id();
    let every_two = ids::new_id();
    for (id, schedule) in [(&every_minute, "* * * * *"), (&every_two, "*/2 * * * *")] {
        first
            .create_function(NewFunction {
                id: id.clone(),
                name: "cron".into(),
                description: None,
                code: "function handler() {}".into(),
                isolation: Isolation::Warm,
                now: start.timestamp(),
            })
            .await
            .expect("create");
        first
            .update_function(
                id,
                FunctionUpdate {
                    cron_schedule: Some(schedule.into()),
                    cron_status: Some(CronStatus::Active),
                    now: start.timestamp(),
                    ..FunctionUpdate::default()
                },
            )
            .await
            .expect("schedule");
    }
    let minutes = 6;
    for m in 1..=minutes {
        let at = start + TimeDelta::minutes(m);
        clock.set(at);
        // All three nodes handle the same minute at once.
        let ticks = nodes.iter().map(|n| {
            let n = n.clone();
            tokio::spawn(async move {
                n.tick(at).await;
                n.wait_for_fires().await;
            })
        });
        for t in ticks.collect::<Vec<_>>() {
            t.await.expect("tick");
        }
    }
    let count = |id: String| {
        let first = first.clone();
        async move {
            first
                .list_executions(&id, PageRequest::new(100, 0))
                .await
                .expect("list")
                .items
                .iter()
                .filter(|e| e.trigger == Trigger::Cron)
                .count()
        }
    };
    assert_eq!(count(every_minute).await, 6, "one execution per minute");
    assert_eq!(count(every_two).await, 3, "one execution per even minute");
}
