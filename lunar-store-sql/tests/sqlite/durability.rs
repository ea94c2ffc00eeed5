//! What is committed survives closing the pool and the process.

use std::path::Path;
use std::process::Command;

use lunar_core::model::{
    ExecutionStatus, Isolation, LogEntry, LogLevel, NewExecution, NewFunction, Outcome,
    PageRequest, Trigger,
};
use lunar_core::{ExecutionStore, ExecutionWrite, FunctionStore, KvStore, LogStore, ids};
use lunar_store_sql::SqliteStore;
use tempfile::TempDir;

use crate::support::open;

const T0: i64 = 1_700_000_000;
/// Set for the child process: the database file it opens.
const CHILD_DB: &str = "LUNAR_SQLITE_CHILD_DB";
/// Set for the child process: the function it reads and writes.
const CHILD_FUNCTION: &str = "LUNAR_SQLITE_CHILD_FUNCTION";

/// Creates a function named `name`; returns its id.
async fn new_function(store: &SqliteStore, name: &str) -> String {
    let fid = ids::new_id();
    store
        .create_function(NewFunction {
            id: fid.clone(),
            name: name.into(),
            description: None,
            code: "function handler(){}".into(),
            isolation: Isolation::Warm,
            now: T0,
        })
        .await
        .expect("create");
    fid
}

/// A new execution `id` of `fid`'s version 1, without an event.
fn new_row(fid: &str, id: &str) -> NewExecution {
    NewExecution {
        id: id.to_owned(),
        function_id: fid.to_owned(),
        function_version_id: ids::version_id(fid, 1),
        event_json: None,
        trigger: Trigger::Http,
        created_at: T0,
    }
}

/// One execution of `fid`'s version 1, written finished in one go, with `event_json` and
/// `logs`.
fn finished(fid: &str, event_json: Option<String>, logs: Vec<LogEntry>) -> ExecutionWrite {
    ExecutionWrite::Record {
        row: NewExecution {
            event_json,
            ..new_row(fid, &ids::new_id())
        },
        outcome: Outcome {
            status: ExecutionStatus::Success,
            duration_ms: 1,
            error_message: None,
            response_json: None,
            usage: None,
        },
        logs,
    }
}

/// Writes a function with one finished execution and its logs; returns (function, execution).
async fn write_sample(path: &Path) -> (String, String) {
    let store = open(path).await;
    let fid = new_function(&store, "durable").await;
    let eid = ids::new_id();
    store
        .insert_execution(new_row(&fid, &eid))
        .await
        .expect("insert");
    let entries = [
        LogEntry {
            level: LogLevel::Info,
            message: "one".into(),
            created_at: T0,
        },
        LogEntry {
            level: LogLevel::Error,
            message: "two".into(),
            created_at: T0,
        },
    ];
    store.append(&eid, &entries).await.expect("logs");
    store
        .finish_execution(
            &eid,
            Outcome {
                status: ExecutionStatus::Success,
                duration_ms: 7,
                error_message: None,
                response_json: Some("{}".into()),
                usage: None,
            },
        )
        .await
        .expect("finish");
    store.pool().close().await;
    (fid, eid)
}

/// Close the pool, open a new one on the same file: everything is there.
#[tokio::test]
async fn reopened_pool_reads_back() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("lunar.db");
    let (fid, eid) = write_sample(&path).await;

    let store = open(&path).await;
    assert_eq!(
        store.get_function(&fid).await.expect("function").name,
        "durable"
    );
    let e = store.get_execution(&eid).await.expect("execution");
    assert_eq!(
        (e.status, e.duration_ms),
        (ExecutionStatus::Success, Some(7))
    );
    let logs = LogStore::list(&store, &eid, PageRequest::new(10, 0))
        .await
        .expect("logs");
    let messages: Vec<&str> = logs.items.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(messages, ["one", "two"]);
}

