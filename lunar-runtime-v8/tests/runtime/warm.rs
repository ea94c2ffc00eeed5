//! Warm contexts: many executions of one function in flight at once in one context, each
//! with its own `ctx`, logs, KV writes and timers.

use std::sync::Arc;

use lunar_runtime_v8::{V8Options, V8Runtime};

use crate::harness::{Outcome, RunOpts, run_on, stores};

/// Interleaves across awaits of every kind and reports the most executions it saw in
/// flight at once in its (shared) module scope.
const INTERLEAVED: &str = r#"
    let active = 0;
    let most = 0;
    async function handler(ctx, event) {
        const n = Number(event.query.n);
        active += 1;
        most = Math.max(most, active);
        log.info("start " + n);
        await time.sleep(n % 7);
        await kv.set("k" + n, ctx.executionId);
        const got = await kv.get("k" + n);
        await new Promise((resolve) => setTimeout(resolve, n % 5));
        const fired = new Promise((resolve) =>
            setTimeout(() => { console.log("timer " + n); resolve(); }, 0));
        const cancelled = setTimeout(() => console.log("cancelled " + n), 1);
        clearTimeout(cancelled);
        await fired;
        await time.sleep(2);
        console.log("end " + n + " " + got);
        active -= 1;
        return { body: JSON.stringify({ n, id: ctx.executionId, most }) };
    }"#;

#[tokio::test]
async fn two_hundred_interleaved_executions_keep_their_own_state() {
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).expect("runtime"));
    let opts = |n: usize| {
        let mut o = RunOpts {
            version_id: Some("interleaved".into()),
            ..RunOpts::default()
        };
        o.event.query.insert("n".into(), n.to_string());
        o
    };
    // The first run makes the warm context; the 200 then share it.
    let first = run_on(&rt, INTERLEAVED, opts(1000)).await;
    assert!(first.result.is_ok());
    let runs: Vec<_> = (0..200)
        .map(|n| run_on(&rt, INTERLEAVED, opts(n)))
        .collect();
    let outs: Vec<Outcome> = futures_join(runs).await;
    let kv = stores().await.kv;
    let fid = first.execution.function_id.clone();
    let mut most = 0;
    for (n, out) in outs.iter().enumerate() {
        let r = out.result.as_ref().expect("run succeeded");
        let v: serde_json::Value = serde_json::from_slice(r.body.as_bytes()).expect("json body");
        assert_eq!(v["n"], n);
        // `ctx` is this execution's own.
        assert_eq!(v["id"], out.execution.id.as_str());
        most = most.max(v["most"].as_u64().unwrap_or(0));
        // Logs and timers land on this execution, in order, and nothing else does.
        assert_eq!(
            out.log_lines(),
            vec![
                format!("info: start {n}"),
                format!("info: timer {n}"),
                format!("info: end {n} {}", out.execution.id),
            ],
            "execution {n}"
        );
        // The KV write was made by (and for) this execution.
        assert_eq!(
            kv.get(&fid, &format!("k{n}")).await.expect("kv"),
            Some(out.execution.id.clone())
        );
    }
    // They really ran at once in one context.
    assert!(
        most > 50,
        "at most {most} executions were in flight together"
    );
}

/// Polls all futures concurrently on this task (they share the test thread's store).
pub(crate) async fn futures_join<F: std::future::Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut futs: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futs.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[tokio::test]
async fn a_new_version_gets_a_new_context() {
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).expect("runtime"));
    let code = |v: u32| {
        format!(
            "let runs = 0; function handler() {{ runs += 1; return {{ body: 'v{v}:' + runs }}; }}"
        )
    };
    let opts = RunOpts {
        version_id: Some("versions".into()),
        ..RunOpts::default()
    };
    for i in 1..=3 {
        let out = run_on(&rt, &code(1), opts.clone()).await;
        assert_eq!(
            String::from_utf8_lossy(out.result.expect("ok").body.as_bytes()),
            format!("v1:{i}")
        );
    }
    crate::harness::update_code("versions", &code(2)).await;
    for i in 1..=3 {
        let out = run_on(&rt, &code(2), opts.clone()).await;
        assert_eq!(
            String::from_utf8_lossy(out.result.expect("ok").body.as_bytes()),
            format!("v2:{i}")
        );
    }
}

#[tokio::test]
async fn the_warm_bound_drops_the_least_recently_used_context() {
    let rt = Arc::new(
        V8Runtime::new(V8Options::default().with_workers(1).with_warm_contexts(2))
            .expect("runtime"),
    );
    let code = "let runs = 0; function handler() { runs += 1; return { body: String(runs) }; }";
    let run = |key: &'static str| {
        let rt = rt.clone();
        async move {
            let o = RunOpts {
                version_id: Some(key.into()),
                ..RunOpts::default()
            };
            let out = run_on(&rt, code, o).await;
            String::from_utf8_lossy(out.result.expect("ok").body.as_bytes()).into_owned()
        }
    };
    assert_eq!(run("lru-a").await, "1");
    assert_eq!(run("lru-b").await, "1");
    assert_eq!(run("lru-a").await, "2");
    // A third function: b (least recently used) is dropped, a is kept.
    assert_eq!(run("lru-c").await, "1");
    assert_eq!(run("lru-a").await, "3");
    assert_eq!(run("lru-b").await, "1");
}

#[tokio::test]
async fn warm_contexts_give_way_before_the_heap_limit() {
    use lunar_core::runtime::Limits;
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(1)).expect("runtime"));
    // Each function keeps 8 MiB in module scope; 12 of them would need 96 MiB of a 64 MiB
    // heap if every context stayed warm.
    let code = "const big = new Array(1 << 20).fill(1.5); let runs = 0;\n\
                function handler() { runs += 1; return { body: String(runs + big.length - (1 << 20)) }; }";
    let opts = |i: usize| RunOpts {
        version_id: Some(format!("heavy-{i}")),
        limits: Limits::default().with_memory_mb(64),
        ..RunOpts::default()
    };
    for i in 0..12 {
        let out = run_on(&rt, code, opts(i)).await;
        let r = out.result.unwrap_or_else(|e| panic!("function {i}: {e:?}"));
        assert_eq!(
            String::from_utf8_lossy(r.body.as_bytes()),
            "1",
            "function {i}"
        );
    }
    // The oldest were dropped to make room: function 0 starts over.
    let out = run_on(&rt, code, opts(0)).await;
    assert_eq!(
        String::from_utf8_lossy(out.result.expect("ok").body.as_bytes()),
        "1"
    );
}
