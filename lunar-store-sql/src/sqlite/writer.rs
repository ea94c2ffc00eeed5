//! The connection every SQLite write transaction runs on, owned by the store rather than
//! pooled.
//!
//! A pooled sqlx connection costs two round trips to its worker thread besides the
//! statement: sqlx pings every connection it takes back into the pool, and the next
//! acquire waits for that ping. On the write path of a quick execution (one `INSERT` of
//! its finished row) that doubled the latency: 180 µs per write where the statement
//! itself takes about half. The writer holds its connection behind an async mutex
//! instead: acquiring it is a lock, and nothing runs on it between two writes.
//!
//! Transactions are plain `BEGIN IMMEDIATE` … `COMMIT` statements ([`WriteTx`]), not
//! sqlx's transaction manager (whose custom `BEGIN` costs one more round trip to check
//! that it began). A transaction dropped uncommitted (an error, a cancelled future) is
//! rolled back before the connection's next use.
//!
//! A group-commit batch sends its `BEGIN IMMEDIATE` with its first statement and its
//! `COMMIT` with its last log INSERT ([`Writer::begin_with_first`]; a batch without logs
//! commits on its own). Each round trip wakes the connection's worker thread and then the
//! caller: a quick execution's row and five log lines took about 330 µs in four round
//! trips (`BEGIN`, two `INSERT`s, `COMMIT`) and take about 180 µs in two (the `stores`
//! benchmark `record_one_execution_5_logs`).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqlitePool, SqliteTransactionManager};
use sqlx::{ConnectOptions, Connection, Sqlite, TransactionManager};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

use crate::error::SqlResult;

/// How a write transaction begins.
const BEGIN: &str = "BEGIN IMMEDIATE";

/// Where write transactions run.
#[derive(Debug, Clone)]
pub(super) enum Writer {
    /// A database in memory: the pool's own connections, because a connection opened
    /// apart may not see the same database.
    Pool(SqlitePool),
    /// A database file: one connection of the store's own, opened when first needed.
    Own(Arc<Own>),
}

#[derive(Debug)]
pub(super) struct Own {
    options: SqliteConnectOptions,
    conn: Arc<Mutex<Option<SqliteConnection>>>,
    /// A transaction may be open on the connection (one was begun and neither committed
    /// nor known to be rolled back): the next use rolls it back first.
    dirty: AtomicBool,
    closed: AtomicBool,
}

/// The writer's connection, held until dropped.
pub(super) enum WriterConn {
    Pool(PoolConnection<Sqlite>),
    Own(
        OwnedMappedMutexGuard<Option<SqliteConnection>, SqliteConnection>,
        Arc<Own>,
    ),
}

impl Deref for WriterConn {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match self {
            Self::Pool(c) => c,
            Self::Own(c, _) => c,
        }
    }
}

impl DerefMut for WriterConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Self::Pool(c) => c,
            Self::Own(c, _) => c,
        }
    }
}

impl Own {
    /// Locks the connection, rolls back whatever a dropped transaction left open on it,
    /// and opens it when there is none (first use, or the last one was broken).
    async fn lock(&self) -> SqlResult<OwnedMutexGuard<Option<SqliteConnection>>> {
        let mut guard = self.conn.clone().lock_owned().await;
        if self.closed.load(Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed.into());
        }
        if self.dirty.swap(false, Ordering::AcqRel)
            && let Some(conn) = guard.as_mut()
            && let Err(e) = sqlx::query("ROLLBACK").execute(&mut *conn).await
            && !e.to_string().contains("no transaction is active")
        {
            // A state a rollback cannot mend: start afresh.
            tracing::warn!(error = %e, "reopening the SQLite write connection");
            if let Some(stale) = guard.take() {
                let _ = stale.close_hard().await;
            }
        }
        if guard.is_none() {
            *guard = Some(self.options.connect().await?);
        }
        Ok(guard)
    }
}

impl Writer {
    /// The writer for a pool's database: its own connection unless the database is in
    /// memory.
    pub(super) fn for_pool(pool: &SqlitePool) -> Self {
        let options = pool.connect_options();
        let name = options.get_filename().to_string_lossy();
        let in_memory = [":memory:", "sqlx-in-memory", "mode=memory"]
            .iter()
            .any(|m| name.contains(m));
        if in_memory {
            Self::Pool(pool.clone())
        } else {
            Self::Own(Arc::new(Own {
                options: (*options).clone(),
                conn: Arc::new(Mutex::new(None)),
                dirty: AtomicBool::new(false),
                closed: AtomicBool::new(false),
            }))
        }
    }

    /// Waits for the connection (opening it when there is none) and rolls back whatever a
    /// dropped transaction left open on it.
    pub(super) async fn acquire(&self) -> SqlResult<WriterConn> {
        match self {
            Self::Pool(pool) => Ok(WriterConn::Pool(pool.acquire().await?)),
            Self::Own(own) => {
                let guard = own.lock().await?;
                match OwnedMutexGuard::try_map(guard, Option::as_mut) {
                    Ok(conn) => Ok(WriterConn::Own(conn, own.clone())),
                    Err(_) => Err(sqlx::Error::PoolClosed.into()),
                }
            }
        }
    }

