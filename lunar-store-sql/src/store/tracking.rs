//! `LogStore`, `AiTracker`, `HostCallTracker` and `EmailTracker`: rows that belong to an
//! execution.

/// `LogStore`, `AiTracker`, `HostCallTracker` and `EmailTracker` for `$store` (see `store_impls!` for what
/// the dialect supplies: the bulk log insert and bulk delete differ per dialect).
macro_rules! execution_row_stores {
    ($store:ident, $db:ty) => {
        const _: () = {
            use ::async_trait::async_trait;
            use ::lunar_core::model::{
                AiRequest, EmailRequest, HostCall, LogEntry, Page, PageRequest,
            };
            use ::lunar_core::{AiTracker, EmailTracker, HostCallTracker, LogStore, Result};

            use $crate::error::SqlError;
            use $crate::rows;
            use $crate::sql;

            #[async_trait]
            impl LogStore for $store {
                async fn append(&self, execution_id: &str, entries: &[LogEntry]) -> Result<()> {
                    self.append_logs(execution_id, entries).await
                }

                async fn list(
                    &self,
                    execution_id: &str,
                    page: PageRequest,
                ) -> Result<Page<LogEntry>> {
                    self.page(
                        sql::COUNT_LOGS,
                        sql::LIST_LOGS,
                        &[execution_id],
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
            impl AiTracker for $store {
                async fn record(&self, r: &AiRequest) -> Result<()> {
                    ::sqlx::query(sql::INSERT_AI)
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
                        .map_err(|e| db(SqlError::from(e).execution_row_as("ai request")))?;
                    Ok(())
                }

                async fn list(
                    &self,
                    execution_id: &str,
                    page: PageRequest,
                ) -> Result<Page<AiRequest>> {
                    self.page(
                        sql::COUNT_AI,
                        sql::LIST_AI,
                        &[execution_id],
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
            impl HostCallTracker for $store {
                async fn record(&self, c: &HostCall) -> Result<()> {
                    ::sqlx::query(sql::INSERT_HOST_CALL)
                        .bind(&c.id)
                        .bind(&c.execution_id)
                        .bind(&c.capability)
                        .bind(c.status.as_str())
                        .bind(&c.error_message)
                        .bind(c.duration_ms)
                        .bind(c.created_at)
                        .execute(&self.pool)
                        .await
                        .map_err(|e| db(SqlError::from(e).execution_row_as("host call")))?;
                    Ok(())
                }

                async fn list(
                    &self,
                    execution_id: &str,
                    page: PageRequest,
                ) -> Result<Page<HostCall>> {
                    self.page(
                        sql::COUNT_HOST_CALLS,
                        sql::LIST_HOST_CALLS,
                        &[execution_id],
                        page,
                        rows::host_call,
                    )
                    .await
                }

                async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
                    self.delete_for("host_calls", execution_ids).await
                }
            }

            #[async_trait]
            impl EmailTracker for $store {
                async fn record(&self, r: &EmailRequest) -> Result<()> {
                    let to = rows::encode_recipients(&r.to).map_err(db)?;
                    ::sqlx::query(sql::INSERT_EMAIL)
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
                        .map_err(|e| db(SqlError::from(e).execution_row_as("email request")))?;
                    Ok(())
                }

                async fn list(
                    &self,
                    execution_id: &str,
                    page: PageRequest,
                ) -> Result<Page<EmailRequest>> {
                    self.page(
                        sql::COUNT_EMAIL,
                        sql::LIST_EMAIL,
                        &[execution_id],
                        page,
                        rows::email_request,
                    )
                    .await
                }

                async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
                    self.delete_for("email_requests", execution_ids).await
                }
            }
        };
    };
}

pub(crate) use execution_row_stores;
