//! Connection settings hold on every pooled connection.

use lunar_store_sql::SqliteStore;
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, query_scalar};
use tempfile::TempDir;

use crate::support::open;

async fn pragma<T>(conn: &mut PoolConnection<Sqlite>, name: &str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    query_scalar(&format!("PRAGMA {name}"))
        .fetch_one(&mut **conn)
        .await
        .expect("pragma")
}

/// Every connection of the pool (all held at once, so none is reused) enforces foreign
/// keys, waits on a busy database and syncs in NORMAL mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_keys_on_every_connection() {
    let dir = TempDir::new().expect("temp dir");
    let store = open(&dir.path().join("lunar.db")).await;
    let mut held = Vec::new();
    for _ in 0..lunar_store_sql::sqlite::MAX_CONNECTIONS {
        held.push(store.pool().acquire().await.expect("acquire"));
    }
    assert_eq!(
        store.pool().size(),
        lunar_store_sql::sqlite::MAX_CONNECTIONS
    );
    for conn in &mut held {
        assert_eq!(pragma::<i64>(conn, "foreign_keys").await, 1);
        assert_eq!(pragma::<i64>(conn, "busy_timeout").await, 5000);
        assert_eq!(pragma::<i64>(conn, "synchronous").await, 1, "NORMAL");
    }
}

/// The pool is bounded: with every connection held, a further acquire times out.
#[tokio::test]
async fn pool_is_bounded() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("lunar.db");
    let connect = SqliteStore::connect_options(path.to_str().expect("utf-8")).expect("options");
    let pool = SqliteStore::pool_options()
        .max_connections(2)
        .acquire_timeout(std::time::Duration::from_millis(200));
    let store = SqliteStore::connect_with(connect, pool)
        .await
        .expect("connect");
    let _a = store.pool().acquire().await.expect("a");
    let _b = store.pool().acquire().await.expect("b");
    assert!(store.pool().acquire().await.is_err());
}

/// The database runs in WAL mode, which persists in the file.
#[tokio::test]
async fn wal_mode() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("lunar.db");
    let store = open(&path).await;
    let mut conn = store.pool().acquire().await.expect("acquire");
    assert_eq!(pragma::<String>(&mut conn, "journal_mode").await, "wal");
    drop(conn);
    store.pool().close().await;
    // A plain connection without Lunar's options still sees WAL: it is a file property.
    let plain = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("plain connect");
    let mode: String = query_scalar("PRAGMA journal_mode")
        .fetch_one(&plain)
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
}

/// `sqlite::memory:` URLs work (one shared in-memory database across the pool).
#[tokio::test]
async fn in_memory_url() {
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(store.pool().acquire().await.expect("acquire"));
    }
    for conn in &mut held {
        let n: i64 = query_scalar("SELECT COUNT(*) FROM functions")
            .fetch_one(&mut **conn)
            .await
            .expect("every connection sees the migrated schema");
        assert_eq!(n, 0);
    }
}

/// A malformed URL is invalid input, not a panic.
#[test]
fn bad_url_is_invalid_input() {
    let err = SqliteStore::connect_options("sqlite://?mode=bogus").expect_err("bad mode");
    assert!(
        matches!(err, lunar_core::Error::InvalidInput { .. }),
        "{err:?}"
    );
}
