//! The engine's cache of runnable functions (function row, active version, env vars), so a
//! hot `/fn` path does not read the database, and the store wrappers that invalidate it on
//! every write made through this process.
//!
//! Writes made by another node sharing the database (PostgreSQL) are seen when an entry
//! expires (`ttl`, one second by default).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::Result;
use crate::model::{
    Function, FunctionUpdate, FunctionVersion, FunctionWithActiveVersion, NewFunction, Page,
    PageRequest,
};
use crate::store::{EnvStore, FunctionStore};

/// Most functions kept at once; loaded code can be large, so the cache stays bounded.
const MAX_ENTRIES: usize = 4096;

/// A function ready to run.
#[derive(Debug, Clone)]
pub(crate) struct Runnable {
    pub(crate) function: Function,
    pub(crate) version: FunctionVersion,
    pub(crate) code: Arc<str>,
    pub(crate) env: BTreeMap<String, String>,
}

#[derive(Debug)]
struct Entry {
    at: Instant,
    runnable: Arc<Runnable>,
}

/// Cache of [`Runnable`]s keyed by function id.
#[derive(Debug)]
pub(crate) struct FunctionCache {
    ttl: Duration,
    state: Mutex<CacheState>,
}

#[derive(Debug, Default)]
struct CacheState {
    entries: HashMap<String, Entry>,
    generation: u64,
}

impl FunctionCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            state: Mutex::new(CacheState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Runnable>> {
        if self.ttl.is_zero() {
            return None;
        }
        let st = self.state();
        st.entries
            .get(id)
            .filter(|e| e.at.elapsed() < self.ttl)
            .map(|e| e.runnable.clone())
    }

    /// The generation to pass to [`Self::put`] for a load starting now.
    pub(crate) fn generation(&self) -> u64 {
        self.state().generation
    }

    /// Stores a load unless a write happened since `generation` was read.
    pub(crate) fn put(&self, id: &str, generation: u64, runnable: Arc<Runnable>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut st = self.state();
        if st.entries.len() >= MAX_ENTRIES {
            // Expired entries go first; a cache still full of live ones starts over.
            let ttl = self.ttl;
            st.entries.retain(|_, e| e.at.elapsed() < ttl);
            if st.entries.len() >= MAX_ENTRIES {
                st.entries.clear();
            }
        }
        if st.generation == generation {
            st.entries.insert(
                id.to_owned(),
                Entry {
                    at: Instant::now(),
                    runnable,
                },
            );
        }
    }

    pub(crate) fn invalidate(&self, id: &str) {
        let mut st = self.state();
        st.generation += 1;
        st.entries.remove(id);
    }
}

/// Wraps a [`FunctionStore`], invalidating the cache on every write.
#[derive(Debug)]
pub(crate) struct InvalidatingFunctions {
    pub(crate) inner: Arc<dyn FunctionStore>,
    pub(crate) cache: Arc<FunctionCache>,
}

#[async_trait]
impl FunctionStore for InvalidatingFunctions {
    async fn create_function(&self, f: NewFunction) -> Result<FunctionWithActiveVersion> {
        self.inner.create_function(f).await
    }
    async fn get_function(&self, id: &str) -> Result<Function> {
        self.inner.get_function(id).await
    }
    async fn list_functions(&self, p: PageRequest) -> Result<Page<FunctionWithActiveVersion>> {
        self.inner.list_functions(p).await
    }
    async fn update_function(&self, id: &str, u: FunctionUpdate) -> Result<Function> {
        let r = self.inner.update_function(id, u).await;
        self.cache.invalidate(id);
        r
    }
    async fn delete_function(&self, id: &str) -> Result<Vec<String>> {
        let r = self.inner.delete_function(id).await;
        self.cache.invalidate(id);
        r
    }
    async fn get_version(&self, fid: &str, n: i64) -> Result<FunctionVersion> {
        self.inner.get_version(fid, n).await
    }
    async fn get_version_by_id(&self, fid: &str, vid: &str) -> Result<FunctionVersion> {
        self.inner.get_version_by_id(fid, vid).await
    }
    async fn list_versions(&self, fid: &str, p: PageRequest) -> Result<Page<FunctionVersion>> {
        self.inner.list_versions(fid, p).await
    }
    async fn active_version(&self, fid: &str) -> Result<FunctionVersion> {
        self.inner.active_version(fid).await
    }
    async fn activate_version(&self, fid: &str, vid: &str) -> Result<()> {
        let r = self.inner.activate_version(fid, vid).await;
        self.cache.invalidate(fid);
        r
    }
    async fn delete_version(&self, fid: &str, vid: &str) -> Result<Vec<String>> {
        let r = self.inner.delete_version(fid, vid).await;
        self.cache.invalidate(fid);
        r
    }
    async fn functions_with_active_cron(&self) -> Result<Vec<Function>> {
        self.inner.functions_with_active_cron().await
    }
    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}

