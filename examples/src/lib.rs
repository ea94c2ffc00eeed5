//! Wiring of the standalone Lunar server, shared by the `server`
//! example and its tests.
//!
//! [`ServerConfig::from_env`] reads the environment; [`build_app`] opens the store, runs
//! migrations, builds the runtime and a [`Lunar`] over them, starts it, and returns an
//! [`App`] to [`serve`](App::serve).

use std::fmt;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lunar_core::app::LunarBuilder;
use lunar_core::capability::Capabilities;
use lunar_core::{Lunar, LunarConfig, Running, Runtime};
use lunar_http::{Auth, LunarService};
use lunar_runtime_v8::{ClientOptions, NetworkPolicy, ReqwestClient, V8Options, V8Runtime};
use lunar_store_sled::SledStore;
use lunar_store_sql::{PostgresStore, SqliteStore};
use rand::TryRngCore;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long in-flight executions may run on after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// A startup failure; its `Display` is the message printed before exiting with code 1.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// A configuration value is invalid (the message names it).
    #[error("{0}")]
    Config(String),
    /// A file or directory could not be used.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The store, runtime or another Lunar part failed to start.
    #[error("{context}: {source}")]
    Lunar {
        /// What was being done.
        context: &'static str,
        /// The cause.
        #[source]
        source: lunar_core::Error,
    },
}

fn config_error(message: impl Into<String>) -> StartupError {
    StartupError::Config(message.into())
}

fn lunar_error(context: &'static str) -> impl FnOnce(lunar_core::Error) -> StartupError {
    move |source| StartupError::Lunar { context, source }
}

/// The storage backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreKind {
    /// SQLite under the data dir (default).
    Sqlite,
    /// PostgreSQL at `DATABASE_URL`.
    Postgres,
    /// sled under the data dir.
    Sled,
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Sled => "sled",
        })
    }
}

/// Settings of the standalone server.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// `PORT` (default 3000).
    pub port: u16,
    /// `DATA_DIR` (default `./data`).
    pub data_dir: PathBuf,
    /// `API_KEY` when set and non-empty.
    pub api_key: Option<String>,
    /// `LUNAR_STORE`.
    pub store: StoreKind,
    /// `DATABASE_URL`.
    pub database_url: Option<String>,
    /// `LUNAR_DENY_PRIVATE_NETWORKS` (default false): outbound calls may not reach loopback
    /// or private networks either.
    pub deny_private_networks: bool,
    /// The platform's settings ([`LunarConfig::from_vars`]: `EXECUTION_TIMEOUT`,
    /// `BASE_URL` — here `http://localhost:{PORT}` by default —, `LUNAR_TIMEZONE`,
    /// `LUNAR_MAX_IN_FLIGHT`, `LUNAR_MAX_QUEUE_DELAY_MS`, `LUNAR_GRANTS`).
    pub lunar: LunarConfig,
    /// Host capabilities for a host that builds on the server (the server itself registers
    /// none; `LUNAR_GRANTS` decides who may call them).
    pub capabilities: Capabilities,
    /// A runtime to use instead of V8 (tests).
    pub runtime: Option<Arc<dyn Runtime>>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("port", &self.port)
            .field("data_dir", &self.data_dir)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("store", &self.store)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("deny_private_networks", &self.deny_private_networks)
            .field("lunar", &self.lunar)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

impl Default for ServerConfig {
    /// The defaults (no environment read).
    fn default() -> Self {
        Self {
            port: 3000,
            data_dir: PathBuf::from("./data"),
            api_key: None,
            store: StoreKind::Sqlite,
            database_url: None,
            deny_private_networks: false,
            lunar: LunarConfig::default().with_base_url("http://localhost:3000"),
            capabilities: Capabilities::new(),
            runtime: None,
        }
    }
}

