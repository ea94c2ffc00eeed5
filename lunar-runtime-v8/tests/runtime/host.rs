//! Host capabilities from JavaScript: `await host.users.lookup(arg)` — grants, nested data
//! both ways, errors, refusals, and a slow call cancelled when its execution times out;
//! every call recorded for its execution.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lunar_core::capability::{CANCELLED, CallCtx, Capabilities};
use lunar_core::model::{CallStatus, HostCall, Isolation, PageRequest};
use lunar_core::runtime::Limits;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::harness::{Outcome, RunOpts, run, stores};

#[derive(Deserialize)]
struct Lookup {
    id: u64,
    #[serde(default)]
    extra: Value,
}

/// `users.lookup` echoes its argument in a nested result; `users.fail` errs; `admin.reset`
/// is registered but granted to no one; everything else is granted to `allowed`.
fn capabilities() -> Capabilities {
    Capabilities::new()
        .add("users.lookup", |ctx: CallCtx, a: Lookup| async move {
            Ok::<_, String>(json!({
                "user": { "id": a.id, "name": "Ada", "roles": ["admin", "dev"] },
                "echo": a.extra,
                "executionId": ctx.execution_id,
                "capability": ctx.capability,
            }))
        })
        .add("users.fail", |_: CallCtx, a: Lookup| async move {
            Err::<Value, _>(format!("no such user {}", a.id))
        })
        .add("admin.reset", |_: CallCtx, (): ()| async {
            Ok::<_, String>(true)
        })
        .grant(|f, name| f.name == "allowed" && name != "admin.reset")
}

fn opts(name: &str, caps: Capabilities) -> RunOpts {
    RunOpts {
        name: name.into(),
        capabilities: Some(caps),
        ..RunOpts::default()
    }
}

fn body(out: &Outcome) -> Value {
    let r = out.result.as_ref().expect("the run succeeded");
    serde_json::from_slice(r.body.as_bytes())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", r.body))
}

async fn calls_of(out: &Outcome) -> Vec<HostCall> {
    stores()
        .await
        .host_calls
        .list(&out.execution.id, PageRequest::new(100, 0))
        .await
        .expect("host calls")
        .items
}

const CATCHING: &str = r#"
    async function handler(ctx, event) {
        const out = {};
        for (const [name, arg] of [["users.lookup", { id: 7 }], ["admin.reset", null],
                                   ["users.fail", { id: 42 }], ["nope.missing", 1],
                                   ["users.lookup", "not an object"]]) {
            const [a, b] = name.split(".");
            try {
                out[name + (typeof arg)] = { ok: await host[a][b](arg) };
            } catch (e) {
                out[name + (typeof arg)] = { error: e.constructor.name + ": " + e.message };
            }
        }
        return { body: JSON.stringify(out) };
    }"#;

#[tokio::test]
async fn nested_data_round_trips_and_the_call_is_recorded() {
    let code = r#"
        async function handler(ctx, event) {
            const extra = { list: [1, "two", { three: [null, true, 4.5] }], s: "ü\n\"q\"" };
            const r = await host.users.lookup({ id: 7, extra });
            return { body: JSON.stringify({ r, same: r.executionId === ctx.executionId,
                                            kind: typeof host.users.lookup }) };
        }"#;
    // In a context per execution too (the `host` proxy is made on first use in each).
    let fresh = run(
        code,
        RunOpts {
            isolation: Isolation::Fresh,
            ..opts("allowed", capabilities())
        },
    )
    .await;
    assert_eq!(body(&fresh)["r"]["user"]["id"], 7);
    let out = run(code, opts("allowed", capabilities())).await;
    let v = body(&out);
    assert_eq!(
        v["r"]["user"],
        json!({ "id": 7, "name": "Ada", "roles": ["admin", "dev"] })
    );
    assert_eq!(
        v["r"]["echo"],
        json!({ "list": [1, "two", { "three": [null, true, 4.5] }], "s": "ü\n\"q\"" })
    );
    assert_eq!(v["r"]["capability"], "users.lookup");
    assert_eq!(v["same"], true, "the capability saw the calling execution");
    assert_eq!(v["kind"], "function");
    let calls = calls_of(&out).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].capability, "users.lookup");
    assert_eq!(calls[0].status, CallStatus::Success);
    assert_eq!(calls[0].execution_id, out.execution.id);
    let usage = out.execution.usage.expect("usage");
    assert_eq!(
        usage.calls.host, 1,
        "the call counts in the execution's usage"
    );
}

