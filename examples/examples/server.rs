//! The standalone Lunar server: `cargo run --release --example server`.

use std::process::ExitCode;

use lunar_examples::{KeySource, ServerConfig, build_app, shutdown_signal};
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system allocator: every execution allocates on a request
/// thread and frees on another (V8's workers, the store's writer), which glibc's malloc
/// handles slowly.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = ServerConfig::from_env()?;
    let addr = config.listen_addr();
    let app = build_app(config).await?;
    if let KeySource::Generated(path) = &app.key_source {
        println!("Generated new API key: {}", app.api_key);
        println!("Saved to: {}", path.display());
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    app.announce(listener.local_addr()?);
    app.serve(listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
