//! SQLite's bulk statements: multi-row `VALUES` log inserts and expanded `IN` lists, split
//! into a few statement shapes (`sql::chunk_sizes`), in one transaction when there is more
//! than one statement.

use lunar_core::Result;
use lunar_core::model::{LogEntry, Outcome};
use sqlx::sqlite::SqliteConnection;

use super::writer::{WriteTx, WriterConn};
use super::{SqliteStore, db};
use crate::error::SqlError;
use crate::store::batch::ExecutionRow;
use crate::{rows, sql};

/// Columns bound per log row.
const LOG_WIDTH: usize = 4;
/// Columns bound per execution row.
const EXECUTION_WIDTH: usize = 11;
/// Columns bound per finish.
const FINISH_WIDTH: usize = 6;

/// Where bulk statements run: a connection, or a write transaction whose `BEGIN` goes with
/// its first statement ([`WriteTx::text`]).
pub(super) trait Statements: Send {
    fn conn(&mut self) -> &mut SqliteConnection;

    /// `sql` as the next statement.
    fn text(&mut self, sql: String) -> String {
        sql
    }

    /// `sql` (from [`text`](Self::text)) as the last statement of a transaction, with its
    /// `COMMIT` where that can go in the same text, and whether it does.
    fn then_commit(&self, sql: String) -> (String, bool) {
        (sql, false)
    }
}

impl Statements for SqliteConnection {
    fn conn(&mut self) -> &mut SqliteConnection {
        self
    }
}

impl Statements for WriteTx {
    fn conn(&mut self) -> &mut SqliteConnection {
        self
    }

    fn text(&mut self, sql: String) -> String {
        WriteTx::text(self, sql)
    }

    fn then_commit(&self, sql: String) -> (String, bool) {
        WriteTx::then_commit(self, sql)
    }
}

/// Appends one execution's log entries on `conn` (a connection or an open transaction):
/// a few multi-row INSERTs, whose rowids keep the entries' order.
pub(super) async fn insert_logs(
    conn: &mut SqliteConnection,
    execution_id: &str,
    entries: &[LogEntry],
) -> Result<()> {
    let rows: Vec<(&str, &LogEntry)> = entries.iter().map(|e| (execution_id, e)).collect();
    insert_log_rows(conn, &rows).await
}

/// Appends log entries of any executions, in order, as a few multi-row INSERTs.
pub(super) async fn insert_log_rows(
    conn: &mut SqliteConnection,
    entries: &[(&str, &LogEntry)],
) -> Result<()> {
    log_rows(conn, entries, false).await?;
    Ok(())
}

/// Appends log entries as [`insert_log_rows`] does in `tx`, and commits it: with the last
/// INSERT where the transaction allows ([`WriteTx::then_commit`]).
pub(super) async fn insert_log_rows_and_commit(
    mut tx: WriteTx,
    entries: &[(&str, &LogEntry)],
) -> Result<()> {
    if log_rows(&mut tx, entries, true).await? {
        tx.committed();
        Ok(())
    } else {
        tx.commit().await.map_err(db)
    }
}

/// The log INSERTs on `conn`, the last with its transaction's `COMMIT` when `commit` asks
/// for it and the transaction allows; whether it committed.
async fn log_rows(
    conn: &mut impl Statements,
    entries: &[(&str, &LogEntry)],
    commit: bool,
) -> Result<bool> {
    let mut rest = entries;
    let mut committed = false;
    for size in sql::chunk_sizes(entries.len()) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let mut text = conn.text(format!(
            "INSERT INTO logs (execution_id, level, message, created_at) VALUES {}",
            sql::placeholders(size, LOG_WIDTH)
        ));
        if commit && rest.is_empty() {
            (text, committed) = conn.then_commit(text);
        }
        let mut query = sqlx::query(&text);
        for (execution_id, entry) in chunk {
            query = query
                .bind(*execution_id)
                .bind(entry.level.code())
                .bind(&entry.message)
                .bind(entry.created_at);
        }
        query
            .execute(conn.conn())
            .await
            .map_err(|e| db(SqlError::from(e).execution_row_as("log")))?;
    }
    Ok(committed)
}

