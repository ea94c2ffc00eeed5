//! V8 runtime benchmarks: executions through `lunar_core::Engine` over SQLite (every
//! execution recorded, group-committed) and through the bare `Runtime::run`.
//!
//! * `runtime/engine` and `runtime/bare`: `cold` (first execution of a new version,
//!   compile included), `warm_hello` (a hello-world handler in its warm context — the
//!   default isolation), `fresh_hello` (the same with `isolation: fresh`, a new context per
//!   execution), `kv3` (`kv.set`, `kv.get`, `kv.delete`, awaited in turn);
//! * `runtime/io_bound`: 100 concurrent executions through the engine, each awaiting a
//!   `fetch` of a local upstream that answers after 1 s (the whole burst should take
//!   about 1 s);
//! * `runtime/throughput`: 256 concurrent hello-world executions with the whole pool busy
//!   (reported as executions per second);
//! * idle worker RSS, printed before the groups run (criterion cannot measure memory).
//!
//! `cargo bench -p lunar-benches --bench runtime -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use lunar_core::model::{Isolation, NewFunction, Trigger};
use lunar_core::runtime::{
    Ctx, EnvHandle, Event, Host, KvHandle, Limits, RunJob, RunOutcome, Runtime,
};
use lunar_core::{Engine, EngineConfig, ExecuteRequest, Logger, Stores, SystemClock, ids};
use lunar_runtime_v8::{ClientOptions, ReqwestClient, V8Options, V8Runtime};
use lunar_store_sql::SqliteStore;

const HELLO: &str =
    r#"function handler(ctx, event) { return { statusCode: 200, body: "hello world" }; }"#;
const KV3: &str = r#"async function handler(ctx, event) {
  await kv.set("k", "v");
  const v = await kv.get("k");
  await kv.delete("k");
  return { body: v };
}"#;
/// Concurrent executions per throughput iteration.
const BURST: u64 = 256;

/// Built once: the tokio runtime, the store, the V8 pool and the engine.
struct Env {
    tokio: tokio::runtime::Runtime,
    stores: Stores,
    v8: Arc<V8Runtime>,
    engine: Engine,
    hello: String,
    fresh_hello: String,
    kv3: String,
    _dir: tempfile::TempDir,
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn event() -> Event {
    Event {
        method: "GET".into(),
        path: "/fn/bench".into(),
        relative_path: "/".into(),
        ..Event::default()
    }
}

async fn create(stores: &Stores, code: &str) -> String {
    create_with(stores, code, Isolation::Warm).await
}

async fn create_with(stores: &Stores, code: &str, isolation: Isolation) -> String {
    let id = ids::new_id();
    stores
        .functions
        .create_function(NewFunction {
            id: id.clone(),
            name: "bench".into(),
            description: None,
            code: code.into(),
            isolation,
            now: 1_700_000_000,
        })
        .await
        .expect("create function");
    id
}

impl Env {
    fn new() -> Self {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio");
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("lunar.db");
        let v8 = Arc::new(V8Runtime::new(V8Options::default()).expect("V8"));
        let (stores, engine, hello, fresh_hello, kv3) = tokio.block_on(async {
            let store = Arc::new(
                SqliteStore::connect(db.to_str().expect("utf-8 path"))
                    .await
                    .expect("sqlite"),
            );
            store.migrate().await.expect("migrate");
            let stores = Stores::from_backend(store.clone());
            let engine = Engine::new(stores.clone(), v8.clone(), EngineConfig::default());
            let hello = create(&stores, HELLO).await;
            let fresh_hello = create_with(&stores, HELLO, Isolation::Fresh).await;
            let kv3 = create(&stores, KV3).await;
            (stores, engine, hello, fresh_hello, kv3)
        });
        Self {
            tokio,
            stores,
            v8,
            engine,
            hello,
            fresh_hello,
            kv3,
            _dir: dir,
        }
    }

    async fn execute(&self, function_id: &str) {
        let r = self
            .engine
            .execute(ExecuteRequest::http(function_id, event()))
            .await
            .expect("engine ran");
        assert!(r.error_message.is_none(), "{:?}", r.error_message);
    }

