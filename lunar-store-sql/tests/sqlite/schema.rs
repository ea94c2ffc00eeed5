//! Migrations, constraints and cascades enforced by the database itself.

use lunar_core::model::{LogEntry, LogLevel, NewExecution, NewFunction, PageRequest, Trigger};
use lunar_core::{Error, FunctionStore, KvStore, LogStore, ids};
use sqlx::query_scalar;
use tempfile::TempDir;

use crate::support::{fresh_store, open};

const T0: i64 = 1_700_000_000;

async fn function(store: &impl FunctionStore) -> String {
    let id = ids::new_id();
    store
        .create_function(NewFunction {
            id: id.clone(),
            name: "f".into(),
            description: None,
            code: "x".into(),
            now: T0,
        })
        .await
        .expect("create");
    id
}

fn execution(fid: &str) -> NewExecution {
    NewExecution {
        id: ids::new_id(),
        function_id: fid.to_owned(),
        function_version_id: ids::version_id(fid, 1),
        event_json: None,
        trigger: Trigger::Cron,
        created_at: T0,
    }
}

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

/// `FunctionStore::delete_function` alone removes logs, KV and claims: the database
/// cascades, so the `Stores` follow-up calls have nothing left to do.
#[tokio::test]
async fn delete_function_cascades_in_the_database() {
    let (store, _dir) = fresh_store().await;
    let fid = function(&store).await;
    let e = execution(&fid);
    store.insert_execution(e.clone()).await.expect("insert");
    let entry = LogEntry {
        level: LogLevel::Warn,
        message: "m".into(),
        created_at: T0,
    };
    store.append(&e.id, &[entry]).await.expect("log");
    store.set(&fid, "k", "v").await.expect("kv");
    assert!(store.claim(&fid, T0, "n", T0).await.expect("claim"));

    let removed = store.delete_function(&fid).await.expect("delete");
    assert_eq!(removed, vec![e.id.clone()]);
    let page = PageRequest::new(10, 0);
    assert_eq!(
        LogStore::list(&store, &e.id, page)
            .await
            .expect("logs")
            .total,
        0
    );
    assert_eq!(store.get(&fid, "k").await.expect("kv"), None);
    for table in [
        "function_versions",
        "executions",
        "logs",
        "kv",
        "schedule_claims",
    ] {
        let n: i64 = query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(store.pool())
            .await
            .expect("count");
        assert_eq!(n, 0, "{table} emptied");
    }
}

/// Rows that name a missing parent are `NotFound`, not backend errors.
#[tokio::test]
async fn missing_parents_are_not_found() {
    let (store, _dir) = fresh_store().await;
    let err = store
        .insert_execution(execution("nope"))
        .await
        .expect_err("no function");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    let err = store
        .set("nope", "k", "v")
        .await
        .expect_err("kv of no function");
    assert!(matches!(err, Error::NotFound("function")), "{err:?}");
    let entry = LogEntry {
        level: LogLevel::Info,
        message: "m".into(),
        created_at: T0,
    };
    let err = store
        .append("nope", &[entry])
        .await
        .expect_err("log of no execution");
    assert!(matches!(err, Error::NotFound("execution")), "{err:?}");
}

/// The partial unique index refuses a second active version even outside the store API.
#[tokio::test]
async fn one_active_version_is_a_constraint() {
    let (store, _dir) = fresh_store().await;
    let fid = function(&store).await;
    let second = sqlx::query(
        "INSERT INTO function_versions (id, function_id, version, code, created_at, is_active) \
         VALUES ($1, $2, 2, 'y', 0, TRUE)",
    )
    .bind(ids::version_id(&fid, 2))
    .bind(&fid)
    .execute(store.pool())
    .await;
    let err = second.expect_err("two active versions");
    assert!(
        err.as_database_error()
            .is_some_and(sqlx::error::DatabaseError::is_unique_violation),
        "{err:?}"
    );
}

/// A large log batch (several statements) lands whole and in order.
#[tokio::test]
async fn large_log_batch_keeps_order() {
    let (store, _dir) = fresh_store().await;
    let fid = function(&store).await;
    let e = execution(&fid);
    store.insert_execution(e.clone()).await.expect("insert");
    let entries: Vec<LogEntry> = (0..1000)
        .map(|i| LogEntry {
            level: LogLevel::Debug,
            message: format!("m{i}"),
            created_at: T0,
        })
        .collect();
    store.append(&e.id, &entries).await.expect("append");
    let page = LogStore::list(&store, &e.id, PageRequest::new(100, 950))
        .await
        .expect("list");
    assert_eq!(page.total, 1000);
    let got: Vec<String> = page.items.into_iter().map(|l| l.message).collect();
    let want: Vec<String> = (950..1000).map(|i| format!("m{i}")).collect();
    assert_eq!(got, want);
}
