//! The shared conformance suite (`lunar_core::testkit`), one test per check, each on its
//! own database file in a temporary directory removed when the check ends. The engine
//! group-commits through the store's batch writer, as the server does.

use std::sync::Arc;

use lunar_core::Stores;

use crate::support::open;

lunar_core::store_conformance_tests!(async {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(open(&dir.path().join("lunar.db")).await);
    Some((Stores::from_backend(store.clone()), dir))
});
