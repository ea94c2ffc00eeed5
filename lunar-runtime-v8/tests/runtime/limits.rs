//! Limits, concurrency and isolation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lunar_core::runtime::{Limits, RunErrorKind};
use lunar_runtime_v8::{V8Options, V8Runtime};

use crate::harness::{RunOpts, run, run_default, run_on};

const HELLO: &str = r#"function handler() { return { body: "ok" }; }"#;

fn body(out: &crate::harness::Outcome) -> String {
    match &out.result {
        Ok(r) => String::from_utf8_lossy(r.body.as_bytes()).into_owned(),
        Err(e) => panic!("run failed: {e:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_sleeps_finish_together_on_two_workers() {
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(2)).unwrap());
    let code = r#"async function handler() { await time.sleep(1000); return { body: "done" }; }"#;
    let start = Instant::now();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let rt = rt.clone();
            tokio::spawn(async move { run_on(&rt, code, RunOpts::default()).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(body(&t.await.unwrap()), "done");
    }
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    eprintln!("100 x sleep(1000) on 2 workers: {took:?}");
}

#[tokio::test]
async fn busy_loop_times_out_and_worker_recovers() {
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).unwrap());
    let opts = RunOpts {
        limits: Limits::default().with_timeout(Duration::from_millis(300)),
        ..RunOpts::default()
    };
    let out = run_on(&rt, "function handler() { while (true) {} }", opts.clone()).await;
    // The engine's recorded duration runs from the start of the execution (after the test
    // store was set up) to its end: within timeout + 100 ms.
    let took = out.execution.duration_ms.expect("duration recorded");
    let e = out.result.unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Timeout);
    assert_eq!(e.message, "execution timed out after 300 ms");
    assert!(took < 400, "took {took} ms");
    assert_eq!(body(&run_on(&rt, HELLO, opts).await), "ok");
}

#[tokio::test]
async fn busy_loop_in_top_level_code_times_out() {
    let opts = RunOpts {
        limits: Limits::default().with_timeout(Duration::from_millis(200)),
        ..RunOpts::default()
    };
    let out = run("for (;;) {}\nfunction handler() {}", opts).await;
    assert_eq!(out.result.unwrap_err().kind, RunErrorKind::Timeout);
}

#[tokio::test]
async fn heap_bomb_hits_memory_limit_and_next_run_works() {
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).unwrap());
    let opts = RunOpts {
        limits: Limits::default().with_memory_mb(64),
        ..RunOpts::default()
    };
    let bomb = r#"function handler() { const a = []; while (true) a.push(new Array(100000).fill({ x: 1 })); }"#;
    let out = run_on(&rt, bomb, opts.clone()).await;
    let e = out.result.unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Memory, "{e:?}");
    assert_eq!(e.message, "memory limit exceeded (64 MiB)");
    assert_eq!(body(&run_on(&rt, HELLO, opts.clone()).await), "ok");
    // Twice, to check the replaced isolate has a working limit too.
    let out = run_on(&rt, bomb, opts.clone()).await;
    assert_eq!(out.result.unwrap_err().kind, RunErrorKind::Memory);
    assert_eq!(body(&run_on(&rt, HELLO, opts).await), "ok");
}

#[tokio::test]
async fn log_flood_is_capped() {
    let opts = RunOpts {
        limits: Limits::default().with_max_log_entries(1000),
        ..RunOpts::default()
    };
    let out = run(
        r#"function handler() { for (let i = 0; i < 5000; i++) console.log("line " + i); return { body: "ok" }; }"#,
        opts,
    )
    .await;
    assert_eq!(body(&out), "ok");
    assert_eq!(out.logs.len(), 1001);
    assert_eq!(out.logs[1000].message, "log limit reached");
}

#[tokio::test]
async fn globals_do_not_leak_between_executions() {
    let code = r#"
        var counter = (globalThis.counter || 0) + 1;
        function handler() {
            globalThis.leak = (globalThis.leak || 0) + 1;
            Array.prototype.polluted = true;
            return { body: String(counter) + String(globalThis.leak) + String([].polluted) };
        }"#;
    let opts = RunOpts {
        version_id: Some("isolation-v1".into()),
        ..RunOpts::default()
    };
    for _ in 0..4 {
        assert_eq!(body(&run(code, opts.clone()).await), "11true");
    }
    let check =
        r#"function handler() { return { body: String(typeof leak) + String([].polluted) }; }"#;
    assert_eq!(body(&run_default(check).await), "undefinedundefined");
}

#[tokio::test]
async fn cancellation_stops_a_running_execution() {
    let opts = RunOpts::default();
    let cancel = opts.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let out = run("function handler() { while (true) {} }", opts).await;
    assert_eq!(
        out.execution.error_message.as_deref(),
        Some("client disconnected")
    );
    assert_eq!(out.result.unwrap_err().kind, RunErrorKind::Cancelled);
    let opts = RunOpts::default();
    let cancel = opts.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let out = run("async function handler() { await time.sleep(5000); }", opts).await;
    assert_eq!(
        out.execution.error_message.as_deref(),
        Some("client disconnected")
    );
    assert_eq!(out.result.unwrap_err().kind, RunErrorKind::Cancelled);
}

/// Many warm runs of one version on one worker all answer correctly (speed is measured by
/// `benches/runtime.rs`, not here).
#[tokio::test]
async fn warm_executions_stay_correct() {
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).unwrap());
    let opts = RunOpts {
        version_id: Some("warm-v1".into()),
        ..RunOpts::default()
    };
    let _ = run_on(&rt, HELLO, opts.clone()).await;
    for _ in 0..200 {
        assert_eq!(body(&run_on(&rt, HELLO, opts.clone()).await), "ok");
    }
}

#[tokio::test]
async fn code_cache_serves_warm_runs_of_large_scripts() {
    let mut code = String::new();
    for i in 0..3000 {
        code.push_str(&format!(
            "function f{i}(a, b) {{ const o = {{ k: a + {i}, v: [b, {i}] }}; return o.k * o.v.length; }}\n"
        ));
    }
    code.push_str(r#"function handler() { return { body: String(f1(1, 2) + f2999(3, 4)) }; }"#);
    let mut per = Vec::new();
    for entries in [256, 0] {
        let rt = Arc::new(
            V8Runtime::new(
                V8Options::default()
                    .with_workers(1)
                    .with_code_cache_entries(entries),
            )
            .unwrap(),
        );
        let opts = RunOpts {
            version_id: Some("big-v1".into()),
            ..RunOpts::default()
        };
        let _ = run_on(&rt, &code, opts.clone()).await;
        let n = 30;
        let start = Instant::now();
        for _ in 0..n {
            assert_eq!(body(&run_on(&rt, &code, opts.clone()).await), "6008");
        }
        per.push(start.elapsed() / n);
    }
    eprintln!(
        "3000-function script, warm: {:?} with the code cache, {:?} without",
        per[0], per[1]
    );
    // Reported, not asserted: V8's own per-isolate compilation cache already serves
    // repeated sources, so the gain is small and timing under parallel tests is noisy.
}
