//! Migrations, connection settings, constraints and cascades enforced by the server.

use lunar_core::model::{LogEntry, LogLevel, NewExecution, NewFunction, PageRequest, Trigger};
use lunar_core::{Error, FunctionStore, KvStore, LogStore, ids};
use lunar_store_sql::PostgresStore;
use sqlx::query_scalar;

use crate::support::{TestSchema, fresh_store, url};

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

fn migration_files() -> i64 {
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .expect("migrations dir")
        .count();
    i64::try_from(files).expect("count")
}

/// Migrating again (on the same pool and on a new one) is a no-op that keeps the data.
#[tokio::test]
async fn migrations_are_idempotent() {
    let Some(url) = url() else { return };
    let schema = TestSchema::create(&url).await;
    let store = schema.store().await;
    let fid = function(&store).await;
    store.migrate().await.expect("second migrate");
    store.pool().close().await;
    let store = schema.store().await;
    store.migrate().await.expect("migrate on a new pool");
    let applied: i64 = query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(store.pool())
        .await
        .expect("migrations table");
    assert_eq!(applied, migration_files());
    store.get_function(&fid).await.expect("data kept");
}

/// Several nodes starting at once all migrate successfully, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migrations_from_several_nodes() {
    let Some(url) = url() else { return };
    let schema = TestSchema::create(&url).await;
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(schema.node(2).await);
    }
    let runs: Vec<_> = nodes
        .iter()
        .map(|node| {
            let node = node.clone();
            tokio::spawn(async move { node.migrate().await })
        })
        .collect();
    for run in runs {
        run.await.expect("join").expect("migrate");
    }
    let applied: i64 = query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(nodes[0].pool())
        .await
        .expect("migrations table");
    assert_eq!(applied, migration_files());
}

/// The tables live in the connections' schema (the first of `search_path`), not `public`.
#[tokio::test]
async fn tables_go_into_the_search_path_schema() {
    let Some((store, schema)) = fresh_store().await else {
        return;
    };
    let found: Vec<String> = query_scalar(
        "SELECT table_schema::TEXT FROM information_schema.tables WHERE table_name = 'functions' \
         AND table_schema = $1",
    )
    .bind(schema.name())
    .fetch_all(store.pool())
    .await
    .expect("catalog");
    assert_eq!(found, [schema.name().to_owned()]);
}

/// `FunctionStore::delete_function` alone removes logs, KV and claims: the database
/// cascades, so the `Stores` follow-up calls have nothing left to do.
#[tokio::test]
async fn delete_function_cascades_in_the_database() {
    let Some((store, _schema)) = fresh_store().await else {
        return;
    };
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
    let Some((store, _schema)) = fresh_store().await else {
        return;
    };
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
    let Some((store, _schema)) = fresh_store().await else {
        return;
    };
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

/// A large log batch (one array-bound statement) lands whole and in order, and bulk
/// deletes take any number of ids.
#[tokio::test]
async fn large_log_batch_keeps_order() {
    let Some((store, _schema)) = fresh_store().await else {
        return;
    };
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

    let mut ids: Vec<String> = (0..500).map(|_| ids::new_id()).collect();
    ids.push(e.id.clone());
    LogStore::delete_for_executions(&store, &ids)
        .await
        .expect("bulk delete");
    let left = LogStore::list(&store, &e.id, PageRequest::new(10, 0))
        .await
        .expect("list");
    assert_eq!(left.total, 0);
}

/// A malformed URL is invalid input, not a panic.
#[test]
fn bad_url_is_invalid_input() {
    let err =
        PostgresStore::connect_options("postgres://user@host:notaport/db").expect_err("bad port");
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
}

/// The pool made by `pool_options` is bounded.
#[test]
fn pool_is_bounded() {
    let options = PostgresStore::pool_options();
    assert_eq!(
        options.get_max_connections(),
        lunar_store_sql::postgres::MAX_CONNECTIONS
    );
}
