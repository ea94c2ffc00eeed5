#![doc = include_str!("../README.md")]

mod batch;
mod data;
mod error;
mod functions;
mod keys;
mod records;
mod tracking;
mod trees;

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::error::{SledError, SledResult};
use crate::trees::Inner;

/// The schema version this build writes and reads.
const SCHEMA_VERSION: u32 = 1;
/// Key of the schema version in the `meta` tree.
const SCHEMA_KEY: &[u8] = b"schema_version";

/// A Lunar store on an embedded [`sled`] database, implementing every store trait of
/// `lunar_core` (functions, KV, env, logs, AI and e-mail tracking) and the optional
/// [`BatchWriter`](lunar_core::BatchWriter) for group commit.
///
/// The host opens the database and hands it over; [`SledStore::migrate`] must run once
/// before any other call. Every sled call runs on tokio's blocking pool.
///
/// **Durability.** With the default [`flush_on_execution`](Self::with_flush_on_execution),
/// `insert_execution` and `finish_execution` return only after sled has flushed its log to
/// disk, so an acknowledged execution (and the logs the engine appended before finishing
/// it) survives a crash. Other writes (KV, env, function edits) are durable after sled's
/// periodic flush (`sled::Config::flush_every_ms`, 500 ms by default) or an explicit
/// [`SledStore::flush`].
#[derive(Clone)]
pub struct SledStore {
    db: sled::Db,
    inner: Arc<OnceLock<Arc<Inner>>>,
    flush_on_execution: bool,
}

impl fmt::Debug for SledStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SledStore")
            .field("migrated", &self.inner.get().is_some())
            .field("flush_on_execution", &self.flush_on_execution)
            .finish_non_exhaustive()
    }
}

impl SledStore {
    /// A store on `db`. Call [`SledStore::migrate`] before use.
    #[must_use]
    pub fn new(db: sled::Db) -> Self {
        Self {
            db,
            inner: Arc::new(OnceLock::new()),
            flush_on_execution: true,
        }
    }

    /// Whether `insert_execution` and `finish_execution` wait for a flush to disk
    /// (default `true`). Turning it off trades the guarantee that an acknowledged execution
    /// survives a crash for throughput; sled still flushes on its own timer.
    #[must_use]
    pub fn with_flush_on_execution(mut self, flush: bool) -> Self {
        self.flush_on_execution = flush;
        self
    }

    /// The underlying database.
    #[must_use]
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Opens (creating when missing) the store's trees and records the schema version.
    /// Safe to call more than once. Fails when the database was written by a newer
    /// schema.
    pub async fn migrate(&self) -> lunar_core::Result<()> {
        let db = self.db.clone();
        let slot = self.inner.clone();
        tokio::task::spawn_blocking(move || -> SledResult<()> {
            let inner = Inner::open(&db)?;
            let found = match inner.t.meta.get(SCHEMA_KEY)? {
                Some(v) => {
                    let raw: [u8; 4] = v
                        .as_ref()
                        .try_into()
                        .map_err(|_| SledError::BadKey("meta"))?;
                    Some(u32::from_be_bytes(raw))
                }
                None => None,
            };
            match found {
                Some(v) if v > SCHEMA_VERSION => {
                    return Err(SledError::SchemaTooNew {
                        found: v,
                        supported: SCHEMA_VERSION,
                    });
                }
                Some(v) if v == SCHEMA_VERSION => {}
                // Version 1 is the first schema: nothing to convert from.
                _ => {
                    inner
                        .t
                        .meta
                        .insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
                    db.flush()?;
                }
            }
            let _ = slot.set(Arc::new(inner));
            Ok(())
        })
        .await
        .map_err(SledError::from)??;
        Ok(())
    }

    /// Flushes every pending write to disk.
    ///
    /// The flush runs on tokio's blocking pool rather than through `Db::flush_async`:
    /// sled 0.34 runs `flush_async` on its own small I/O pool, which the flushes can
    /// exhaust while waiting for the very buffer writes queued behind them.
    pub async fn flush(&self) -> lunar_core::Result<()> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(SledError::from)?
            .map_err(SledError::from)?;
        Ok(())
    }

    /// Runs `f` on the blocking pool with the opened trees.
    async fn run<T, F>(&self, f: F) -> lunar_core::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> SledResult<T> + Send + 'static,
    {
        let inner = self.inner.get().cloned().ok_or(SledError::NotMigrated)?;
        let r = tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(SledError::from)?;
        Ok(r?)
    }

    /// Runs a write of an execution's state, then flushes when executions are to be
    /// durable on return (in the same blocking task).
    async fn run_execution_write<F>(&self, f: F) -> lunar_core::Result<()>
    where
        F: FnOnce(&Inner) -> SledResult<()> + Send + 'static,
    {
        let flush = self.flush_on_execution;
        self.run(move |db| {
            f(db)?;
            if flush {
                db.flush()?;
            }
            Ok(())
        })
        .await
    }
}