    /// A job for the bare runtime path (what the engine would build).
    fn job(&self, function_id: &str, version_id: &str, code: Arc<str>) -> RunJob {
        let limits = Limits::default();
        let clock = Arc::new(SystemClock);
        let host = Host::new(
            KvHandle::new(function_id, self.stores.kv.clone()),
            EnvHandle::new(function_id, BTreeMap::new(), self.stores.env.clone()),
            Logger::new(&limits, clock.clone()),
            clock,
        );
        let ctx = Ctx {
            execution_id: ids::new_id(),
            function_id: function_id.to_owned(),
            function_name: "bench".into(),
            started_at: 1_700_000_000,
            version: "1".into(),
            trigger: Trigger::Http,
            base_url: None,
        };
        RunJob::new(
            code,
            version_id.to_owned(),
            ctx,
            event(),
            limits,
            "UTC".into(),
            host,
            // A fresh `CancellationToken` (named through inference: no tokio-util dep).
            Default::default(),
        )
    }

    async fn run_bare(&self, job: RunJob) {
        let out: RunOutcome = self.v8.run(job).await;
        assert!(out.is_ok(), "{out:?}");
    }
}

fn unique_code() -> String {
    let n = UNIQUE.fetch_add(1, Ordering::Relaxed);
    // A new source each time, so neither Lunar's nor V8's compilation cache serves it.
    format!("// version {n}\nfunction handler(ctx, event) {{ return {{ body: \"hello {n}\" }}; }}")
}

fn engine_group(c: &mut Criterion, env: &Env) {
    let mut g = c.benchmark_group("runtime/engine");
    g.throughput(Throughput::Elements(1));
    g.bench_function("cold", |b| {
        b.iter_custom(|iters| {
            env.tokio.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // Creating the function (a store write) is not timed.
                    let fid = create(&env.stores, &unique_code()).await;
                    let start = Instant::now();
                    env.execute(&fid).await;
                    total += start.elapsed();
                }
                total
            })
        });
    });
    g.bench_function("warm_hello", |b| {
        b.to_async(&env.tokio).iter(|| env.execute(&env.hello));
    });
    g.bench_function("fresh_hello", |b| {
        b.to_async(&env.tokio)
            .iter(|| env.execute(&env.fresh_hello));
    });
    g.bench_function("kv3", |b| {
        b.to_async(&env.tokio).iter(|| env.execute(&env.kv3));
    });
    g.finish();
}

/// `iters` rounds of `n` concurrent executions of `fid` through `engine`, each checked to
/// have succeeded; the time they took.
async fn bursts(engine: &Engine, fid: &Arc<str>, n: usize, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let engine = engine.clone();
                let fid = fid.clone();
                tokio::spawn(async move {
                    engine
                        .execute(ExecuteRequest::http(&*fid, event()))
                        .await
                        .expect("engine ran")
                })
            })
            .collect();
        for t in tasks {
            let r = t.await.expect("task");
            assert!(r.error_message.is_none(), "{:?}", r.error_message);
        }
    }
    start.elapsed()
}

/// 100 executions at once, each awaiting a 1 s upstream on loopback.
fn io_bound_group(c: &mut Criterion, env: &Env) {
    const N: usize = 100;
    let upstream = env.tokio.block_on(async {
        let app = axum::Router::new().route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                "done"
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });
    let code = format!(
        "async function handler() {{ const r = await fetch('http://{upstream}/slow'); \
         return {{ body: await r.text() }}; }}"
    );
    let (engine, fid) = env.tokio.block_on(async {
        let http = Arc::new(ReqwestClient::new(ClientOptions::default()).expect("client"));
        let engine = Engine::builder(env.stores.clone(), env.v8.clone())
            .http_client(http)
            .build();
        (engine, create(&env.stores, &code).await)
    });
    let fid: Arc<str> = Arc::from(fid.as_str());
    let mut g = c.benchmark_group("runtime/io_bound");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function(BenchmarkId::new("fetch_1s_upstream", N), |b| {
        b.iter_custom(|iters| env.tokio.block_on(bursts(&engine, &fid, N, iters)));
    });
    g.finish();
}

