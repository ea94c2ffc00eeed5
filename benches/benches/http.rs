//! HTTP benchmark: hello-world `/fn/{id}` through `LunarService` in-process (no socket),
//! with V8 and SQLite (group commit), every execution and its log persisted before the
//! response. Reports executions per second at 1 and 64 requests in flight.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use lunar_core::model::{Isolation, NewFunction, PageRequest};
use lunar_core::{Engine, EngineConfig, Stores, ids};
use lunar_http::{Auth, LunarService};
use lunar_runtime_v8::{V8Options, V8Runtime};
use lunar_store_sql::SqliteStore;
use tokio::runtime::Runtime;
use tower::ServiceExt;

const HELLO: &str = r#"function handler(ctx, event) {
  log.info("hello");
  return { statusCode: 200, body: "Hello, World!" };
}"#;

struct Rig {
    svc: LunarService,
    path: String,
    stores: Stores,
    function_id: String,
    _dir: tempfile::TempDir,
}

async fn rig() -> Rig {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Arc::new(
        SqliteStore::connect(dir.path().join("lunar.db").to_str().expect("utf8"))
            .await
            .expect("sqlite"),
    );
    store.migrate().await.expect("migrate");
    let stores = Stores::from_backend(store.clone());
    let runtime = Arc::new(V8Runtime::new(V8Options::default()).expect("v8"));
    let engine = Engine::new(stores.clone(), runtime, EngineConfig::default());
    let function_id = ids::new_id();
    stores
        .functions
        .create_function(NewFunction {
            id: function_id.clone(),
            name: "hello".into(),
            description: None,
            code: HELLO.into(),
            isolation: Isolation::Warm,
            now: 1_700_000_000,
        })
        .await
        .expect("create");
    let svc = LunarService::builder(engine)
        .auth(Auth::ApiKey("bench-key".into()))
        .build();
    Rig {
        svc,
        path: format!("/fn/{function_id}"),
        stores,
        function_id,
        _dir: dir,
    }
}

async fn call(svc: &LunarService, path: &str) {
    let req = Request::get(path).body(Body::empty()).expect("request");
    let res = svc.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], b"Hello, World!");
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("tokio");
    let rig = rt.block_on(rig());
    let mut g = c.benchmark_group("fn_hello_world");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sequential", |b| {
        b.to_async(&rt).iter(|| call(&rig.svc, &rig.path));
    });
    const IN_FLIGHT: u64 = 64;
    g.throughput(Throughput::Elements(IN_FLIGHT));
    g.bench_function("concurrent_64", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let svc = rig.svc.clone();
            let path = rig.path.clone();
            async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut tasks = Vec::new();
                    for _ in 0..IN_FLIGHT {
                        let svc = svc.clone();
                        let path = path.clone();
                        tasks.push(tokio::spawn(async move { call(&svc, &path).await }));
                    }
                    for t in tasks {
                        t.await.expect("join");
                    }
                }
                start.elapsed()
            }
        });
    });
    g.finish();
    // Every execution was persisted: the rows are there when the responses are.
    let total = rt
        .block_on(
            rig.stores
                .executions
                .list_executions(&rig.function_id, PageRequest::new(1, 0)),
        )
        .expect("list")
        .total;
    println!("executions persisted during the benchmark: {total}");
    std::thread::sleep(Duration::from_millis(10));
}

criterion_group!(benches, bench);
criterion_main!(benches);
