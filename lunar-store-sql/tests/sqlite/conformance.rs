//! The shared conformance suite (`lunar_core::testkit`), one test per check, each on its
//! own database file in a temporary directory removed when the check ends.

use std::sync::Arc;

use lunar_core::Stores;

use crate::support::open;

lunar_core::store_conformance_tests!(async {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir.path().join("lunar.db")).await;
    Some((Stores::from_backend(Arc::new(store)), dir))
});