/// Another process reads what this one committed, then writes and exits at once without
/// closing its pool (no checkpoint, as if killed after the commit); this process sees the
/// child's write.
#[tokio::test]
async fn another_process_reads_and_writes() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("lunar.db");
    let (fid, _) = write_sample(&path).await;

    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "durability::child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &path)
        .env(CHILD_FUNCTION, &fid)
        .output()
        .expect("spawn child");
    assert!(
        child.status.success(),
        "child failed: {}\n{}\n{}",
        child.status,
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );

    let store = open(&path).await;
    assert_eq!(
        store.get(&fid, "written-by").await.expect("kv").as_deref(),
        Some("child")
    );
}

/// The child half of [`another_process_reads_and_writes`]; does nothing in a normal run.
#[tokio::test]
async fn child_process() {
    let (Some(path), Some(fid)) = (
        std::env::var_os(CHILD_DB),
        std::env::var(CHILD_FUNCTION).ok(),
    ) else {
        return;
    };
    let store = open(Path::new(&path)).await;
    let f = store.get_function(&fid).await.expect("parent's function");
    assert_eq!(f.name, "durable");
    let executions = store
        .list_executions(&fid, PageRequest::new(10, 0))
        .await
        .expect("parent's executions");
    assert_eq!(executions.total, 1);
    store
        .set(&fid, "written-by", "child")
        .await
        .expect("child write");
    // Exit without closing the pool or checkpointing the WAL.
    std::process::exit(0);
}

/// Group commit's batches are checkpointed into the database file by the store (SQLite's
/// automatic checkpoint, which would stall the committing batch, is off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_batches_are_checkpointed_off_the_write_path() {
    use lunar_core::BatchWriter;
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("lunar.db");
    let store = open(&path).await;
    let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(store.pool())
        .await
        .expect("pragma");
    assert_eq!(autocheckpoint, 0);
    let fid = new_function(&store, "checkpointed").await;
    let main_file = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let before = main_file();
    let event = "x".repeat(2048);
    for _ in 0..600 {
        let write = finished(&fid, Some(event.clone()), Vec::new());
        store.write_batch(&[write]).await.expect("batch");
    }
    // The checkpoints run in the background: wait for the file to take the rows (~1.2 MB).
    for _ in 0..200 {
        if main_file() > before + 1_000_000 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!(
        "the database file stayed at {} bytes (from {before})",
        main_file()
    );
}

/// Under steady writes the write-ahead log stays bounded: the store restarts it once a
/// checkpoint has copied it (a passive checkpoint alone never catches up with a log that
/// keeps growing, so the file grew by everything written).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_stays_bounded_under_steady_writes() {
    use lunar_core::BatchWriter;
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("lunar.db");
    let wal = dir.path().join("lunar.db-wal");
    let store = open(&path).await;
    let fid = new_function(&store, "steady").await;
    let line = "x".repeat(4096);
    let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let mut peak = 0;
    // 3000 batches of two executions with a 4 KiB log line each: over 24 MiB of rows.
    for _ in 0..3000 {
        let writes: Vec<ExecutionWrite> = (0..2)
            .map(|_| {
                let log = LogEntry {
                    level: LogLevel::Info,
                    message: line.clone(),
                    created_at: T0,
                };
                finished(&fid, None, vec![log])
            })
            .collect();
        store.write_batch(&writes).await.expect("batch");
        peak = peak.max(wal_size());
    }
    let db = std::fs::metadata(&path).map_or(0, |m| m.len());
    eprintln!("log peak {peak} bytes; database file {db} bytes");
    assert!(
        peak < 40 * 1024 * 1024,
        "the log grew to {peak} bytes (database file {db} bytes)"
    );
}

