//! The store traits, implemented once for both dialects.
//!
//! sqlx's generic `Executor`/`Database` bounds make code generic over the pool type
//! unwieldy, so [`store_impls!`] stamps the same method bodies out for each backend's
//! concrete pool, transaction and row types. The statements come from `crate::sql` and the
//! row decoders from `crate::rows`; whatever a dialect does differently stays in its
//! backend module, behind the names this macro calls (see [`store_impls!`]).

pub(crate) mod batch;
pub(crate) mod data;
pub(crate) mod functions;
pub(crate) mod tracking;

/// Implements every Lunar store trait (`FunctionStore`, `KvStore`, `EnvStore`,
/// `LogStore`, `AiTracker`, `EmailTracker`) and `BatchWriter` for `$store`, a struct with
/// a `pool` field on the sqlx database `$db`.
///
/// The dialect supplies, in scope where the macro is invoked:
///
/// * `db(e: impl Into<SqlError>) -> lunar_core::Error`, converting at the trait boundary;
/// * `WriteTx`, the transaction every multi-statement write runs in (dereferencing to
///   the connection, with `commit(self)`; dropped uncommitted, it rolls back), and
///   `$store::begin_write(&self) -> SqlResult<WriteTx>`, which begins one, and
///   `$store::begin_batch(&self)`, which begins a group-commit batch's (SQLite sends its
///   `BEGIN` with the first statement);
/// * `lock_function(&mut WriteTx, function_id) -> Result<bool>`, run
///   first by transactions that number, (de)activate or delete a function's versions or
///   replace its env vars, ordering concurrent writers of that function; `false` when the
///   function is known to be missing;
/// * `$store::append_logs(&self, execution_id, &[LogEntry])`, the same on the pool, atomic;
/// * `insert_execution_rows` and `finish_execution_rows` (of `pending` rows only,
///   returning the ids updated) on a connection or the batch's transaction, and
///   `insert_log_rows_and_commit(WriteTx, logs)`: group commit's multi-row statements over
///   [`batch::Grouped`]'s lists, and `statements(rows)`, how many statements one of
///   them runs for that many rows;
/// * `$store::write_connection(&self)`, the connection a single-statement write uses, and
///   `$store::after_batch(&self)`, called after each committed batch;
/// * `$store::delete_for(&self, table, execution_ids)`, deleting a table's rows of these
///   executions, atomic.
macro_rules! store_impls {
    ($store:ident, $db:ty) => {
        $crate::store::functions::function_store!($store, $db);
        $crate::store::data::data_stores!($store);
        $crate::store::tracking::execution_row_stores!($store, $db);
        $crate::store::batch::batch_writer!($store);
    };
}

pub(crate) use store_impls;
