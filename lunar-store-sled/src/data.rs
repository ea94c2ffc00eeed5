//! [`KvStore`] and [`EnvStore`]: per-function entries keyed `prefix(function_id) ++ key`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use lunar_core::model::{KvEntry, Page, PageRequest};
use lunar_core::{EnvStore, Error, KvStore, Result};

use crate::SledStore;
use crate::error::{SledResult, abort};
use crate::functions::window;
use crate::keys::{self, prefix, tail};
use crate::records::text;
use crate::trees::{Inner, Tx};

/// Which of the two entry trees.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Kv,
    Env,
}

impl Kind {
    fn tree(self, db: &Inner) -> &sled::Tree {
        match self {
            Self::Kv => &db.t.kv,
            Self::Env => &db.t.env,
        }
    }

    fn tx_tree<'a>(self, tx: &Tx<'a>) -> &'a sled::transaction::TransactionalTree {
        match self {
            Self::Kv => tx.kv,
            Self::Env => tx.env,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Kv => "kv",
            Self::Env => "env",
        }
    }
}

impl Inner {
    fn entry_get(&self, kind: Kind, function_id: &str, key: &str) -> SledResult<Option<String>> {
        kind.tree(self)
            .get(keys::entry(function_id, key))?
            .map(|v| text(kind.name(), &v))
            .transpose()
    }

    fn entry_set(&self, kind: Kind, function_id: &str, key: &str, value: &str) -> SledResult<()> {
        let k = keys::entry(function_id, key);
        let _adding = self.adding();
        self.tx(|tx| {
            if tx.functions.get(function_id)?.is_none() {
                return abort(Error::NotFound("function"));
            }
            kind.tx_tree(tx).insert(k.as_slice(), value.as_bytes())?;
            Ok(())
        })
    }

    fn entry_delete(&self, kind: Kind, function_id: &str, key: &str) -> SledResult<()> {
        kind.tree(self).remove(keys::entry(function_id, key))?;
        Ok(())
    }

    fn entry_delete_all(&self, kind: Kind, function_id: &str) -> SledResult<()> {
        let tree = kind.tree(self);
        let mut batch = sled::Batch::default();
        for k in tree.scan_prefix(prefix(function_id)).keys() {
            batch.remove(k?);
        }
        tree.apply_batch(batch)?;
        Ok(())
    }

    /// The function's KV entries whose key starts with `key_prefix`, in key byte order.
    fn kv_list(
        &self,
        function_id: &str,
        key_prefix: &str,
        page: PageRequest,
    ) -> SledResult<Page<KvEntry>> {
        let p = prefix(function_id);
        let (skip, take) = window(page);
        let mut items = Vec::new();
        let mut total: usize = 0;
        for kv in self.t.kv.scan_prefix(keys::entry(function_id, key_prefix)) {
            total += 1;
            if total <= skip || items.len() >= take {
                continue;
            }
            let (k, v) = kv?;
            items.push(KvEntry {
                key: tail(&k, p.len(), "kv")?,
                value: text("kv", &v)?,
            });
        }
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or(u64::MAX),
        })
    }

    fn env_all(&self, function_id: &str) -> SledResult<BTreeMap<String, String>> {
        let p = prefix(function_id);
        let mut out = BTreeMap::new();
        for kv in self.t.env.scan_prefix(&p) {
            let (k, v) = kv?;
            out.insert(tail(&k, p.len(), "env")?, text("env", &v)?);
        }
        Ok(out)
    }

    fn env_replace_all(
        &self,
        function_id: &str,
        vars: &BTreeMap<String, String>,
    ) -> SledResult<()> {
        // Exclusive, so no `set` lands between the scan and the transaction.
        let _cascading = self.cascading();
        let mut old = Vec::new();
        for k in self.t.env.scan_prefix(prefix(function_id)).keys() {
            old.push(k?);
        }
        self.tx(|tx| {
            if !vars.is_empty() && tx.functions.get(function_id)?.is_none() {
                return abort(Error::NotFound("function"));
            }
            for k in &old {
                tx.env.remove(k)?;
            }
            for (k, v) in vars {
                tx.env.insert(keys::entry(function_id, k), v.as_bytes())?;
            }
            Ok(())
        })
    }
}

#[async_trait]
impl KvStore for SledStore {
    async fn get(&self, function_id: &str, key: &str) -> Result<Option<String>> {
        let (f, k) = (function_id.to_owned(), key.to_owned());
        self.run(move |db| db.entry_get(Kind::Kv, &f, &k)).await
    }

    async fn set(&self, function_id: &str, key: &str, value: &str) -> Result<()> {
        let (f, k, v) = (function_id.to_owned(), key.to_owned(), value.to_owned());
        self.run(move |db| db.entry_set(Kind::Kv, &f, &k, &v)).await
    }

    async fn delete(&self, function_id: &str, key: &str) -> Result<()> {
        let (f, k) = (function_id.to_owned(), key.to_owned());
        self.run(move |db| db.entry_delete(Kind::Kv, &f, &k)).await
    }

    async fn delete_all(&self, function_id: &str) -> Result<()> {
        let f = function_id.to_owned();
        self.run(move |db| db.entry_delete_all(Kind::Kv, &f)).await
    }

    async fn list(
        &self,
        function_id: &str,
        prefix: &str,
        page: PageRequest,
    ) -> Result<Page<KvEntry>> {
        let (f, p) = (function_id.to_owned(), prefix.to_owned());
        self.run(move |db| db.kv_list(&f, &p, page)).await
    }
}

#[async_trait]
impl EnvStore for SledStore {
    async fn get(&self, function_id: &str, key: &str) -> Result<Option<String>> {
        let (f, k) = (function_id.to_owned(), key.to_owned());
        self.run(move |db| db.entry_get(Kind::Env, &f, &k)).await
    }

    async fn all(&self, function_id: &str) -> Result<BTreeMap<String, String>> {
        let f = function_id.to_owned();
        self.run(move |db| db.env_all(&f)).await
    }

    async fn set(&self, function_id: &str, key: &str, value: &str) -> Result<()> {
        let (f, k, v) = (function_id.to_owned(), key.to_owned(), value.to_owned());
        self.run(move |db| db.entry_set(Kind::Env, &f, &k, &v))
            .await
    }

    async fn delete(&self, function_id: &str, key: &str) -> Result<()> {
        let (f, k) = (function_id.to_owned(), key.to_owned());
        self.run(move |db| db.entry_delete(Kind::Env, &f, &k)).await
    }

    async fn replace_all(&self, function_id: &str, vars: &BTreeMap<String, String>) -> Result<()> {
        let (f, vars) = (function_id.to_owned(), vars.clone());
        self.run(move |db| db.env_replace_all(&f, &vars)).await
    }

    async fn delete_all(&self, function_id: &str) -> Result<()> {
        let f = function_id.to_owned();
        self.run(move |db| db.entry_delete_all(Kind::Env, &f)).await
    }
}