    /// Starts a write transaction holding the database's write lock from the start
    /// (`BEGIN IMMEDIATE`), so that other connections' writers queue on the busy timeout
    /// instead of failing to upgrade a read lock.
    pub(super) async fn begin(&self) -> SqlResult<WriteTx> {
        let mut conn = self.acquire().await?;
        match &mut conn {
            WriterConn::Own(c, own) => {
                own.dirty.store(true, Ordering::Release);
                sqlx::query(BEGIN).execute(&mut **c).await?;
            }
            WriterConn::Pool(c) => {
                let begin = SqliteTransactionManager::begin(c, Some(BEGIN.into())).await;
                // A COMMIT that failed after SQLite had already rolled back by itself
                // leaves sqlx counting an open transaction on that connection, so every
                // later BEGIN fails: close it and begin on another.
                if let Err(sqlx::Error::InvalidSavePointStatement) = begin {
                    c.close_on_drop();
                    drop(conn);
                    return Box::pin(self.begin()).await;
                }
                begin?;
            }
        }
        Ok(WriteTx {
            conn,
            open: true,
            begin_pending: false,
        })
    }

    /// Starts a write transaction like [`begin`](Self::begin), except that on the store's
    /// own connection its `BEGIN IMMEDIATE` is sent in front of its first statement
    /// ([`WriteTx::text`]) rather than on its own. (The pool's connections, for a database
    /// in memory, begin at once: sqlx's transaction manager must see the `BEGIN`.)
    pub(super) async fn begin_with_first(&self) -> SqlResult<WriteTx> {
        if let Self::Pool(_) = self {
            return self.begin().await;
        }
        let conn = self.acquire().await?;
        if let WriterConn::Own(_, own) = &conn {
            // From here on the connection may be in a transaction.
            own.dirty.store(true, Ordering::Release);
        }
        Ok(WriteTx {
            conn,
            open: true,
            begin_pending: true,
        })
    }

    /// Closes the connection; every later acquire fails.
    pub(super) async fn close(&self) {
        match self {
            Self::Pool(pool) => pool.close().await,
            Self::Own(own) => {
                let mut guard = own.conn.lock().await;
                own.closed.store(true, Ordering::Release);
                if let Some(conn) = guard.take() {
                    let _ = conn.close().await;
                }
            }
        }
    }
}

/// An open write transaction on the writer's connection: [`commit`](Self::commit) it, or
/// drop it to roll it back.
pub(crate) struct WriteTx {
    conn: WriterConn,
    /// Neither committed nor rolled back.
    open: bool,
    /// `BEGIN IMMEDIATE` is still to be sent, in front of the first statement.
    begin_pending: bool,
}

impl WriteTx {
    /// `sql` as the transaction's next statement: with `BEGIN IMMEDIATE` in front when
    /// that is still to be sent.
    pub(crate) fn text(&mut self, sql: String) -> String {
        if std::mem::take(&mut self.begin_pending) {
            format!("{BEGIN}; {sql}")
        } else {
            sql
        }
    }

    /// `sql` (from [`text`](Self::text)) with `COMMIT` after it, to be the transaction's
    /// last statement, and whether it is: on the store's own connection, whose `dirty`
    /// flag rolls back a transaction that a failure of either left open; not on the
    /// pool's connections, which commit through sqlx.
    pub(crate) fn then_commit(&self, sql: String) -> (String, bool) {
        match self.conn {
            WriterConn::Own(..) => (format!("{sql}; COMMIT"), true),
            WriterConn::Pool(_) => (sql, false),
        }
    }

    /// A statement from [`then_commit`](Self::then_commit) succeeded: the transaction is
    /// committed.
    pub(crate) fn committed(mut self) {
        if let WriterConn::Own(_, own) = &self.conn {
            own.dirty.store(false, Ordering::Release);
        }
        self.open = false;
    }

    /// Commits. When the commit fails SQLite may have rolled back by itself (it does on
    /// `SQLITE_FULL` and I/O errors) or not; either way the transaction is rolled back
    /// before the connection's next use. A transaction that ran no statement has nothing
    /// to commit.
    pub(crate) async fn commit(mut self) -> SqlResult<()> {
        if self.begin_pending {
            self.committed();
            return Ok(());
        }
        match &mut self.conn {
            WriterConn::Own(c, own) => {
                sqlx::query("COMMIT").execute(&mut **c).await?;
                own.dirty.store(false, Ordering::Release);
            }
            WriterConn::Pool(c) => SqliteTransactionManager::commit(c).await?,
        }
        self.open = false;
        Ok(())
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        // A statement run before the pending BEGIN would commit on its own.
        debug_assert!(!self.begin_pending, "a statement ahead of the BEGIN");
        &mut self.conn
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        match &mut self.conn {
            // The store's own connection is `dirty`: its next lock rolls back. That lock
            // is taken at once, as the transaction holds the database's write lock, which
            // other connections' writes wait for; without a runtime to do it on, the next
            // write does it.
            WriterConn::Own(_, own) => {
                let own = own.clone();
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move {
                        if let Err(e) = own.lock().await {
                            tracing::warn!(error = %e, "rolling back a dropped SQLite transaction");
                        }
                    });
                }
            }
            // A pooled one has the rollback queued on its worker before it goes back to
            // the pool, as sqlx's own transactions do.
            WriterConn::Pool(c) => SqliteTransactionManager::start_rollback(c),
        }
    }
}