/// A group-commit batch sends `BEGIN IMMEDIATE` with its first statement and `COMMIT` with
/// its last: when a statement after the `BEGIN` fails (the log INSERT here, refused by a
/// trigger), nothing of the batch is stored, and the next batches, which begin and commit
/// the same way, are stored whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_failing_after_its_begin_leaves_nothing_and_writes_go_on() {
    use lunar_core::BatchWriter;
    let dir = TempDir::new().expect("temp dir");
    let store = open(&dir.path().join("lunar.db")).await;
    let fid = new_function(&store, "refused").await;
    sqlx::query(
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON logs WHEN NEW.message = 'boom' \
         BEGIN SELECT RAISE(ABORT, 'boom refused'); END",
    )
    .execute(store.pool())
    .await
    .expect("trigger");
    let log = |message: &str| LogEntry {
        level: LogLevel::Info,
        message: message.into(),
        created_at: T0,
    };
    let id = |w: &ExecutionWrite| match w {
        ExecutionWrite::Record { row, .. } => row.id.clone(),
        _ => unreachable!("a Record"),
    };
    let stored = |w: &ExecutionWrite| {
        let id = id(w);
        let store = &store;
        async move {
            match store.get_execution(&id).await {
                Ok(_) => true,
                Err(lunar_core::Error::NotFound(_)) => false,
                Err(e) => panic!("reading {id}: {e}"),
            }
        }
    };

    // A new row and a finish of a pending one, then the refused log: all rolled back.
    let pending = ids::new_id();
    store
        .write_batch(&[ExecutionWrite::Insert(new_row(&fid, &pending))])
        .await
        .expect("pending row");
    let refused = finished(&fid, None, vec![log("fine")]);
    let finish = ExecutionWrite::Finish {
        id: pending.clone(),
        outcome: Outcome {
            status: ExecutionStatus::Success,
            duration_ms: 2,
            error_message: None,
            response_json: None,
            usage: None,
        },
        logs: vec![log("boom")],
    };
    let err = store
        .write_batch(&[refused.clone(), finish])
        .await
        .expect_err("the trigger refuses the log");
    assert!(err.to_string().contains("boom refused"), "{err}");
    assert!(!stored(&refused).await, "the new row was rolled back");
    let row = store.get_execution(&pending).await.expect("pending row");
    assert_eq!(
        row.status,
        ExecutionStatus::Pending,
        "the finish was rolled back"
    );

    // New rows only, with their logs (`BEGIN` and the rows, then the logs and `COMMIT`):
    // the same.
    let alone = finished(&fid, None, vec![log("boom")]);
    let with_it = finished(&fid, None, vec![log("fine")]);
    let err = store
        .write_batch(&[with_it.clone(), alone.clone()])
        .await
        .expect_err("the trigger refuses the log");
    assert!(err.to_string().contains("boom refused"), "{err}");
    assert!(!stored(&alone).await && !stored(&with_it).await);

    // The first statement fails, in the same text as its BEGIN: a row's id is taken.
    let fresh = finished(&fid, None, vec![log("fresh")]);
    let mut duplicate = finished(&fid, None, vec![log("again")]);
    if let ExecutionWrite::Record { row, .. } = &mut duplicate {
        row.id.clone_from(&pending);
    }
    let err = store
        .write_batch(&[fresh.clone(), duplicate])
        .await
        .expect_err("the id is taken");
    assert!(
        matches!(err, lunar_core::Error::AlreadyExists(_)),
        "{err:?}"
    );
    assert!(!stored(&fresh).await, "the other row was rolled back");

    // Later batches, alone and together, are stored with their logs.
    for n in [1, 3] {
        let writes: Vec<ExecutionWrite> = (0..n)
            .map(|_| finished(&fid, None, vec![log("one"), log("two")]))
            .collect();
        store.write_batch(&writes).await.expect("later batch");
        for w in &writes {
            let logs = LogStore::list(&store, &id(w), PageRequest::default())
                .await
                .expect("logs");
            assert_eq!(logs.total, 2, "both log lines of {}", id(w));
        }
    }
    // Nothing of the failed batches came in with a later COMMIT.
    for w in [&refused, &alone, &with_it, &fresh] {
        assert!(!stored(w).await, "{} stored after all", id(w));
    }
    let row = store.get_execution(&pending).await.expect("pending row");
    assert_eq!(row.status, ExecutionStatus::Pending);
    let logs = LogStore::list(&store, &pending, PageRequest::default())
        .await
        .expect("logs");
    assert_eq!(logs.total, 0, "no log of the failed finish or duplicate");
}