/// Wraps an [`EnvStore`], invalidating the cache on every write.
#[derive(Debug)]
pub(crate) struct InvalidatingEnv {
    pub(crate) inner: Arc<dyn EnvStore>,
    pub(crate) cache: Arc<FunctionCache>,
}

#[async_trait]
impl EnvStore for InvalidatingEnv {
    async fn get(&self, fid: &str, key: &str) -> Result<Option<String>> {
        self.inner.get(fid, key).await
    }
    async fn all(&self, fid: &str) -> Result<BTreeMap<String, String>> {
        self.inner.all(fid).await
    }
    async fn set(&self, fid: &str, key: &str, value: &str) -> Result<()> {
        let r = self.inner.set(fid, key, value).await;
        self.cache.invalidate(fid);
        r
    }
    async fn delete(&self, fid: &str, key: &str) -> Result<()> {
        let r = self.inner.delete(fid, key).await;
        self.cache.invalidate(fid);
        r
    }
    async fn replace_all(&self, fid: &str, vars: &BTreeMap<String, String>) -> Result<()> {
        let r = self.inner.replace_all(fid, vars).await;
        self.cache.invalidate(fid);
        r
    }
    async fn delete_all(&self, fid: &str) -> Result<()> {
        let r = self.inner.delete_all(fid).await;
        self.cache.invalidate(fid);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runnable(id: &str) -> Arc<Runnable> {
        Arc::new(Runnable {
            function: Function {
                id: id.to_owned(),
                name: "f".into(),
                description: None,
                env_vars: BTreeMap::new(),
                disabled: false,
                retention_days: None,
                cron_schedule: None,
                cron_status: None,
                save_response: false,
                created_at: 0,
                updated_at: 0,
                limits: crate::model::FunctionLimits::default(),
                isolation: crate::model::Isolation::Warm,
            },
            version: FunctionVersion::default(),
            code: Arc::from("x"),
            env: BTreeMap::new(),
        })
    }

    #[test]
    fn a_write_during_a_load_keeps_the_load_out() {
        let c = FunctionCache::new(Duration::from_secs(60));
        let g = c.generation();
        c.invalidate("a");
        c.put("a", g, runnable("a"));
        assert!(
            c.get("a").is_none(),
            "a load older than the write is not cached"
        );
        let g = c.generation();
        c.put("a", g, runnable("a"));
        assert!(c.get("a").is_some());
        c.invalidate("a");
        assert!(c.get("a").is_none());
    }

    #[test]
    fn stays_bounded_and_zero_ttl_disables() {
        let c = FunctionCache::new(Duration::from_secs(60));
        for i in 0..=MAX_ENTRIES {
            let id = i.to_string();
            c.put(&id, c.generation(), runnable(&id));
        }
        assert!(c.state().entries.len() <= MAX_ENTRIES);
        let off = FunctionCache::new(Duration::ZERO);
        off.put("a", off.generation(), runnable("a"));
        assert!(off.get("a").is_none());
    }
}
