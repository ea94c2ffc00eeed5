//! `KvStore` and `EnvStore`: per-function key-value rows.

/// `KvStore` and `EnvStore` for `$store` (see `store_impls!` for what the dialect
/// supplies).
macro_rules! data_stores {
    ($store:ident) => {
        const _: () = {
            use ::std::collections::BTreeMap;

            use ::async_trait::async_trait;
            use ::lunar_core::model::{KvEntry, Page, PageRequest};
            use ::lunar_core::{EnvStore, KvStore, Result};

            use $crate::error::SqlError;
            use $crate::sql;

            /// A write that names a function that does not exist is `NotFound("function")`.
            fn write_err(e: ::sqlx::Error) -> ::lunar_core::Error {
                db(SqlError::from(e).parent_missing_as("function"))
            }

            impl $store {
                /// Runs a statement binding `function_id`, then `key` when there is one, on
                /// the writer's connection (as every write of these stores is).
                async fn execute_keyed(
                    &self,
                    query: &'static str,
                    function_id: &str,
                    key: Option<&str>,
                ) -> Result<()> {
                    let mut query = ::sqlx::query(query).bind(function_id);
                    if let Some(key) = key {
                        query = query.bind(key);
                    }
                    let mut conn = self.write_connection().await.map_err(db)?;
                    query.execute(&mut *conn).await.map_err(db)?;
                    Ok(())
                }

                async fn upsert(
                    &self,
                    query: &'static str,
                    function_id: &str,
                    key: &str,
                    value: &str,
                ) -> Result<()> {
                    let mut conn = self.write_connection().await.map_err(db)?;
                    ::sqlx::query(query)
                        .bind(function_id)
                        .bind(key)
                        .bind(value)
                        .execute(&mut *conn)
                        .await
                        .map_err(write_err)?;
                    Ok(())
                }

                async fn lookup(
                    &self,
                    query: &'static str,
                    function_id: &str,
                    key: &str,
                ) -> Result<Option<String>> {
                    ::sqlx::query_scalar(query)
                        .bind(function_id)
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)
                }
            }

            #[async_trait]
            impl KvStore for $store {
                async fn get(&self, function_id: &str, key: &str) -> Result<Option<String>> {
                    self.lookup(sql::KV_GET, function_id, key).await
                }

                async fn set(&self, function_id: &str, key: &str, value: &str) -> Result<()> {
                    self.upsert(sql::KV_SET, function_id, key, value).await
                }

                async fn delete(&self, function_id: &str, key: &str) -> Result<()> {
                    self.execute_keyed(sql::KV_DELETE, function_id, Some(key))
                        .await
                }

                async fn delete_all(&self, function_id: &str) -> Result<()> {
                    self.execute_keyed(sql::KV_DELETE_ALL, function_id, None)
                        .await
                }

                async fn list(
                    &self,
                    function_id: &str,
                    prefix: &str,
                    page: PageRequest,
                ) -> Result<Page<KvEntry>> {
                    self.page(
                        sql::KV_COUNT_PREFIXED,
                        KV_LIST_PREFIXED,
                        &[function_id, prefix],
                        page,
                        $crate::rows::kv_entry,
                    )
                    .await
                }
            }

            #[async_trait]
            impl EnvStore for $store {
                async fn get(&self, function_id: &str, key: &str) -> Result<Option<String>> {
                    self.lookup(sql::ENV_GET, function_id, key).await
                }

                async fn all(&self, function_id: &str) -> Result<BTreeMap<String, String>> {
                    let pairs: Vec<(String, String)> = ::sqlx::query_as(sql::ENV_ALL)
                        .bind(function_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(pairs.into_iter().collect())
                }

                async fn set(&self, function_id: &str, key: &str, value: &str) -> Result<()> {
                    self.upsert(sql::ENV_SET, function_id, key, value).await
                }

                async fn delete(&self, function_id: &str, key: &str) -> Result<()> {
                    self.execute_keyed(sql::ENV_DELETE, function_id, Some(key))
                        .await
                }

                async fn replace_all(
                    &self,
                    function_id: &str,
                    vars: &BTreeMap<String, String>,
                ) -> Result<()> {
                    let mut tx = self.begin_write().await.map_err(db)?;
                    // Two concurrent replacements must not interleave (under PostgreSQL's
                    // READ COMMITTED the second delete would miss the first's new rows);
                    // the lock orders them. A missing function leaves nothing to lock, and
                    // its inserts fail as `NotFound`.
                    lock_function(&mut tx, function_id).await?;
                    ::sqlx::query(sql::ENV_DELETE_ALL)
                        .bind(function_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    for (key, value) in vars {
                        ::sqlx::query(sql::ENV_SET)
                            .bind(function_id)
                            .bind(key)
                            .bind(value)
                            .execute(&mut *tx)
                            .await
                            .map_err(write_err)?;
                    }
                    tx.commit().await.map_err(db)
                }

                async fn delete_all(&self, function_id: &str) -> Result<()> {
                    self.execute_keyed(sql::ENV_DELETE_ALL, function_id, None)
                        .await
                }
            }
        };
    };
}

pub(crate) use data_stores;
