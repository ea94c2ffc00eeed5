//! `BatchWriter`: many executions' inserts, finishes and logs in one transaction (group
//! commit), as a few multi-row statements rather than one statement per write.

use lunar_core::ExecutionWrite;
use lunar_core::model::{LogEntry, NewExecution, Outcome};

/// An execution row to insert: `pending` (no outcome) or already finished.
pub(crate) struct ExecutionRow<'a> {
    pub(crate) row: &'a NewExecution,
    pub(crate) outcome: Option<&'a Outcome>,
}

/// A batch's writes grouped by statement, in the order they run: the rows first (a finish
/// in the batch may be of a row inserted earlier in it), then the finishes, then the logs
/// (which reference their executions).
#[derive(Default)]
pub(crate) struct Grouped<'a> {
    pub(crate) rows: Vec<ExecutionRow<'a>>,
    pub(crate) finishes: Vec<(&'a str, &'a Outcome)>,
    pub(crate) logs: Vec<(&'a str, &'a LogEntry)>,
    /// Where each finish's entries are in `logs`.
    finish_logs: Vec<std::ops::Range<usize>>,
}

impl<'a> Grouped<'a> {
    pub(crate) fn of(writes: &'a [ExecutionWrite]) -> Self {
        let mut g = Self::default();
        for w in writes {
            match w {
                ExecutionWrite::Insert(row) => g.rows.push(ExecutionRow { row, outcome: None }),
                ExecutionWrite::Finish { id, outcome, logs } => {
                    g.finishes.push((id, outcome));
                    let start = g.logs.len();
                    g.logs.extend(logs.iter().map(|l| (id.as_str(), l)));
                    g.finish_logs.push(start..g.logs.len());
                }
                ExecutionWrite::Record { row, outcome, logs } => {
                    g.rows.push(ExecutionRow {
                        row,
                        outcome: Some(outcome),
                    });
                    g.logs.extend(logs.iter().map(|l| (row.id.as_str(), l)));
                }
            }
        }
        g
    }

    /// Leaves out the logs of the finishes at `skipped` (indexes into `finishes`), whose
    /// rows were finished already.
    pub(crate) fn skip_logs_of(&mut self, skipped: &[usize]) {
        let ranges: Vec<_> = skipped
            .iter()
            .filter_map(|&f| self.finish_logs.get(f).cloned())
            .collect();
        let mut i = 0;
        self.logs.retain(|_| {
            let keep = !ranges.iter().any(|r| r.contains(&i));
            i += 1;
            keep
        });
    }
}

/// `BatchWriter` for `$store` (see `store_impls!` for what the dialect supplies).
macro_rules! batch_writer {
    ($store:ident) => {
        #[::async_trait::async_trait]
        impl ::lunar_core::BatchWriter for $store {
            async fn write_batch(
                &self,
                writes: &[::lunar_core::ExecutionWrite],
            ) -> ::lunar_core::Result<()> {
                if writes.is_empty() {
                    return Ok(());
                }
                let mut g = $crate::store::batch::Grouped::of(writes);
                // Only new rows, in one statement: atomic on its own, no transaction
                // round trips (the common batch of executions that finished quickly).
                if g.finishes.is_empty() && g.logs.is_empty() && statements(g.rows.len()) == 1 {
                    let mut conn = self.write_connection().await.map_err(db)?;
                    insert_execution_rows(&mut *conn, &g.rows).await?;
                    self.after_batch();
                    return Ok(());
                }
                let mut tx = self.begin_batch().await.map_err(db)?;
                insert_execution_rows(&mut tx, &g.rows).await?;
                let finished = finish_execution_rows(&mut tx, &g.finishes).await?;
                if finished.len() < g.finishes.len() {
                    // A row that is no longer `pending` was finished already (a write
                    // whose failure was reported committed after all): its logs are not
                    // added again. A missing row fails the batch.
                    let mut done = Vec::new();
                    for (n, (id, _)) in g.finishes.iter().enumerate() {
                        if finished.iter().any(|f| f == id) {
                            continue;
                        }
                        let found: i64 = ::sqlx::query_scalar($crate::sql::COUNT_EXECUTION)
                            .bind(*id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(db)?;
                        if found == 0 {
                            return Err(::lunar_core::Error::NotFound("execution"));
                        }
                        done.push(n);
                    }
                    g.skip_logs_of(&done);
                }
                insert_log_rows_and_commit(tx, &g.logs).await?;
                self.after_batch();
                Ok(())
            }
        }
    };
}

pub(crate) use batch_writer;
