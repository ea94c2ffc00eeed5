//! JS behaviour fixtures: `tests/fixtures/<name>.js` with the expectation in
//! `<name>.json`. Keys of the expectation:
//! `status`, `body`, `body_base64`, `headers` (subset) — a successful response;
//! `error` (exact) / `error_contains`, `line`, `column`, `kind` — a failed run;
//! `logs` (exact `level: message` lines) / `logs_contain` (substrings, in order);
//! inputs: `event` (fields merged into the default event), `env`, `timeout_ms`.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use lunar_core::model::ExecutionStatus;
use lunar_core::runtime::{ResponseBody, RunErrorKind};
use serde_json::Value;

use crate::harness::{RunOpts, run};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub(crate) async fn check(name: &str) {
    let code = std::fs::read_to_string(dir().join(format!("{name}.js"))).expect("fixture js");
    let expect: Value = serde_json::from_str(
        &std::fs::read_to_string(dir().join(format!("{name}.json"))).expect("fixture json"),
    )
    .expect("fixture json parses");
    let mut opts = RunOpts::default();
    if let Some(ev) = expect.get("event") {
        let mut base = serde_json::to_value(&opts.event).unwrap();
        for (k, v) in ev.as_object().unwrap() {
            base[k] = v.clone();
        }
        opts.event = serde_json::from_value(base).unwrap();
    }
    if let Some(env) = expect.get("env") {
        opts.env = serde_json::from_value(env.clone()).unwrap();
    }
    if let Some(ms) = expect.get("timeout_ms").and_then(Value::as_u64) {
        opts.limits = opts.limits.with_timeout(Duration::from_millis(ms));
    }
    let out = run(&code, opts).await;
    let logs = out.log_lines();
    let exec = &out.execution;
    // Placeholders for values only known at run time.
    let fill = |text: &str| {
        text.replace("{{function_id}}", &exec.function_id)
            .replace("{{execution_id}}", &exec.id)
            .replace("{{started_at}}", &exec.created_at.to_string())
    };
    // What the engine recorded agrees with the outcome.
    match &out.result {
        Ok(resp) => {
            let want = if resp.status_code >= 400 {
                ExecutionStatus::Error
            } else {
                ExecutionStatus::Success
            };
            assert_eq!(exec.status, want, "{name}: recorded status");
            assert_eq!(exec.error_message, None, "{name}: no error recorded");
        }
        Err(e) => {
            assert_eq!(
                exec.status,
                ExecutionStatus::Error,
                "{name}: recorded status"
            );
            let recorded = exec.error_message.as_deref().unwrap_or_default();
            assert!(
                recorded.starts_with("Error")
                    && recorded.contains(e.message.lines().next().unwrap_or_default()),
                "{name}: recorded error {recorded:?} for {e:?}"
            );
            let last = out.logs.last().expect("error logged");
            assert_eq!(
                last.message, recorded,
                "{name}: error logged under the execution"
            );
        }
    }
    match (
        &out.result,
        expect.get("error").or(expect.get("error_contains")),
    ) {
        (Ok(resp), None) => {
            if let Some(s) = expect.get("status") {
                assert_eq!(
                    u64::from(resp.status_code),
                    s.as_u64().unwrap(),
                    "{name}: status"
                );
            }
            if let Some(b) = expect.get("body") {
                let text = String::from_utf8_lossy(resp.body.as_bytes());
                assert_eq!(text, fill(b.as_str().unwrap()), "{name}: body");
            }
            if let Some(b) = expect.get("body_base64") {
                let enc = base64::engine::general_purpose::STANDARD.encode(resp.body.as_bytes());
                assert_eq!(enc, b.as_str().unwrap(), "{name}: body bytes");
                assert!(
                    matches!(resp.body, ResponseBody::Bytes(_)),
                    "{name}: bytes body"
                );
            }
            if let Some(h) = expect.get("headers") {
                let got = serde_json::to_value(&resp.headers).unwrap();
                for (k, v) in h.as_object().unwrap() {
                    assert_eq!(got.get(k), Some(v), "{name}: header {k} in {got}");
                }
            }
        }
        (Err(e), Some(_)) => {
            if let Some(m) = expect.get("error") {
                assert_eq!(e.message, m.as_str().unwrap(), "{name}: error");
            }
            if let Some(m) = expect.get("error_contains") {
                assert!(
                    e.message.contains(m.as_str().unwrap()),
                    "{name}: error {:?} lacks {m}",
                    e.message
                );
            }
            if let Some(l) = expect.get("line") {
                assert_eq!(e.line.map(u64::from), l.as_u64(), "{name}: line ({e:?})");
            }
            if let Some(c) = expect.get("column") {
                assert_eq!(
                    e.column.map(u64::from),
                    c.as_u64(),
                    "{name}: column ({e:?})"
                );
            }
            if let Some(k) = expect.get("kind") {
                let kind = match e.kind {
                    RunErrorKind::Script => "script",
                    RunErrorKind::Timeout => "timeout",
                    RunErrorKind::Memory => "memory",
                    RunErrorKind::CpuTime => "cpu",
                    RunErrorKind::Cancelled => "cancelled",
                    RunErrorKind::Internal => "internal",
                };
                assert_eq!(kind, k.as_str().unwrap(), "{name}: kind");
            }
        }
        (r, _) => panic!("{name}: unexpected outcome {r:?}; logs {logs:?}"),
    }
    if let Some(l) = expect.get("logs") {
        let want: Vec<String> = serde_json::from_value(l.clone()).unwrap();
        assert_eq!(logs, want, "{name}: logs");
    }
    if let Some(l) = expect.get("logs_contain") {
        let want: Vec<String> = serde_json::from_value(l.clone()).unwrap();
        let mut it = logs.iter();
        for w in &want {
            assert!(
                it.any(|line| line.contains(w.as_str())),
                "{name}: logs {logs:?} lack {w}"
            );
        }
    }
}

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                check(stringify!($name)).await;
            }
        )*
    };
}

fixtures!(
    hello,
    async_handler,
    esm_default,
    esm_named,
    esm_import,
    status_numeric_string,
    status_invalid,
    headers_values,
    header_invalid,
    body_object_json,
    body_bytes,
    body_base64,
    body_base64_invalid,
    not_an_object,
    no_handler,
    const_handler,
    throw_error_line,
    throw_string,
    throw_object,
    throw_undefined,
    async_throw,
    syntax_error,
    deep_recursion,
    kv_roundtrip,
    kv_key_too_long,
    kv_bad_argument,
    env_get_set,
    sleep_and_timers,
    clear_timeout,
    console_formats,
    log_levels,
    log_bad_argument,
    unhandled_rejection,
    never_settles,
    forbidden_globals,
    json_encode,
    text_codec,
    structured_clone,
    atob_btoa,
    ctx_and_event,
    crypto_digests,
    base64_api,
    random_api,
    strings_api,
    time_api,
    json_decode_go,
    url_api,
    whatwg_url,
    router_api,
    date_utc,
    console_error_stack,
    timers_args,
    atomics_wait,
);
