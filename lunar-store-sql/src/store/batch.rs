//! `BatchWriter`: many executions' inserts, finishes and logs in one transaction (group
//! commit).

/// `BatchWriter` for `$store` (see `store_impls!` for what the dialect supplies).
macro_rules! batch_writer {
    ($store:ident) => {
        #[::async_trait::async_trait]
        impl ::lunar_core::BatchWriter for $store {
            async fn write_batch(
                &self,
                writes: &[::lunar_core::ExecutionWrite],
            ) -> ::lunar_core::Result<()> {
                use ::lunar_core::ExecutionWrite;

                if writes.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write().await.map_err(db)?;
                for w in writes {
                    match w {
                        ExecutionWrite::Insert(e) => {
                            Self::insert_execution_on(&mut *tx, e).await?;
                        }
                        ExecutionWrite::Finish { id, outcome, logs } => {
                            Self::finish_execution_on(&mut *tx, id, outcome).await?;
                            insert_logs(&mut *tx, id, logs).await?;
                        }
                        ExecutionWrite::Record { row, outcome, logs } => {
                            Self::insert_finished_execution_on(&mut *tx, row, outcome).await?;
                            insert_logs(&mut *tx, &row.id, logs).await?;
                        }
                    }
                }
                tx.commit().await.map_err(db)
            }
        }
    };
}

pub(crate) use batch_writer;
