//! The server URL (or the skip), and fresh stores each in its own schema.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lunar_store_sql::PostgresStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::OnceCell;

/// The server to test against.
const URL_VAR: &str = "LUNAR_TEST_POSTGRES_URL";
/// `1` makes a missing URL a failure instead of a skip.
const REQUIRE_VAR: &str = "LUNAR_REQUIRE_POSTGRES";
/// Every test schema's name starts with this, then `{unix seconds}_{pid}_{n}`.
const SCHEMA_PREFIX: &str = "lunar_test_";
/// Schemas older than this are leftovers of killed runs, dropped by the next run.
const STALE_AFTER_SECS: u64 = 3600;
/// Connections per pool: tests run in parallel against one server.
pub(crate) const POOL_SIZE: u32 = 5;

/// The server URL; `None` (after a skip line) when it is not configured.
///
/// # Panics
/// When the URL is missing and `LUNAR_REQUIRE_POSTGRES=1`.
pub(crate) fn url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var(REQUIRE_VAR).is_ok_and(|v| v.trim() == "1") => {
            panic!("{REQUIRE_VAR}=1 but {URL_VAR} is not set: PostgreSQL tests cannot run")
        }
        _ => {
            eprintln!("skipping PostgreSQL tests: {URL_VAR} is not set");
            None
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A schema owned by one test, dropped (with everything in it) when the guard drops.
#[derive(Debug)]
pub(crate) struct TestSchema {
    url: String,
    name: String,
}

impl TestSchema {
    /// Creates a new, empty schema (first sweeping away stale ones of earlier runs).
    pub(crate) async fn create(url: &str) -> Self {
        static SWEPT: OnceCell<()> = OnceCell::const_new();
        SWEPT.get_or_init(|| sweep_stale(url)).await;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "{SCHEMA_PREFIX}{}_{}_{}",
            unix_now(),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect(url)
            .await
            .expect("connect to the test server");
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut admin)
            .await
            .expect("create schema");
        admin.close().await.ok();
        Self {
            url: url.to_owned(),
            name,
        }
    }

    /// The schema's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// A new pool ("node") whose connections all use this schema; not migrated.
    pub(crate) async fn node(&self, max_connections: u32) -> PostgresStore {
        let connect: PgConnectOptions = PostgresStore::connect_options(&self.url)
            .expect("test URL")
            .options([("search_path", self.name.as_str())]);
        let pool = PostgresStore::pool_options()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(60));
        PostgresStore::connect_with(connect, pool)
            .await
            .expect("connect")
    }

    /// A migrated store on this schema.
    pub(crate) async fn store(&self) -> PostgresStore {
        let store = self.node(POOL_SIZE).await;
        store.migrate().await.expect("migrate");
        store
    }
}

impl Drop for TestSchema {
    /// `Drop` cannot await: a thread with its own runtime drops the schema and is joined,
    /// so the schema is gone when the test ends. Failures only warn; the next run's sweep
    /// removes what is left.
    fn drop(&mut self) {
        let url = self.url.clone();
        let name = self.name.clone();
        let done = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(drop_schemas(&url, &[name]))
        })
        .join();
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test schema {}: {e}", self.name),
            Err(_) => eprintln!("could not drop test schema {}: thread panicked", self.name),
        }
    }
}

/// Drops the named schemas, waiting at most a few seconds for locks.
async fn drop_schemas(url: &str, names: &[String]) -> Result<(), String> {
    let mut conn = PgConnection::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("SET lock_timeout = '10s'")
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    for name in names {
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
    }
    conn.close().await.map_err(|e| e.to_string())
}

/// Drops test schemas created more than [`STALE_AFTER_SECS`] ago (by a run that was killed
/// before its guards ran). Young schemas may belong to a concurrent run and are kept.
async fn sweep_stale(url: &str) {
    let names: Vec<String> = async {
        let mut conn = PgConnection::connect(url).await?;
        sqlx::query_scalar("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(SCHEMA_PREFIX)
            .fetch_all(&mut conn)
            .await
    }
    .await
    .unwrap_or_default();
    let cutoff = unix_now().saturating_sub(STALE_AFTER_SECS);
    let stale: Vec<String> = names
        .into_iter()
        .filter(|name| {
            name[SCHEMA_PREFIX.len()..]
                .split('_')
                .next()
                .and_then(|secs| secs.parse::<u64>().ok())
                .is_some_and(|created| created < cutoff)
        })
        .collect();
    if !stale.is_empty()
        && let Err(e) = drop_schemas(url, &stale).await
    {
        eprintln!("could not drop stale test schemas: {e}");
    }
}

/// A migrated store in a new schema, with the guard that drops it; `None` to skip.
pub(crate) async fn fresh_store() -> Option<(PostgresStore, TestSchema)> {
    let url = url()?;
    let schema = TestSchema::create(&url).await;
    let store = schema.store().await;
    Some((store, schema))
}
