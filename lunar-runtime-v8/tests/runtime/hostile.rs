//! Hostile code, run in both isolation modes: each case ends only its own execution with
//! a recorded error, and the function's next execution works. In `warm` mode a terminated
//! execution's context is dropped, so the next one starts over (its counter shows 1).

use std::sync::Arc;
use std::time::Duration;

use lunar_core::model::Isolation;
use lunar_core::runtime::{Limits, RunErrorKind};
use lunar_runtime_v8::{V8Options, V8Runtime};

use crate::harness::{Outcome, RunOpts, run, run_on};

/// Counts its executions in module scope; `?loop`, `?bomb` and `?wait` misbehave.
const VICTIM: &str = r#"
    let runs = 0;
    async function handler(ctx, event) {
        runs += 1;
        if (event.query.loop) while (true) {}
        if (event.query.bomb) { const a = []; while (true) a.push(new Array(100000).fill({ x: 1 })); }
        if (event.query.buffers) {
            // 320 MiB of ArrayBuffers outside the V8 heap: kept, caught, or caught forever;
            // made by JS, or by native code (an encoded string, a blob's bytes).
            const a = [];
            const s8 = event.query.via ? "x".repeat(8 * 1024 * 1024) : "";
            const make = event.query.via === "text" ? () => new TextEncoder().encode(s8)
                : event.query.via === "blob" ? () => new Blob([s8])
                : () => new Uint8Array(8 * 1024 * 1024).fill(1);
            const alloc = () => a.push(make());
            if (event.query.buffers === "keep") for (let i = 0; i < 40; i++) alloc();
            if (event.query.buffers === "catch") for (let i = 0; i < 40; i++) try { alloc(); } catch {}
            if (event.query.buffers === "forever") for (;;) try { alloc(); } catch {}
        }
        if (event.query.wait) await time.sleep(Number(event.query.wait));
        return { body: "ok:" + runs };
    }"#;

fn body(out: &Outcome) -> String {
    match &out.result {
        Ok(r) => String::from_utf8_lossy(r.body.as_bytes()).into_owned(),
        Err(e) => panic!("run failed: {e:?}"),
    }
}

fn one_worker() -> Arc<V8Runtime> {
    Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).expect("runtime"))
}

fn opts(isolation: Isolation, key: &str, limits: Limits, query: &[(&str, &str)]) -> RunOpts {
    let mut o = RunOpts {
        version_id: Some(format!("{key}-{}", isolation.as_str())),
        limits,
        isolation,
        ..RunOpts::default()
    };
    for (k, v) in query {
        o.event.query.insert((*k).into(), (*v).into());
    }
    o
}

/// The counter after a normal run that follows `n` earlier runs of a kept context.
fn count(isolation: Isolation, n: usize) -> String {
    match isolation {
        Isolation::Warm => format!("ok:{n}"),
        Isolation::Fresh => "ok:1".to_owned(),
    }
}

async fn busy_loop_times_out_and_function_recovers(isolation: Isolation) {
    let rt = one_worker();
    let limits = Limits::default().with_timeout(Duration::from_millis(300));
    let o = |q: &[(&str, &str)]| opts(isolation, "busy", limits, q);
    assert_eq!(body(&run_on(&rt, VICTIM, o(&[])).await), "ok:1");
    assert_eq!(
        body(&run_on(&rt, VICTIM, o(&[])).await),
        count(isolation, 2)
    );
    let out = run_on(&rt, VICTIM, o(&[("loop", "1")])).await;
    // The engine's recorded duration runs from the start of the execution to its end:
    // within timeout + 100 ms.
    let took = out.execution.duration_ms.expect("duration recorded");
    let e = out.result.unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Timeout);
    assert_eq!(e.message, "execution timed out after 300 ms");
    assert!(took < 400, "took {took} ms");
    // A new context: the count starts over in both modes.
    assert_eq!(body(&run_on(&rt, VICTIM, o(&[])).await), "ok:1");
    assert_eq!(
        body(&run_on(&rt, VICTIM, o(&[])).await),
        count(isolation, 2)
    );
}

async fn busy_loop_in_top_level_code_times_out(isolation: Isolation) {
    let limits = Limits::default().with_timeout(Duration::from_millis(200));
    let o = opts(isolation, "top-level-loop", limits, &[]);
    let out = run("for (;;) {}\nfunction handler() {}", o.clone()).await;
    assert_eq!(out.result.unwrap_err().kind, RunErrorKind::Timeout);
    // Its context is not kept: the next run evaluates the top level again.
    let out = run("for (;;) {}\nfunction handler() {}", o).await;
    assert_eq!(out.result.unwrap_err().kind, RunErrorKind::Timeout);
}

async fn heap_bomb_hits_memory_limit_and_function_recovers(isolation: Isolation) {
    let rt = one_worker();
    let limits = Limits::default().with_memory_mb(64);
    let o = |q: &[(&str, &str)]| opts(isolation, "bomb", limits, q);
    assert_eq!(body(&run_on(&rt, VICTIM, o(&[])).await), "ok:1");
    for _ in 0..2 {
        // Twice, to check the replaced isolate has a working limit too.
        let out = run_on(&rt, VICTIM, o(&[("bomb", "1")])).await;
        let e = out.result.unwrap_err();
        assert_eq!(e.kind, RunErrorKind::Memory, "{e:?}");
        assert_eq!(e.message, "memory limit exceeded (64 MiB)");
        assert_eq!(
            out.execution
                .error_message
                .as_deref()
                .map(|m| m.contains("memory limit exceeded")),
            Some(true)
        );
        assert_eq!(body(&run_on(&rt, VICTIM, o(&[])).await), "ok:1");
    }
}

