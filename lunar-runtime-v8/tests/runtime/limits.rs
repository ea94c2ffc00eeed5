//! Concurrency, isolation between functions, and the code cache (hostile code: `hostile.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use lunar_core::model::Isolation;
use lunar_runtime_v8::{V8Options, V8Runtime};

use crate::harness::{RunOpts, run_on};

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

const GLOBALS: &str = r#"
    var counter = (globalThis.counter || 0) + 1;
    function handler() {
        globalThis.leak = (globalThis.leak || 0) + 1;
        Array.prototype.polluted = true;
        return { body: String(counter) + String(globalThis.leak) + String([].polluted) };
    }"#;

/// What another function sees of the globals `GLOBALS` set.
async fn other_function_sees_no_globals(rt: &Arc<V8Runtime>) {
    let check =
        r#"function handler() { return { body: String(typeof leak) + String([].polluted) }; }"#;
    assert_eq!(
        body(&run_on(rt, check, RunOpts::default()).await),
        "undefinedundefined"
    );
}

#[tokio::test]
async fn fresh_globals_do_not_survive_an_execution() {
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).unwrap());
    let opts = RunOpts {
        version_id: Some("isolation-fresh".into()),
        isolation: Isolation::Fresh,
        ..RunOpts::default()
    };
    for _ in 0..4 {
        assert_eq!(body(&run_on(&rt, GLOBALS, opts.clone()).await), "11true");
    }
    other_function_sees_no_globals(&rt).await;
}

#[tokio::test]
async fn warm_globals_persist_within_the_function_only() {
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).unwrap());
    let opts = RunOpts {
        version_id: Some("isolation-warm".into()),
        ..RunOpts::default()
    };
    // Top-level code ran once (counter 1); the handler's global grows per execution.
    for i in 1..=4 {
        assert_eq!(
            body(&run_on(&rt, GLOBALS, opts.clone()).await),
            format!("1{i}true")
        );
        other_function_sees_no_globals(&rt).await;
    }
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
