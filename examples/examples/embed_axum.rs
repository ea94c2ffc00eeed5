//! A host axum application with its own routes and state, mounting Lunar under `/lunar`
//! and handing its functions a host capability backed by that state.
//!
//! ```sh
//! API_KEY=secret cargo run --example embed_axum
//! curl localhost:8080/                      # the host's page
//! curl localhost:8080/lunar/docs            # Lunar's API reference
//! ```
//!
//! A function may then call `await host.visits.count({ page: "home" })`, which counts in
//! the host's own map (granted to every function here; a real host decides per function).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use lunar_core::capability::{CallCtx, Capabilities};
use lunar_core::{Lunar, LunarConfig};
use lunar_http::{Auth, LunarService};
use lunar_runtime_v8::{V8Options, V8Runtime};
use lunar_store_sql::SqliteStore;

/// The argument of `host.visits.count`.
#[derive(serde::Deserialize)]
struct VisitArgs {
    page: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let api_key = std::env::var("API_KEY").unwrap_or_else(|_| "change-me".to_owned());
    let base_url = "http://localhost:8080/lunar";

    // The host owns the resources: store and runtime.
    let store = SqliteStore::connect("embed_axum.db").await?;
    store.migrate().await?;
    let runtime = Arc::new(V8Runtime::new(V8Options::default())?);

    // The host's own state, reachable from functions through a capability.
    let visits: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let counter = visits.clone();
    let capabilities = Capabilities::new()
        .add("visits.count", move |_ctx: CallCtx, arg: VisitArgs| {
            let mut all = counter
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = all.entry(arg.page).or_insert(0);
            *n += 1;
            let visits = *n;
            async move { Ok::<_, String>(serde_json::json!({ "visits": visits })) }
        })
        .grant_all();
    // The platform: engine, group commit, cron and housekeeping from one config.
    let config = LunarConfig::from_env()?.with_base_url(base_url);
    let lunar = Lunar::builder(Arc::new(store), runtime)
        .config(config)
        .capabilities(capabilities)
        .build();

    // Mounting it: start, nest, and stop after the server.
    let running = lunar.start().await?;
    let service = LunarService::for_lunar(&lunar).auth(Auth::ApiKey(api_key));
    let app = Router::new()
        .route(
            "/",
            get(|| async { "Host application. Lunar lives under /lunar.\n" }),
        )
        .route("/health", get(|| async { "ok\n" }))
        .route(
            "/visits",
            get(move || {
                let visits = visits.clone();
                async move {
                    format!(
                        "{:?}\n",
                        visits.lock().map(|v| v.clone()).unwrap_or_default()
                    )
                }
            }),
        )
        .nest_service("/lunar", service.build());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!("listening on http://127.0.0.1:8080 (Lunar at {base_url})");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    running.shutdown(std::time::Duration::from_secs(30)).await;
    Ok(())
}
