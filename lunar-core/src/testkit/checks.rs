//! The checks themselves; each takes an empty store.

use super::update;
use crate::ids::{new_id, new_id_at, version_id};
use crate::metrics::MetricsWindow;
use crate::model::{
    AiRequest, CallStatus, CronStatus, EmailRequest, ExecutionStatus, FunctionLimits,
    FunctionUpdate, FunctionVersion, HostCall, Isolation, KvEntry, LogEntry, LogLevel,
    NewExecution, NewFunction, Outcome, PageRequest, Timestamp, Trigger,
};
use crate::{Error, Stores};
use std::collections::{BTreeMap, BTreeSet};

const T0: Timestamp = 1_700_000_000;

fn new_function(name: &str, code: &str, now: Timestamp) -> NewFunction {
    NewFunction {
        id: new_id_at(u64::try_from(now).unwrap_or(0)),
        name: name.to_owned(),
        description: None,
        code: code.to_owned(),
        isolation: Isolation::Warm,
        now,
    }
}

async fn create(s: &Stores, name: &str, now: Timestamp) -> String {
    s.functions
        .create_function(new_function(name, "function handler(){}", now))
        .await
        .expect("create_function")
        .function
        .id
}

fn code_update(code: &str, now: Timestamp) -> FunctionUpdate {
    FunctionUpdate {
        code: Some(code.to_owned()),
        now,
        ..FunctionUpdate::default()
    }
}

