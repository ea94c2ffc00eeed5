//! The store's write connection after a write transaction that failed: what it began is
//! rolled back, and the database's write lock is released for the other connections.

use std::collections::BTreeMap;

use lunar_core::model::{Isolation, NewFunction};
use lunar_core::{EnvStore, Error, FunctionStore, KvStore};
use lunar_store_sql::SqliteStore;

use crate::support::fresh_store;

async fn create(store: &SqliteStore, id: &str) {
    store
        .create_function(NewFunction {
            id: id.to_owned(),
            name: format!("fn-{id}"),
            description: None,
            code: "export default () => ({})".to_owned(),
            isolation: Isolation::Warm,
            now: 1_700_000_000,
        })
        .await
        .expect("create function");
}

/// Replacing the env vars of a missing function fails inside its transaction, after
/// `BEGIN IMMEDIATE` took the write lock; then a write on a pooled connection (a host's
/// own table), which waits for that lock, a KV set and another write transaction all
/// succeed, and nothing of the failed one is kept.
async fn failed_transaction_then_writes(store: &SqliteStore) {
    create(store, "f1").await;
    let vars = BTreeMap::from([("K".to_owned(), "v".to_owned())]);
    let failed = EnvStore::replace_all(store, "missing", &vars).await;
    assert!(
        matches!(failed, Err(Error::NotFound(_))),
        "env vars of a missing function: {failed:?}"
    );
    sqlx::query("CREATE TABLE host_notes (note TEXT)")
        .execute(store.pool())
        .await
        .expect("a pooled write once the failed transaction is rolled back");
    KvStore::set(store, "f1", "k", "v").await.expect("kv set");
    create(store, "f2").await;
    EnvStore::replace_all(store, "f2", &vars)
        .await
        .expect("a write transaction after the failed one");
    assert_eq!(
        KvStore::get(store, "f1", "k")
            .await
            .expect("get")
            .as_deref(),
        Some("v")
    );
    assert!(
        EnvStore::all(store, "missing")
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(EnvStore::all(store, "f2").await.expect("list").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_transaction_releases_the_write_lock() {
    let (store, _dir) = fresh_store().await;
    failed_transaction_then_writes(&store).await;
}

/// The same on an in-memory database, whose writes run on pooled connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_transaction_in_memory_releases_the_write_lock() {
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    failed_transaction_then_writes(&store).await;
}

/// A closed store's writer refuses writes instead of reopening its connection.
#[tokio::test]
async fn a_closed_store_refuses_writes() {
    let (store, _dir) = fresh_store().await;
    create(&store, "f1").await;
    store.close().await;
    let vars = BTreeMap::from([("K".to_owned(), "v".to_owned())]);
    assert!(EnvStore::replace_all(&store, "f1", &vars).await.is_err());
}
