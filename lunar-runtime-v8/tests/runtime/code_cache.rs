//! The per-version code cache: classic scripts and ES modules.

use std::sync::Arc;
use std::time::Instant;

use lunar_core::model::Isolation;
use lunar_runtime_v8::{V8Options, V8Runtime};

use crate::harness::{Outcome, RunOpts, run_on, update_code};

fn body(out: &Outcome) -> String {
    match &out.result {
        Ok(r) => String::from_utf8_lossy(r.body.as_bytes()).into_owned(),
        Err(e) => panic!("run failed: {e:?}"),
    }
}

fn one_worker(entries: usize) -> Arc<V8Runtime> {
    Arc::new(
        V8Runtime::new(
            V8Options::default()
                .with_workers(1)
                .with_code_cache_entries(entries),
        )
        .expect("runtime"),
    )
}

fn keyed(key: &str) -> RunOpts {
    RunOpts {
        version_id: Some(key.into()),
        ..RunOpts::default()
    }
}

/// A module of `n` exported functions and a `handler` that calls some of them.
fn big_module(n: usize) -> String {
    let mut code = String::new();
    for i in 0..n {
        code.push_str(&format!(
            "function f{i}(a, b) {{ const o = {{ k: a + {i}, v: [b, {i}] }}; return o.k * o.v.length; }}\n"
        ));
    }
    let last = n - 1;
    code.push_str(&format!(
        "const table = [f0, f1, f{last}];\n\
         export function handler() {{ return {{ body: String(table.reduce((s, f) => s + f(1, 2), 0)) }}; }}\n"
    ));
    code
}

#[tokio::test]
async fn code_cache_serves_warm_runs_of_large_modules() {
    let code = big_module(3000);
    // f0 + f1 + f2999 with (1, 2): (1 + i) * 2 each.
    let expected = [0, 1, 2999]
        .iter()
        .map(|i| (1 + i) * 2)
        .sum::<i32>()
        .to_string();
    let mut per = Vec::new();
    for entries in [256, 0] {
        let rt = one_worker(entries);
        // Warms the isolate and this thread's store, so "first run" is about the code.
        let hello = "export default () => ({ body: 'ok' });";
        assert_eq!(body(&run_on(&rt, hello, keyed("esm-hello")).await), "ok");
        let opts = keyed(&format!("big-esm-{entries}"));
        let first = Instant::now();
        assert_eq!(body(&run_on(&rt, &code, opts.clone()).await), expected);
        let cold = first.elapsed();
        let n = 30;
        let start = Instant::now();
        for _ in 0..n {
            assert_eq!(body(&run_on(&rt, &code, opts.clone()).await), expected);
        }
        per.push((cold, start.elapsed() / n));
    }
    eprintln!(
        "3000-function ES module: first run {:?}, warm {:?} per run with the code cache; \
         first run {:?}, warm {:?} per run without",
        per[0].0, per[0].1, per[1].0, per[1].1
    );
    // Reported, not asserted: timing under parallel tests is noisy.
}

/// 40 runs of a module's version 1, then 40 of version 2, each followed by another
/// function's run on the same worker; `runs` is what the module's counter must show on run
/// `i` (its state starts over per execution when fresh, per version when warm).
async fn modules_across_runs_and_versions(isolation: Isolation, runs: impl Fn(usize) -> usize) {
    let rt = one_worker(256);
    let v1 = "let runs = 0;\n\
              const twice = (x) => x * 2;\n\
              export default function (ctx, event) {\n\
                runs += 1;\n\
                return { body: `v1:${twice(21)}:${runs}:${event.query.n ?? ''}` };\n\
              }\n";
    let v2 = "let runs = 0;\n\
              const thrice = (x) => x * 3;\n\
              export async function handler(ctx, event) {\n\
                runs += 1;\n\
                await null;\n\
                return { body: `v2:${thrice(14)}:${runs}:${event.query.n ?? ''}` };\n\
              }\n";
    let other = "export function handler() { return { body: 'other' }; }\n";
    let key = format!("esm-versions-{}", isolation.as_str());
    let opts = |i: usize| {
        let mut o = keyed(&key);
        o.isolation = isolation;
        o.event.query.insert("n".into(), i.to_string());
        o
    };
    let mut first_version = None;
    for i in 0..40 {
        let out = run_on(&rt, v1, opts(i)).await;
        assert_eq!(body(&out), format!("v1:42:{}:{i}", runs(i)), "run {i}");
        first_version.get_or_insert(out.execution.function_version_id.clone());
        // Another version on the same worker in between.
        assert_eq!(body(&run_on(&rt, other, keyed("esm-other")).await), "other");
    }
    update_code(&key, v2).await;
    for i in 0..40 {
        let out = run_on(&rt, v2, opts(i)).await;
        assert_eq!(body(&out), format!("v2:42:{}:{i}", runs(i)), "run {i}");
        assert_ne!(
            Some(&out.execution.function_version_id),
            first_version.as_ref(),
            "a new version"
        );
        assert_eq!(body(&run_on(&rt, other, keyed("esm-other")).await), "other");
    }
}

#[tokio::test]
async fn fresh_modules_start_over_on_every_run() {
    modules_across_runs_and_versions(Isolation::Fresh, |_| 1).await;
}

#[tokio::test]
async fn warm_modules_keep_state_per_version() {
    modules_across_runs_and_versions(Isolation::Warm, |i| i + 1).await;
}

#[tokio::test]
async fn module_errors_are_the_same_on_cached_runs() {
    let rt = one_worker(256);
    let code = "export function handler() {\n  throw new Error('boom');\n}\n";
    let mut seen = None;
    for _ in 0..5 {
        let out = run_on(&rt, code, keyed("esm-throws")).await;
        let err = out.result.clone().expect_err("the handler throws");
        assert!(err.message.contains("boom"), "{err:?}");
        assert_eq!(err.line, Some(2), "{err:?}");
        let now = format!("{err:?}");
        if let Some(prev) = &seen {
            assert_eq!(prev, &now);
        }
        seen = Some(now);
    }
}
