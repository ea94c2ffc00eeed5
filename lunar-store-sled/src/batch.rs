//! [`BatchWriter`]: many execution writes in one transaction and one flush (group commit).

use async_trait::async_trait;
use lunar_core::{BatchWriter, ExecutionWrite, Result};

use crate::SledStore;
use crate::error::SledResult;
use crate::functions::{tx_finish_execution, tx_insert_execution, tx_is_pending};
use crate::records::encode;
use crate::tracking::{Kind, tx_add_rows};

/// A write with its log entries already encoded.
enum Prepared<'a> {
    Insert(&'a lunar_core::model::NewExecution),
    Record {
        row: &'a lunar_core::model::NewExecution,
        outcome: &'a lunar_core::model::Outcome,
        logs: Vec<(i64, Vec<u8>)>,
    },
    Finish {
        id: &'a str,
        outcome: &'a lunar_core::model::Outcome,
        logs: Vec<(i64, Vec<u8>)>,
    },
}

fn encode_logs(logs: &[lunar_core::model::LogEntry]) -> SledResult<Vec<(i64, Vec<u8>)>> {
    logs.iter()
        .map(|l| Ok((l.created_at, encode(Kind::Logs.name(), l)?)))
        .collect()
}

fn prepare(writes: &[ExecutionWrite]) -> SledResult<Vec<Prepared<'_>>> {
    writes
        .iter()
        .map(|w| {
            Ok(match w {
                ExecutionWrite::Insert(e) => Prepared::Insert(e),
                ExecutionWrite::Finish { id, outcome, logs } => Prepared::Finish {
                    id,
                    outcome,
                    logs: encode_logs(logs)?,
                },
                ExecutionWrite::Record { row, outcome, logs } => Prepared::Record {
                    row,
                    outcome,
                    logs: encode_logs(logs)?,
                },
            })
        })
        .collect()
}

#[async_trait]
impl BatchWriter for SledStore {
    async fn write_batch(&self, writes: &[ExecutionWrite]) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let writes = writes.to_vec();
        self.run_execution_write(move |db| {
            let prepared = prepare(&writes)?;
            let _adding = db.adding();
            db.tx(|tx| {
                for w in &prepared {
                    match w {
                        Prepared::Insert(e) => tx_insert_execution(tx, e)?,
                        // A row that is no longer `pending` was finished already (a write
                        // whose failure was reported committed after all): its logs are
                        // not added again.
                        Prepared::Finish { id, outcome, logs } => {
                            if tx_is_pending(tx, id)? {
                                tx_add_rows(tx, Kind::Logs, id, logs)?;
                                tx_finish_execution(tx, id, outcome)?;
                            }
                        }
                        Prepared::Record { row, outcome, logs } => {
                            tx_insert_execution(tx, row)?;
                            tx_add_rows(tx, Kind::Logs, &row.id, logs)?;
                            tx_finish_execution(tx, &row.id, outcome)?;
                        }
                    }
                }
                Ok(())
            })
        })
        .await
    }
}
