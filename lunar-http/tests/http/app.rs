//! A [`Lunar`] mounted with [`LunarService::for_lunar`]: what a host changes through
//! `functions()` is what `/fn` serves at once; the base URL is configured once; `start`
//! fails what an earlier process left pending, and `shutdown` stops in order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use lunar_core::app::LunarConfig;
use lunar_core::model::{ExecutionStatus, NewExecution, PageRequest, Trigger};
use lunar_core::runtime::{FunctionResponse, RunJob};
use lunar_core::testkit::FnRuntime;
use lunar_core::validate::{CreateFunctionRequest, KvSetRequest, UpdateFunctionRequest};
use lunar_core::{Error, Lunar};
use lunar_http::{Auth, LunarService};
use lunar_store_sql::SqliteStore;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Answers with the code of the version that ran and the `ctx.baseUrl` it saw.
fn code_runtime() -> Arc<FnRuntime> {
    FnRuntime::new(|job: RunJob| async move {
        let base = job.ctx.base_url.clone().unwrap_or_default();
        Ok(FunctionResponse::text(200, format!("{}|{base}", job.code)))
    })
}

async fn sqlite() -> (Arc<SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::connect(dir.path().join("lunar.db").to_str().unwrap())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    (Arc::new(store), dir)
}

async fn get(app: &Router, path: &str) -> (StatusCode, String) {
    let req = Request::get(path)
        .header("authorization", "Bearer k")
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn from_json<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn changes_through_functions_are_served_at_once() {
    let (store, _dir) = sqlite().await;
    let config = LunarConfig::from_vars(|k| {
        (k == "BASE_URL").then(|| "https://host.example/lunar/".to_owned())
    })
    .unwrap();
    let lunar = Lunar::builder(store, code_runtime()).config(config).build();
    let running = lunar.start().await.unwrap();
    let service = LunarService::for_lunar(&lunar).auth(Auth::ApiKey("k".into()));
    let app = Router::new().nest_service("/lunar", service.build());

    let fns = lunar.functions();
    let created = fns
        .create(from_json(json!({"name": "greeter", "code": "v1"})))
        .await
        .unwrap();
    let id = created.function.id.clone();
    // The base URL set once in the config is what functions see.
    assert_eq!(
        get(&app, &format!("/lunar/fn/{id}")).await,
        (StatusCode::OK, "v1|https://host.example/lunar".to_owned())
    );
    // The engine cached the function; an update through `functions()` is served by the
    // very next call (the cache keeps a loaded function for a second otherwise).
    let update: UpdateFunctionRequest = from_json(json!({"code": "v2"}));
    fns.update(&id, &update).await.unwrap();
    assert_eq!(
        get(&app, &format!("/lunar/fn/{id}")).await.1,
        "v2|https://host.example/lunar"
    );
    let f = fns.get(&id).await.unwrap();
    let v1 = fns.version(&id, 1).await.unwrap();
    fns.activate(&id, &v1.id).await.unwrap();
    assert!(
        get(&app, &format!("/lunar/fn/{id}"))
            .await
            .1
            .starts_with("v1|")
    );
    // Validation is the REST API's, with the field named.
    let bad: UpdateFunctionRequest = from_json(json!({"limits": {"cpu_time_ms": 0}}));
    assert_eq!(
        fns.update(&id, &bad).await.unwrap_err().to_string(),
        "limits: cpu_time_ms must be between 1 and 900000"
    );
    let bad: CreateFunctionRequest = from_json(json!({"name": "", "code": "x"}));
    assert!(matches!(
        fns.create(bad).await,
        Err(Error::InvalidInput { .. })
    ));
    // KV written from Rust is what the API reads.
    let kv: KvSetRequest = from_json(json!({"value": "41"}));
    f.kv_set("counter", kv).await.unwrap();
    assert_eq!(
        get(&app, &format!("/lunar/api/functions/{id}/kv/counter")).await,
        (
            StatusCode::OK,
            json!({"key": "counter", "value": "41"}).to_string() + "\n"
        )
    );
    // Deleting through `functions()` takes the function off `/fn` at once.
    fns.delete(&id).await.unwrap();
    assert_eq!(
        get(&app, &format!("/lunar/fn/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(fns.get(&id).await.unwrap_err().is_not_found());
    running.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn start_fails_what_an_earlier_process_left_pending_and_shutdown_drains() {
    let (store, _dir) = sqlite().await;
    let seen: Arc<Mutex<u32>> = Arc::default();
    let seen2 = seen.clone();
    let rt = FnRuntime::new(move |_job: RunJob| {
        let seen = seen2.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            *seen.lock().unwrap() += 1;
            Ok(FunctionResponse::text(200, "done"))
        }
    });
    let lunar = Lunar::builder(store, rt).exclusive_store(true).build();
    let f = lunar
        .functions()
        .create(from_json(json!({"name": "slow", "code": "x"})))
        .await
        .unwrap();
    let id = f.function.id.clone();
    // A row an earlier process left pending.
    let stores = lunar.engine().stores();
    stores
        .executions
        .insert_execution(NewExecution {
            id: "left-pending".into(),
            function_id: id.clone(),
            function_version_id: f.active_version.id.clone(),
            event_json: None,
            trigger: Trigger::Http,
            created_at: 1_700_000_000,
        })
        .await
        .unwrap();
    let running = lunar.start().await.unwrap();
    let left = lunar.functions().execution("left-pending").await.unwrap();
    assert_eq!(left.status, ExecutionStatus::Error);
    // An execution in flight when shutdown begins finishes within the grace period.
    let engine = lunar.engine().clone();
    let call = tokio::spawn({
        let id = id.clone();
        async move {
            engine
                .execute(lunar_core::ExecuteRequest::http(&id, Default::default()))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    running.shutdown(Duration::from_secs(5)).await;
    let report = call.await.unwrap().expect("finished");
    assert_eq!(report.status, ExecutionStatus::Success);
    assert_eq!(*seen.lock().unwrap(), 1);
    let page = lunar
        .functions()
        .get(&id)
        .await
        .unwrap()
        .executions(PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.total, 2, "the failed leftover and the finished call");
    // Stopped: no new executions.
    assert!(
        lunar
            .engine()
            .execute(lunar_core::ExecuteRequest::http(&id, Default::default()))
            .await
            .is_err()
    );
}
