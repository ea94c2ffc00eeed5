//! The KV routes and the metrics route: shapes, validation messages naming the field,
//! 404s, and that the API and `/fn` see the same KV store.

use http::StatusCode;
use serde_json::{Value, json};

use crate::common::Harness;

#[tokio::test]
async fn kv_set_get_list_delete() {
    let h = Harness::new().await;
    let id = h.create("kv", "function handler(){}").await;
    let base = format!("/api/functions/{id}/kv");

    let empty = h.get_json(&base).await;
    assert_eq!(
        empty,
        json!({"entries": [], "pagination": {"total": 0, "limit": 20, "offset": 0}})
    );

    // Keys with `/`, spaces and non-ASCII travel percent-encoded in one path segment.
    for (key, value) in [
        ("user:2", "two"),
        ("user:1", "one"),
        ("a/b c", "slash"),
        ("ü", ""),
    ] {
        let path = format!("{base}/{}", percent(key));
        let r = h
            .api("PUT", &path, Some(&json!({ "value": value }).to_string()))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json(), json!({"key": key, "value": value}));
    }
    let r = h
        .api("PUT", &format!("{base}/user:1"), Some(r#"{"value":"uno"}"#))
        .await;
    assert_eq!(r.json(), json!({"key": "user:1", "value": "uno"}), "upsert");

    assert_eq!(
        h.get_json(&format!("{base}/{}", percent("a/b c"))).await,
        json!({"key": "a/b c", "value": "slash"})
    );
    let list = h
        .get_json(&format!("{base}?prefix=user%3A&limit=1&offset=1"))
        .await;
    assert_eq!(
        list,
        json!({
            "entries": [{"key": "user:2", "value": "two"}],
            "pagination": {"total": 2, "limit": 1, "offset": 1}
        })
    );
    let all = h.get_json(&base).await;
    let keys: Vec<&str> = all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["a/b c", "user:1", "user:2", "ü"]);

    let r = h.api("DELETE", &format!("{base}/user:2"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());
    let r = h.api("DELETE", &format!("{base}/user:2"), None).await;
    assert_eq!(
        r.status,
        StatusCode::NO_CONTENT,
        "deleting a missing key is fine"
    );
    h.api("GET", &format!("{base}/user:2"), None)
        .await
        .assert_error(404, "Key not found");
}

#[tokio::test]
async fn kv_routes_validate_and_404() {
    let h = Harness::new().await;
    let id = h.create("kv", "function handler(){}").await;
    let base = format!("/api/functions/{id}/kv");
    let long = "k".repeat(513);
    for (body, message) in [
        (r#"{}"#, "value: value is required"),
        (r#"{"value":null}"#, "value: value is required"),
        (r#"{"value":5}"#, "value: value must be a string"),
    ] {
        h.api("PUT", &format!("{base}/k"), Some(body))
            .await
            .assert_error(400, message);
    }
    let big = json!({ "value": "v".repeat(1024 * 1024 + 1) }).to_string();
    h.api("PUT", &format!("{base}/k"), Some(&big))
        .await
        .assert_error(400, "value: kv value cannot be longer than 1048576 bytes");
    for method in ["GET", "PUT", "DELETE"] {
        h.api(method, &format!("{base}/{long}"), Some(r#"{"value":"x"}"#))
            .await
            .assert_error(400, "key: kv key cannot be longer than 512 bytes");
    }
    h.api("PUT", &format!("{base}/k"), Some("[1]"))
        .await
        .assert_error(400, "Invalid request body");
    h.api("PUT", &format!("{base}/k"), Some("nope"))
        .await
        .assert_error(400, "Invalid request body");
    // Nothing was stored by the rejected writes.
    assert_eq!(h.get_json(&base).await["pagination"]["total"], 0);

    for (method, path) in [
        ("GET", "/api/functions/nope/kv"),
        ("GET", "/api/functions/nope/kv/k"),
        ("PUT", "/api/functions/nope/kv/k"),
        ("DELETE", "/api/functions/nope/kv/k"),
    ] {
        h.api(method, path, Some(r#"{"value":"x"}"#))
            .await
            .assert_error(404, "Function not found");
    }
    // Protected like the rest of the API.
    h.raw("GET", &format!("/lunar{base}"), None, &[])
        .await
        .assert_error(401, "Authentication required");
}

#[tokio::test]
async fn kv_written_through_the_api_is_what_the_function_store_holds() {
    let h = Harness::new().await;
    let id = h.create("kv", "function handler(){}").await;
    h.api(
        "PUT",
        &format!("/api/functions/{id}/kv/counter"),
        Some(r#"{"value":"41"}"#),
    )
    .await;
    assert_eq!(
        h.stores.kv.get(&id, "counter").await.unwrap().as_deref(),
        Some("41")
    );
    h.stores.kv.set(&id, "from-code", "x").await.unwrap();
    assert_eq!(
        h.get_json(&format!("/api/functions/{id}/kv/from-code"))
            .await,
        json!({"key": "from-code", "value": "x"})
    );
    // Deleting the function deletes its KV entries.
    h.api("DELETE", &format!("/api/functions/{id}"), None).await;
    assert_eq!(h.stores.kv.get(&id, "counter").await.unwrap(), None);
}

#[tokio::test]
async fn metrics_count_executions_in_the_window() {
    let h = Harness::new().await;
    let id = h.create("m", "function handler(){}").await;
    for path in ["/ok", "/ok", "/throw", "/status/404"] {
        h.call("GET", &format!("/fn/{id}{path}"), None).await;
    }
    let m = h
        .get_json(&format!("/api/functions/{id}/metrics?window=1h"))
        .await;
    assert_eq!(m["window"], "1h");
    assert_eq!(m["bucket_seconds"], 60);
    assert_eq!(m["total"], 4);
    assert_eq!(m["errors"], 2, "a thrown error and a 404 answer");
    assert_eq!(m["error_rate"], 0.5);
    assert!(m["p50_ms"].is_i64() && m["p95_ms"].is_i64(), "{m}");
    let buckets = m["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 60);
    let counted: u64 = buckets.iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 4);
    assert_eq!(
        buckets[59]["count"], 4,
        "the current minute is the last bucket"
    );
    let since = m["since"].as_i64().unwrap();
    assert_eq!(buckets[1]["start"].as_i64().unwrap(), since + 60);
    assert_eq!(m["until"].as_i64().unwrap() - since, 3_600);

    let day = h.get_json(&format!("/api/functions/{id}/metrics")).await;
    assert_eq!(
        (day["window"].clone(), day["total"].clone()),
        (Value::from("24h"), Value::from(4)),
        "24h is the default"
    );
    assert_eq!(day["buckets"].as_array().unwrap().len(), 48);
    let week = h
        .get_json(&format!("/api/functions/{id}/metrics?window=7d"))
        .await;
    assert_eq!(week["buckets"].as_array().unwrap().len(), 84);

    h.api(
        "GET",
        &format!("/api/functions/{id}/metrics?window=2h"),
        None,
    )
    .await
    .assert_error(400, "window: window must be one of: [1h 24h 7d]");
    h.api("GET", "/api/functions/nope/metrics", None)
        .await
        .assert_error(404, "Function not found");
    let other = h.create("quiet", "function handler(){}").await;
    let quiet = h.get_json(&format!("/api/functions/{other}/metrics")).await;
    assert_eq!(
        (quiet["total"].clone(), quiet["p50_ms"].clone()),
        (Value::from(0), Value::Null)
    );
}

/// Percent-encodes a path segment the way `encodeURIComponent` does.
fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test]
async fn the_prometheus_endpoint_parses_and_counts() {
    use prometheus_parse::{Scrape, Value as Sample};

    let h = Harness::new().await;
    let id = h.create("counted", "function handler(){}").await;
    for path in ["/ok", "/ok", "/throw"] {
        h.call("GET", &format!("/fn/{id}{path}"), None).await;
    }
    h.raw("GET", "/lunar/api/metrics", None, &[])
        .await
        .assert_error(401, "Authentication required");
    let r = h.api("GET", "/api/metrics", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = r.text();
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("valid exposition");
    let counter = |status: &str| {
        scrape
            .samples
            .iter()
            .find(|s| {
                s.metric == "lunar_executions_total"
                    && s.labels.get("function_id") == Some(id.as_str())
                    && s.labels.get("status") == Some(status)
                    && s.labels.get("trigger") == Some("http")
            })
            .map(|s| match s.value {
                Sample::Counter(v) | Sample::Untyped(v) => v,
                ref other => panic!("{other:?}"),
            })
    };
    assert_eq!(counter("success"), Some(2.0), "{text}");
    assert_eq!(counter("error"), Some(1.0));
    let duration = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == "lunar_execution_duration_seconds"
                && s.labels.get("function_id") == Some(id.as_str())
        })
        .expect("a duration histogram");
    match &duration.value {
        Sample::Histogram(buckets) => {
            let last = buckets.last().expect("buckets");
            assert!(last.less_than.is_infinite());
            assert!((last.count - 3.0).abs() < f64::EPSILON, "{buckets:?}");
        }
        other => panic!("not a histogram: {other:?}"),
    }
    for name in [
        "lunar_executions_in_flight",
        "lunar_executions_awaiting_store",
        "lunar_executions_refused_total",
        "lunar_store_batch_writes",
        "lunar_store_batch_seconds",
    ] {
        assert!(
            scrape.samples.iter().any(|s| s.metric == name),
            "{name} missing from:\n{text}"
        );
    }
}

/// Span id → the span's fields, name and value as text.
type SpanFields = std::collections::BTreeMap<u64, Vec<(String, String)>>;

/// A tracing layer keeping the fields of `execution` spans.
#[derive(Clone, Default)]
struct ExecutionSpans(std::sync::Arc<std::sync::Mutex<SpanFields>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ExecutionSpans {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if attrs.metadata().name() == "execution" {
            let mut fields = Vec::new();
            attrs.record(&mut Fields(&mut fields));
            self.0.lock().unwrap().insert(id.into_u64(), fields);
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if let Some(fields) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
}

/// The spans layer, installed once as the global subscriber of this test binary: a
/// thread-local default races with tests on other threads over tracing's per-callsite
/// interest cache, and misses spans now and then.
fn global_spans() -> &'static ExecutionSpans {
    static SPANS: std::sync::OnceLock<ExecutionSpans> = std::sync::OnceLock::new();
    SPANS.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let spans = ExecutionSpans::default();
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(spans.clone()))
            .expect("the only global subscriber of this test binary");
        spans
    })
}

/// Each execution runs in a `tracing` span with its function, version and execution id.
#[tokio::test(flavor = "current_thread")]
async fn each_execution_runs_in_a_span_naming_it() {
    let spans = global_spans();
    let h = Harness::new().await;
    let id = h.create("traced", "function handler(){}").await;
    let r = h.call("GET", &format!("/fn/{id}/ok"), None).await;
    let exec = r.header("x-execution-id").expect("an execution").to_owned();
    let all = spans.0.lock().unwrap().clone();
    // Other tests' executions are traced too: this function's spans are the ones to check.
    let fields: Vec<&Vec<(String, String)>> = all
        .values()
        .filter(|f| f.iter().any(|(k, v)| k == "function_id" && *v == id))
        .collect();
    assert_eq!(fields.len(), 1, "one span per execution: {fields:?}");
    let get = |name: &str| {
        fields[0]
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in {:?}", fields[0]))
    };
    assert_eq!(get("function_id"), id);
    assert_eq!(get("execution_id"), exec);
    assert_eq!(get("trigger"), "http");
    assert_eq!(get("version"), "1");
}
