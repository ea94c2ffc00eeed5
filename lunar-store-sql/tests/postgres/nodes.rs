//! Several Lunar nodes (separate pools) on one schema: version numbering, the single active
//! version, claims and creates stay exactly right under concurrent writes.

use std::collections::{BTreeMap, BTreeSet};

use lunar_core::model::{FunctionUpdate, Isolation, NewFunction, PageRequest};
use lunar_core::{ClaimStore, Error, FunctionStore, ids};
use lunar_store_sql::PostgresStore;

use crate::support::{TestSchema, url};

const T0: i64 = 1_700_000_000;
const NODES: usize = 3;
const TASKS_PER_NODE: usize = 4;
const UPDATES_PER_TASK: usize = 10;

/// `NODES` migrated pools ("nodes") on one new schema; the guard drops it.
async fn cluster() -> Option<(TestSchema, Vec<PostgresStore>)> {
    let url = url()?;
    let schema = TestSchema::create(&url).await;
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        // Every node migrates on start, as a host would; the runs serialise.
        nodes.push(schema.store().await);
    }
    Some((schema, nodes))
}

async fn create(store: &PostgresStore) -> String {
    let id = ids::new_id();
    store
        .create_function(NewFunction {
            id: id.clone(),
            name: "shared".into(),
            description: None,
            code: "// v1".into(),
            isolation: Isolation::Warm,
            now: T0,
        })
        .await
        .expect("create");
    id
}

fn code_update(code: String) -> FunctionUpdate {
    FunctionUpdate {
        code: Some(code),
        now: T0 + 1,
        ..FunctionUpdate::default()
    }
}

/// Asserts versions `1..=n` exist once each and exactly one is active; returns it.
async fn assert_numbered(store: &PostgresStore, fid: &str, n: i64) -> i64 {
    let versions = store
        .list_versions(fid, PageRequest::new(1000, 0))
        .await
        .expect("list");
    assert_eq!(versions.total, u64::try_from(n).expect("n"));
    let numbers: BTreeSet<i64> = versions.items.iter().map(|v| v.version).collect();
    assert_eq!(numbers, (1..=n).collect::<BTreeSet<i64>>());
    let active: Vec<i64> = versions
        .items
        .iter()
        .filter(|v| v.is_active)
        .map(|v| v.version)
        .collect();
    assert_eq!(active.len(), 1, "exactly one active version: {active:?}");
    let single = store.active_version(fid).await.expect("active");
    assert_eq!(single.version, active[0]);
    active[0]
}

/// 3 nodes × 4 tasks × 10 code updates of one function: versions 1..=121, each once, and
/// only the newest active.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn code_updates_from_several_nodes() {
    let Some((_schema, nodes)) = cluster().await else {
        return;
    };
    let fid = create(&nodes[0]).await;
    let mut tasks = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for t in 0..TASKS_PER_NODE {
            let node = node.clone();
            let fid = fid.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..UPDATES_PER_TASK {
                    node.update_function(&fid, code_update(format!("// n{n} t{t} i{i}")))
                        .await
                        .expect("update under contention");
                }
            }));
        }
    }
    for task in tasks {
        task.await.expect("join");
    }
    let n = i64::try_from(NODES * TASKS_PER_NODE * UPDATES_PER_TASK + 1).expect("n");
    // Every node reads the same result.
    for node in &nodes {
        assert_eq!(assert_numbered(node, &fid, n).await, n);
    }
}

/// Nodes activate random older versions while others add new ones: at every moment and at
/// the end, exactly one version is active and the numbers stay dense.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn activations_race_with_updates() {
    let Some((_schema, nodes)) = cluster().await else {
        return;
    };
    let fid = create(&nodes[0]).await;
    for i in 2..=5 {
        nodes[0]
            .update_function(&fid, code_update(format!("// seed {i}")))
            .await
            .expect("seed version");
    }
    let mut tasks = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for t in 0..TASKS_PER_NODE {
            let node = node.clone();
            let fid = fid.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..UPDATES_PER_TASK {
                    if (n + t + i) % 2 == 0 {
                        let number = i64::try_from(1 + (n * 7 + t * 3 + i) % 5).expect("n");
                        node.activate_version(&fid, &ids::version_id(&fid, number))
                            .await
                            .expect("activate under contention");
                    } else {
                        node.update_function(&fid, code_update(format!("// n{n} t{t} i{i}")))
                            .await
                            .expect("update under contention");
                    }
                    // Never zero or two active versions, as seen from any node.
                    node.active_version(&fid).await.expect("one active version");
                }
            }));
        }
    }
    for task in tasks {
        task.await.expect("join");
    }
    let updates = (0..NODES)
        .flat_map(|n| {
            (0..TASKS_PER_NODE).flat_map(move |t| (0..UPDATES_PER_TASK).map(move |i| n + t + i))
        })
        .filter(|k| k % 2 == 1)
        .count();
    let n = 5 + i64::try_from(updates).expect("n");
    assert_numbered(&nodes[1], &fid, n).await;
}

/// Every node's tasks try to claim the same 25 minutes: each minute has exactly one winner,
/// and exactly one row.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_from_several_nodes_are_exactly_once() {
    let Some((_schema, nodes)) = cluster().await else {
        return;
    };
    const MINUTES: i64 = 25;
    let mut tasks = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for t in 0..TASKS_PER_NODE {
            let node = node.clone();
            tasks.push(tokio::spawn(async move {
                let me = format!("node{n}-task{t}");
                let mut won = Vec::new();
                for m in 0..MINUTES {
                    let at = T0 + 60 * m;
                    if node
                        .claim("housekeeping", at, &me, T0)
                        .await
                        .expect("claim")
                    {
                        won.push(at);
                    }
                }
                won
            }));
        }
    }
    let mut winners: BTreeMap<i64, usize> = BTreeMap::new();
    for task in tasks {
        for at in task.await.expect("join") {
            *winners.entry(at).or_default() += 1;
        }
    }
    let expected: BTreeMap<i64, usize> = (0..MINUTES).map(|m| (T0 + 60 * m, 1)).collect();
    assert_eq!(winners, expected, "one winner per (job, scheduled_at)");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schedule_claims")
        .fetch_one(nodes[2].pool())
        .await
        .expect("count");
    assert_eq!(rows, MINUTES);
}

/// The same function id created on every node at once: one succeeds, the others get
/// `AlreadyExists`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_id() {
    let Some((_schema, nodes)) = cluster().await else {
        return;
    };
    let id = ids::new_id();
    let mut tasks = Vec::new();
    for node in &nodes {
        for _ in 0..TASKS_PER_NODE {
            let node = node.clone();
            let id = id.clone();
            tasks.push(tokio::spawn(async move {
                node.create_function(NewFunction {
                    id,
                    name: "same".into(),
                    description: None,
                    code: "// v1".into(),
                    isolation: Isolation::Warm,
                    now: T0,
                })
                .await
            }));
        }
    }
    let mut created = 0;
    for task in tasks {
        match task.await.expect("join") {
            Ok(_) => created += 1,
            Err(Error::AlreadyExists(_)) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!(created, 1);
    assert_numbered(&nodes[0], &id, 1).await;
}
