//! [`LogStore`], [`AiTracker`] and [`EmailTracker`] for [`SqliteStore`]: rows that belong
//! to an execution.

use async_trait::async_trait;
use lunar_core::model::{AiRequest, EmailRequest, LogEntry, Page, PageRequest};
use lunar_core::{AiTracker, EmailTracker, LogStore, Result};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{Sqlite, Transaction};

use super::{SqliteStore, db};
use crate::error::{SqlError, SqlResult};
use crate::rows::{self, page_binds, total};
use crate::sql;

/// Columns bound per log row.
const LOG_WIDTH: usize = 4;

/// A row that names an execution that does not exist is `NotFound("execution")`.
fn record_err(e: sqlx::Error, what: &str) -> lunar_core::Error {
    db(SqlError::from(e)
        .unique_as(what)
        .parent_missing_as("execution"))
}

impl SqliteStore {
    /// One page of an execution's rows with the total.
    async fn execution_page<T>(
        &self,
        count_query: &'static str,
        list_query: &'static str,
        execution_id: &str,
        page: PageRequest,
        decode: fn(&SqliteRow) -> SqlResult<T>,
    ) -> Result<Page<T>> {
        let count: i64 = sqlx::query_scalar(count_query)
            .bind(execution_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        if count == 0 {
            return Ok(Page::empty());
        }
        let (limit, offset) = page_binds(page);
        let found = sqlx::query(list_query)
            .bind(execution_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let items = found
            .iter()
            .map(decode)
            .collect::<SqlResult<Vec<T>>>()
            .map_err(db)?;
        Ok(Page {
            items,
            total: total(count),
        })
    }

    /// Deletes the rows of `table` that belong to these executions, atomically.
    async fn delete_for(&self, table: &'static str, execution_ids: &[String]) -> Result<()> {
        let Some(mut batch) = Batch::new(self, execution_ids.len()).await? else {
            return Ok(());
        };
        let mut rest = execution_ids;
        for size in sql::chunk_sizes(execution_ids.len()) {
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            let text = format!(
                "DELETE FROM {table} WHERE execution_id IN {}",
                sql::placeholders(1, size)
            );
            let mut query = sqlx::query(&text);
            for id in chunk {
                query = query.bind(id);
            }
            query.execute(batch.conn()).await.map_err(db)?;
        }
        batch.finish().await
    }
}

/// Where a bulk operation runs: a pooled connection for one statement (atomic on its
/// own), a write transaction for several.
enum Batch {
    Single(PoolConnection<Sqlite>),
    Many(Transaction<'static, Sqlite>),
}

impl Batch {
    /// `None` when there are no rows, so nothing to run.
    async fn new(store: &SqliteStore, rows: usize) -> Result<Option<Self>> {
        Ok(match sql::chunk_sizes(rows).count() {
            0 => None,
            1 => Some(Self::Single(store.pool.acquire().await.map_err(db)?)),
            _ => Some(Self::Many(store.begin_write().await.map_err(db)?)),
        })
    }

    fn conn(&mut self) -> &mut SqliteConnection {
        match self {
            Self::Single(c) => c,
            Self::Many(tx) => tx,
        }
    }

    async fn finish(self) -> Result<()> {
        match self {
            Self::Many(tx) => tx.commit().await.map_err(db),
            Self::Single(_) => Ok(()),
        }
    }
}

#[async_trait]
impl LogStore for SqliteStore {
    async fn append(&self, execution_id: &str, entries: &[LogEntry]) -> Result<()> {
        // A few multi-row INSERTs, in one transaction when more than one; the rowid keeps
        // their order.
        let Some(mut batch) = Batch::new(self, entries.len()).await? else {
            return Ok(());
        };
        let mut rest = entries;
        for size in sql::chunk_sizes(entries.len()) {
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            let text = format!(
                "INSERT INTO logs (execution_id, level, message, created_at) VALUES {}",
                sql::placeholders(size, LOG_WIDTH)
            );
            let mut query = sqlx::query(&text);
            for entry in chunk {
                query = query
                    .bind(execution_id)
                    .bind(entry.level.code())
                    .bind(&entry.message)
                    .bind(entry.created_at);
            }
            query
                .execute(batch.conn())
                .await
                .map_err(|e| record_err(e, "log"))?;
        }
        batch.finish().await
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<LogEntry>> {
        self.execution_page(
            sql::COUNT_LOGS,
            sql::LIST_LOGS,
            execution_id,
            page,
            rows::log_entry,
        )
        .await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        self.delete_for("logs", execution_ids).await
    }
}

#[async_trait]
impl AiTracker for SqliteStore {
    async fn record(&self, r: &AiRequest) -> Result<()> {
        sqlx::query(sql::INSERT_AI)
            .bind(&r.id)
            .bind(&r.execution_id)
            .bind(&r.provider)
            .bind(&r.model)
            .bind(&r.endpoint)
            .bind(&r.request_json)
            .bind(&r.response_json)
            .bind(r.status.as_str())
            .bind(&r.error_message)
            .bind(r.input_tokens)
            .bind(r.output_tokens)
            .bind(r.duration_ms)
            .bind(r.created_at)
            .execute(&self.pool)
            .await
            .map_err(|e| record_err(e, "ai request"))?;
        Ok(())
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<AiRequest>> {
        self.execution_page(
            sql::COUNT_AI,
            sql::LIST_AI,
            execution_id,
            page,
            rows::ai_request,
        )
        .await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        self.delete_for("ai_requests", execution_ids).await
    }
}

#[async_trait]
impl EmailTracker for SqliteStore {
    async fn record(&self, r: &EmailRequest) -> Result<()> {
        let to = rows::encode_recipients(&r.to).map_err(db)?;
        sqlx::query(sql::INSERT_EMAIL)
            .bind(&r.id)
            .bind(&r.execution_id)
            .bind(&r.from)
            .bind(to)
            .bind(&r.subject)
            .bind(r.has_text)
            .bind(r.has_html)
            .bind(&r.request_json)
            .bind(&r.response_json)
            .bind(r.status.as_str())
            .bind(&r.error_message)
            .bind(&r.email_id)
            .bind(r.duration_ms)
            .bind(r.created_at)
            .execute(&self.pool)
            .await
            .map_err(|e| record_err(e, "email request"))?;
        Ok(())
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<EmailRequest>> {
        self.execution_page(
            sql::COUNT_EMAIL,
            sql::LIST_EMAIL,
            execution_id,
            page,
            rows::email_request,
        )
        .await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        self.delete_for("email_requests", execution_ids).await
    }
}
