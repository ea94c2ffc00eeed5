//! Opening fresh stores on temporary database files.

use std::path::Path;

use lunar_store_sql::SqliteStore;

/// Opens and migrates a store on the database file `path`.
pub(crate) async fn open(path: &Path) -> SqliteStore {
    let url = path.to_str().expect("temp paths are UTF-8");
    let store = SqliteStore::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

/// A new, migrated store on a file in its own temporary directory (dropped with the guard).
pub(crate) async fn fresh_store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir.path().join("lunar.db")).await;
    (store, dir)
}
