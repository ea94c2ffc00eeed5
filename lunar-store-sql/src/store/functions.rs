//! `FunctionStore`: functions, versions, executions, claims.

/// `FunctionStore` for `$store` on `$db`, plus the paging and execution-write helpers the
/// other traits share (see `store_impls!` for what the dialect supplies).
macro_rules! function_store {
    ($store:ident, $db:ty) => {
        const _: () = {
            use ::async_trait::async_trait;
            use ::lunar_core::metrics::{ExecutionMetrics, MetricsGroup, MetricsRange};
            use ::lunar_core::model::ExecutionStatus;
            use ::lunar_core::model::{
                CronStatus, Execution, Function, FunctionUpdate, FunctionVersion,
                FunctionWithActiveVersion, Isolation, NewExecution, NewFunction, Outcome, Page,
                PageRequest, Timestamp,
            };
            use ::lunar_core::{ClaimStore, Error, ExecutionStore, FunctionStore, Result, ids};
            use ::sqlx::{Database, Encode, Executor, Type};

            use $crate::error::{SqlError, SqlResult};
            use $crate::rows::{self, decode_all, found, page_binds, total};
            use $crate::sql;

            type Row = <$db as Database>::Row;

            impl $store {
                /// One page of the rows `list_query` selects, with the total `count_query`
                /// counts. Both bind `keys` first, in order; the list then binds `LIMIT`
                /// and `OFFSET`.
                async fn page<T>(
                    &self,
                    count_query: &'static str,
                    list_query: &'static str,
                    keys: &[&str],
                    page: PageRequest,
                    decode: fn(&Row) -> SqlResult<T>,
                ) -> Result<Page<T>> {
                    let mut count = ::sqlx::query_scalar(count_query);
                    let mut list = ::sqlx::query(list_query);
                    for key in keys {
                        count = count.bind(*key);
                        list = list.bind(*key);
                    }
                    let count: i64 = count.fetch_one(&self.pool).await.map_err(db)?;
                    if count == 0 {
                        return Ok(Page::empty());
                    }
                    let (limit, offset) = page_binds(page);
                    let found = list
                        .bind(limit)
                        .bind(offset)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(Page {
                        items: decode_all(&found, decode).map_err(db)?,
                        total: total(count),
                    })
                }

                /// The version of `function_id` that `query` finds by `key` (its number or id).
                async fn find_version<'q>(
                    &self,
                    query: &'static str,
                    function_id: &'q str,
                    key: impl Encode<'q, $db> + Type<$db> + Send + 'q,
                ) -> Result<FunctionVersion> {
                    let row = ::sqlx::query(query)
                        .bind(function_id)
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    found(row, "version", rows::version).map_err(db)
                }

                /// Inserts a `pending` execution, on the pool or inside a transaction.
                async fn insert_execution_on<'c>(
                    executor: impl Executor<'c, Database = $db>,
                    e: &NewExecution,
                ) -> Result<()> {
                    ::sqlx::query(sql::INSERT_EXECUTION)
                        .bind(&e.id)
                        .bind(&e.function_id)
                        .bind(&e.function_version_id)
                        .bind(&e.event_json)
                        .bind(e.trigger.as_str())
                        .bind(e.created_at)
                        .execute(executor)
                        .await
                        .map_err(|err| db(SqlError::from(err).execution_insert()))?;
                    Ok(())
                }

                /// Records an execution's outcome, on the pool or inside a transaction.
                async fn finish_execution_on<'c>(
                    executor: impl Executor<'c, Database = $db>,
                    id: &str,
                    outcome: &Outcome,
                ) -> Result<()> {
                    let done = ::sqlx::query(sql::FINISH_EXECUTION)
                        .bind(id)
                        .bind(outcome.status.as_str())
                        .bind(outcome.duration_ms)
                        .bind(&outcome.error_message)
                        .bind(&outcome.response_json)
                        .bind(rows::usage_json(outcome))
                        .execute(executor)
                        .await
                        .map_err(db)?;
                    if done.rows_affected() == 0 {
                        return Err(Error::NotFound("execution"));
                    }
                    Ok(())
                }
            }

            /// Inserts version `number` of `function_id` as the only active one (inside `tx`).
            async fn insert_active_version(
                tx: &mut WriteTx,
                function_id: &str,
                number: i64,
                code: &str,
                now: Timestamp,
            ) -> Result<FunctionVersion> {
                let id = ids::version_id(function_id, number);
                ::sqlx::query(sql::DEACTIVATE_OTHER_VERSIONS)
                    .bind(function_id)
                    .bind(&id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
                ::sqlx::query(sql::INSERT_VERSION)
                    .bind(&id)
                    .bind(function_id)
                    .bind(number)
                    .bind(code)
                    .bind(now)
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| db(SqlError::from(e).unique_as("version")))?;
                Ok(FunctionVersion {
                    id,
                    function_id: function_id.to_owned(),
                    version: number,
                    code: code.to_owned(),
                    created_at: now,
                    created_by: None,
                    is_active: true,
                })
            }

            /// The ids of the executions a query selects (inside `tx`).
            async fn execution_ids(
                tx: &mut WriteTx,
                query: &'static str,
                key: &str,
            ) -> Result<Vec<String>> {
                ::sqlx::query_scalar(query)
                    .bind(key)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db)
            }

            #[async_trait]
            impl FunctionStore for $store {
                async fn create_function(
                    &self,
                    f: NewFunction,
                ) -> Result<FunctionWithActiveVersion> {
                    // A new function has no row to lock yet.
                    let mut tx = self.begin_write().await.map_err(db)?;
                    ::sqlx::query(sql::INSERT_FUNCTION)
                        .bind(&f.id)
                        .bind(&f.name)
                        .bind(&f.description)
                        .bind(f.now)
                        .bind(f.isolation.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| db(SqlError::from(e).unique_as("function")))?;
                    let version = insert_active_version(&mut tx, &f.id, 1, &f.code, f.now).await?;
                    let row = ::sqlx::query(sql::GET_FUNCTION)
                        .bind(&f.id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db)?;
                    let function = rows::function(&row).map_err(db)?;
                    tx.commit().await.map_err(db)?;
                    Ok(FunctionWithActiveVersion {
                        function,
                        active_version: version,
                    })
                }

                async fn get_function(&self, id: &str) -> Result<Function> {
                    let row = ::sqlx::query(sql::GET_FUNCTION)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    found(row, "function", rows::function).map_err(db)
                }

                async fn list_functions(
                    &self,
                    page: PageRequest,
                ) -> Result<Page<FunctionWithActiveVersion>> {
                    self.page(
                        sql::COUNT_FUNCTIONS,
                        sql::LIST_FUNCTIONS,
                        &[],
                        page,
                        rows::function_with_active_version,
                    )
                    .await
                }

                async fn update_function(&self, id: &str, u: FunctionUpdate) -> Result<Function> {
                    let mut tx = self.begin_write().await.map_err(db)?;
                    // Held until commit: the next version number below is computed under
                    // the lock.
                    if !lock_function(&mut tx, id).await? {
                        return Err(Error::NotFound("function"));
                    }
                    let row = if u.is_empty() {
                        ::sqlx::query(sql::GET_FUNCTION)
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await
                    } else {
                        let limits = u.limits.unwrap_or_default();
                        ::sqlx::query(sql::UPDATE_FUNCTION)
                            .bind(id)
                            .bind(&u.name)
                            .bind(&u.description)
                            .bind(u.disabled)
                            .bind(u.retention_days)
                            .bind(&u.cron_schedule)
                            .bind(u.cron_status.map(CronStatus::as_str))
                            .bind(u.save_response)
                            .bind(u.limits.is_some())
                            .bind(rows::limit_bind(limits.timeout_seconds).map_err(db)?)
                            .bind(rows::limit_bind(limits.memory_mb).map_err(db)?)
                            .bind(rows::limit_bind(limits.max_request_body_bytes).map_err(db)?)
                            .bind(rows::limit_bind(limits.max_response_body_bytes).map_err(db)?)
                            .bind(rows::limit_bind(limits.max_log_entries).map_err(db)?)
                            .bind(u.now)
                            .bind(u.isolation.map(Isolation::as_str))
                            .bind(rows::limit_bind(limits.max_concurrency).map_err(db)?)
                            .bind(rows::limit_bind(limits.cpu_time_ms).map_err(db)?)
                            .fetch_optional(&mut *tx)
                            .await
                    }
                    .map_err(db)?;
                    let function = found(row, "function", rows::function).map_err(db)?;
                    if let Some(code) = &u.code {
                        let number: i64 = ::sqlx::query_scalar(sql::NEXT_VERSION_NUMBER)
                            .bind(id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(db)?;
                        insert_active_version(&mut tx, id, number, code, u.now).await?;
                    }
                    tx.commit().await.map_err(db)?;
                    Ok(function)
                }

                async fn delete_function(&self, id: &str) -> Result<Vec<String>> {
                    let mut tx = self.begin_write().await.map_err(db)?;
                    // Under the lock no writer can add an execution (on PostgreSQL its
                    // foreign-key check waits), so the ids below are every execution the
                    // delete removes.
                    if !lock_function(&mut tx, id).await? {
                        return Err(Error::NotFound("function"));
                    }
                    let removed =
                        execution_ids(&mut tx, sql::EXECUTION_IDS_OF_FUNCTION, id).await?;
                    let deleted = ::sqlx::query(sql::DELETE_FUNCTION)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    if deleted.rows_affected() == 0 {
                        return Err(Error::NotFound("function"));
                    }
                    // Versions, executions and their rows, KV and env cascade; claims name
                    // the function only by job.
                    ::sqlx::query(sql::DELETE_CLAIMS_OF_JOB)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    tx.commit().await.map_err(db)?;
                    Ok(removed)
                }

                async fn get_version(
                    &self,
                    function_id: &str,
                    number: i64,
                ) -> Result<FunctionVersion> {
                    self.find_version(sql::GET_VERSION, function_id, number)
                        .await
                }

                async fn get_version_by_id(
                    &self,
                    function_id: &str,
                    version_id: &str,
                ) -> Result<FunctionVersion> {
                    self.find_version(sql::GET_VERSION_BY_ID, function_id, version_id)
                        .await
                }

                async fn list_versions(
                    &self,
                    function_id: &str,
                    page: PageRequest,
                ) -> Result<Page<FunctionVersion>> {
                    self.page(
                        sql::COUNT_VERSIONS,
                        sql::LIST_VERSIONS,
                        &[function_id],
                        page,
                        rows::version,
                    )
                    .await
                }

                async fn active_version(&self, function_id: &str) -> Result<FunctionVersion> {
                    let row = ::sqlx::query(sql::ACTIVE_VERSION)
                        .bind(function_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    found(row, "version", rows::version).map_err(db)
                }

                async fn activate_version(
                    &self,
                    function_id: &str,
                    version_id: &str,
                ) -> Result<()> {
                    let mut tx = self.begin_write().await.map_err(db)?;
                    if !lock_function(&mut tx, function_id).await? {
                        return Err(Error::NotFound("version"));
                    }
                    let exists = ::sqlx::query(sql::VERSION_IS_ACTIVE)
                        .bind(function_id)
                        .bind(version_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?;
                    if exists.is_none() {
                        return Err(Error::NotFound("version"));
                    }
                    ::sqlx::query(sql::DEACTIVATE_OTHER_VERSIONS)
                        .bind(function_id)
                        .bind(version_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    ::sqlx::query(sql::ACTIVATE_VERSION)
                        .bind(function_id)
                        .bind(version_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    tx.commit().await.map_err(db)
                }

                async fn delete_version(
                    &self,
                    function_id: &str,
                    version_id: &str,
                ) -> Result<Vec<String>> {
                    let mut tx = self.begin_write().await.map_err(db)?;
                    // Under the lock, a concurrent activation cannot make this version active
                    // between the check and the delete.
                    if !lock_function(&mut tx, function_id).await? {
                        return Err(Error::NotFound("version"));
                    }
                    let active: bool = ::sqlx::query_scalar(sql::VERSION_IS_ACTIVE)
                        .bind(function_id)
                        .bind(version_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?
                        .ok_or(Error::NotFound("version"))?;
                    if active {
                        return Err(Error::Conflict(
                            "cannot delete the active version".to_owned(),
                        ));
                    }
                    let removed =
                        execution_ids(&mut tx, sql::EXECUTION_IDS_OF_VERSION, version_id).await?;
                    // Its executions, and their logs, AI and e-mail rows, cascade.
                    ::sqlx::query(sql::DELETE_VERSION)
                        .bind(function_id)
                        .bind(version_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    tx.commit().await.map_err(db)?;
                    Ok(removed)
                }

                async fn functions_with_active_cron(&self) -> Result<Vec<Function>> {
                    let found = ::sqlx::query(sql::FUNCTIONS_WITH_ACTIVE_CRON)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    decode_all(&found, rows::function).map_err(db)
                }

                async fn ping(&self) -> Result<()> {
                    ::sqlx::query(sql::PING)
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }
            }

            #[async_trait]
            impl ExecutionStore for $store {
                async fn insert_execution(&self, e: NewExecution) -> Result<()> {
                    Self::insert_execution_on(&self.pool, &e).await
                }

                async fn finish_execution(&self, id: &str, outcome: Outcome) -> Result<()> {
                    Self::finish_execution_on(&self.pool, id, &outcome).await
                }

                async fn get_execution(&self, id: &str) -> Result<Execution> {
                    let row = ::sqlx::query(sql::GET_EXECUTION)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    found(row, "execution", rows::execution).map_err(db)
                }

                async fn list_executions(
                    &self,
                    function_id: &str,
                    page: PageRequest,
                ) -> Result<Page<Execution>> {
                    self.page(
                        sql::COUNT_EXECUTIONS,
                        sql::LIST_EXECUTIONS,
                        &[function_id],
                        page,
                        rows::execution,
                    )
                    .await
                }

                async fn execution_metrics(
                    &self,
                    function_id: &str,
                    range: MetricsRange,
                ) -> Result<ExecutionMetrics> {
                    let groups: Vec<(i64, String, Option<i64>, i64)> =
                        ::sqlx::query_as(sql::EXECUTION_METRICS)
                            .bind(function_id)
                            .bind(range.since)
                            .bind(range.until)
                            .bind(range.bucket_seconds)
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db)?;
                    Ok(ExecutionMetrics::from_groups(
                        range,
                        groups
                            .into_iter()
                            .map(|(bucket, status, duration_ms, n)| MetricsGroup {
                                bucket,
                                status: ExecutionStatus::parse(&status),
                                duration_ms,
                                count: total(n),
                            }),
                    ))
                }

                async fn delete_executions_before(
                    &self,
                    function_id: &str,
                    cutoff: Timestamp,
                    max: u32,
                ) -> Result<Vec<String>> {
                    if max == 0 {
                        return Ok(Vec::new());
                    }
                    // One statement: the executions and (by cascade) their logs, AI and
                    // e-mail rows.
                    ::sqlx::query_scalar(sql::DELETE_EXECUTIONS_BEFORE)
                        .bind(function_id)
                        .bind(cutoff)
                        .bind(i64::from(max))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)
                }

                async fn fail_stale_pending(
                    &self,
                    older_than: Timestamp,
                    message: &str,
                ) -> Result<u64> {
                    let done = ::sqlx::query(sql::FAIL_STALE_PENDING)
                        .bind(older_than)
                        .bind(message)
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(done.rows_affected())
                }
            }

            #[async_trait]
            impl ClaimStore for $store {
                async fn claim(
                    &self,
                    job: &str,
                    scheduled_at: Timestamp,
                    node: &str,
                    now: Timestamp,
                ) -> Result<bool> {
                    let done = ::sqlx::query(sql::CLAIM)
                        .bind(job)
                        .bind(scheduled_at)
                        .bind(node)
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_claims_before(&self, cutoff: Timestamp) -> Result<u64> {
                    let done = ::sqlx::query(sql::DELETE_CLAIMS_BEFORE)
                        .bind(cutoff)
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}

pub(crate) use function_store;