fn bare_group(c: &mut Criterion, env: &Env) {
    let mut g = c.benchmark_group("runtime/bare");
    g.throughput(Throughput::Elements(1));
    let hello: Arc<str> = Arc::from(HELLO);
    let kv3: Arc<str> = Arc::from(KV3);
    let hello_version = ids::version_id(&env.hello, 1);
    let kv3_version = ids::version_id(&env.kv3, 1);
    g.bench_function("cold", |b| {
        b.iter_custom(|iters| {
            env.tokio.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let code: Arc<str> = Arc::from(unique_code());
                    let version = ids::new_id();
                    let job = env.job(&env.hello, &version, code);
                    let start = Instant::now();
                    env.run_bare(job).await;
                    total += start.elapsed();
                }
                total
            })
        });
    });
    g.bench_function("warm_hello", |b| {
        b.to_async(&env.tokio)
            .iter(|| env.run_bare(env.job(&env.hello, &hello_version, hello.clone())));
    });
    g.bench_function("kv3", |b| {
        b.to_async(&env.tokio)
            .iter(|| env.run_bare(env.job(&env.kv3, &kv3_version, kv3.clone())));
    });
    g.finish();
}

fn throughput_group(c: &mut Criterion, env: &Env) {
    let mut g = c.benchmark_group("runtime/throughput");
    g.throughput(Throughput::Elements(BURST));
    let engine = env.engine.clone();
    let hello_fn: Arc<str> = Arc::from(env.hello.as_str());
    g.bench_function(BenchmarkId::new("engine_hello", BURST), |b| {
        b.iter_custom(|iters| {
            let n = usize::try_from(BURST).expect("burst size");
            env.tokio.block_on(bursts(&engine, &hello_fn, n, iters))
        });
    });
    let hello: Arc<str> = Arc::from(HELLO);
    let version = ids::version_id(&env.hello, 1);
    g.bench_function(BenchmarkId::new("bare_hello", BURST), |b| {
        b.iter_custom(|iters| {
            env.tokio.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let tasks: Vec<_> = (0..BURST)
                        .map(|_| {
                            let v8 = env.v8.clone();
                            let job = env.job(&env.hello, &version, hello.clone());
                            tokio::spawn(async move { v8.run(job).await })
                        })
                        .collect();
                    for t in tasks {
                        assert!(t.await.expect("task").is_ok());
                    }
                }
                start.elapsed()
            })
        });
    });
    g.finish();
}

/// Resident set size of this process, in KiB (Linux `/proc/self/status`).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Starts `N` workers, gives each an isolate by running one execution on every worker at
/// once, and prints the RSS growth per worker.
fn idle_worker_rss(env: &Env) {
    const N: usize = 16;
    // V8 is initialised and the snapshot built by `Env`; let the allocator settle.
    std::thread::sleep(Duration::from_millis(200));
    let Some(before) = rss_kib() else {
        println!("idle worker RSS: /proc/self/status unavailable");
        return;
    };
    let rt = Arc::new(V8Runtime::new(V8Options::default().with_workers(N)).expect("V8"));
    let code: Arc<str> =
        Arc::from("async function handler() { await time.sleep(200); return { body: \"ok\" }; }");
    env.tokio.block_on(async {
        let tasks: Vec<_> = (0..N)
            .map(|_| {
                let rt = rt.clone();
                let job = env.job(&env.hello, "rss-v1", code.clone());
                tokio::spawn(async move { rt.run(job).await })
            })
            .collect();
        for t in tasks {
            assert!(t.await.expect("task").is_ok());
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let after = rss_kib().unwrap_or(before);
    #[allow(clippy::cast_precision_loss)]
    let per = after.saturating_sub(before) as f64 / N as f64 / 1024.0;
    println!(
        "idle worker RSS: {per:.1} MiB per worker ({N} workers with an isolate each; \
         process {:.1} -> {:.1} MiB)",
        before as f64 / 1024.0,
        after as f64 / 1024.0
    );
    drop(rt);
}

fn benches(c: &mut Criterion) {
    let env = Env::new();
    idle_worker_rss(&env);
    engine_group(c, &env);
    bare_group(c, &env);
    throughput_group(c, &env);
    io_bound_group(c, &env);
}

criterion_group!(runtime, benches);

fn main() {
    runtime();
    Criterion::default().configure_from_args().final_summary();
}