impl ServerConfig {
    /// Reads the process environment.
    ///
    /// # Errors
    /// [`StartupError::Config`] naming the variable and what it takes.
    pub fn from_env() -> Result<Self, StartupError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads settings through `var` (the environment, or a map in tests).
    ///
    /// # Errors
    /// [`StartupError::Config`] naming the variable and what it takes.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, StartupError> {
        let port = match var("PORT") {
            None => 3000,
            Some(p) => p
                .trim()
                .parse::<u16>()
                .map_err(|_| config_error(format!("PORT must be a port number (got {p:?})")))?,
        };
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "./data".to_owned()));
        let mut lunar = LunarConfig::from_vars(&var).map_err(|e| config_error(e.0))?;
        if lunar.base_url.is_none() {
            lunar = lunar.with_base_url(format!("http://localhost:{port}"));
        }
        let api_key = var("API_KEY").filter(|k| !k.is_empty());
        let store = match var("LUNAR_STORE").as_deref() {
            None | Some("sqlite") => StoreKind::Sqlite,
            Some("postgres") => StoreKind::Postgres,
            Some("sled") => StoreKind::Sled,
            Some(_) => {
                return Err(config_error(
                    "LUNAR_STORE must be one of: sqlite, postgres, sled",
                ));
            }
        };
        let database_url = var("DATABASE_URL").filter(|u| !u.is_empty());
        if store == StoreKind::Postgres && database_url.is_none() {
            return Err(config_error(
                "DATABASE_URL is required when LUNAR_STORE=postgres",
            ));
        }
        let deny_private_networks = match var("LUNAR_DENY_PRIVATE_NETWORKS").as_deref() {
            None | Some("" | "false" | "0") => false,
            Some("true" | "1") => true,
            Some(_) => {
                return Err(config_error(
                    "LUNAR_DENY_PRIVATE_NETWORKS must be true or false",
                ));
            }
        };
        Ok(Self {
            port,
            data_dir,
            api_key,
            store,
            database_url,
            deny_private_networks,
            lunar,
            capabilities: Capabilities::new(),
            runtime: None,
        })
    }

    /// `EXECUTION_TIMEOUT` in seconds (default 30).
    #[must_use]
    pub fn execution_timeout(&self) -> u64 {
        self.lunar.limits.timeout.as_secs()
    }

    /// `BASE_URL` without a trailing `/` (default `http://localhost:{PORT}`).
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.lunar.base_url.as_deref().unwrap_or_default()
    }

    /// Host capabilities functions may call (who may: `LUNAR_GRANTS`, or the hook of
    /// `capabilities` when that is unset).
    #[must_use]
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Uses `runtime` instead of starting V8.
    #[must_use]
    pub fn with_runtime(mut self, runtime: Arc<dyn Runtime>) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// The address to listen on (`0.0.0.0:{port}`).
    #[must_use]
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::from(([0, 0, 0, 0], self.port))
    }
}

/// Creates `dir` with its parents, mode 0700.
fn create_data_dir(dir: &Path) -> Result<(), StartupError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| StartupError::Io {
        context: format!("cannot create data directory {}", dir.display()),
        source,
    })
}

/// Where the API key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// `API_KEY`.
    Environment,
    /// Read from this file.
    File(PathBuf),
    /// Generated now and written to this file.
    Generated(PathBuf),
}

