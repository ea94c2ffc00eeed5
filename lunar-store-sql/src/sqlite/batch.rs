//! [`BatchWriter`] for SQLite: many executions' inserts, finishes and logs in one
//! transaction (group commit).

use async_trait::async_trait;
use lunar_core::{BatchWriter, Error, ExecutionWrite, Result};

use super::{SqliteStore, db};
use crate::error::SqlError;
use crate::sql;

/// Columns of one log row.
const LOG_WIDTH: usize = 4;

#[async_trait]
impl BatchWriter for SqliteStore {
    async fn write_batch(&self, writes: &[ExecutionWrite]) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await.map_err(db)?;
        for w in writes {
            match w {
                ExecutionWrite::Insert(e) => {
                    sqlx::query(sql::INSERT_EXECUTION)
                        .bind(&e.id)
                        .bind(&e.function_id)
                        .bind(&e.function_version_id)
                        .bind(&e.event_json)
                        .bind(e.trigger.as_str())
                        .bind(e.created_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(|err| {
                            db(SqlError::from(err)
                                .unique_as("execution")
                                .parent_missing_as("version"))
                        })?;
                }
                ExecutionWrite::Finish { id, outcome, logs } => {
                    let done = sqlx::query(sql::FINISH_EXECUTION)
                        .bind(id)
                        .bind(outcome.status.as_str())
                        .bind(outcome.duration_ms)
                        .bind(&outcome.error_message)
                        .bind(&outcome.response_json)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    if done.rows_affected() == 0 {
                        return Err(Error::NotFound("execution"));
                    }
                    let mut rest = logs.as_slice();
                    for size in sql::chunk_sizes(logs.len()) {
                        let (chunk, tail) = rest.split_at(size);
                        rest = tail;
                        let text = format!(
                            "INSERT INTO logs (execution_id, level, message, created_at) VALUES {}",
                            sql::placeholders(size, LOG_WIDTH)
                        );
                        let mut q = sqlx::query(&text);
                        for entry in chunk {
                            q = q
                                .bind(id)
                                .bind(entry.level.code())
                                .bind(&entry.message)
                                .bind(entry.created_at);
                        }
                        q.execute(&mut *tx).await.map_err(db)?;
                    }
                }
            }
        }
        tx.commit().await.map_err(db)
    }
}
