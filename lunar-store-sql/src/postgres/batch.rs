//! [`BatchWriter`] for PostgreSQL: many executions' inserts, finishes and logs in one
//! transaction (group commit).

use async_trait::async_trait;
use lunar_core::{BatchWriter, Error, ExecutionWrite, Result};

use super::tracking::append_logs;
use super::{PostgresStore, db};
use crate::error::SqlError;
use crate::sql;

#[async_trait]
impl BatchWriter for PostgresStore {
    async fn write_batch(&self, writes: &[ExecutionWrite]) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await.map_err(db)?;
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
                    append_logs(&mut *tx, id, logs).await?;
                }
            }
        }
        tx.commit().await.map_err(db)
    }
}
