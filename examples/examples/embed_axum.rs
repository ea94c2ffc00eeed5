//! A host axum application with its own routes, mounting Lunar under `/lunar`.
//!
//! ```sh
//! API_KEY=secret cargo run --example embed_axum
//! curl localhost:8080/                      # the host's page
//! curl localhost:8080/lunar/docs            # Lunar's API reference
//! ```

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use lunar_core::{CronScheduler, Engine, EngineConfig, Scheduler, SchedulerConfig, Stores};
use lunar_http::{Auth, LunarService};
use lunar_runtime_v8::{V8Options, V8Runtime};
use lunar_store_sql::SqliteStore;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let api_key = std::env::var("API_KEY").unwrap_or_else(|_| "change-me".to_owned());
    let base_url = "http://localhost:8080/lunar";

    // The host owns the resources: store, runtime, engine, scheduler.
    let store = SqliteStore::connect("embed_axum.db").await?;
    store.migrate().await?;
    let runtime = Arc::new(V8Runtime::new(V8Options::default())?);
    let engine = Engine::new(
        Stores::from_backend(Arc::new(store)),
        runtime,
        EngineConfig::default().with_base_url(base_url),
    );
    let scheduler = CronScheduler::new(engine.clone(), SchedulerConfig::default());
    scheduler.reload().await?;
    let stop = CancellationToken::new();
    let cron = {
        let (scheduler, stop) = (scheduler.clone(), stop.clone());
        tokio::spawn(async move { scheduler.run(stop).await })
    };

    let lunar = LunarService::builder(engine.clone())
        .scheduler(Arc::new(scheduler) as Arc<dyn Scheduler>)
        .auth(Auth::ApiKey(api_key))
        .base_url(base_url)
        .build();
    let app = Router::new()
        .route(
            "/",
            get(|| async { "Host application. Lunar lives under /lunar.\n" }),
        )
        .route("/health", get(|| async { "ok\n" }))
        .nest_service("/lunar", lunar);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!("listening on http://127.0.0.1:8080 (Lunar at {base_url})");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    stop.cancel();
    let _ = cron.await;
    engine.shutdown(std::time::Duration::from_secs(30)).await;
    Ok(())
}
