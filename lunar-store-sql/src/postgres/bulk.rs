//! PostgreSQL's bulk statements: they bind arrays (`UNNEST`, `= ANY($1)`), so any batch is
//! one statement of one shape (SQLite expands `IN` lists and multi-row `VALUES` instead).

use lunar_core::Result;
use lunar_core::model::LogEntry;
use sqlx::postgres::PgExecutor;

use super::{PostgresStore, db};
use crate::error::SqlError;

/// One execution's log batch from parallel arrays; `ORDER BY n` makes the identity `seq`
/// follow the batch order.
const APPEND_LOGS: &str = "INSERT INTO logs (execution_id, level, message, created_at) \
    SELECT $1, t.level, t.message, t.created_at \
    FROM UNNEST($2::BIGINT[], $3::TEXT[], $4::BIGINT[]) \
    WITH ORDINALITY AS t(level, message, created_at, n) ORDER BY t.n";

/// Appends one execution's log entries in one statement, on a pool or in a transaction.
pub(super) async fn insert_logs<'c>(
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
        .map_err(|e| db(SqlError::from(e).execution_row_as("log")))?;
    Ok(())
}

impl PostgresStore {
    /// Appends one execution's log entries in one statement.
    pub(super) async fn append_logs(&self, execution_id: &str, entries: &[LogEntry]) -> Result<()> {
        insert_logs(&self.pool, execution_id, entries).await
    }

    /// Deletes the rows of `table` that belong to these executions, in one statement.
    pub(super) async fn delete_for(
        &self,
        table: &'static str,
        execution_ids: &[String],
    ) -> Result<()> {
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
