//! Store benchmarks: the per-execution write path (insert a pending execution, append 5
//! log lines, finish it) and a 20-row page read (of a function with 100 executions), on SQLite, sled and (when
//! `LUNAR_TEST_POSTGRES_URL` is set) PostgreSQL. Group commit through `BatchWriter` is
//! measured separately: one quick execution's finished row, without and with 5 logs, and
//! 64 executions' inserts, then their finishes with 5 logs each.
#![allow(missing_docs)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use lunar_core::model::{
    ExecutionStatus, Isolation, LogEntry, LogLevel, NewExecution, NewFunction, Outcome,
    PageRequest, Trigger,
};
use lunar_core::{BatchWriter, ExecutionWrite, Stores, ids};
use lunar_store_sled::SledStore;
use lunar_store_sql::{PostgresStore, SqliteStore};
use tokio::runtime::Runtime;

struct Subject {
    name: &'static str,
    stores: Stores,
    batch: Option<Arc<dyn BatchWriter>>,
    /// Receives the write benchmarks' rows.
    function_id: String,
    /// Holds exactly 100 executions for the page read.
    read_function_id: String,
    _guard: Option<tempfile::TempDir>,
}

fn logs(now: i64) -> Vec<LogEntry> {
    (0..5)
        .map(|i| LogEntry {
            level: LogLevel::Info,
            message: format!("log line {i} of a typical execution"),
            created_at: now,
        })
        .collect()
}

fn outcome() -> Outcome {
    Outcome {
        status: ExecutionStatus::Success,
        duration_ms: 1,
        error_message: None,
        response_json: None,
        usage: None,
    }
}

fn new_execution(fid: &str, now: i64) -> NewExecution {
    NewExecution {
        id: ids::new_id(),
        function_id: fid.to_owned(),
        function_version_id: ids::version_id(fid, 1),
        event_json: Some(r#"{"method":"GET","path":"/fn/x"}"#.to_owned()),
        trigger: Trigger::Http,
        created_at: now,
    }
}

async fn setup(
    name: &'static str,
    stores: Stores,
    batch: Option<Arc<dyn BatchWriter>>,
    guard: Option<tempfile::TempDir>,
) -> Subject {
    let mut fids = Vec::new();
    for _ in 0..2 {
        let fid = ids::new_id();
        stores
            .functions
            .create_function(NewFunction {
                id: fid.clone(),
                name: "bench".into(),
                description: None,
                code: "export default () => ({})".into(),
                isolation: Isolation::Warm,
                now: 1_700_000_000,
            })
            .await
            .expect("create");
        fids.push(fid);
    }
    for i in 0..100 {
        let e = new_execution(&fids[1], 1_700_000_000 + i);
        stores.executions.insert_execution(e).await.expect("insert");
    }
    let read_function_id = fids.pop().expect("two ids");
    Subject {
        name,
        stores,
        batch,
        function_id: fids.pop().expect("one id"),
        read_function_id,
        _guard: guard,
    }
}

async fn subjects() -> Vec<Subject> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("tmp");
    let sqlite = Arc::new(
        SqliteStore::connect(dir.path().join("bench.db").to_str().expect("utf8"))
            .await
            .expect("sqlite"),
    );
    sqlite.migrate().await.expect("migrate");
    let batch: Arc<dyn BatchWriter> = sqlite.clone();
    out.push(
        setup(
            "sqlite",
            Stores::from_backend(sqlite),
            Some(batch),
            Some(dir),
        )
        .await,
    );
    let dir = tempfile::tempdir().expect("tmp");
    let db = sled::open(dir.path().join("sled")).expect("sled");
    let sled = Arc::new(SledStore::new(db));
    sled.migrate().await.expect("migrate");
    let batch: Arc<dyn BatchWriter> = sled.clone();
    out.push(setup("sled", Stores::from_backend(sled), Some(batch), Some(dir)).await);
    if let Ok(url) = std::env::var("LUNAR_TEST_POSTGRES_URL") {
        let pg = Arc::new(PostgresStore::connect(&url).await.expect("postgres"));
        pg.migrate().await.expect("migrate");
        out.push(setup("postgres", Stores::from_backend(pg), None, None).await);
    }
    out
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let subjects = rt.block_on(subjects());
    let mut write = c.benchmark_group("execution_write_path");
    for s in &subjects {
        write.bench_function(s.name, |b| {
            b.to_async(&rt).iter(|| async {
                let e = new_execution(&s.function_id, 1_700_001_000);
                let id = e.id.clone();
                s.stores
                    .executions
                    .insert_execution(e)
                    .await
                    .expect("insert");
                s.stores
                    .logs
                    .append(&id, &logs(1_700_001_000))
                    .await
                    .expect("logs");
                s.stores
                    .executions
                    .finish_execution(&id, outcome())
                    .await
                    .expect("finish");
            });
        });
    }
    write.finish();

    // What a quick execution costs: its finished row as one batch of its own, without logs
    // and with the 5 log lines of a function that logs.
    for (name, with_logs) in [
        ("record_one_execution", false),
        ("record_one_execution_5_logs", true),
    ] {
        let mut record = c.benchmark_group(name);
        for s in &subjects {
            let Some(batch) = s.batch.clone() else {
                continue;
            };
            record.bench_function(s.name, |b| {
                b.to_async(&rt).iter(|| async {
                    let entries = if with_logs {
                        logs(1_700_003_000)
                    } else {
                        Vec::new()
                    };
                    let write = ExecutionWrite::Record {
                        row: new_execution(&s.function_id, 1_700_003_000),
                        outcome: outcome(),
                        logs: entries,
                    };
                    batch
                        .write_batch(std::slice::from_ref(&write))
                        .await
                        .expect("record");
                });
            });
        }
        record.finish();
    }

    let mut group = c.benchmark_group("group_commit_64_executions");
    for s in &subjects {
        let Some(batch) = s.batch.clone() else {
            continue;
        };
        group.bench_function(s.name, |b| {
            b.to_async(&rt).iter(|| async {
                let rows: Vec<NewExecution> = (0..64)
                    .map(|_| new_execution(&s.function_id, 1_700_002_000))
                    .collect();
                let inserts: Vec<ExecutionWrite> =
                    rows.iter().cloned().map(ExecutionWrite::Insert).collect();
                batch.write_batch(&inserts).await.expect("inserts");
                let finishes: Vec<ExecutionWrite> = rows
                    .iter()
                    .map(|e| ExecutionWrite::Finish {
                        id: e.id.clone(),
                        outcome: outcome(),
                        logs: logs(1_700_002_000),
                    })
                    .collect();
                batch.write_batch(&finishes).await.expect("finishes");
            });
        });
    }
    group.finish();

    let mut read = c.benchmark_group("executions_page_20");
    for s in &subjects {
        read.bench_function(s.name, |b| {
            b.to_async(&rt).iter(|| async {
                let p = s
                    .stores
                    .executions
                    .list_executions(&s.read_function_id, PageRequest::new(20, 40))
                    .await
                    .expect("page");
                assert_eq!(p.items.len(), 20);
            });
        });
    }
    read.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
