//! A store that fails: the API answers 503 naming the store, `/fn` answers 503 instead of
//! a response whose execution is not recorded, and the service keeps answering.

use std::sync::Arc;

use http::StatusCode;
use lunar_core::{Engine, EngineConfig, Stores};
use lunar_store_sql::SqliteStore;

use crate::common::{Harness, echo_runtime};

#[tokio::test]
async fn a_failed_store_gives_503s_that_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::connect(dir.path().join("lunar.db").to_str().unwrap())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let store = Arc::new(store);
    let stores = Stores::from_backend(store.clone());
    let engine = Engine::new(stores.clone(), echo_runtime(), EngineConfig::default());
    let h = Harness::around(engine, stores, dir, |b| b);
    let id = h.create("f", "function handler(){}").await;
    assert_eq!(
        h.call("GET", &format!("/fn/{id}"), None).await.status,
        StatusCode::OK
    );

    // Every connection goes away: each query now fails in sqlx.
    store.close().await;

    let r = h.call("GET", &format!("/fn/{id}"), None).await;
    r.assert_error(
        503,
        "Execution could not be recorded: the sqlite store is unavailable",
    );
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("x-execution-id"), None);
    h.api("GET", "/api/functions", None).await.assert_error(
        503,
        "Failed to list functions: the sqlite store is unavailable",
    );
    h.api("GET", &format!("/api/functions/{id}/executions"), None)
        .await
        .assert_error(
            503,
            "Internal server error: the sqlite store is unavailable",
        );
    // What does not need the store still answers.
    assert_eq!(
        h.raw("GET", "/lunar/docs/openapi.json", None, &[])
            .await
            .status,
        StatusCode::OK
    );
    h.api("GET", "/api/nope", None)
        .await
        .assert_error(404, "Not found");
}
