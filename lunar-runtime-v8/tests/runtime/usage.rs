//! Resource accounting per execution (CPU time in V8, peak heap, bytes, calls) as stored
//! with the execution, and the CPU-time limit: it ends code that computes, never code that
//! only waits. The I/O-heavy case, with real outbound requests, is in `net.rs`.

use std::time::Duration;

use lunar_core::model::ExecutionStatus;
use lunar_core::runtime::{Limits, RunErrorKind};
use lunar_core::usage::Usage;

use crate::harness::{Outcome, RunOpts, run};

fn usage(out: &Outcome) -> Usage {
    out.execution
        .usage
        .expect("a finished execution has its usage")
}

fn with_cpu_limit(ms: u64) -> RunOpts {
    RunOpts {
        limits: Limits::default()
            .with_timeout(Duration::from_secs(10))
            .with_cpu_time(Some(Duration::from_millis(ms))),
        ..RunOpts::default()
    }
}

#[tokio::test]
async fn a_cpu_heavy_execution_is_charged_its_cpu_time_and_heap() {
    // 250 ms of computing that keeps ~200k objects alive.
    let code = r#"function handler() {
        const t0 = Date.now(); const keep = []; let x = 0;
        while (Date.now() - t0 < 250) {
            x += Math.sqrt(x + 1);
            if (keep.length < 200000) keep.push({ x, s: "v" + keep.length });
        }
        return { body: String(keep.length) };
    }"#;
    let out = run(code, RunOpts::default()).await;
    assert!(out.result.is_ok(), "{:?}", out.result);
    let u = usage(&out);
    let wall_us = u64::try_from(out.execution.duration_ms.expect("duration")).unwrap() * 1000;
    eprintln!("cpu-heavy: {u:?}, wall {wall_us} µs");
    // On a loaded 2-core machine the thread gets a share of the 250 ms, never more than
    // the wall-clock time.
    assert!(u.cpu_time_us >= 40_000, "cpu {} µs", u.cpu_time_us);
    assert!(
        u.cpu_time_us <= wall_us + 5_000,
        "cpu {} µs > wall",
        u.cpu_time_us
    );
    assert!(
        u.peak_heap_bytes >= 8 * 1024 * 1024,
        "200k live objects, heap {}",
        u.peak_heap_bytes
    );
    assert_eq!(u.calls, Default::default(), "no outbound calls");
    assert_eq!((u.request_bytes, u.response_bytes), (0, 6));
}

#[tokio::test]
async fn the_cpu_limit_ends_a_busy_loop() {
    let out = run("function handler() { while (true) {} }", with_cpu_limit(50)).await;
    let e = out.result.as_ref().expect_err("stopped");
    assert_eq!(e.kind, RunErrorKind::CpuTime, "{e:?}");
    assert_eq!(e.message, "CPU time limit exceeded (50 ms)");
    assert_eq!(out.execution.status, ExecutionStatus::Error);
    assert!(
        out.execution
            .error_message
            .as_deref()
            .is_some_and(|m| m.contains("CPU time limit exceeded (50 ms)")),
        "{:?}",
        out.execution.error_message
    );
    let u = usage(&out);
    assert!(u.cpu_time_us >= 50_000, "charged {} µs", u.cpu_time_us);
    // Stopped by the limit, long before the 10 s timeout.
    assert!(out.execution.duration_ms.expect("duration") < 5_000);
}

#[tokio::test]
async fn the_cpu_limit_adds_up_turns_and_spares_waiting() {
    // Only waiting: 400 ms of timers under a 50 ms CPU limit.
    let waits = r#"async function handler() {
        for (let i = 0; i < 4; i++) await new Promise(r => setTimeout(r, 100));
        return { body: "waited" };
    }"#;
    let out = run(waits, with_cpu_limit(50)).await;
    assert!(out.result.is_ok(), "{:?}", out.result);
    assert!(out.execution.duration_ms.expect("duration") >= 400);
    let u = usage(&out);
    assert!(u.cpu_time_us < 50_000, "waiting cost {} µs", u.cpu_time_us);
    // Many short turns of computing, each well under the limit, add up past it.
    let turns = r#"async function handler() {
        for (let i = 0; i < 400; i++) {
            const t = Date.now(); while (Date.now() - t < 5) {}
            await new Promise(r => setTimeout(r, 1));
        }
        return { body: "never" };
    }"#;
    let out = run(turns, with_cpu_limit(60)).await;
    let e = out.result.as_ref().expect_err("stopped");
    assert_eq!(e.kind, RunErrorKind::CpuTime, "{e:?}");
    assert!(usage(&out).cpu_time_us >= 60_000);
}
