//! [`SqliteStore`]: every Lunar store trait on one SQLite database.

mod bulk;
mod writer;

use std::str::FromStr;
use std::time::Duration;

use lunar_core::Result;
use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use self::bulk::{finish_execution_rows, insert_execution_rows, insert_log_rows_and_commit};
use self::writer::{WriteTx, Writer, WriterConn};
use crate::error::{SqlError, SqlResult};

/// Backend name carried by [`lunar_core::Error::Backend`].
const BACKEND: &str = "sqlite";

/// A page of the function's keys starting with `$2`, in byte order (SQLite's `BINARY`
/// collation compares UTF-8 bytes).
const KV_LIST_PREFIXED: &str = "SELECT key, value FROM kv \
    WHERE function_id = $1 AND substr(key, 1, length($2)) = $2 \
    ORDER BY key LIMIT $3 OFFSET $4";

/// How long a connection waits for another writer before failing with "database is locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in the pool made by [`SqliteStore::pool_options`].
pub const MAX_CONNECTIONS: u32 = 8;

/// Converts a driver or internal error at the trait boundary.
fn db(e: impl Into<SqlError>) -> lunar_core::Error {
    e.into().into_core(BACKEND)
}

/// Every Lunar store trait ([`FunctionStore`](lunar_core::FunctionStore),
/// [`KvStore`](lunar_core::KvStore), [`EnvStore`](lunar_core::EnvStore),
/// [`LogStore`](lunar_core::LogStore), [`AiTracker`](lunar_core::AiTracker),
/// [`EmailTracker`](lunar_core::EmailTracker)) on one SQLite database.
///
/// The host owns the pool: build it with [`SqliteStore::connect`] (or your own
/// [`SqlitePool`] with [`SqliteStore::connect_options`]), then call
/// [`migrate`](SqliteStore::migrate) once before use. Foreign keys cascade inside the
/// database, so the cross-store cascades of [`lunar_core::Stores`] find nothing left to do.
///
/// Cloning is cheap and shares the pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection for write transactions (SQLite has one writer at a time anyway):
    /// its page cache stays warm instead of being invalidated by other connections'
    /// writes, and it is the store's own, not pooled (see [`writer`]). The main pool
    /// when the database is in memory.
    writer: Writer,
    /// Write-ahead-log checkpoints, run off the write path.
    checkpoints: std::sync::Arc<Checkpoints>,
}

/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so
/// that commit (and every execution waiting on its batch) pays for copying the log into
/// the database and syncing it. Lunar's connections turn it off
/// ([`SqliteStore::connect_options`]) and the store runs a passive checkpoint on another
/// connection every [`CHECKPOINT_EVERY`] group-commit batches instead; writers go on
/// appending meanwhile.
///
/// A passive checkpoint copies only the frames that existed when it began, and SQLite
/// starts the log over only when a writer finds every frame copied, which under steady
/// writes never happens: the log would grow without bound (1.7 GB in 20 s of load was
/// seen). So when a passive checkpoint finds the log past [`WAL_RESTART_FRAMES`], the
/// writer's connection, before its next write, copies what is left and restarts the log
/// from its beginning (`wal_checkpoint(RESTART)`; the file keeps its size and is written
/// over): a short pause, as the passive one already copied most. Under `wrk` load on a
/// hello function this costs about 2 % of throughput and keeps the file near 20 MB.
#[derive(Debug, Default)]
struct Checkpoints {
    batches: std::sync::atomic::AtomicU64,
    running: std::sync::atomic::AtomicBool,
    /// The last passive checkpoint found a long log.
    restart_due: std::sync::atomic::AtomicBool,
}

/// Group-commit batches between two checkpoints.
const CHECKPOINT_EVERY: u64 = 256;

/// Log length (frames, a page each) past which the writer restarts the log.
const WAL_RESTART_FRAMES: i64 = 4096;

