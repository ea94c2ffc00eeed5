//! [`PostgresStore`]: every Lunar store trait on one PostgreSQL database, shared safely by
//! several Lunar nodes.
//!
//! The statements are those of the SQLite store (`crate::sql`) wherever the dialects agree.
//! What differs is explicit here and in `bulk`; the trait methods themselves are shared
//! (`crate::store`):
//!
//! * transactions that number or (de)activate versions start by locking the function's row
//!   (`SELECT ... FOR UPDATE`), so concurrent writers on other nodes queue
//!   on that row and `MAX(version) + 1` is computed under the lock;
//! * bulk statements bind arrays (`= ANY($1)`, `UNNEST`) instead of expanding `IN` lists;
//! * the schema (`migrations/postgres/`) uses `BIGINT`, `BOOLEAN`, identity columns for the
//!   insertion-order `seq` of logs, AI and e-mail rows, and the same partial unique index for
//!   the single active version.

mod bulk;

use std::str::FromStr;
use std::time::Duration;

use lunar_core::Result;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use self::bulk::{finish_execution_rows, insert_execution_rows, insert_log_rows_and_commit};
use crate::error::{SqlError, SqlResult};

/// Backend name carried by [`lunar_core::Error::Backend`].
const BACKEND: &str = "postgres";

/// A page of the function's keys starting with `$2`, in byte order (the `C` collation,
/// whatever the database's default).
const KV_LIST_PREFIXED: &str = "SELECT key, value FROM kv \
    WHERE function_id = $1 AND substr(key, 1, length($2)) = $2 \
    ORDER BY key COLLATE \"C\" LIMIT $3 OFFSET $4";

/// Connections in the pool made by [`PostgresStore::pool_options`]. Several nodes share one
/// server, so each keeps its share small.
pub const MAX_CONNECTIONS: u32 = 10;

/// How long [`PostgresStore::pool_options`] waits for a free connection. Also how long a
/// request waits while the server is unreachable before it fails (and `/fn` answers 503):
/// long enough for a busy pool, short enough that an outage is reported, not hidden.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Locks one function's row until the transaction ends. Writers of the same function's
/// versions (on any node) serialise here; readers are not blocked.
const LOCK_FUNCTION: &str = "SELECT id FROM functions WHERE id = $1 FOR UPDATE";

/// Converts a driver or internal error at the trait boundary.
fn db(e: impl Into<SqlError>) -> lunar_core::Error {
    e.into().into_core(BACKEND)
}

/// Every Lunar store trait ([`FunctionStore`](lunar_core::FunctionStore),
/// [`KvStore`](lunar_core::KvStore), [`EnvStore`](lunar_core::EnvStore),
/// [`LogStore`](lunar_core::LogStore), [`AiTracker`](lunar_core::AiTracker),
/// [`EmailTracker`](lunar_core::EmailTracker)) on one PostgreSQL database.
///
/// The host owns the pool: build it with [`PostgresStore::connect`] (or your own [`PgPool`],
/// e.g. from [`connect_options`](Self::connect_options) and
/// [`pool_options`](Self::pool_options)), then call [`migrate`](PostgresStore::migrate)
/// before use. The tables go into the first schema of the connections' `search_path`.
///
/// Several Lunar nodes may share the database: version numbers stay unique and exactly one
/// version stays active under concurrent updates, and [`claim`](lunar_core::ClaimStore::claim)
/// succeeds for exactly one node. Foreign keys cascade inside the database, so the
/// cross-store cascades of [`lunar_core::Stores`] find nothing left to do.
///
/// Cloning is cheap and shares the pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Wraps a pool; nothing is created until [`migrate`](Self::migrate).
    #[must_use]
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Opens a pool on a `postgres://` URL with [`pool_options`](Self::pool_options). Does
    /// not migrate.
    ///
    /// # Errors
    /// [`lunar_core::Error::InvalidInput`] for an unparsable URL, `Backend` when the server
    /// cannot be reached.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(Self::connect_options(url)?, Self::pool_options()).await
    }

    /// Opens a pool with the given options. Does not migrate.
    ///
    /// # Errors
    /// `Backend` when the server cannot be reached or refuses the connection.
    pub async fn connect_with(connect: PgConnectOptions, pool: PgPoolOptions) -> Result<Self> {
        let pool = pool.connect_with(connect).await.map_err(db)?;
        Ok(Self::new(pool))
    }

    /// Connection settings parsed from a `postgres://` (or `postgresql://`) URL, with a
    /// statement cache large enough for every statement the store prepares. Add e.g.
    /// `.options([("search_path", "lunar")])` to use another schema.
    ///
    /// # Errors
    /// [`lunar_core::Error::InvalidInput`] (field `database_url`) for an unparsable URL.
    pub fn connect_options(url: &str) -> Result<PgConnectOptions> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| lunar_core::Error::invalid("database_url", e.to_string()))?;
        Ok(options.statement_cache_capacity(256))
    }

    /// A bounded pool: at most [`MAX_CONNECTIONS`] connections, waiting up to
    /// [`ACQUIRE_TIMEOUT`] for one, closing connections idle for ten minutes.
    #[must_use]
    pub fn pool_options() -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .idle_timeout(Duration::from_secs(600))
    }

    /// The pool, e.g. for the host's own tables or for closing it on shutdown.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies the embedded migrations (`migrations/postgres/`); safe to call on every start
    /// and from several nodes at once (sqlx serialises them with an advisory lock).
    ///
    /// # Errors
    /// `Backend` when a migration fails or the database has migrations this build does not
    /// know.
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(db)
    }

    /// Starts a write transaction (READ COMMITTED, the server default). Writers of one
    /// function's versions are ordered by [`lock_function`] instead.
    async fn begin_write(&self) -> SqlResult<WriteTx> {
        Ok(self.pool.begin().await?)
    }

    /// Starts a group-commit batch's transaction: as [`begin_write`](Self::begin_write).
    async fn begin_batch(&self) -> SqlResult<WriteTx> {
        self.begin_write().await
    }

    /// Nothing to do after a batch (PostgreSQL checkpoints on its own).
    #[allow(clippy::unused_self)]
    fn after_batch(&self) {}

    /// A pooled connection, for a write that is one statement.
    async fn write_connection(&self) -> SqlResult<sqlx::pool::PoolConnection<Postgres>> {
        Ok(self.pool.acquire().await?)
    }
}

/// Statements a bulk write of `rows` rows runs (arrays bound: one).
fn statements(rows: usize) -> usize {
    usize::from(rows > 0)
}

/// Locks `function_id`'s row inside `tx` (see [`LOCK_FUNCTION`]) until it ends, so that
/// concurrent writers on other nodes queue on that row: `MAX(version) + 1` is computed under
/// the lock, no execution is added while the function is deleted, and an activation cannot
/// slip between a version's check and its delete. `false` when there is no such function.
async fn lock_function(tx: &mut WriteTx, function_id: &str) -> Result<bool> {
    let locked: Option<String> = sqlx::query_scalar(LOCK_FUNCTION)
        .bind(function_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    Ok(locked.is_some())
}

/// The transaction every multi-statement write runs in.
type WriteTx = Transaction<'static, Postgres>;

crate::store::store_impls!(PostgresStore, Postgres);
