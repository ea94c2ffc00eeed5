//! Schema checks both dialects pass: constraints and cascades enforced by the database
//! itself. Each test crate includes this file, implements [`RawSql`] for its store with
//! [`raw_sql!`] and stamps the checks out as tests with [`schema_checks!`].

use lunar_core::model::{
    Isolation, LogEntry, LogLevel, NewExecution, NewFunction, PageRequest, Trigger,
};
use lunar_core::{ClaimStore, Error, ExecutionStore, FunctionStore, KvStore, LogStore, ids};

pub(crate) const T0: i64 = 1_700_000_000;

/// What the checks do beside the store traits: plain SQL on the store's own pool.
pub(crate) trait RawSql {
    /// `SELECT COUNT(*) FROM {table}`.
    async fn count_rows(&self, table: &str) -> i64;
    /// Inserts version 2 of `function_id` as active, behind the store's back.
    async fn insert_active_version_2(&self, function_id: &str) -> Result<(), sqlx::Error>;
    /// Runs `sql` with `$1` bound to `function_id`, behind the store's back.
    async fn execute_for(&self, sql: &str, function_id: &str);
}

/// Implements [`RawSql`] for a store type with a `pool()`.
macro_rules! raw_sql {
    ($store:ty) => {
        impl crate::common_schema::RawSql for $store {
            async fn count_rows(&self, table: &str) -> i64 {
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                    .fetch_one(self.pool())
                    .await
                    .expect("count")
            }

            async fn insert_active_version_2(&self, function_id: &str) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "INSERT INTO function_versions \
                     (id, function_id, version, code, created_at, is_active) \
                     VALUES ($1, $2, 2, 'y', 0, TRUE)",
                )
                .bind(lunar_core::ids::version_id(function_id, 2))
                .bind(function_id)
                .execute(self.pool())
                .await
                .map(drop)
            }

            async fn execute_for(&self, sql: &str, function_id: &str) {
                sqlx::query(sql)
                    .bind(function_id)
                    .execute(self.pool())
                    .await
                    .expect("raw statement");
            }
        }
    };
}

pub(crate) use raw_sql;

/// One `#[tokio::test]` per shared check. `$fresh` is an expression (awaited inside each
/// test) giving `Option<(store, guard)>`: a new, migrated store and what keeps its database
/// alive; `None` skips the test.
macro_rules! schema_checks {
    ($fresh:expr => $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let Some((store, _guard)) = $fresh else {
                    return;
                };
                crate::common_schema::$check(&store).await;
            }
        )+
    };
    ($fresh:expr) => {
        crate::common_schema::schema_checks!($fresh =>
            delete_function_cascades_in_the_database,
            missing_parents_are_not_found,
            one_active_version_is_a_constraint,
            large_log_batch_keeps_order,
            isolation_defaults_and_unknown_values_read_as_warm,
        );
    };
}

pub(crate) use schema_checks;

/// Creates a function (version 1 active) and returns its id.
pub(crate) async fn function(store: &impl FunctionStore) -> String {
    let id = ids::new_id();
    store
        .create_function(NewFunction {
            id: id.clone(),
            name: "f".into(),
            description: None,
            code: "x".into(),
            isolation: Isolation::Warm,
            now: T0,
        })
        .await
        .expect("create");
    id
}

/// A new execution of version 1 of `fid`.
pub(crate) fn execution(fid: &str) -> NewExecution {
    NewExecution {
        id: ids::new_id(),
        function_id: fid.to_owned(),
        function_version_id: ids::version_id(fid, 1),
        event_json: None,
        trigger: Trigger::Cron,
        created_at: T0,
    }
}

/// `FunctionStore::delete_function` alone removes logs, KV and claims: the database
/// cascades, so the `Stores` follow-up calls have nothing left to do.
pub(crate) async fn delete_function_cascades_in_the_database(
    store: &(impl FunctionStore + ExecutionStore + ClaimStore + KvStore + LogStore + RawSql),
) {
    let fid = function(store).await;
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
        LogStore::list(store, &e.id, page)
            .await
            .expect("logs")
            .total,
        0
    );
    assert_eq!(KvStore::get(store, &fid, "k").await.expect("kv"), None);
    for table in [
        "function_versions",
        "executions",
        "logs",
        "kv",
        "schedule_claims",
    ] {
        assert_eq!(store.count_rows(table).await, 0, "{table} emptied");
    }
}

/// Rows that name a missing parent are `NotFound`, not backend errors.
pub(crate) async fn missing_parents_are_not_found(
    store: &(impl FunctionStore + ExecutionStore + KvStore + LogStore),
) {
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
pub(crate) async fn one_active_version_is_a_constraint(store: &(impl FunctionStore + RawSql)) {
    let fid = function(store).await;
    let second = store.insert_active_version_2(&fid).await;
    let err = second.expect_err("two active versions");
    assert!(
        err.as_database_error()
            .is_some_and(sqlx::error::DatabaseError::is_unique_violation),
        "{err:?}"
    );
}

/// A large log batch (several statements on SQLite, one array-bound statement on
/// PostgreSQL) lands whole and in order, and bulk deletes take any number of ids.
pub(crate) async fn large_log_batch_keeps_order(
    store: &(impl FunctionStore + ExecutionStore + LogStore),
) {
    let fid = function(store).await;
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
    let page = LogStore::list(store, &e.id, PageRequest::new(100, 950))
        .await
        .expect("list");
    assert_eq!(page.total, 1000);
    let got: Vec<String> = page.items.into_iter().map(|l| l.message).collect();
    let want: Vec<String> = (950..1000).map(|i| format!("m{i}")).collect();
    assert_eq!(got, want);

    let mut ids: Vec<String> = (0..500).map(|_| ids::new_id()).collect();
    ids.push(e.id.clone());
    LogStore::delete_for_executions(store, &ids)
        .await
        .expect("bulk delete");
    let left = LogStore::list(store, &e.id, PageRequest::new(10, 0))
        .await
        .expect("list");
    assert_eq!(left.total, 0);
}

/// A row written without `isolation` (as rows from before the column existed) gets the
/// column default `warm`; a value this build does not know also reads as `warm`.
pub(crate) async fn isolation_defaults_and_unknown_values_read_as_warm(
    store: &(impl FunctionStore + RawSql),
) {
    let old = ids::new_id();
    store
        .execute_for(
            "INSERT INTO functions (id, name, created_at, updated_at) VALUES ($1, 'old', 0, 0)",
            &old,
        )
        .await;
    let got = store.get_function(&old).await.expect("get old");
    assert_eq!(got.isolation, Isolation::Warm, "column default");

    let fid = function(store).await;
    store
        .execute_for(
            "UPDATE functions SET isolation = 'fresh' WHERE id = $1",
            &fid,
        )
        .await;
    let got = store.get_function(&fid).await.expect("get fresh");
    assert_eq!(got.isolation, Isolation::Fresh, "stored spelling");
    store
        .execute_for(
            "UPDATE functions SET isolation = 'lukewarm' WHERE id = $1",
            &fid,
        )
        .await;
    let got = store.get_function(&fid).await.expect("get unknown");
    assert_eq!(got.isolation, Isolation::Warm, "unknown reads as warm");
    let listed = store
        .list_functions(PageRequest::new(10, 0))
        .await
        .expect("list");
    assert!(
        listed
            .items
            .iter()
            .all(|f| f.function.isolation == Isolation::Warm),
        "listed as warm"
    );
}