#[tokio::test]
async fn refusals_and_errors_become_js_errors_naming_the_capability() {
    let out = run(CATCHING, opts("allowed", capabilities())).await;
    let v = body(&out);
    assert_eq!(v["users.lookupobject"]["ok"]["user"]["id"], 7);
    assert_eq!(
        v["admin.resetobject"]["error"],
        "Error: host capability admin.reset is not granted to this function"
    );
    assert_eq!(v["users.failobject"]["error"], "Error: no such user 42");
    assert_eq!(
        v["nope.missingnumber"]["error"],
        "Error: host capability nope.missing does not exist"
    );
    let invalid = v["users.lookupstring"]["error"].as_str().expect("an error");
    assert!(
        invalid.starts_with("Error: host capability users.lookup: invalid arguments:"),
        "{invalid}"
    );
    let calls = calls_of(&out).await;
    let seen: Vec<(&str, CallStatus)> = calls
        .iter()
        .map(|c| (c.capability.as_str(), c.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("users.lookup", CallStatus::Success),
            ("admin.reset", CallStatus::Error),
            ("users.fail", CallStatus::Error),
            ("nope.missing", CallStatus::Error),
            ("users.lookup", CallStatus::Error),
        ]
    );
    assert_eq!(calls[2].error_message.as_deref(), Some("no such user 42"));

    // Another function gets nothing granted: the same calls are refused.
    let out = run(CATCHING, opts("other", capabilities())).await;
    let v = body(&out);
    assert_eq!(
        v["users.lookupobject"]["error"],
        "Error: host capability users.lookup is not granted to this function"
    );
    // Without capabilities on the engine, `host` still answers clearly.
    let out = run(CATCHING, RunOpts::default()).await;
    assert_eq!(
        body(&out)["users.lookupobject"]["error"],
        "Error: host capability users.lookup does not exist"
    );
}

#[tokio::test]
async fn awaiting_or_printing_host_paths_calls_nothing() {
    let code = r#"
        async function handler() {
            const a = await host.users;
            const s = String(Object.keys(host)) + "|" + JSON.stringify({ h: host.users.lookup });
            let notFn;
            try { host(); } catch (e) { notFn = e.constructor.name; }
            return { body: JSON.stringify({ same: a === host.users ? "proxy" : typeof a, s, notFn }) };
        }"#;
    let out = run(code, opts("allowed", capabilities())).await;
    let v = body(&out);
    assert_eq!(v["notFn"], "TypeError");
    assert!(
        calls_of(&out).await.is_empty(),
        "no capability was called: {v}"
    );
}

#[tokio::test]
async fn a_slow_call_is_cancelled_and_recorded_when_the_execution_times_out() {
    let dropped = Arc::new(AtomicBool::new(false));
    let d = dropped.clone();
    let caps = Capabilities::new()
        .add("slow.wait", move |_: CallCtx, (): ()| {
            struct SetOnDrop(Arc<AtomicBool>);
            impl Drop for SetOnDrop {
                fn drop(&mut self) {
                    self.0.store(true, Ordering::SeqCst);
                }
            }
            let guard = SetOnDrop(d.clone());
            async move {
                let _guard = guard;
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok::<_, String>("never")
            }
        })
        .grant_all();
    let code = r#"async function handler() { await host.slow.wait(); return { body: "no" }; }"#;
    let out = run(
        code,
        RunOpts {
            limits: Limits::default().with_timeout(Duration::from_millis(300)),
            capabilities: Some(caps),
            ..RunOpts::default()
        },
    )
    .await;
    assert!(out.result.is_err(), "the execution timed out");
    let message = out.execution.error_message.clone().unwrap_or_default();
    assert!(message.contains("timed out"), "{message}");
    // The call's future was dropped, and its row is written by a task it left behind.
    let mut calls = Vec::new();
    for _ in 0..200 {
        calls = calls_of(&out).await;
        if !calls.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        dropped.load(Ordering::SeqCst),
        "the capability was cancelled"
    );
    assert_eq!(calls.len(), 1, "the cancelled call is recorded");
    assert_eq!(calls[0].capability, "slow.wait");
    assert_eq!(calls[0].status, CallStatus::Error);
    assert_eq!(calls[0].error_message.as_deref(), Some(CANCELLED));
    assert!(calls[0].duration_ms >= 250, "{}", calls[0].duration_ms);
}