impl SqliteStore {
    /// Wraps a pool. Its connections must enforce foreign keys (the sqlx default, and what
    /// [`connect_options`](Self::connect_options) sets); nothing is created until
    /// [`migrate`](Self::migrate). Write transactions use one more connection with the
    /// pool's options, opened when first needed.
    #[must_use]
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            writer: Writer::for_pool(&pool),
            pool,
            checkpoints: std::sync::Arc::default(),
        }
    }

    /// Opens a pool on `path_or_url` with [`connect_options`](Self::connect_options) and
    /// [`pool_options`](Self::pool_options). Does not migrate.
    ///
    /// # Errors
    /// [`lunar_core::Error::InvalidInput`] for an unparsable URL, `Backend` when the
    /// database cannot be opened.
    pub async fn connect(path_or_url: &str) -> Result<Self> {
        Self::connect_with(Self::connect_options(path_or_url)?, Self::pool_options()).await
    }

    /// Opens a pool with the given options (start from [`connect_options`](Self::connect_options)
    /// and [`pool_options`](Self::pool_options) to keep Lunar's settings). Does not migrate.
    ///
    /// # Errors
    /// `Backend` when the database cannot be opened.
    pub async fn connect_with(
        connect: SqliteConnectOptions,
        pool: SqlitePoolOptions,
    ) -> Result<Self> {
        // `connect_with` opens one connection first, so WAL is switched on before any
        // concurrent connection exists.
        let pool = pool.connect_with(connect).await.map_err(db)?;
        Ok(Self::new(pool))
    }

    /// Lunar's connection settings for a database file path or a `sqlite:` URL
    /// (`sqlite::memory:` included): create if missing, WAL journal, `synchronous = NORMAL`,
    /// `foreign_keys = ON` on every connection, a [`BUSY_TIMEOUT`] busy timeout, a
    /// statement cache large enough for every statement the store prepares, and no
    /// automatic checkpoints (the store checkpoints off the write path).
    ///
    /// # Errors
    /// [`lunar_core::Error::InvalidInput`] (field `database_url`) for an unparsable URL.
    pub fn connect_options(path_or_url: &str) -> Result<SqliteConnectOptions> {
        let base = if path_or_url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(path_or_url)
                .map_err(|e| lunar_core::Error::invalid("database_url", e.to_string()))?
        } else {
            SqliteConnectOptions::new().filename(path_or_url)
        };
        Ok(base
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("wal_autocheckpoint", "0")
            .statement_cache_capacity(512))
    }

    /// A bounded pool: at most [`MAX_CONNECTIONS`] connections, waiting up to 30 s for one.
    #[must_use]
    pub fn pool_options() -> SqlitePoolOptions {
        SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
    }

    /// The pool, e.g. for the host's own tables.
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool and the writer's connection (on shutdown): every later operation
    /// fails.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// Applies the embedded migrations (`migrations/sqlite/`); safe to call on every start.
    ///
    /// # Errors
    /// `Backend` when a migration fails or the database has migrations this build does not
    /// know.
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await
            .map_err(db)
    }

    /// Starts a write transaction on the writer's connection, holding the database's
    /// write lock from the start (`BEGIN IMMEDIATE`), so concurrent writers queue on the
    /// busy timeout instead of failing to upgrade a read lock.
    async fn begin_write(&self) -> SqlResult<WriteTx> {
        self.restart_log_if_due().await;
        self.writer.begin().await
    }

    /// Starts a group-commit batch's transaction: as [`begin_write`](Self::begin_write),
    /// its `BEGIN IMMEDIATE` sent with its first statement ([`Writer::begin_with_first`]).
    async fn begin_batch(&self) -> SqlResult<WriteTx> {
        self.restart_log_if_due().await;
        self.writer.begin_with_first().await
    }

    /// Counts a committed batch and, every [`CHECKPOINT_EVERY`], starts a passive
    /// checkpoint on a pooled connection (one at a time; a failure is logged).
    fn after_batch(&self) {
        use std::sync::atomic::Ordering;
        let n = self.checkpoints.batches.fetch_add(1, Ordering::Relaxed) + 1;
        if !n.is_multiple_of(CHECKPOINT_EVERY)
            || self.checkpoints.running.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let pool = self.pool.clone();
        let checkpoints = self.checkpoints.clone();
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            checkpoints.running.store(false, Ordering::Release);
            return;
        };
        rt.spawn(async move {
            // (busy, frames in the log, frames copied)
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await
            {
                Ok((_, log, _)) if log >= WAL_RESTART_FRAMES => {
                    checkpoints.restart_due.store(true, Ordering::Release);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed"),
            }
            checkpoints.running.store(false, Ordering::Release);
        });
    }

    /// Restarts the log on the writer's connection when a checkpoint found it long (see
    /// [`Checkpoints`]). No other write runs meanwhile; a busy or failed restart is tried
    /// again after a later checkpoint.
    async fn restart_log_if_due(&self) {
        use std::sync::atomic::Ordering;
        if !self.checkpoints.restart_due.swap(false, Ordering::AcqRel) {
            return;
        }
        let restart = async {
            let mut conn = self.writer.acquire().await?;
            Ok::<_, SqlError>(
                sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(RESTART)")
                    .fetch_one(&mut *conn)
                    .await?,
            )
        };
        match restart.await {
            Ok((0, _, _)) => {}
            Ok(_) => tracing::debug!("SQLite log restart busy; retried after a later checkpoint"),
            Err(e) => tracing::warn!(error = %e, "SQLite log restart failed"),
        }
    }

    /// The writer's connection, for a write that is one statement.
    async fn write_connection(&self) -> SqlResult<WriterConn> {
        self.restart_log_if_due().await;
        self.writer.acquire().await
    }
}

/// Statements a bulk write of `rows` rows runs (multi-row `VALUES` in a few shapes).
fn statements(rows: usize) -> usize {
    crate::sql::chunk_sizes(rows).count()
}

/// Nothing to lock: [`begin_write`](SqliteStore::begin_write) already holds the database's
/// write lock, which orders every writer. Always `true`; a missing function is found by the
/// statements that follow.
async fn lock_function(_tx: &mut WriteTx, _function_id: &str) -> Result<bool> {
    Ok(true)
}

crate::store::store_impls!(SqliteStore, Sqlite);