async fn insert_exec(s: &Stores, fid: &str, vid: &str, at: Timestamp) -> String {
    let id = new_id_at(u64::try_from(at).unwrap_or(0));
    s.executions
        .insert_execution(NewExecution {
            id: id.clone(),
            function_id: fid.to_owned(),
            function_version_id: vid.to_owned(),
            event_json: Some(r#"{"method":"GET"}"#.to_owned()),
            trigger: Trigger::Http,
            created_at: at,
        })
        .await
        .expect("insert_execution");
    id
}

fn log(level: LogLevel, message: &str, at: Timestamp) -> LogEntry {
    LogEntry {
        level,
        message: message.to_owned(),
        created_at: at,
    }
}

fn ai_row(execution_id: &str, model: &str, at: Timestamp) -> AiRequest {
    AiRequest {
        id: new_id(),
        execution_id: execution_id.to_owned(),
        provider: "openai".to_owned(),
        model: model.to_owned(),
        endpoint: "http://127.0.0.1:1/v1/chat/completions".to_owned(),
        request_json: r#"{"model":"m"}"#.to_owned(),
        response_json: Some(r#"{"ok":true}"#.to_owned()),
        status: CallStatus::Success,
        error_message: None,
        input_tokens: Some(3),
        output_tokens: Some(5),
        duration_ms: 12,
        created_at: at,
    }
}

fn host_call_row(execution_id: &str, capability: &str, at: Timestamp) -> HostCall {
    HostCall {
        id: new_id(),
        execution_id: execution_id.to_owned(),
        capability: capability.to_owned(),
        status: CallStatus::Success,
        error_message: None,
        duration_ms: 3,
        created_at: at,
    }
}

fn email_row(execution_id: &str, subject: &str, at: Timestamp) -> EmailRequest {
    EmailRequest {
        id: new_id(),
        execution_id: execution_id.to_owned(),
        from: "a@example.com".to_owned(),
        to: vec!["b@example.com".to_owned(), "c@example.com".to_owned()],
        subject: subject.to_owned(),
        has_text: true,
        has_html: false,
        request_json: r#"{"from":"a@example.com"}"#.to_owned(),
        response_json: None,
        status: CallStatus::Error,
        error_message: Some("RESEND_API_KEY not set in function environment".to_owned()),
        email_id: None,
        duration_ms: 0,
        created_at: at,
    }
}

fn page(limit: u32, offset: u64) -> PageRequest {
    PageRequest::new(limit, offset)
}

fn assert_not_found<T: std::fmt::Debug>(r: crate::Result<T>, what: &str) {
    match r {
        Err(Error::NotFound(_)) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

/// Create returns the stored function with version 1 active; get reads it back.
pub async fn create_and_get_function(s: Stores) {
    let mut nf = new_function("hello", "function handler(){ return {} }", T0);
    nf.description = Some(String::new());
    let created = s
        .functions
        .create_function(nf.clone())
        .await
        .expect("create");
    let f = &created.function;
    assert_eq!(f.id, nf.id);
    assert_eq!(f.name, "hello");
    assert_eq!(
        f.description.as_deref(),
        Some(""),
        "empty description kept as \"\""
    );
    assert!(!f.disabled);
    assert!(!f.save_response);
    assert_eq!(f.cron_status, Some(CronStatus::Paused));
    assert_eq!(f.cron_schedule, None);
    assert_eq!(f.retention_days, None);
    assert!(f.limits.is_empty());
    assert!(f.env_vars.is_empty());
    assert_eq!((f.created_at, f.updated_at), (T0, T0));
    let v = &created.active_version;
    assert_eq!(v.id, version_id(&nf.id, 1));
    assert_eq!(v.function_id, nf.id);
    assert_eq!(v.version, 1);
    assert!(v.is_active);
    assert_eq!(v.code, nf.code);
    assert_eq!(v.created_at, T0);

    let got = s.functions.get_function(&nf.id).await.expect("get");
    assert_eq!(&got, f);
    let active = s.functions.active_version(&nf.id).await.expect("active");
    assert_eq!(&active, v);
    assert_not_found(s.functions.get_function("nope").await, "get unknown");
    assert_not_found(s.functions.active_version("nope").await, "active unknown");

    // A name with surrounding spaces and a description are stored exactly.
    let mut nf2 = new_function("  spaced  ", "x", T0);
    nf2.description = Some("desc ✓".to_owned());
    let f2 = s
        .functions
        .create_function(nf2)
        .await
        .expect("create 2")
        .function;
    let got2 = s.functions.get_function(&f2.id).await.expect("get 2");
    assert_eq!(got2.name, "  spaced  ");
    assert_eq!(got2.description.as_deref(), Some("desc ✓"));
}

/// A second function with the same id is `AlreadyExists`.
pub async fn create_duplicate_id_is_already_exists(s: Stores) {
    let nf = new_function("a", "x", T0);
    s.functions
        .create_function(nf.clone())
        .await
        .expect("create");
    match s.functions.create_function(nf).await {
        Err(Error::AlreadyExists(_)) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
}

/// Functions list `created_at` desc then `id` desc, with totals and paging.
pub async fn list_functions_order_and_pagination(s: Stores) {
    let empty = s
        .functions
        .list_functions(page(20, 0))
        .await
        .expect("list empty");
    assert_eq!(empty.total, 0);
    assert!(empty.items.is_empty());

    let mut ids = Vec::new();
    for (i, at) in [T0, T0 + 10, T0 + 10, T0 + 5, T0 + 20].iter().enumerate() {
        let mut nf = new_function(&format!("f{i}"), "x", *at);
        // Distinct ids within one second sort by their counter.
        nf.id = new_id_at(u64::try_from(*at).unwrap_or(0));
        ids.push((*at, nf.id.clone()));
        s.functions.create_function(nf).await.expect("create");
    }
    let mut expected = ids.clone();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

    let all = s
        .functions
        .list_functions(page(100, 0))
        .await
        .expect("list");
    assert_eq!(all.total, 5);
    let got: Vec<String> = all.items.iter().map(|f| f.function.id.clone()).collect();
    assert_eq!(got, expected);
    for item in &all.items {
        assert!(item.function.env_vars.is_empty());
        assert_eq!(item.active_version.version, 1);
        assert!(item.active_version.is_active);
    }

    let p = s.functions.list_functions(page(2, 1)).await.expect("page");
    assert_eq!(p.total, 5);
    let got: Vec<String> = p.items.iter().map(|f| f.function.id.clone()).collect();
    assert_eq!(got, expected[1..3].to_vec());
    let past = s
        .functions
        .list_functions(page(2, 10))
        .await
        .expect("past end");
    assert_eq!(past.total, 5);
    assert!(past.items.is_empty());
}

/// Every update field is stored and bumps `updated_at`.
pub async fn update_function_fields(s: Stores) {
    let id = create(&s, "orig", T0).await;
    let limits = FunctionLimits {
        timeout_seconds: Some(5),
        max_log_entries: Some(0),
        max_concurrency: Some(3),
        ..FunctionLimits::default()
    };
    let f = s
        .functions
        .update_function(
            &id,
            FunctionUpdate {
                name: Some("renamed".into()),
                description: Some(String::new()),
                disabled: Some(true),
                retention_days: Some(30),
                cron_schedule: Some("*/5 * * * *".into()),
                cron_status: Some(CronStatus::Active),
                save_response: Some(true),
                limits: Some(limits),
                now: T0 + 60,
                ..FunctionUpdate::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(f.name, "renamed");
    assert_eq!(f.description.as_deref(), Some(""));
    assert!(f.disabled);
    assert_eq!(f.retention_days, Some(30));
    assert_eq!(f.cron_schedule.as_deref(), Some("*/5 * * * *"));
    assert_eq!(f.cron_status, Some(CronStatus::Active));
    assert!(f.save_response);
    assert_eq!(f.limits, limits);
    assert_eq!(f.created_at, T0);
    assert_eq!(f.updated_at, T0 + 60);
    let got = s.functions.get_function(&id).await.expect("get");
    assert_eq!(got, f);
    // No code → no new version.
    assert_eq!(
        s.functions
            .active_version(&id)
            .await
            .expect("active")
            .version,
        1
    );

    // Clearing: empty schedule, empty limits, re-enable.
    let f = s
        .functions
        .update_function(
            &id,
            FunctionUpdate {
                cron_schedule: Some(String::new()),
                limits: Some(FunctionLimits::default()),
                disabled: Some(false),
                now: T0 + 120,
                ..FunctionUpdate::default()
            },
        )
        .await
        .expect("clear");
    assert_eq!(f.cron_schedule.as_deref(), Some(""));
    assert!(f.limits.is_empty());
    assert!(!f.disabled);
    assert_eq!(f.name, "renamed", "fields not given stay");
    assert_eq!(f.updated_at, T0 + 120);
}

/// `isolation` defaults to warm, is stored by create and update, and survives updates of
/// other fields.
pub async fn isolation_is_stored_and_kept(s: Stores) {
    let id = create(&s, "iso", T0).await;
    let got = s.functions.get_function(&id).await.expect("get");
    assert_eq!(got.isolation, Isolation::Warm, "new functions are warm");

    let f = s
        .functions
        .update_function(
            &id,
            FunctionUpdate {
                isolation: Some(Isolation::Fresh),
                now: T0 + 10,
                ..FunctionUpdate::default()
            },
        )
        .await
        .expect("update isolation");
    assert_eq!(f.isolation, Isolation::Fresh, "returned by update");
    assert_eq!(f.updated_at, T0 + 10, "an isolation change is a change");
    let got = s.functions.get_function(&id).await.expect("get");
    assert_eq!(got.isolation, Isolation::Fresh, "read back by get");
    let listed = s.functions.list_functions(page(10, 0)).await.expect("list");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(
        listed.items[0].function.isolation,
        Isolation::Fresh,
        "listed"
    );

    // Other fields, code and an empty update leave it alone.
    let f = s
        .functions
        .update_function(
            &id,
            FunctionUpdate {
                name: Some("renamed".into()),
                save_response: Some(true),
                now: T0 + 20,
                ..FunctionUpdate::default()
            },
        )
        .await
        .expect("update name");
    assert_eq!(f.isolation, Isolation::Fresh, "kept by a name update");
    update(
        &s,
        &id,
        code_update("function handler(){ return 2 }", T0 + 30),
    )
    .await;
    update(&s, &id, FunctionUpdate::default()).await;
    let got = s.functions.get_function(&id).await.expect("get");
    assert_eq!(got.name, "renamed");
    assert_eq!(
        got.isolation,
        Isolation::Fresh,
        "kept by code and empty updates"
    );

    // Back to warm.
    let f = s
        .functions
        .update_function(
            &id,
            FunctionUpdate {
                isolation: Some(Isolation::Warm),
                now: T0 + 40,
                ..FunctionUpdate::default()
            },
        )
        .await
        .expect("update back");
    assert_eq!(f.isolation, Isolation::Warm);
    let got = s.functions.get_function(&id).await.expect("get");
    assert_eq!(got.isolation, Isolation::Warm);

    // Created fresh: stored as given.
    let mut nf = new_function("born-fresh", "x", T0);
    nf.isolation = Isolation::Fresh;
    let created = s.functions.create_function(nf).await.expect("create fresh");
    assert_eq!(created.function.isolation, Isolation::Fresh);
    let got = s
        .functions
        .get_function(&created.function.id)
        .await
        .expect("get fresh");
    assert_eq!(got.isolation, Isolation::Fresh);
}

/// Updating an unknown function is `NotFound` and creates nothing.
pub async fn update_unknown_function_changes_nothing(s: Stores) {
    let r = s
        .functions
        .update_function("missing", code_update("x", T0))
        .await;
    assert_not_found(r, "update unknown");
    assert_not_found(
        s.functions.active_version("missing").await,
        "no version created",
    );
    assert_eq!(
        s.functions
            .list_functions(page(10, 0))
            .await
            .expect("list")
            .total,
        0
    );
}

/// Code updates add versions max+1, each the only active one; lists go desc.
pub async fn code_updates_create_numbered_versions(s: Stores) {
    let id = create(&s, "v", T0).await;
    for n in 2..=4 {
        let f = s
            .functions
            .update_function(&id, code_update(&format!("// v{n}"), T0 + n))
            .await
            .expect("update code");
        assert_eq!(f.updated_at, T0 + n, "a code update bumps updated_at");
        let active = s.functions.active_version(&id).await.expect("active");
        assert_eq!(active.version, n);
        assert_eq!(active.id, version_id(&id, n));
        assert_eq!(active.code, format!("// v{n}"));
        assert_eq!(active.created_at, T0 + n);
    }
    let list = s
        .functions
        .list_versions(&id, page(20, 0))
        .await
        .expect("list");
    assert_eq!(list.total, 4);
    let numbers: Vec<i64> = list.items.iter().map(|v| v.version).collect();
    assert_eq!(numbers, vec![4, 3, 2, 1]);
    assert_eq!(list.items.iter().filter(|v| v.is_active).count(), 1);
    let p = s
        .functions
        .list_versions(&id, page(2, 1))
        .await
        .expect("page");
    assert_eq!(p.total, 4);
    assert_eq!(
        p.items.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![3, 2]
    );
    let v2 = s.functions.get_version(&id, 2).await.expect("get v2");
    assert_eq!(v2.code, "// v2");
    assert!(!v2.is_active);
    assert_not_found(s.functions.get_version(&id, 9).await, "missing number");
    assert_not_found(s.functions.get_version("nope", 1).await, "unknown function");
    let by_id = s
        .functions
        .get_version_by_id(&id, &version_id(&id, 3))
        .await
        .expect("by id");
    assert_eq!(by_id.version, 3);
    // The listed active version of the function follows.
    let listed = s
        .functions
        .list_functions(page(10, 0))
        .await
        .expect("list fns");
    assert_eq!(listed.items[0].active_version.version, 4);
}

/// Activation makes exactly one version active and checks ownership.
pub async fn activate_version_rules(s: Stores) {
    let a = create(&s, "a", T0).await;
    let b = create(&s, "b", T0).await;
    s.functions
        .update_function(&a, code_update("v2", T0 + 1))
        .await
        .expect("v2");
    let before = s.functions.get_function(&a).await.expect("get");
    s.functions
        .activate_version(&a, &version_id(&a, 1))
        .await
        .expect("activate v1");
    let versions = s
        .functions
        .list_versions(&a, page(10, 0))
        .await
        .expect("list");
    let active: Vec<i64> = versions
        .items
        .iter()
        .filter(|v| v.is_active)
        .map(|v| v.version)
        .collect();
    assert_eq!(active, vec![1]);
    assert_eq!(
        s.functions.get_function(&a).await.expect("get").updated_at,
        before.updated_at,
        "activation leaves updated_at"
    );
    // b's version does not belong to a.
    assert_not_found(
        s.functions.activate_version(&a, &version_id(&b, 1)).await,
        "foreign version",
    );
    assert_not_found(
        s.functions.get_version_by_id(&a, &version_id(&b, 1)).await,
        "foreign version by id",
    );
    assert_not_found(
        s.functions
            .activate_version("nope", &version_id(&a, 1))
            .await,
        "unknown function",
    );
    // Nothing changed by the failed calls.
    assert_eq!(s.functions.active_version(&a).await.expect("a").version, 1);
    assert_eq!(s.functions.active_version(&b).await.expect("b").version, 1);
}

/// The active version cannot be deleted; deleting another removes its executions.
pub async fn delete_version_rules(s: Stores) {
    let a = create(&s, "a", T0).await;
    let b = create(&s, "b", T0).await;
    s.functions
        .update_function(&a, code_update("v2", T0 + 1))
        .await
        .expect("v2");
    let v1 = version_id(&a, 1);
    let v2 = version_id(&a, 2);
    let e1 = insert_exec(&s, &a, &v1, T0 + 2).await;
    let e2 = insert_exec(&s, &a, &v2, T0 + 3).await;
    s.logs
        .append(&e1, &[log(LogLevel::Info, "old", T0 + 2)])
        .await
        .expect("logs");
    s.ai.record(&ai_row(&e1, "m", T0 + 2)).await.expect("ai");

    match s.functions.delete_version(&a, &v2).await {
        Err(Error::Conflict(_)) => {}
        other => panic!("deleting the active version: expected Conflict, got {other:?}"),
    }
    assert_not_found(
        s.functions.delete_version(&b, &v1).await,
        "version of another function",
    );
    s.delete_version(&a, &v1).await.expect("delete v1");
    assert_not_found(s.functions.get_version(&a, 1).await, "deleted version");
    assert_not_found(s.executions.get_execution(&e1).await, "its execution");
    assert!(
        s.logs
            .list(&e1, page(10, 0))
            .await
            .expect("logs")
            .items
            .is_empty()
    );
    assert!(
        s.ai.list(&e1, page(10, 0))
            .await
            .expect("ai")
            .items
            .is_empty()
    );
    s.executions
        .get_execution(&e2)
        .await
        .expect("other execution stays");
    assert_not_found(s.functions.delete_version(&a, &v1).await, "twice");
    // Numbering continues after the maximum.
    s.functions
        .update_function(&a, code_update("v3", T0 + 4))
        .await
        .expect("v3");
    assert_eq!(s.functions.active_version(&a).await.expect("a").version, 3);
}

/// Executions go in `pending`, finish with every field, and list without responses.
pub async fn executions_insert_finish_get_list(s: Stores) {
    let f = create(&s, "e", T0).await;
    let v = version_id(&f, 1);
    let id = insert_exec(&s, &f, &v, T0 + 1).await;
    let e = s.executions.get_execution(&id).await.expect("get");
    assert_eq!(e.status, ExecutionStatus::Pending);
    assert_eq!(e.function_id, f);
    assert_eq!(e.function_version_id, v);
    assert_eq!(e.trigger, Trigger::Http);
    assert_eq!(e.created_at, T0 + 1);
    assert_eq!(e.event_json.as_deref(), Some(r#"{"method":"GET"}"#));
    assert_eq!(
        (
            e.duration_ms,
            e.error_message.clone(),
            e.response_json.clone()
        ),
        (None, None, None)
    );
    assert_eq!(e.usage, None, "a pending execution has no usage yet");

    s.executions
        .finish_execution(
            &id,
            Outcome {
                status: ExecutionStatus::Error,
                duration_ms: 42,
                error_message: Some("Error: boom".into()),
                response_json: Some(r#"{"statusCode":500}"#.into()),
                usage: Some(super::sample_usage(7)),
            },
        )
        .await
        .expect("finish");
    let e = s.executions.get_execution(&id).await.expect("get finished");
    assert_eq!(e.status, ExecutionStatus::Error);
    assert_eq!(e.duration_ms, Some(42));
    assert_eq!(e.error_message.as_deref(), Some("Error: boom"));
    assert_eq!(e.response_json.as_deref(), Some(r#"{"statusCode":500}"#));
    assert_eq!(e.usage, Some(super::sample_usage(7)), "usage is stored");

    let cron_id = new_id();
    s.executions
        .insert_execution(NewExecution {
            id: cron_id.clone(),
            function_id: f.clone(),
            function_version_id: v.clone(),
            event_json: None,
            trigger: Trigger::Cron,
            created_at: T0 + 2,
        })
        .await
        .expect("insert cron");
    let c = s
        .executions
        .get_execution(&cron_id)
        .await
        .expect("get cron");
    assert_eq!(c.trigger, Trigger::Cron);
    assert_eq!(c.event_json, None);

    let list = s
        .executions
        .list_executions(&f, page(10, 0))
        .await
        .expect("list");
    assert_eq!(list.total, 2);
    assert!(
        list.items.iter().all(|e| e.response_json.is_none()),
        "lists omit response_json"
    );
    assert!(
        list.items
            .iter()
            .any(|e| e.usage == Some(super::sample_usage(7))),
        "lists keep usage"
    );
    assert!(
        list.items.iter().any(|e| e.event_json.is_some()),
        "lists keep event_json"
    );

    assert_not_found(s.executions.get_execution("nope").await, "get unknown");
    assert_not_found(
        s.executions
            .finish_execution("nope", super::succeeded())
            .await,
        "finish unknown",
    );
}

/// Executions list `created_at` desc then `id` desc, per function.
pub async fn executions_order_and_pagination(s: Stores) {
    let f = create(&s, "e", T0).await;
    let g = create(&s, "other", T0).await;
    let v = version_id(&f, 1);
    let mut ids = Vec::new();
    for at in [T0 + 3, T0 + 1, T0 + 3, T0 + 2] {
        ids.push((at, insert_exec(&s, &f, &v, at).await));
    }
    insert_exec(&s, &g, &version_id(&g, 1), T0 + 9).await;
    ids.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let expected: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
    let all = s
        .executions
        .list_executions(&f, page(10, 0))
        .await
        .expect("list");
    assert_eq!(all.total, 4);
    assert_eq!(
        all.items.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        expected
    );
    let p = s
        .executions
        .list_executions(&f, page(2, 2))
        .await
        .expect("page");
    assert_eq!(p.total, 4);
    assert_eq!(
        p.items.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        expected[2..].to_vec()
    );
    let none = s
        .executions
        .list_executions("nope", page(10, 0))
        .await
        .expect("unknown");
    assert_eq!(none.total, 0);
}

/// Logs list oldest first, in insertion order within a second, paged, per execution.
pub async fn logs_order_and_pagination(s: Stores) {
    let f = create(&s, "l", T0).await;
    let v = version_id(&f, 1);
    let e = insert_exec(&s, &f, &v, T0).await;
    let other = insert_exec(&s, &f, &v, T0).await;
    let batch1: Vec<LogEntry> = (0..5)
        .map(|i| log(LogLevel::Info, &format!("a{i}"), T0 + 1))
        .collect();
    let batch2 = vec![
        log(LogLevel::Debug, "b0", T0 + 1),
        log(LogLevel::Warn, "b1", T0 + 2),
        log(LogLevel::Error, "b2 ✓ unicode", T0 + 2),
    ];
    s.logs.append(&e, &batch1).await.expect("append 1");
    s.logs.append(&e, &batch2).await.expect("append 2");
    s.logs.append(&e, &[]).await.expect("append empty");
    s.logs
        .append(&other, &[log(LogLevel::Info, "elsewhere", T0)])
        .await
        .expect("append other");
    let all = s.logs.list(&e, page(100, 0)).await.expect("list");
    assert_eq!(all.total, 8);
    let msgs: Vec<&str> = all.items.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(
        msgs,
        vec!["a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2 ✓ unicode"]
    );
    assert_eq!(all.items[5].level, LogLevel::Debug);
    assert_eq!(all.items[6].level, LogLevel::Warn);
    assert_eq!(all.items[7].level, LogLevel::Error);
    assert_eq!(all.items[7].created_at, T0 + 2);
    let p = s.logs.list(&e, page(3, 4)).await.expect("page");
    assert_eq!(p.total, 8);
    assert_eq!(
        p.items
            .iter()
            .map(|l| l.message.as_str())
            .collect::<Vec<_>>(),
        vec!["a4", "b0", "b1"]
    );
    let none = s.logs.list("nope", page(10, 0)).await.expect("unknown");
    assert_eq!(none.total, 0);
    assert!(none.items.is_empty());
    s.logs
        .delete_for_executions(std::slice::from_ref(&e))
        .await
        .expect("delete");
    assert_eq!(s.logs.list(&e, page(10, 0)).await.expect("after").total, 0);
    assert_eq!(
        s.logs.list(&other, page(10, 0)).await.expect("other").total,
        1
    );
}

/// AI rows round-trip, list in order, and are deleted per execution.
pub async fn ai_requests_tracking(s: Stores) {
    let f = create(&s, "ai", T0).await;
    let v = version_id(&f, 1);
    let e = insert_exec(&s, &f, &v, T0).await;
    let other = insert_exec(&s, &f, &v, T0).await;
    let first = ai_row(&e, "first", T0 + 1);
    let mut second = ai_row(&e, "second", T0 + 1);
    second.status = CallStatus::Error;
    second.error_message = Some("OpenAI API error: bad".into());
    second.input_tokens = None;
    second.output_tokens = None;
    second.response_json = None;
    let zeroth = ai_row(&e, "zeroth", T0);
    for r in [&first, &second, &zeroth] {
        s.ai.record(r).await.expect("record");
    }
    s.ai.record(&ai_row(&other, "x", T0))
        .await
        .expect("record other");
    let list = s.ai.list(&e, page(10, 0)).await.expect("list");
    assert_eq!(list.total, 3);
    assert_eq!(list.items, vec![zeroth, first, second.clone()]);
    let p = s.ai.list(&e, page(1, 2)).await.expect("page");
    assert_eq!((p.total, p.items), (3, vec![second]));
    s.ai.delete_for_executions(std::slice::from_ref(&e))
        .await
        .expect("delete");
    assert_eq!(s.ai.list(&e, page(10, 0)).await.expect("after").total, 0);
    assert_eq!(
        s.ai.list(&other, page(10, 0)).await.expect("other").total,
        1
    );
}

/// E-mail rows round-trip (recipient list included) and are deleted per execution.
pub async fn email_requests_tracking(s: Stores) {
    let f = create(&s, "mail", T0).await;
    let v = version_id(&f, 1);
    let e = insert_exec(&s, &f, &v, T0).await;
    let a = email_row(&e, "a", T0 + 1);
    let mut b = email_row(&e, "b", T0 + 1);
    b.status = CallStatus::Success;
    b.error_message = None;
    b.email_id = Some("re_123".into());
    b.response_json = Some(r#"{"id":"re_123"}"#.into());
    b.to = vec!["only@example.com".into()];
    b.has_html = true;
    b.duration_ms = 88;
    s.email.record(&a).await.expect("a");
    s.email.record(&b).await.expect("b");
    let list = s.email.list(&e, page(10, 0)).await.expect("list");
    assert_eq!(list.total, 2);
    assert_eq!(list.items, vec![a, b]);
    s.email
        .delete_for_executions(std::slice::from_ref(&e))
        .await
        .expect("delete");
    assert_eq!(s.email.list(&e, page(10, 0)).await.expect("after").total, 0);
}

/// KV is per function: get/set/upsert/delete/delete_all.
pub async fn kv_isolation_per_function(s: Stores) {
    let a = create(&s, "a", T0).await;
    let b = create(&s, "b", T0).await;
    assert_eq!(s.kv.get(&a, "k").await.expect("get"), None);
    s.kv.set(&a, "k", "1").await.expect("set");
    s.kv.set(&a, "k", "2").await.expect("upsert");
    s.kv.set(&a, "other", "x").await.expect("set other");
    s.kv.set(&b, "k", "b's").await.expect("set b");
    assert_eq!(s.kv.get(&a, "k").await.expect("get").as_deref(), Some("2"));
    assert_eq!(
        s.kv.get(&b, "k").await.expect("get b").as_deref(),
        Some("b's")
    );
    s.kv.delete(&a, "k").await.expect("delete");
    s.kv.delete(&a, "never-there")
        .await
        .expect("delete absent is ok");
    assert_eq!(s.kv.get(&a, "k").await.expect("get"), None);
    assert_eq!(
        s.kv.get(&b, "k").await.expect("b untouched").as_deref(),
        Some("b's")
    );
    let big = "v".repeat(1024 * 1024);
    s.kv.set(&a, "big", &big).await.expect("1 MiB value");
    assert_eq!(
        s.kv.get(&a, "big").await.expect("get big").map(|v| v.len()),
        Some(big.len())
    );
    s.kv.set(&a, "empty", "").await.expect("empty value");
    assert_eq!(
        s.kv.get(&a, "empty").await.expect("get empty").as_deref(),
        Some("")
    );
    s.kv.delete_all(&a).await.expect("delete_all");
    assert_eq!(s.kv.get(&a, "other").await.expect("get"), None);
    assert_eq!(
        s.kv.get(&b, "k").await.expect("b stays").as_deref(),
        Some("b's")
    );
}

/// Host-capability calls: per execution, `created_at` then insertion order, paged,
/// deleted per execution; a call of an unknown execution is `NotFound`.
pub async fn host_calls_tracking(s: Stores) {
    let f = create(&s, "host", T0).await;
    let v = version_id(&f, 1);
    let e = insert_exec(&s, &f, &v, T0).await;
    let other = insert_exec(&s, &f, &v, T0).await;
    let first = host_call_row(&e, "users.lookup", T0 + 1);
    let mut second = host_call_row(&e, "orders.place", T0 + 1);
    second.status = CallStatus::Error;
    second.error_message = Some("host capability orders.place is not granted".into());
    let zeroth = host_call_row(&e, "a.b", T0);
    for c in [&first, &second, &zeroth] {
        s.host_calls.record(c).await.expect("record");
    }
    s.host_calls
        .record(&host_call_row(&other, "x", T0))
        .await
        .expect("record other");
    let list = s.host_calls.list(&e, page(10, 0)).await.expect("list");
    assert_eq!(list.total, 3);
    assert_eq!(list.items, vec![zeroth, first, second.clone()]);
    let p = s.host_calls.list(&e, page(1, 2)).await.expect("page");
    assert_eq!((p.total, p.items), (3, vec![second]));
    assert_not_found(
        s.host_calls
            .record(&host_call_row("no-such-execution", "x", T0))
            .await,
        "call of an unknown execution",
    );
    s.host_calls
        .delete_for_executions(std::slice::from_ref(&e))
        .await
        .expect("delete");
    assert_eq!(
        s.host_calls
            .list(&e, page(10, 0))
            .await
            .expect("after")
            .total,
        0
    );
    assert_eq!(
        s.host_calls
            .list(&other, page(10, 0))
            .await
            .expect("other")
            .total,
        1
    );
}

/// KV listing: byte order of keys, prefix filter, paging with the total of all matches,
/// per function; a prefix with LIKE wildcards matches them literally.
pub async fn kv_list_by_prefix_and_page(s: Stores) {
    let a = create(&s, "a", T0).await;
    let b = create(&s, "b", T0).await;
    for k in [
        "user:2", "user:10", "user:1", "b", "a", "A", "user_x", "us%", "Ü", "z",
    ] {
        s.kv.set(&a, k, &format!("v-{k}")).await.expect("set");
    }
    s.kv.set(&b, "user:9", "b's").await.expect("set b");
    let keys = |p: crate::model::Page<KvEntry>| -> Vec<String> {
        p.items.into_iter().map(|e| e.key).collect()
    };
    let all = s.kv.list(&a, "", page(100, 0)).await.expect("list all");
    assert_eq!(all.total, 10);
    assert_eq!(all.items[0].value, "v-A");
    assert_eq!(
        keys(all),
        [
            "A", "a", "b", "us%", "user:1", "user:10", "user:2", "user_x", "z", "Ü"
        ],
        "byte order of the UTF-8 keys"
    );
    let users =
        s.kv.list(&a, "user:", page(2, 1))
            .await
            .expect("prefix page");
    assert_eq!(users.total, 3, "total counts every match");
    assert_eq!(keys(users), ["user:10", "user:2"]);
    let literal = s.kv.list(&a, "us%", page(10, 0)).await.expect("literal %");
    assert_eq!(keys(literal), ["us%"]);
    let underscore =
        s.kv.list(&a, "user_", page(10, 0))
            .await
            .expect("literal _");
    assert_eq!(keys(underscore), ["user_x"]);
    let case = s.kv.list(&a, "a", page(10, 0)).await.expect("case");
    assert_eq!(keys(case), ["a"], "prefixes are case-sensitive");
    let past = s.kv.list(&a, "", page(5, 20)).await.expect("past the end");
    assert_eq!((past.total, past.items.len()), (10, 0));
    let none = s.kv.list(&b, "x", page(10, 0)).await.expect("no match");
    assert_eq!((none.total, none.items.len()), (0, 0));
    let unknown =
        s.kv.list("nope", "", page(10, 0))
            .await
            .expect("unknown function");
    assert_eq!(unknown.total, 0);
}

/// Execution metrics count the function's executions inside the window only, with errors,
/// pending rows and nearest-rank percentiles per bucket.
pub async fn execution_metrics_count_the_window(s: Stores) {
    let f = create(&s, "m", T0).await;
    let g = create(&s, "other", T0).await;
    let v = version_id(&f, 1);
    // `m` starts a minute; the hour window ending with that minute starts at m - 3540.
    let m = T0 - T0.rem_euclid(60) + 60;
    let range = MetricsWindow::Hour.range(m + 30);
    assert_eq!(range.since, m + 60 - 3_600);
    let finish = |status, ms| Outcome {
        status,
        duration_ms: ms,
        error_message: None,
        response_json: None,
        usage: None,
    };
    // Bucket 59 (minute m): durations 10, 20, 30, 40 ms, one of them an error, one pending.
    for (i, ms) in [10, 20, 30, 40].into_iter().enumerate() {
        let id = insert_exec(&s, &f, &v, m + 1).await;
        let status = if i == 3 {
            ExecutionStatus::Error
        } else {
            ExecutionStatus::Success
        };
        s.executions
            .finish_execution(&id, finish(status, ms))
            .await
            .expect("finish");
    }
    insert_exec(&s, &f, &v, m + 2).await;
    // Bucket 0 (the window's first second): one of 5 ms.
    let id = insert_exec(&s, &f, &v, range.since).await;
    s.executions
        .finish_execution(&id, finish(ExecutionStatus::Success, 5))
        .await
        .expect("finish");
    // Outside: before the window, and another function's.
    let old = insert_exec(&s, &f, &v, range.since - 1).await;
    s.executions
        .finish_execution(&old, finish(ExecutionStatus::Error, 1))
        .await
        .expect("old");
    insert_exec(&s, &g, &version_id(&g, 1), m + 1).await;

    let got = s
        .executions
        .execution_metrics(&f, range)
        .await
        .expect("metrics");
    assert_eq!(
        (got.since, got.until, got.bucket_seconds),
        (range.since, range.until, 60)
    );
    assert_eq!((got.total, got.errors), (6, 1));
    assert!((got.error_rate - 1.0 / 6.0).abs() < 1e-9);
    assert_eq!((got.p50_ms, got.p95_ms), (Some(20), Some(40)));
    assert_eq!(got.buckets.len(), 60);
    assert_eq!((got.buckets[0].count, got.buckets[0].p50_ms), (1, Some(5)));
    let last = &got.buckets[59];
    assert_eq!(last.start, m);
    assert_eq!((last.count, last.errors), (5, 1));
    assert_eq!((last.p50_ms, last.p95_ms), (Some(20), Some(40)));
    assert_eq!(got.buckets.iter().map(|b| b.count).sum::<u64>(), 6);
    let empty = s
        .executions
        .execution_metrics("nope", range)
        .await
        .expect("unknown");
    assert_eq!(empty.total, 0);
}

/// Env vars are per function; `replace_all` leaves exactly the new map.
pub async fn env_isolation_per_function(s: Stores) {
    let a = create(&s, "a", T0).await;
    let b = create(&s, "b", T0).await;
    assert!(s.env.all(&a).await.expect("all").is_empty());
    s.env.set(&a, "X", "1").await.expect("set");
    s.env.set(&a, "X", "2").await.expect("upsert");
    s.env.set(&b, "X", "b").await.expect("set b");
    assert_eq!(s.env.get(&a, "X").await.expect("get").as_deref(), Some("2"));
    assert_eq!(s.env.get(&a, "Y").await.expect("get missing"), None);
    let new: BTreeMap<String, String> = [("A", "1"), ("B", "2")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    s.env.replace_all(&a, &new).await.expect("replace");
    assert_eq!(s.env.all(&a).await.expect("all"), new);
    s.env.delete(&a, "A").await.expect("delete");
    s.env.delete(&a, "A").await.expect("delete absent");
    assert_eq!(s.env.all(&a).await.expect("all").len(), 1);
    s.env
        .replace_all(&a, &BTreeMap::new())
        .await
        .expect("clear");
    assert!(s.env.all(&a).await.expect("all").is_empty());
    assert_eq!(s.env.get(&b, "X").await.expect("b").as_deref(), Some("b"));
    s.env.delete_all(&b).await.expect("delete_all");
    assert!(s.env.all(&b).await.expect("b empty").is_empty());
}

/// Deleting a function removes everything of it and nothing of others.
pub async fn delete_function_cascades(s: Stores) {
    let a = create(&s, "a", T0).await;
    let b = create(&s, "b", T0).await;
    s.functions
        .update_function(&a, code_update("v2", T0 + 1))
        .await
        .expect("v2");
    let ea = insert_exec(&s, &a, &version_id(&a, 2), T0 + 2).await;
    let eb = insert_exec(&s, &b, &version_id(&b, 1), T0 + 2).await;
    for e in [&ea, &eb] {
        s.logs
            .append(e, &[log(LogLevel::Info, "x", T0 + 2)])
            .await
            .expect("log");
        s.ai.record(&ai_row(e, "m", T0 + 2)).await.expect("ai");
        s.email
            .record(&email_row(e, "s", T0 + 2))
            .await
            .expect("email");
        s.host_calls
            .record(&host_call_row(e, "users.lookup", T0 + 2))
            .await
            .expect("host call");
    }
    for f in [&a, &b] {
        s.kv.set(f, "k", "v").await.expect("kv");
        s.env.set(f, "K", "v").await.expect("env");
    }
    s.claims
        .claim(&a, T0 + 60, "node", T0)
        .await
        .expect("claim");

    s.delete_function(&a).await.expect("delete");
    assert_not_found(s.functions.get_function(&a).await, "function");
    assert_not_found(s.functions.get_version(&a, 1).await, "version");
    assert_not_found(s.executions.get_execution(&ea).await, "execution");
    assert_eq!(s.logs.list(&ea, page(10, 0)).await.expect("logs").total, 0);
    assert_eq!(s.ai.list(&ea, page(10, 0)).await.expect("ai").total, 0);
    assert_eq!(
        s.email.list(&ea, page(10, 0)).await.expect("email").total,
        0
    );
    assert_eq!(
        s.host_calls
            .list(&ea, page(10, 0))
            .await
            .expect("host calls")
            .total,
        0
    );
    assert_eq!(
        s.host_calls
            .list(&eb, page(10, 0))
            .await
            .expect("b's")
            .total,
        1,
        "another function's calls stay"
    );
    assert_eq!(s.kv.get(&a, "k").await.expect("kv"), None);
    assert!(s.env.all(&a).await.expect("env").is_empty());
    assert_not_found(s.delete_function(&a).await, "delete twice");
    assert_not_found(s.functions.delete_function("nope").await, "unknown");

    // b is untouched.
    s.functions.get_function(&b).await.expect("b");
    s.executions
        .get_execution(&eb)
        .await
        .expect("b's execution");
    assert_eq!(
        s.logs.list(&eb, page(10, 0)).await.expect("b logs").total,
        1
    );
    assert_eq!(s.ai.list(&eb, page(10, 0)).await.expect("b ai").total, 1);
    assert_eq!(
        s.email.list(&eb, page(10, 0)).await.expect("b email").total,
        1
    );
    assert_eq!(s.kv.get(&b, "k").await.expect("b kv").as_deref(), Some("v"));
    assert_eq!(s.env.all(&b).await.expect("b env").len(), 1);
}

/// Retention deletes only the function's executions before the cutoff, in batches, with
/// their dependent rows.
pub async fn retention_deletes_old_executions_per_function(s: Stores) {
    let a = create(&s, "a", T0).await;
    let b = create(&s, "b", T0).await;
    let va = version_id(&a, 1);
    let mut old = BTreeSet::new();
    for i in 0..5 {
        let e = insert_exec(&s, &a, &va, T0 + i).await;
        s.logs
            .append(&e, &[log(LogLevel::Info, "old", T0 + i)])
            .await
            .expect("log");
        s.ai.record(&ai_row(&e, "m", T0 + i)).await.expect("ai");
        s.email
            .record(&email_row(&e, "s", T0 + i))
            .await
            .expect("email");
        old.insert(e);
    }
    let cutoff = T0 + 100;
    let fresh = insert_exec(&s, &a, &va, cutoff).await;
    let b_old = insert_exec(&s, &b, &version_id(&b, 1), T0).await;

    let first = s
        .delete_executions_before(&a, cutoff, 3)
        .await
        .expect("batch 1");
    assert_eq!(first, 3);
    let second = s
        .delete_executions_before(&a, cutoff, 3)
        .await
        .expect("batch 2");
    assert_eq!(second, 2);
    let third = s
        .delete_executions_before(&a, cutoff, 3)
        .await
        .expect("batch 3");
    assert_eq!(third, 0);
    for e in &old {
        assert_not_found(s.executions.get_execution(e).await, "old execution");
        assert_eq!(s.logs.list(e, page(10, 0)).await.expect("logs").total, 0);
        assert_eq!(s.ai.list(e, page(10, 0)).await.expect("ai").total, 0);
        assert_eq!(s.email.list(e, page(10, 0)).await.expect("email").total, 0);
    }
    s.executions
        .get_execution(&fresh)
        .await
        .expect("created at the cutoff stays");
    s.executions
        .get_execution(&b_old)
        .await
        .expect("another function's old execution stays");
    let removed = s
        .executions
        .delete_executions_before(&a, cutoff + 1, 10)
        .await
        .expect("ids");
    assert_eq!(removed, vec![fresh]);
}

/// Only active, scheduled, enabled functions are listed for cron.
pub async fn functions_with_active_cron_filter(s: Stores) {
    let upd = |schedule: Option<&str>, status: Option<CronStatus>, disabled: Option<bool>| {
        FunctionUpdate {
            cron_schedule: schedule.map(str::to_owned),
            cron_status: status,
            disabled,
            now: T0 + 1,
            ..FunctionUpdate::default()
        }
    };
    let yes = create(&s, "yes", T0).await;
    let paused = create(&s, "paused", T0).await;
    let disabled = create(&s, "disabled", T0).await;
    let empty = create(&s, "empty", T0).await;
    let _none = create(&s, "none", T0).await;
    let cases = [
        (&yes, upd(Some("* * * * *"), Some(CronStatus::Active), None)),
        (
            &paused,
            upd(Some("* * * * *"), Some(CronStatus::Paused), None),
        ),
        (
            &disabled,
            upd(Some("* * * * *"), Some(CronStatus::Active), Some(true)),
        ),
        (&empty, upd(Some(""), Some(CronStatus::Active), None)),
    ];
    for (id, u) in cases {
        s.functions.update_function(id, u).await.expect("update");
    }
    let listed = s
        .functions
        .functions_with_active_cron()
        .await
        .expect("list");
    let ids: Vec<&str> = listed.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, vec![yes.as_str()]);
    assert_eq!(listed[0].cron_schedule.as_deref(), Some("* * * * *"));
}

/// `fail_stale_pending` fails only pending rows older than the cutoff.
pub async fn fail_stale_pending_marks_only_old_pending(s: Stores) {
    let f = create(&s, "p", T0).await;
    let v = version_id(&f, 1);
    let stale = insert_exec(&s, &f, &v, T0).await;
    let recent = insert_exec(&s, &f, &v, T0 + 500).await;
    let done = insert_exec(&s, &f, &v, T0).await;
    s.executions
        .finish_execution(&done, super::succeeded())
        .await
        .expect("finish");
    let msg = "execution interrupted: server stopped before it finished";
    let n = s
        .executions
        .fail_stale_pending(T0 + 100, msg)
        .await
        .expect("fail");
    assert_eq!(n, 1);
    let e = s.executions.get_execution(&stale).await.expect("stale");
    assert_eq!(e.status, ExecutionStatus::Error);
    assert_eq!(e.error_message.as_deref(), Some(msg));
    assert_eq!(
        s.executions
            .get_execution(&recent)
            .await
            .expect("recent")
            .status,
        ExecutionStatus::Pending
    );
    assert_eq!(
        s.executions
            .get_execution(&done)
            .await
            .expect("done")
            .status,
        ExecutionStatus::Success
    );
}

/// A `(job, scheduled_at)` pair is claimed once; old claims can be purged.
pub async fn claims_are_exactly_once(s: Stores) {
    assert!(s.claims.claim("job", T0, "n1", T0).await.expect("first"));
    assert!(!s.claims.claim("job", T0, "n2", T0).await.expect("second"));
    assert!(
        !s.claims
            .claim("job", T0, "n1", T0)
            .await
            .expect("same node again")
    );
    assert!(
        s.claims
            .claim("job", T0 + 60, "n2", T0)
            .await
            .expect("next minute")
    );
    assert!(
        s.claims
            .claim("other", T0, "n2", T0)
            .await
            .expect("other job")
    );
    // Concurrent claimants: exactly one wins.
    let mut tasks = Vec::new();
    for n in 0..8 {
        let fs = s.claims.clone();
        tasks.push(tokio::spawn(async move {
            fs.claim("race", T0, &format!("node{n}"), T0)
                .await
                .expect("claim")
        }));
    }
    let mut wins = 0;
    for t in tasks {
        if t.await.expect("join") {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
    let purged = s.claims.delete_claims_before(T0 + 10).await.expect("purge");
    assert!(purged >= 4, "claims made at T0 are purged, got {purged}");
    assert!(
        s.claims
            .claim("job", T0, "n3", T0 + 20)
            .await
            .expect("after purge")
    );
}

/// 8 tasks × 200 executions with logs: every row is there afterwards.
pub async fn concurrent_executions_with_logs(s: Stores) {
    let f = create(&s, "busy", T0).await;
    let v = version_id(&f, 1);
    let mut tasks = Vec::new();
    for t in 0..8 {
        let s = s.clone();
        let f = f.clone();
        let v = v.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..200 {
                let id = new_id();
                s.executions
                    .insert_execution(NewExecution {
                        id: id.clone(),
                        function_id: f.clone(),
                        function_version_id: v.clone(),
                        event_json: None,
                        trigger: Trigger::Http,
                        created_at: T0 + i,
                    })
                    .await
                    .expect("insert");
                let entries: Vec<LogEntry> = (0..3)
                    .map(|n| log(LogLevel::Info, &format!("t{t} e{i} l{n}"), T0 + i))
                    .collect();
                s.logs.append(&id, &entries).await.expect("append");
                s.executions
                    .finish_execution(&id, super::succeeded())
                    .await
                    .expect("finish");
                ids.push(id);
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("join"));
    }
    assert_eq!(all.len(), 1600);
    let listed = s
        .executions
        .list_executions(&f, page(1, 0))
        .await
        .expect("list");
    assert_eq!(listed.total, 1600);
    for id in all.iter().step_by(37) {
        let e = s.executions.get_execution(id).await.expect("get");
        assert_eq!(e.status, ExecutionStatus::Success);
        let logs = s.logs.list(id, page(10, 0)).await.expect("logs");
        assert_eq!(logs.total, 3);
        assert!(logs.items[0].message.ends_with("l0"));
        assert!(logs.items[2].message.ends_with("l2"));
    }
}

/// Concurrent code updates never duplicate a version number and leave one active.
pub async fn concurrent_code_updates_never_duplicate_versions(s: Stores) {
    let f = create(&s, "racy", T0).await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let fs = s.functions.clone();
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                fs.update_function(&f, code_update(&format!("// t{t} i{i}"), T0 + 1))
                    .await
                    .expect("update under contention");
            }
        }));
    }
    for t in tasks {
        t.await.expect("join");
    }
    let versions = s
        .functions
        .list_versions(&f, page(100, 0))
        .await
        .expect("list");
    assert_eq!(versions.total, 81);
    let numbers: BTreeSet<i64> = versions.items.iter().map(|v| v.version).collect();
    assert_eq!(numbers, (1..=81).collect::<BTreeSet<i64>>());
    let active: Vec<&FunctionVersion> = versions.items.iter().filter(|v| v.is_active).collect();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].version, 81);
}

/// `ping` answers on a healthy store.
pub async fn ping_works(s: Stores) {
    s.functions.ping().await.expect("ping");
}
