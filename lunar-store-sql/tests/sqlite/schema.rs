//! Migrations, constraints and cascades enforced by the database itself.

use lunar_core::FunctionStore;
use lunar_store_sql::SqliteStore;
use sqlx::query_scalar;
use tempfile::TempDir;

use crate::common_schema::{function, raw_sql, schema_checks};
use crate::support::{fresh_store, open};

raw_sql!(SqliteStore);
schema_checks!(Some(fresh_store().await));

/// Migrating twice (and again on a reopened pool) is a no-op that keeps the data.
#[tokio::test]
async fn migrations_are_idempotent() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("lunar.db");
    let store = open(&path).await;
    let fid = function(&store).await;
    store.migrate().await.expect("second migrate");
    store.pool().close().await;
    let store = open(&path).await;
    store.migrate().await.expect("migrate after reopen");
    let applied: i64 = query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(store.pool())
        .await
        .expect("migrations table");
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .expect("migrations dir")
        .count();
    assert_eq!(applied, i64::try_from(files).expect("count"));
    store.get_function(&fid).await.expect("data kept");
}
