//! [`LogStore`], [`AiTracker`] and [`EmailTracker`] for [`PostgresStore`]: rows that belong
//! to an execution.
//!
//! Bulk statements bind arrays, so any batch is one statement of one shape (SQLite expands
//! `IN` lists and multi-row `VALUES` instead).

use async_trait::async_trait;
use lunar_core::model::{AiRequest, EmailRequest, LogEntry, Page, PageRequest};
use lunar_core::{AiTracker, EmailTracker, LogStore, Result};
use sqlx::postgres::{PgExecutor, PgRow};

use super::{PostgresStore, db};
use crate::error::{SqlError, SqlResult};
use crate::rows::{self, page_binds, total};
use crate::sql;

/// One execution's log batch from parallel arrays; `ORDER BY n` makes the identity `seq`
/// follow the batch order.
const APPEND_LOGS: &str = "INSERT INTO logs (execution_id, level, message, created_at) \
    SELECT $1, t.level, t.message, t.created_at \
    FROM UNNEST($2::BIGINT[], $3::TEXT[], $4::BIGINT[]) \
    WITH ORDINALITY AS t(level, message, created_at, n) ORDER BY t.n";

/// Appends one execution's log entries in one statement, on a pool or in a transaction.
pub(super) async fn append_logs<'c>(
    executor: impl PgExecutor<'c>,
    execution_id: &str,
    entries: &[LogEntry],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let levels: Vec<i64> = entries.iter().map(|e| e.level.code()).collect();
    let messages: Vec<&str> = entries.iter().map(|e| e.message.as_str()).collect();
    let created: Vec<i64> = entries.iter().map(|e| e.created_at).collect();
    sqlx::query(APPEND_LOGS)
        .bind(execution_id)
        .bind(levels)
        .bind(messages)
        .bind(created)
        .execute(executor)
        .await
        .map_err(|e| record_err(e, "log"))?;
    Ok(())
}

/// A row that names an execution that does not exist is `NotFound("execution")`.
fn record_err(e: sqlx::Error, what: &str) -> lunar_core::Error {
    db(SqlError::from(e)
        .unique_as(what)
        .parent_missing_as("execution"))
}

impl PostgresStore {
    /// One page of an execution's rows with the total.
    async fn execution_page<T>(
        &self,
        count_query: &'static str,
        list_query: &'static str,
        execution_id: &str,
        page: PageRequest,
        decode: fn(&PgRow) -> SqlResult<T>,
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

    /// Deletes the rows of `table` that belong to these executions, in one statement.
    async fn delete_for(&self, table: &'static str, execution_ids: &[String]) -> Result<()> {
        if execution_ids.is_empty() {
            return Ok(());
        }
        let text = format!("DELETE FROM {table} WHERE execution_id = ANY($1)");
        sqlx::query(&text)
            .bind(execution_ids)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}

#[async_trait]
impl LogStore for PostgresStore {
    async fn append(&self, execution_id: &str, entries: &[LogEntry]) -> Result<()> {
        append_logs(&self.pool, execution_id, entries).await
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
impl AiTracker for PostgresStore {
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
impl EmailTracker for PostgresStore {
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
