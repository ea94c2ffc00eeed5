//! The shared conformance suite (`lunar_core::testkit`), one test per check, each in its own
//! schema dropped when the check ends. The engine group-commits through the store's batch
//! writer, as the server does.

use std::sync::Arc;

use lunar_core::Stores;

use crate::support::fresh_store;

lunar_core::store_conformance_tests!(async {
    let (store, schema) = fresh_store().await?;
    let store = Arc::new(store);
    Some((Stores::from_backend(store.clone()), schema))
});
