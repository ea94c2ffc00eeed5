//! The conformance suite every store runs (feature `testkit`).
//!
//! Each check is a `pub async fn` taking a fresh, empty [`Stores`]; the
//! [`store_conformance_tests!`](crate::store_conformance_tests) macro stamps out one named
//! `#[tokio::test]` per check. A backend's test crate needs `tokio` (with `macros` and
//! `rt-multi-thread`) as a dev-dependency and invokes:
//!
//! ```ignore
//! lunar_core::store_conformance_tests!(async {
//!     // An empty store per test; `None` skips (e.g. no database URL configured).
//!     let dir = tempfile::tempdir().unwrap();
//!     let store = std::sync::Arc::new(MyStore::open(dir.path()).await);
//!     // The guard (here the temp dir) is dropped when the check ends.
//!     Some((lunar_core::Stores::from_backend(store), dir))
//! });
//! ```
//!
//! Checks use fixed timestamps passed through the store API, so they never depend on the
//! wall clock.

#![allow(clippy::missing_panics_doc)]

mod checks;

/// A successful outcome of 1 ms, the usual final state written by the checks.
/// A usage record with every figure set (distinct per `n`), for round trips.
pub(crate) fn sample_usage(n: u64) -> crate::usage::Usage {
    crate::usage::Usage {
        cpu_time_us: 1_000 + n,
        peak_heap_bytes: 4_000_000 + n,
        request_bytes: 10 + n,
        response_bytes: 20 + n,
        outbound_sent_bytes: 30 + n,
        outbound_received_bytes: 40 + n,
        calls: crate::usage::CallCounts {
            http: 1 + n,
            ai: 2 + n,
            email: 3 + n,
            kv: 4 + n,
            host: 5 + n,
        },
    }
}

pub(crate) fn succeeded() -> crate::model::Outcome {
    crate::model::Outcome {
        status: crate::model::ExecutionStatus::Success,
        duration_ms: 1,
        error_message: None,
        response_json: None,
        usage: None,
    }
}

/// Applies an update the check expects to succeed.
pub(crate) async fn update(s: &crate::Stores, id: &str, u: crate::model::FunctionUpdate) {
    s.functions.update_function(id, u).await.expect("update");
}

/// Asserts the function has no recorded executions.
pub(crate) async fn assert_no_executions(s: &crate::Stores, function_id: &str) {
    let list = s
        .executions
        .list_executions(function_id, crate::model::PageRequest::default())
        .await
        .expect("list executions");
    assert_eq!(list.total, 0, "nothing recorded");
}

/// What a conformance test's setup expression yields: the stores, optionally with a guard
/// kept alive for the duration of the check (a temp dir, a database schema...).
pub trait TestStores {
    /// Splits into the stores and the guard.
    fn into_parts(self) -> (crate::Stores, Box<dyn std::any::Any + Send>);
}

impl TestStores for crate::Stores {
    fn into_parts(self) -> (crate::Stores, Box<dyn std::any::Any + Send>) {
        (self, Box::new(()))
    }
}

impl<G: Send + 'static> TestStores for (crate::Stores, G) {
    fn into_parts(self) -> (crate::Stores, Box<dyn std::any::Any + Send>) {
        (self.0, Box::new(self.1))
    }
}
mod engine;
mod outage;
mod scheduling;

pub use checks::*;
pub use engine::*;
pub use outage::*;
pub use scheduling::*;

/// Expands to one `#[tokio::test]` per conformance check. The argument is an expression
/// evaluated in each test, producing a future of `Option<T>` where `T` is [`Stores`](crate::Stores)
/// or `(Stores, guard)` ([`TestStores`](crate::testkit::TestStores)): an empty store; `None`
/// prints a skip line and passes.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_tests!(@each $make;
            create_and_get_function,
            create_duplicate_id_is_already_exists,
            list_functions_order_and_pagination,
            update_function_fields,
            isolation_is_stored_and_kept,
            update_unknown_function_changes_nothing,
            code_updates_create_numbered_versions,
            activate_version_rules,
            delete_version_rules,
            executions_insert_finish_get_list,
            executions_order_and_pagination,
            logs_order_and_pagination,
            ai_requests_tracking,
            email_requests_tracking,
            host_calls_tracking,
            kv_isolation_per_function,
            kv_list_by_prefix_and_page,
            execution_metrics_count_the_window,
            env_isolation_per_function,
            delete_function_cascades,
            retention_deletes_old_executions_per_function,
            functions_with_active_cron_filter,
            fail_stale_pending_marks_only_old_pending,
            claims_are_exactly_once,
            concurrent_executions_with_logs,
            concurrent_code_updates_never_duplicate_versions,
            ping_works
        );
        $crate::store_conformance_tests!(@each $make;
            engine_success_records_execution,
            engine_thrown_error_is_recorded,
            engine_status_400_is_error_without_message,
            engine_missing_and_disabled_record_nothing,
            engine_save_response,
            engine_timeout_from_runtime,
            engine_client_disconnect_is_recorded,
            engine_shutdown_cancels_in_flight,
            engine_host_kv_env_and_log_limit,
            engine_no_active_version_records_nothing,
            engine_sees_updates_immediately,
            engine_concurrent_executions_all_recorded,
            engine_admission_bounds,
            engine_outcome_is_recorded_once_the_store_is_back,
            engine_shutdown_gives_up_on_held_outcomes,
            engine_finishes_a_row_whose_insert_failed_after_committing,
            engine_finishes_a_row_whose_insert_committed_as_the_store_went_down,
            engine_finishes_a_row_whose_start_was_reported_failed,
            engine_holds_nothing_once_the_store_has_no_row,
            batch_writer_finishes_a_row_once,
            engine_store_failure_while_loading_is_a_store_error,
            batch_writer_is_atomic,
            batch_writer_records_finished_executions,
            cron_fires_every_minute_until_paused,
            cron_stops_on_clear_disable_delete,
            cron_schedule_change_and_next_run,
            cron_exactly_once_across_schedulers,
            housekeeping_retention_per_function
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                match $make.await {
                    ::core::option::Option::Some(made) => {
                        // The guard (a temp dir, a schema) lives until the check ends.
                        let (stores, _guard) = $crate::testkit::TestStores::into_parts(made);
                        $crate::testkit::$name(stores).await;
                    }
                    ::core::option::Option::None => {
                        eprintln!("skipping {}: store not configured", stringify!($name));
                    }
                }
            }
        )*
    };
}