/// `ArrayBuffer` backing stores live outside the V8 heap; they count against the same
/// limit, whether the code lets the `RangeError` end it, catches it, or catches it forever.
async fn buffer_bomb_hits_memory_limit_and_function_recovers(isolation: Isolation) {
    let rt = one_worker();
    let limits = Limits::default()
        .with_memory_mb(64)
        .with_timeout(Duration::from_secs(5));
    let o = |q: &[(&str, &str)]| opts(isolation, "buffers", limits, q);
    let cases = [
        ("keep", ""),
        ("catch", ""),
        ("forever", ""),
        ("keep", "text"),
        ("catch", "blob"),
    ];
    for (how, via) in cases {
        let waiting = run_on(&rt, VICTIM, o(&[("wait", "300")]));
        let bomb = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            run_on(&rt, VICTIM, o(&[("buffers", how), ("via", via)])).await
        };
        let (waiting, bomb) = tokio::join!(waiting, bomb);
        let took = bomb.execution.duration_ms.expect("duration");
        let e = bomb.result.unwrap_err();
        assert_eq!(e.kind, RunErrorKind::Memory, "{how}: {e:?}");
        assert_eq!(e.message, "memory limit exceeded (64 MiB)");
        assert!(
            took < 2_000,
            "{how}: stopped at once, not at the timeout ({took} ms)"
        );
        assert!(
            bomb.execution
                .usage
                .is_some_and(|u| u.peak_heap_bytes >= 48 * 1024 * 1024),
            "{how}: the buffers count in the peak: {:?}",
            bomb.execution.usage
        );
        // The execution waiting on the same worker finishes, and the function works.
        assert!(body(&waiting).starts_with("ok:"), "{how}");
        assert_eq!(body(&run_on(&rt, VICTIM, o(&[])).await), "ok:1");
    }
}

async fn heap_bomb_spares_other_functions_in_flight(isolation: Isolation) {
    let rt = one_worker();
    let limits = Limits::default().with_memory_mb(64);
    let waiting = run_on(
        &rt,
        VICTIM,
        opts(isolation, "bystander", limits, &[("wait", "300")]),
    );
    let bomb = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        run_on(
            &rt,
            VICTIM,
            opts(isolation, "bomber", limits, &[("bomb", "1")]),
        )
        .await
    };
    let (waiting, bomb) = tokio::join!(waiting, bomb);
    assert_eq!(bomb.result.unwrap_err().kind, RunErrorKind::Memory);
    assert_eq!(body(&waiting), "ok:1");
}

async fn log_flood_is_capped(isolation: Isolation) {
    let o = opts(
        isolation,
        "flood",
        Limits::default().with_max_log_entries(1000),
        &[],
    );
    let code = r#"function handler() { for (let i = 0; i < 5000; i++) console.log("line " + i); return { body: "ok" }; }"#;
    for _ in 0..2 {
        let out = run(code, o.clone()).await;
        assert_eq!(body(&out), "ok");
        assert_eq!(out.logs.len(), 1001);
        assert_eq!(out.logs[1000].message, "log limit reached");
    }
}

async fn cancellation_stops_a_running_execution(isolation: Isolation) {
    for (key, code) in [
        ("cancel-loop", "function handler() { while (true) {} }"),
        (
            "cancel-wait",
            "async function handler() { await time.sleep(5000); }",
        ),
    ] {
        let o = opts(isolation, key, Limits::default(), &[]);
        let cancel = o.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            cancel.cancel();
        });
        let out = run(code, o).await;
        assert_eq!(
            out.execution.error_message.as_deref(),
            Some("client disconnected")
        );
        assert_eq!(out.result.unwrap_err().kind, RunErrorKind::Cancelled);
    }
}

async fn thrown_error_fails_only_that_execution(isolation: Isolation) {
    let rt = one_worker();
    let code = r#"
        let runs = 0;
        function handler(ctx, event) {
            runs += 1;
            if (event.query.fail) throw new Error("boom");
            return { body: "ok:" + runs };
        }"#;
    let o = |q: &[(&str, &str)]| opts(isolation, "throws", Limits::default(), q);
    assert_eq!(body(&run_on(&rt, code, o(&[])).await), "ok:1");
    let out = run_on(&rt, code, o(&[("fail", "1")])).await;
    assert!(out.result.unwrap_err().message.starts_with("Error: boom"));
    // An uncaught error is not a termination: a warm context is kept (count 3).
    assert_eq!(body(&run_on(&rt, code, o(&[])).await), count(isolation, 3));
}

/// Stamps one test per isolation mode for each case.
macro_rules! both_modes {
    ($($case:ident),* $(,)?) => {
        mod warm {
            $(#[tokio::test] async fn $case() { super::$case(super::Isolation::Warm).await; })*
        }
        mod fresh {
            $(#[tokio::test] async fn $case() { super::$case(super::Isolation::Fresh).await; })*
        }
    };
}

both_modes!(
    busy_loop_times_out_and_function_recovers,
    busy_loop_in_top_level_code_times_out,
    heap_bomb_hits_memory_limit_and_function_recovers,
    heap_bomb_spares_other_functions_in_flight,
    buffer_bomb_hits_memory_limit_and_function_recovers,
    log_flood_is_capped,
    cancellation_stops_a_running_execution,
    thrown_error_fails_only_that_execution,
);