/// Resolves the API key: `API_KEY`, else `{DATA_DIR}/api_key.txt`, else a new key
/// written there (mode 0600).
///
/// # Errors
/// `API key file is empty: {path}`, or an I/O error reading or writing the file.
pub fn resolve_api_key(
    api_key: Option<&str>,
    data_dir: &Path,
) -> Result<(String, KeySource), StartupError> {
    if let Some(k) = api_key.filter(|k| !k.is_empty()) {
        return Ok((k.to_owned(), KeySource::Environment));
    }
    let path = data_dir.join("api_key.txt");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = text.trim();
            if key.is_empty() {
                return Err(config_error(format!(
                    "API key file is empty: {}",
                    path.display()
                )));
            }
            Ok((key.to_owned(), KeySource::File(path)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng
                .try_fill_bytes(&mut bytes)
                .map_err(|e| StartupError::Io {
                    context: "cannot generate an API key".to_owned(),
                    source: std::io::Error::other(e),
                })?;
            let key = hex::encode(bytes);
            let io = |source| StartupError::Io {
                context: format!("cannot write API key file {}", path.display()),
                source,
            };
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&path).map_err(io)?;
            file.write_all(key.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok((key, KeySource::Generated(path)))
        }
        Err(source) => Err(StartupError::Io {
            context: format!("cannot read API key file {}", path.display()),
            source,
        }),
    }
}

/// The opened store, kept for closing.
#[derive(Debug, Clone)]
enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
    Sled(SledStore),
}

impl Store {
    /// A platform over this store (group commit through its batch writer).
    fn lunar(&self, runtime: Arc<dyn Runtime>) -> LunarBuilder {
        match self {
            Self::Sqlite(s) => Lunar::builder(Arc::new(s.clone()), runtime),
            Self::Postgres(s) => Lunar::builder(Arc::new(s.clone()), runtime),
            Self::Sled(s) => Lunar::builder(Arc::new(s.clone()), runtime),
        }
    }

    async fn close(&self) {
        match self {
            Self::Sqlite(s) => s.close().await,
            Self::Postgres(s) => s.pool().close().await,
            Self::Sled(s) => {
                if let Err(e) = s.flush().await {
                    tracing::warn!(error = %e, "cannot flush the sled database");
                }
            }
        }
    }
}

async fn open_store(config: &ServerConfig) -> Result<Store, StartupError> {
    match config.store {
        StoreKind::Sqlite => {
            let target = config.database_url.clone().unwrap_or_else(|| {
                config
                    .data_dir
                    .join("lunar.db")
                    .to_string_lossy()
                    .into_owned()
            });
            let store = SqliteStore::connect(&target)
                .await
                .map_err(lunar_error("cannot open the SQLite database"))?;
            store
                .migrate()
                .await
                .map_err(lunar_error("cannot migrate the SQLite database"))?;
            Ok(Store::Sqlite(store))
        }
        StoreKind::Sled => {
            let path = config.data_dir.join("lunar.sled");
            let db = sled::open(&path).map_err(|e| StartupError::Io {
                context: format!("cannot open the sled database {}", path.display()),
                source: std::io::Error::other(e),
            })?;
            let store = SledStore::new(db);
            store
                .migrate()
                .await
                .map_err(lunar_error("cannot migrate the sled database"))?;
            Ok(Store::Sled(store))
        }
        StoreKind::Postgres => {
            // from_env() guarantees the URL for postgres.
            let url = config.database_url.as_deref().unwrap_or_default();
            let store = PostgresStore::connect(url)
                .await
                .map_err(lunar_error("cannot connect to PostgreSQL"))?;
            store
                .migrate()
                .await
                .map_err(lunar_error("cannot migrate the PostgreSQL database"))?;
            Ok(Store::Postgres(store))
        }
    }
}

/// A built server: the service mounted at `/`, and what must be stopped on shutdown.
#[derive(Debug)]
pub struct App {
    /// The HTTP router (Lunar at the root).
    pub router: axum::Router,
    /// The platform (its engine: `lunar.engine()`).
    pub lunar: Lunar,
    /// The API key in force.
    pub api_key: String,
    /// Where the key came from.
    pub key_source: KeySource,
    /// The configuration used.
    pub config: ServerConfig,
    service: LunarService,
    store: Store,
    running: Running,
}

