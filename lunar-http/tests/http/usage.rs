//! Resource accounting through the API: `usage` on an execution, in its logs view and in
//! the list; `limits.cpu_time_ms` validated, stored and handed to the runtime.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use lunar_core::EngineConfig;
use lunar_core::runtime::{FunctionResponse, RunJob};
use lunar_core::testkit::FnRuntime;

use crate::common::Harness;

#[tokio::test]
async fn executions_show_their_usage_and_the_cpu_limit_reaches_the_runtime() {
    let seen: Arc<Mutex<Vec<Option<Duration>>>> = Arc::default();
    let seen2 = seen.clone();
    let rt = FnRuntime::new(move |job: RunJob| {
        let seen = seen2.clone();
        async move {
            seen.lock().unwrap().push(job.limits.cpu_time);
            let _ = job.host.kv.set("k", "v").await;
            job.host.usage.add_cpu(Duration::from_micros(2500));
            job.host.usage.observe_heap(3_000_000);
            Ok(FunctionResponse::text(200, "four"))
        }
    });
    let h = Harness::build(EngineConfig::default(), rt, |b| b).await;
    let id = h.create("metered", "function handler(){}").await;
    let r = h
        .api(
            "PUT",
            &format!("/api/functions/{id}"),
            Some(r#"{"limits":{"cpu_time_ms":0}}"#),
        )
        .await;
    r.assert_error(400, "limits: cpu_time_ms must be between 1 and 900000");
    let r = h
        .api(
            "PUT",
            &format!("/api/functions/{id}"),
            Some(r#"{"limits":{"cpu_time_ms":75}}"#),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert_eq!(
        h.get_json(&format!("/api/functions/{id}")).await["limits"]["cpu_time_ms"],
        75
    );

    let r = h
        .call("POST", &format!("/fn/{id}"), Some("twelve bytes"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [Some(Duration::from_millis(75))]
    );
    let e = h.execution_of(&r).await;
    let u = &e["usage"];
    assert_eq!(u["cpu_time_us"], 2500, "{e}");
    assert_eq!(u["peak_heap_bytes"], 3_000_000);
    assert_eq!(u["request_bytes"], 12);
    assert_eq!(u["response_bytes"], 4);
    assert_eq!(u["calls"]["kv"], 1);
    assert_eq!(u["calls"]["http"], 0);
    let exec_id = e["id"].as_str().unwrap();
    let with_logs = h.get_json(&format!("/api/executions/{exec_id}/logs")).await;
    assert_eq!(with_logs["usage"], *u);
    let list = h.get_json(&format!("/api/functions/{id}/executions")).await;
    assert_eq!(list["executions"][0]["usage"], *u);
    // And summed per function for Prometheus.
    let metrics = h.api("GET", "/api/metrics", None).await.text();
    assert!(
        metrics.contains(&format!(
            "lunar_execution_cpu_seconds_total{{function_id=\"{id}\"}} 0.0025\n"
        )),
        "{metrics}"
    );
}