/// Inserts execution rows (`pending`, or finished with their outcome) as a few multi-row
/// INSERTs.
pub(super) async fn insert_execution_rows(
    conn: &mut impl Statements,
    rows: &[ExecutionRow<'_>],
) -> Result<()> {
    let mut rest = rows;
    for size in sql::chunk_sizes(rows.len()) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let text = conn.text(format!(
            "{} VALUES {}",
            sql::INSERT_EXECUTION_ROWS,
            sql::placeholders(size, EXECUTION_WIDTH)
        ));
        let mut query = sqlx::query(&text);
        for ExecutionRow { row, outcome } in chunk {
            query = query
                .bind(&row.id)
                .bind(&row.function_id)
                .bind(&row.function_version_id)
                .bind(outcome.map_or("pending", |o| o.status.as_str()))
                .bind(&row.event_json)
                .bind(row.trigger.as_str())
                .bind(row.created_at)
                .bind(outcome.map(|o| o.duration_ms))
                .bind(outcome.and_then(|o| o.error_message.as_deref()))
                .bind(outcome.and_then(|o| o.response_json.as_deref()))
                .bind(outcome.and_then(rows::usage_json));
        }
        query
            .execute(conn.conn())
            .await
            .map_err(|err| db(SqlError::from(err).execution_insert()))?;
    }
    Ok(())
}

/// Records outcomes of executions still `pending` (`UPDATE … FROM (VALUES …)`); returns
/// the ids of the rows updated.
pub(super) async fn finish_execution_rows(
    conn: &mut impl Statements,
    finishes: &[(&str, &Outcome)],
) -> Result<Vec<String>> {
    let mut done = Vec::with_capacity(finishes.len());
    let mut rest = finishes;
    for size in sql::chunk_sizes(finishes.len()) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let text = conn.text(format!(
            "UPDATE executions SET status = v.column2, duration_ms = v.column3, \
             error_message = v.column4, response_json = v.column5, usage_json = v.column6 \
             FROM (VALUES {}) AS v \
             WHERE executions.id = v.column1 AND executions.status = 'pending' \
             RETURNING executions.id",
            sql::placeholders(size, FINISH_WIDTH)
        ));
        let mut query = sqlx::query_scalar::<_, String>(&text);
        for (id, outcome) in chunk {
            query = query
                .bind(*id)
                .bind(outcome.status.as_str())
                .bind(outcome.duration_ms)
                .bind(outcome.error_message.as_deref())
                .bind(outcome.response_json.as_deref())
                .bind(rows::usage_json(outcome));
        }
        done.extend(query.fetch_all(conn.conn()).await.map_err(db)?);
    }
    Ok(done)
}

impl SqliteStore {
    /// Appends one execution's log entries, atomically.
    pub(super) async fn append_logs(&self, execution_id: &str, entries: &[LogEntry]) -> Result<()> {
        let Some(mut batch) = Batch::new(self, entries.len()).await? else {
            return Ok(());
        };
        insert_logs(batch.conn(), execution_id, entries).await?;
        batch.finish().await
    }

    /// Deletes the rows of `table` that belong to these executions, atomically.
    pub(super) async fn delete_for(
        &self,
        table: &'static str,
        execution_ids: &[String],
    ) -> Result<()> {
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

/// Where a bulk operation runs: the writer's connection for one statement (atomic on its
/// own), a write transaction for several.
enum Batch {
    Single(WriterConn),
    Many(WriteTx),
}

impl Batch {
    /// `None` when there are no rows, so nothing to run.
    async fn new(store: &SqliteStore, rows: usize) -> Result<Option<Self>> {
        Ok(match sql::chunk_sizes(rows).count() {
            0 => None,
            1 => Some(Self::Single(store.write_connection().await.map_err(db)?)),
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