/// Builds the server in order: data dir, API key, store and
/// migrations, runtime, then the platform, started (interrupted executions failed, cron
/// schedules loaded, scheduler and housekeeping running).
///
/// # Errors
/// A [`StartupError`] naming what failed.
pub async fn build_app(config: ServerConfig) -> Result<App, StartupError> {
    create_data_dir(&config.data_dir)?;
    let (api_key, key_source) = resolve_api_key(config.api_key.as_deref(), &config.data_dir)?;
    let store = open_store(&config).await?;
    let runtime: Arc<dyn Runtime> = match &config.runtime {
        Some(r) => r.clone(),
        None => Arc::new(
            V8Runtime::new(V8Options::default().with_timezone(config.lunar.timezone.name()))
                .map_err(lunar_error("cannot start V8"))?,
        ),
    };
    let policy = NetworkPolicy::default().deny_private_networks(config.deny_private_networks);
    let http = ReqwestClient::new(ClientOptions::default().with_policy(policy))
        .map_err(lunar_error("cannot build the outbound HTTP client"))?;
    // SQLite and sled belong to this process alone: whatever is pending at start was left
    // by a process that died. PostgreSQL may be shared with nodes still running theirs.
    let lunar = store
        .lunar(runtime)
        .config(config.lunar.clone())
        .http_client(Arc::new(http))
        .capabilities(config.capabilities.clone())
        .exclusive_store(config.store != StoreKind::Postgres)
        .build();
    let running = lunar
        .start()
        .await
        .map_err(lunar_error("cannot load cron schedules"))?;
    if config.deny_private_networks {
        tracing::info!(
            "LUNAR_DENY_PRIVATE_NETWORKS is set: outbound HTTP may not reach loopback or private networks"
        );
    }
    let service = LunarService::for_lunar(&lunar)
        .auth(Auth::ApiKey(api_key.clone()))
        .build();
    let router = axum::Router::new().fallback_service(service.clone());
    Ok(App {
        router,
        lunar,
        api_key,
        key_source,
        config,
        service,
        store,
        running,
    })
}

impl App {
    /// The Lunar service the router serves at its root, for mounting elsewhere (e.g.
    /// `Router::nest_service("/lunar", app.service())`).
    #[must_use]
    pub fn service(&self) -> LunarService {
        self.service.clone()
    }

    /// Logs the startup lines (port, data dir, store, timeout, URLs).
    pub fn announce(&self, addr: SocketAddr) {
        let c = &self.config;
        tracing::info!("Lunar listening on http://{addr} (port {})", addr.port());
        tracing::info!("data directory: {}", c.data_dir.display());
        tracing::info!("store: {}", c.store);
        tracing::info!("execution timeout: {}s", c.execution_timeout());
        tracing::info!("time zone: {}", c.lunar.timezone.name());
        tracing::info!("API: {}/api", c.base_url());
        tracing::info!("docs: {}/docs", c.base_url());
        tracing::info!("dashboard: {}/", c.base_url());
    }

    /// Serves on `listener` until `signal` resolves, then shuts down: stops accepting,
    /// stops scheduler and housekeeping, lets executions finish for up to 30 s (then
    /// cancels them), and closes the store.
    ///
    /// # Errors
    /// The server's I/O error.
    pub async fn serve(
        self,
        listener: TcpListener,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = CancellationToken::new();
        let trigger = stop.clone();
        let server =
            axum::serve(listener, self.router.clone()).with_graceful_shutdown(async move {
                signal.await;
                trigger.cancel();
            });
        let mut server = tokio::spawn(async move { server.await });
        let early = tokio::select! {
            () = stop.cancelled() => None,
            r = &mut server => Some(r),
        };
        tracing::info!("shutting down");
        self.running.shutdown(SHUTDOWN_GRACE).await;
        let result = match early {
            Some(r) => r,
            // Executions are finished or cancelled; connections close promptly.
            None => match tokio::time::timeout(Duration::from_secs(5), server).await {
                Ok(r) => r,
                Err(_) => Ok(Ok(())),
            },
        };
        self.store.close().await;
        match result {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
