//! The conformance suite and restart tests for `SledStore`.

mod restart;

lunar_core::store_conformance_tests!(async {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sled::Config::new()
        .path(dir.path().join("db"))
        .open()
        .expect("open");
    let store = std::sync::Arc::new(lunar_store_sled::SledStore::new(db));
    store.migrate().await.expect("migrate");
    // The directory must outlive the store; tests are short-lived processes.
    std::mem::forget(dir);
    Some(lunar_core::Stores::from_backend(store.clone()))
});
