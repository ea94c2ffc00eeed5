//! PostgreSQL's bulk statements: they bind arrays (`UNNEST`, `= ANY($1)`), so any batch is
//! one statement of one shape (SQLite expands `IN` lists and multi-row `VALUES` instead).

use lunar_core::Result;
use lunar_core::model::{LogEntry, Outcome};
use sqlx::postgres::{PgConnection, PgExecutor};

use super::{PostgresStore, db};
use crate::error::SqlError;
use crate::store::batch::ExecutionRow;
use crate::{rows, sql};

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

/// Group commit's execution rows, from parallel arrays.
const INSERT_EXECUTIONS: &str = "SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], \
    $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::BIGINT[], $8::BIGINT[], $9::TEXT[], $10::TEXT[], \
    $11::TEXT[])";

/// Group commit's finishes of rows still `pending`, from parallel arrays.
const FINISH_EXECUTIONS: &str = "UPDATE executions AS e SET status = v.status, \
    duration_ms = v.duration_ms, error_message = v.error_message, \
    response_json = v.response_json, usage_json = v.usage_json \
    FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[], $6::TEXT[]) \
    AS v(id, status, duration_ms, error_message, response_json, usage_json) \
    WHERE e.id = v.id AND e.status = 'pending' RETURNING e.id";

/// Log entries of any executions; `ORDER BY n` makes `seq` follow the batch order.
const INSERT_LOG_ROWS: &str = "INSERT INTO logs (execution_id, level, message, created_at) \
    SELECT t.execution_id, t.level, t.message, t.created_at \
    FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[]) \
    WITH ORDINALITY AS t(execution_id, level, message, created_at, n) ORDER BY t.n";

/// Inserts execution rows (`pending`, or finished with their outcome) in one statement.
pub(super) async fn insert_execution_rows(
    conn: &mut PgConnection,
    rows: &[ExecutionRow<'_>],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let col = |f: &dyn Fn(&ExecutionRow<'_>) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(f).collect()
    };
    let text = format!("{} {INSERT_EXECUTIONS}", sql::INSERT_EXECUTION_ROWS);
    sqlx::query(&text)
        .bind(col(&|r| Some(r.row.id.clone())))
        .bind(col(&|r| Some(r.row.function_id.clone())))
        .bind(col(&|r| Some(r.row.function_version_id.clone())))
        .bind(col(&|r| {
            Some(
                r.outcome
                    .map_or("pending", |o| o.status.as_str())
                    .to_owned(),
            )
        }))
        .bind(col(&|r| r.row.event_json.clone()))
        .bind(col(&|r| Some(r.row.trigger.as_str().to_owned())))
        .bind(rows.iter().map(|r| r.row.created_at).collect::<Vec<i64>>())
        .bind(
            rows.iter()
                .map(|r| r.outcome.map(|o| o.duration_ms))
                .collect::<Vec<Option<i64>>>(),
        )
        .bind(col(&|r| r.outcome.and_then(|o| o.error_message.clone())))
        .bind(col(&|r| r.outcome.and_then(|o| o.response_json.clone())))
        .bind(col(&|r| r.outcome.and_then(rows::usage_json)))
        .execute(conn)
        .await
        .map_err(|err| db(SqlError::from(err).execution_insert()))?;
    Ok(())
}

/// Records outcomes of executions still `pending` in one statement; returns the ids of the
/// rows updated.
pub(super) async fn finish_execution_rows(
    conn: &mut PgConnection,
    finishes: &[(&str, &Outcome)],
) -> Result<Vec<String>> {
    if finishes.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar::<_, String>(FINISH_EXECUTIONS)
        .bind(finishes.iter().map(|(id, _)| *id).collect::<Vec<&str>>())
        .bind(
            finishes
                .iter()
                .map(|(_, o)| o.status.as_str())
                .collect::<Vec<&str>>(),
        )
        .bind(
            finishes
                .iter()
                .map(|(_, o)| o.duration_ms)
                .collect::<Vec<i64>>(),
        )
        .bind(
            finishes
                .iter()
                .map(|(_, o)| o.error_message.as_deref())
                .collect::<Vec<Option<&str>>>(),
        )
        .bind(
            finishes
                .iter()
                .map(|(_, o)| o.response_json.as_deref())
                .collect::<Vec<Option<&str>>>(),
        )
        .bind(
            finishes
                .iter()
                .map(|(_, o)| rows::usage_json(o))
                .collect::<Vec<Option<String>>>(),
        )
        .fetch_all(conn)
        .await
        .map_err(db)
}

/// Appends log entries of any executions, in order, in one statement.
pub(super) async fn insert_log_rows(
    conn: &mut PgConnection,
    entries: &[(&str, &LogEntry)],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    sqlx::query(INSERT_LOG_ROWS)
        .bind(entries.iter().map(|(id, _)| *id).collect::<Vec<&str>>())
        .bind(
            entries
                .iter()
                .map(|(_, e)| e.level.code())
                .collect::<Vec<i64>>(),
        )
        .bind(
            entries
                .iter()
                .map(|(_, e)| e.message.as_str())
                .collect::<Vec<&str>>(),
        )
        .bind(
            entries
                .iter()
                .map(|(_, e)| e.created_at)
                .collect::<Vec<i64>>(),
        )
        .execute(conn)
        .await
        .map_err(|e| db(SqlError::from(e).execution_row_as("log")))?;
    Ok(())
}

/// Appends log entries as [`insert_log_rows`] does in `tx`, and commits it.
pub(super) async fn insert_log_rows_and_commit(
    mut tx: super::WriteTx,
    entries: &[(&str, &LogEntry)],
) -> Result<()> {
    insert_log_rows(&mut tx, entries).await?;
    tx.commit().await.map_err(db)
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
