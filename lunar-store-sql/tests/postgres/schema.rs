//! Migrations, connection settings, constraints and cascades enforced by the server.

use lunar_core::{Error, FunctionStore};
use lunar_store_sql::PostgresStore;
use sqlx::query_scalar;

use crate::common_schema::{function, raw_sql, schema_checks};
use crate::support::{TestSchema, fresh_store, url};

raw_sql!(PostgresStore);
schema_checks!(fresh_store().await);

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
