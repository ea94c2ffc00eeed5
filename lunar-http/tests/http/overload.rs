//! Back-pressure at `/fn`: 503 past the engine's bound, 429 past a function's
//! `max_concurrency`, both at once with `Retry-After` and a JSON error, and no execution
//! recorded for them.

use std::sync::Arc;

use http::StatusCode;
use lunar_core::EngineConfig;
use lunar_core::testkit::GatedRuntime;

use crate::common::Harness;

async fn gated_harness(max_in_flight: usize) -> (Harness, GatedRuntime) {
    let gated = GatedRuntime::default();
    let config = EngineConfig::default().with_max_in_flight(max_in_flight);
    (
        Harness::build(config, gated.runtime.clone(), |b| b).await,
        gated,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_engine_bound_fn_answers_503_with_retry_after() {
    let (h, gated) = gated_harness(1).await;
    let h = Arc::new(h);
    let id = h.create("slow", "function handler(){}").await;
    let held = {
        let (h, id) = (h.clone(), id.clone());
        tokio::spawn(async move { h.call("GET", &format!("/fn/{id}"), None).await })
    };
    gated.wait_entered(1).await;
    let r = h.call("POST", &format!("/fn/{id}"), Some("{}")).await;
    r.assert_error(503, "Server is overloaded, retry later");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("x-execution-id"), None, "nothing was recorded");
    gated.release(1);
    assert_eq!(held.await.expect("task").status, StatusCode::OK);
    let list = h.get_json(&format!("/api/functions/{id}/executions")).await;
    assert_eq!(list["pagination"]["total"], 1, "only the admitted call");
    // The place is free again.
    gated.release(1);
    assert_eq!(
        h.call("GET", &format!("/fn/{id}"), None).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_concurrency_fn_answers_429_for_that_function_only() {
    let (h, gated) = gated_harness(0).await;
    let h = Arc::new(h);
    let id = h.create("one-at-a-time", "function handler(){}").await;
    let other = h.create("free", "function handler(){}").await;
    let r = h
        .api(
            "PUT",
            &format!("/api/functions/{id}"),
            Some(r#"{"limits":{"max_concurrency":1}}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let f = h.get_json(&format!("/api/functions/{id}")).await;
    assert_eq!(f["limits"]["max_concurrency"], 1);
    h.api(
        "PUT",
        &format!("/api/functions/{id}"),
        Some(r#"{"limits":{"max_concurrency":0}}"#),
    )
    .await
    .assert_error(400, "limits: max_concurrency must be between 1 and 10000");

    let held = {
        let (h, id) = (h.clone(), id.clone());
        tokio::spawn(async move { h.call("GET", &format!("/fn/{id}"), None).await })
    };
    gated.wait_entered(1).await;
    let r = h.call("GET", &format!("/fn/{id}"), None).await;
    r.assert_error(429, "Function is at its concurrency limit, retry later");
    assert_eq!(r.header("retry-after"), Some("1"));
    let beside = {
        let (h, other) = (h.clone(), other.clone());
        tokio::spawn(async move { h.call("GET", &format!("/fn/{other}"), None).await })
    };
    gated.wait_entered(2).await;
    gated.release(2);
    assert_eq!(held.await.expect("task").status, StatusCode::OK);
    assert_eq!(beside.await.expect("task").status, StatusCode::OK);
    let list = h.get_json(&format!("/api/functions/{id}/executions")).await;
    assert_eq!(
        list["pagination"]["total"], 1,
        "the refused call left no row"
    );
}
