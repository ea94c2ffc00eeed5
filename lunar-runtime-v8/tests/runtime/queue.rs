//! The runtime's queue delay: CPU-bound executions queued on a worker raise it, an engine
//! with a `max_queue_delay` refuses new executions meanwhile, and it falls to zero once
//! the queue drains.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lunar_core::runtime::{Event, Runtime};
use lunar_core::{Engine, EngineConfig, EngineError, ExecuteRequest};
use lunar_runtime_v8::{V8Options, V8Runtime};

use crate::harness::{Outcome, RunOpts, run_on, stores};
use crate::warm::futures_join;

/// Spins for 3 ms of wall time, then answers.
const BUSY: &str = "function handler() {
    const end = Date.now() + 3;
    while (Date.now() < end) {}
    return { body: 'done' };
}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standing_queue_is_measured_refused_and_drains_to_zero() {
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).expect("runtime"));
    assert_eq!(rt.queue_delay(), Some(Duration::ZERO), "idle");
    let opts = || RunOpts {
        version_id: Some("busy".into()),
        ..RunOpts::default()
    };
    let first = run_on(&rt, BUSY, opts()).await;
    assert!(first.result.is_ok(), "{:?}", first.result);
    let fid = first.execution.function_id.clone();
    // An engine straight over the runtime, refusing past a 5 ms standing queue (the
    // runs below go through the harness, whose engine does not see the queue).
    let engine = Engine::new(
        stores().await,
        rt.clone(),
        EngineConfig::default().with_max_queue_delay(Duration::from_millis(5)),
    );
    let call = || engine.execute(ExecuteRequest::http(&fid, Event::default()));

    // 80 of them at once on one worker: the last waits about 240 ms.
    let runs = futures_join((0..80).map(|_| run_on(&rt, BUSY, opts())).collect());
    let watch = async {
        let start = Instant::now();
        let mut most = Duration::ZERO;
        while start.elapsed() < Duration::from_secs(20) {
            let d = rt.queue_delay().expect("measured");
            most = most.max(d);
            if d > Duration::from_millis(10) {
                return (most, Some(call().await));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        (most, None)
    };
    let (outs, (most, refused)): (Vec<Outcome>, _) = tokio::join!(runs, watch);
    assert!(
        outs.iter().all(|o| o.result.is_ok()),
        "every queued run ran"
    );
    assert!(
        most > Duration::from_millis(10),
        "a standing queue: {most:?}"
    );
    assert!(
        matches!(refused, Some(Err(EngineError::Overloaded))),
        "refused while it stood: {refused:?}"
    );
    assert_eq!(rt.queue_delay(), Some(Duration::ZERO), "drained");
    assert!(
        engine
            .prometheus_text()
            .contains("lunar_runtime_queue_delay_seconds 0\n"),
        "the gauge reads zero"
    );
    let report = call().await.expect("admitted once the queue drained");
    assert_eq!(report.response.map(|r| r.status_code), Some(200));
}
