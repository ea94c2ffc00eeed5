//! Data written through one `sled::Db` is read back through a new one at the same path.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use lunar_core::ids::{new_id_at, version_id};
use lunar_core::model::{
    ExecutionStatus, FunctionUpdate, Isolation, LogEntry, LogLevel, NewExecution, NewFunction,
    Outcome, PageRequest, Trigger,
};
use lunar_core::{Error, Stores};
use lunar_store_sled::SledStore;

const T0: i64 = 1_700_000_000;

async fn open(path: &Path) -> (Arc<SledStore>, Stores) {
    // sled's background I/O can hold the file lock for a moment after the last handle of
    // the previous open is dropped: retry briefly on that one error.
    let mut tries = 0;
    let db = loop {
        match sled::Config::new().path(path).open() {
            Ok(db) => break db,
            Err(e) if tries < 100 && e.to_string().contains("could not acquire lock") => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => panic!("open: {e:?}"),
        }
    };
    let store = Arc::new(SledStore::new(db));
    store.migrate().await.expect("migrate");
    let stores = Stores::from_backend(store.clone());
    (store, stores)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_reopening_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let fid = new_id_at(1_700_000_000);
    let eid = new_id_at(1_700_000_001);
    {
        let (store, s) = open(&path).await;
        s.functions
            .create_function(NewFunction {
                id: fid.clone(),
                name: "persist".into(),
                description: Some("d".into()),
                code: "// v1".into(),
                isolation: Isolation::Warm,
                now: T0,
            })
            .await
            .expect("create");
        s.functions
            .update_function(
                &fid,
                FunctionUpdate {
                    code: Some("// v2".into()),
                    now: T0 + 1,
                    ..FunctionUpdate::default()
                },
            )
            .await
            .expect("v2");
        s.executions
            .insert_execution(NewExecution {
                id: eid.clone(),
                function_id: fid.clone(),
                function_version_id: version_id(&fid, 2),
                event_json: Some("{}".into()),
                trigger: Trigger::Http,
                created_at: T0 + 2,
            })
            .await
            .expect("insert");
        s.logs
            .append(
                &eid,
                &[LogEntry {
                    level: LogLevel::Warn,
                    message: "kept".into(),
                    created_at: T0 + 2,
                }],
            )
            .await
            .expect("log");
        s.executions
            .finish_execution(
                &eid,
                Outcome {
                    status: ExecutionStatus::Success,
                    duration_ms: 7,
                    error_message: None,
                    response_json: Some(r#"{"statusCode":200}"#.into()),
                    usage: None,
                },
            )
            .await
            .expect("finish");
        s.kv.set(&fid, "k", "v").await.expect("kv");
        s.env.set(&fid, "E", "x").await.expect("env");
        store.flush().await.expect("flush");
        drop(s);
        drop(store);
    }

    let (store, s) = open(&path).await;
    store.migrate().await.expect("migrating twice is fine");
    let f = s.functions.get_function(&fid).await.expect("function");
    assert_eq!(f.name, "persist");
    assert_eq!(f.updated_at, T0 + 1);
    let versions = s
        .functions
        .list_versions(&fid, PageRequest::default())
        .await
        .expect("versions");
    assert_eq!(
        versions.items.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(
        s.functions
            .active_version(&fid)
            .await
            .expect("active")
            .version,
        2
    );
    let e = s.executions.get_execution(&eid).await.expect("execution");
    assert_eq!(e.status, ExecutionStatus::Success);
    assert_eq!(e.duration_ms, Some(7));
    assert_eq!(e.response_json.as_deref(), Some(r#"{"statusCode":200}"#));
    let listed = s
        .executions
        .list_executions(&fid, PageRequest::default())
        .await
        .expect("list");
    assert_eq!(listed.total, 1);
    let logs = s
        .logs
        .list(&eid, PageRequest::default())
        .await
        .expect("logs");
    assert_eq!(logs.total, 1);
    assert_eq!(logs.items[0].message, "kept");
    assert_eq!(s.kv.get(&fid, "k").await.expect("kv").as_deref(), Some("v"));
    let env: BTreeMap<String, String> = s.env.all(&fid).await.expect("env");
    assert_eq!(env.get("E").map(String::as_str), Some("x"));

    // Numbering and log order continue after the restart.
    s.functions
        .update_function(
            &fid,
            FunctionUpdate {
                code: Some("// v3".into()),
                now: T0 + 3,
                ..FunctionUpdate::default()
            },
        )
        .await
        .expect("v3");
    assert_eq!(
        s.functions
            .active_version(&fid)
            .await
            .expect("active")
            .version,
        3
    );
    s.logs
        .append(
            &eid,
            &[LogEntry {
                level: LogLevel::Info,
                message: "after".into(),
                created_at: T0 + 2,
            }],
        )
        .await
        .expect("log after restart");
    let logs = s
        .logs
        .list(&eid, PageRequest::default())
        .await
        .expect("logs");
    let msgs: Vec<&str> = logs.items.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(msgs, vec!["kept", "after"]);
}

#[tokio::test]
async fn calls_before_migrate_are_backend_errors() {
    let db = sled::Config::new().temporary(true).open().expect("open");
    let store = SledStore::new(db);
    match lunar_core::FunctionStore::ping(&store).await {
        Err(Error::Backend {
            backend: "sled", ..
        }) => {}
        other => panic!("expected a backend error, got {other:?}"),
    }
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("again");
    lunar_core::FunctionStore::ping(&store).await.expect("ping");
}

#[tokio::test]
async fn writes_for_missing_parents_are_not_found() {
    let db = sled::Config::new().temporary(true).open().expect("open");
    let store = Arc::new(SledStore::new(db));
    store.migrate().await.expect("migrate");
    let s = Stores::from_backend(store);
    assert!(matches!(
        s.kv.set("nope", "k", "v").await,
        Err(Error::NotFound("function"))
    ));
    assert!(matches!(
        s.logs
            .append(
                "nope",
                &[LogEntry {
                    level: LogLevel::Info,
                    message: "x".into(),
                    created_at: T0,
                }],
            )
            .await,
        Err(Error::NotFound("execution"))
    ));
    assert!(matches!(
        s.executions
            .insert_execution(NewExecution {
                id: "e".into(),
                function_id: "nope".into(),
                function_version_id: "ver_nope_v1".into(),
                event_json: None,
                trigger: Trigger::Http,
                created_at: T0,
            })
            .await,
        Err(Error::NotFound("function"))
    ));
}
