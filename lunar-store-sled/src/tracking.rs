//! [`LogStore`], [`AiTracker`], [`EmailTracker`] and [`HostCallTracker`]: rows of an execution keyed
//! `prefix(execution_id) ++ int(created_at) ++ seq`, so a prefix scan lists them by
//! `created_at`, then insertion order.

use async_trait::async_trait;
use lunar_core::model::{AiRequest, EmailRequest, HostCall, LogEntry, Page, PageRequest};
use lunar_core::{AiTracker, EmailTracker, Error, HostCallTracker, LogStore, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::SledStore;
use crate::error::{SledResult, TxResult, abort};
use crate::functions::{count_prefix, window};
use crate::keys::{self, prefix};
use crate::records::{decode, encode};
use crate::trees::{Inner, Tx};

/// Which of the row trees.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Logs,
    Ai,
    Email,
    HostCalls,
}

impl Kind {
    fn tree(self, db: &Inner) -> &sled::Tree {
        match self {
            Self::Logs => &db.t.logs,
            Self::Ai => &db.t.ai,
            Self::Email => &db.t.email,
            Self::HostCalls => &db.t.host_calls,
        }
    }

    fn tx_tree<'a>(self, tx: &Tx<'a>) -> &'a sled::transaction::TransactionalTree {
        match self {
            Self::Logs => tx.logs,
            Self::Ai => tx.ai,
            Self::Email => tx.email,
            Self::HostCalls => tx.host_calls,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Logs => "log",
            Self::Ai => "AI request",
            Self::Email => "e-mail request",
            Self::HostCalls => "host call",
        }
    }
}

/// Appends encoded `(created_at, row)` pairs of one execution;
/// `NotFound("execution")` when it does not exist (the caller holds `adding`).
pub(crate) fn tx_add_rows(
    tx: &Tx<'_>,
    kind: Kind,
    execution_id: &str,
    rows: &[(i64, Vec<u8>)],
) -> TxResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if tx.executions.get(execution_id)?.is_none() {
        return abort(Error::NotFound("execution"));
    }
    let tree = kind.tx_tree(tx);
    for (at, bytes) in rows {
        let seq = tree.generate_id()?;
        tree.insert(keys::row(execution_id, *at, seq), bytes.as_slice())?;
    }
    Ok(())
}

impl Inner {
    /// Appends `(created_at, row)` pairs of one execution in one transaction;
    /// `NotFound("execution")` when it does not exist.
    fn add_rows<T: Serialize>(
        &self,
        kind: Kind,
        execution_id: &str,
        rows: &[(i64, &T)],
    ) -> SledResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let encoded = rows
            .iter()
            .map(|(at, row)| Ok((*at, encode(kind.name(), row)?)))
            .collect::<SledResult<Vec<_>>>()?;
        let _adding = self.adding();
        self.tx(|tx| tx_add_rows(tx, kind, execution_id, &encoded))
    }

    fn list_rows<T: DeserializeOwned>(
        &self,
        kind: Kind,
        execution_id: &str,
        page: PageRequest,
    ) -> SledResult<Page<T>> {
        let tree = kind.tree(self);
        let p = prefix(execution_id);
        let total = count_prefix(tree, &p)?;
        let (skip, take) = window(page);
        let items = tree
            .scan_prefix(&p)
            .values()
            .skip(skip)
            .take(take)
            .map(|v| decode(kind.name(), &v?))
            .collect::<SledResult<Vec<T>>>()?;
        Ok(Page { items, total })
    }

    fn delete_rows(&self, kind: Kind, execution_ids: &[String]) -> SledResult<()> {
        let tree = kind.tree(self);
        let mut batch = sled::Batch::default();
        for id in execution_ids {
            for k in tree.scan_prefix(prefix(id)).keys() {
                batch.remove(k?);
            }
        }
        tree.apply_batch(batch)?;
        Ok(())
    }
}

#[async_trait]
impl LogStore for SledStore {
    async fn append(&self, execution_id: &str, entries: &[LogEntry]) -> Result<()> {
        let (id, entries) = (execution_id.to_owned(), entries.to_vec());
        self.run(move |db| {
            let rows: Vec<(i64, &LogEntry)> = entries.iter().map(|e| (e.created_at, e)).collect();
            db.add_rows(Kind::Logs, &id, &rows)
        })
        .await
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<LogEntry>> {
        let id = execution_id.to_owned();
        self.run(move |db| db.list_rows(Kind::Logs, &id, page))
            .await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        let ids = execution_ids.to_vec();
        self.run(move |db| db.delete_rows(Kind::Logs, &ids)).await
    }
}

#[async_trait]
impl AiTracker for SledStore {
    async fn record(&self, request: &AiRequest) -> Result<()> {
        let r = request.clone();
        self.run(move |db| db.add_rows(Kind::Ai, &r.execution_id, &[(r.created_at, &r)]))
            .await
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<AiRequest>> {
        let id = execution_id.to_owned();
        self.run(move |db| db.list_rows(Kind::Ai, &id, page)).await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        let ids = execution_ids.to_vec();
        self.run(move |db| db.delete_rows(Kind::Ai, &ids)).await
    }
}

#[async_trait]
impl EmailTracker for SledStore {
    async fn record(&self, request: &EmailRequest) -> Result<()> {
        let r = request.clone();
        self.run(move |db| db.add_rows(Kind::Email, &r.execution_id, &[(r.created_at, &r)]))
            .await
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<EmailRequest>> {
        let id = execution_id.to_owned();
        self.run(move |db| db.list_rows(Kind::Email, &id, page))
            .await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        let ids = execution_ids.to_vec();
        self.run(move |db| db.delete_rows(Kind::Email, &ids)).await
    }
}

#[async_trait]
impl HostCallTracker for SledStore {
    async fn record(&self, call: &HostCall) -> Result<()> {
        let c = call.clone();
        self.run(move |db| db.add_rows(Kind::HostCalls, &c.execution_id, &[(c.created_at, &c)]))
            .await
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<HostCall>> {
        let id = execution_id.to_owned();
        self.run(move |db| db.list_rows(Kind::HostCalls, &id, page))
            .await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        let ids = execution_ids.to_vec();
        self.run(move |db| db.delete_rows(Kind::HostCalls, &ids))
            .await
    }
}
