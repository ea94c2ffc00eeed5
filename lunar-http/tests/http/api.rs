//! The REST API: success shapes, error messages, pagination.

use serde_json::{Value, json};

use crate::common::Harness;

#[tokio::test]
async fn create_function_answers_201_with_the_stored_function() {
    let h = Harness::new().await;
    let r = h
        .api(
            "POST",
            "/api/functions",
            Some(r#"{"name":" My Fn ","description":"","code":"export default 1"}"#),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let text = r.text();
    assert!(
        text.ends_with("}\n") && !text.contains(": "),
        "compact: {text}"
    );
    let v = r.json();
    let id = v["id"].as_str().unwrap();
    assert_eq!(id.len(), 20);
    // Field order of §2.5.
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    let _ = keys;
    assert!(text.starts_with(&format!(
        r#"{{"id":"{id}","name":" My Fn ","description":"","env_vars":{{}},"disabled":false,"cron_status":"paused","save_response":false,"created_at":"#
    )));
    assert_eq!(v["created_at"], v["updated_at"]);
    // `isolation` (always present) follows `limits` (absent here), before the version.
    assert!(
        text.contains(&format!(
            r#","updated_at":{},"isolation":"warm","active_version":{{"#,
            v["updated_at"]
        )),
        "{text}"
    );
    assert!(v.get("retention_days").is_none() && v.get("cron_schedule").is_none());
    assert!(v.get("limits").is_none());
    let av = &v["active_version"];
    assert_eq!(av["id"], format!("ver_{id}_v1"));
    assert_eq!(av["function_id"], id);
    assert_eq!(av["version"], 1);
    assert_eq!(av["code"], "export default 1");
    assert_eq!(av["is_active"], true);
    assert!(av.get("created_by").is_none());
}

#[tokio::test]
async fn create_function_validation_messages() {
    let h = Harness::new().await;
    let cases = [
        (
            json!({"name": "  ", "code": "x"}),
            "name: name cannot be empty",
        ),
        (json!({"code": "x"}), "name: name cannot be empty"),
        (
            json!({"name": "a".repeat(101), "code": "x"}),
            "name: name cannot be longer than 100 characters",
        ),
        (
            json!({"name": "a", "description": "d".repeat(501), "code": "x"}),
            "description: description cannot be longer than 500 characters",
        ),
        (
            json!({"name": "a", "code": " \n"}),
            "code: code cannot be empty",
        ),
        (json!({"name": "a"}), "code: code cannot be empty"),
        (
            json!({"name": "a", "code": "x".repeat(1_048_577)}),
            "code: code cannot be longer than 1048576 bytes",
        ),
        // Order: name first.
        (
            json!({"name": "", "code": ""}),
            "name: name cannot be empty",
        ),
    ];
    for (body, message) in cases {
        let r = h
            .api("POST", "/api/functions", Some(&body.to_string()))
            .await;
        r.assert_error(400, message);
    }
    // 100 bytes after trimming is fine; description null is fine.
    let r = h
        .api(
            "POST",
            "/api/functions",
            Some(&json!({"name": format!(" {} ", "a".repeat(100)), "description": null, "code": "x"}).to_string()),
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(r.json().get("description").is_none());
}

#[tokio::test]
async fn isolation_on_create_and_update() {
    let h = Harness::new().await;
    let r = h
        .api(
            "POST",
            "/api/functions",
            Some(r#"{"name":"f","code":"x","isolation":"fresh"}"#),
        )
        .await;
    assert_eq!(r.status, 201);
    let v = r.json();
    assert_eq!(v["isolation"], "fresh");
    let id = v["id"].as_str().unwrap().to_owned();
    let path = format!("/api/functions/{id}");
    assert_eq!(h.get_json(&path).await["isolation"], "fresh");
    let listed = h.get_json("/api/functions").await;
    assert_eq!(listed["functions"][0]["isolation"], "fresh");

    // After `limits` when both are present.
    h.api("PUT", &path, Some(r#"{"limits":{"memory_mb":64}}"#))
        .await;
    let text = h.api("GET", &path, None).await.text();
    assert!(
        text.contains(r#""limits":{"memory_mb":64},"isolation":"fresh","active_version":"#),
        "{text}"
    );

    // Other fields leave it; an update to warm stores warm (200, empty body).
    h.api("PUT", &path, Some(r#"{"name":"g"}"#)).await;
    assert_eq!(h.get_json(&path).await["isolation"], "fresh");
    let r = h.api("PUT", &path, Some(r#"{"isolation":"warm"}"#)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body.is_empty());
    let v = h.get_json(&path).await;
    assert_eq!(v["isolation"], "warm");
    assert_eq!(v["name"], "g");
    // Isolation does not touch the scheduler.
    assert!(h.scheduler.take().is_empty());
    h.api("PUT", &path, Some(r#"{"isolation":"fresh"}"#)).await;
    assert_eq!(h.get_json(&path).await["isolation"], "fresh");

    // Null on create means warm; null alone on update is no field.
    let r = h
        .api(
            "POST",
            "/api/functions",
            Some(r#"{"name":"f","code":"x","isolation":null}"#),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["isolation"], "warm");
    h.api("PUT", &path, Some(r#"{"isolation":null}"#))
        .await
        .assert_error(
            400,
            "request: at least one field must be provided for update",
        );

    // Invalid values.
    for bad in ["", "Warm", "cold"] {
        let body = json!({"name": "f", "code": "x", "isolation": bad}).to_string();
        h.api("POST", "/api/functions", Some(&body))
            .await
            .assert_error(400, "isolation: isolation must be one of: [warm fresh]");
        let body = json!({"isolation": bad}).to_string();
        h.api("PUT", &path, Some(&body))
            .await
            .assert_error(400, "isolation: isolation must be one of: [warm fresh]");
    }
    h.api("PUT", &path, Some(r#"{"isolation":1}"#))
        .await
        .assert_error(400, "Invalid request body");
    // Validation comes before the lookup.
    h.api(
        "PUT",
        "/api/functions/nope",
        Some(r#"{"isolation":"cold"}"#),
    )
    .await
    .assert_error(400, "isolation: isolation must be one of: [warm fresh]");
    h.api(
        "PUT",
        "/api/functions/nope",
        Some(r#"{"isolation":"warm"}"#),
    )
    .await
    .assert_error(404, "Function not found");
    assert_eq!(h.get_json(&path).await["isolation"], "fresh", "unchanged");
}

#[tokio::test]
async fn list_functions_empty_and_paginated() {
    let h = Harness::new().await;
    let r = h.api("GET", "/api/functions", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        "{\"functions\":[],\"pagination\":{\"total\":0,\"limit\":20,\"offset\":0}}\n"
    );
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(h.create(&format!("f{i}"), "code").await);
    }
    let r = h.api("GET", "/api/functions?limit=2&offset=1", None).await;
    let v = r.json();
    assert_eq!(
        v["pagination"],
        json!({"total": 3, "limit": 2, "offset": 1})
    );
    assert_eq!(v["functions"].as_array().unwrap().len(), 2);
    for f in v["functions"].as_array().unwrap() {
        assert_eq!(f["env_vars"], json!({}));
        assert_eq!(f["active_version"]["version"], 1);
    }
    // Newest first (same second: id desc).
    let all = h.get_json("/api/functions").await;
    let listed: Vec<&str> = all["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    expected.reverse();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn pagination_is_normalised() {
    let h = Harness::new().await;
    let cases = [
        ("", 20, 0),
        ("?limit=0", 20, 0),
        ("?limit=-5", 20, 0),
        ("?limit=abc", 20, 0),
        ("?limit=1000", 100, 0),
        ("?limit=100", 100, 0),
        ("?limit=5", 5, 0),
        ("?limit=5&limit=7", 5, 0),
        ("?offset=-1", 20, 0),
        ("?offset=x", 20, 0),
        ("?offset=3", 20, 3),
        ("?limit=%35&offset=%zz", 5, 0),
        ("?limit=2.5", 20, 0),
    ];
    for (q, limit, offset) in cases {
        let v = h.get_json(&format!("/api/functions{q}")).await;
        assert_eq!(
            v["pagination"],
            json!({"total": 0, "limit": limit, "offset": offset}),
            "query {q}"
        );
    }
}

#[tokio::test]
async fn get_function_with_env_vars_and_unknown() {
    let h = Harness::new().await;
    let id = h.create("f", "code").await;
    h.api(
        "PUT",
        &format!("/api/functions/{id}/env"),
        Some(r#"{"env_vars":{"B":"2","A":"1"}}"#),
    )
    .await;
    let r = h.api("GET", &format!("/api/functions/{id}"), None).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains(r#""env_vars":{"A":"1","B":"2"}"#));
    assert_eq!(r.json()["active_version"]["is_active"], true);
    h.api("GET", "/api/functions/nope", None)
        .await
        .assert_error(404, "Function not found");
}

#[tokio::test]
async fn update_function_rules() {
    let h = Harness::new().await;
    let id = h.create("f", "v1").await;
    let path = format!("/api/functions/{id}");
    let bad = [
        (
            json!({}),
            "request: at least one field must be provided for update",
        ),
        (
            json!({"name": null, "code": null}),
            "request: at least one field must be provided for update",
        ),
        (json!({"name": ""}), "name: name cannot be empty"),
        (json!({"code": "  "}), "code: code cannot be empty"),
        (
            json!({"retention_days": 8}),
            "retention_days: retention_days must be one of: [7 15 30 365]",
        ),
        (
            json!({"cron_status": ""}),
            "cron_status: cron_status must be one of: [active paused]",
        ),
        (
            json!({"cron_status": "Active"}),
            "cron_status: cron_status must be one of: [active paused]",
        ),
        (
            json!({"limits": {"timeout_seconds": 0}}),
            "limits: timeout_seconds must be between 1 and 900",
        ),
        (
            json!({"limits": {"memory_mb": 2048}}),
            "limits: memory_mb must be between 16 and 1024",
        ),
        (
            json!({"limits": {"max_log_entries": -1}}),
            "limits: max_log_entries must be between 0 and 10000",
        ),
        // Order: name before retention_days.
        (
            json!({"retention_days": 8, "name": ""}),
            "name: name cannot be empty",
        ),
    ];
    for (body, message) in bad {
        h.api("PUT", &path, Some(&body.to_string()))
            .await
            .assert_error(400, message);
    }
    for body in [
        r#"{"limits":{"timeout_seconds":1.5}}"#,
        r#"{"disabled":"yes"}"#,
        r#"{"limits":[]}"#,
    ] {
        h.api("PUT", &path, Some(body))
            .await
            .assert_error(400, "Invalid request body");
    }
    // Unknown function: 404 after validation.
    h.api("PUT", "/api/functions/nope", Some(r#"{"name":"x"}"#))
        .await
        .assert_error(404, "Function not found");
    h.api("PUT", "/api/functions/nope", Some(r#"{}"#))
        .await
        .assert_error(
            400,
            "request: at least one field must be provided for update",
        );

    // A code update: version 2 active; 200 with an empty body and no Content-Type.
    let r = h
        .api(
            "PUT",
            &path,
            Some(r#"{"code":"v2","description":"","retention_days":30,"save_response":true,"limits":{"timeout_seconds":5,"memory_mb":null}}"#),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), None);
    let v = h.get_json(&path).await;
    assert_eq!(v["active_version"]["version"], 2);
    assert_eq!(v["active_version"]["code"], "v2");
    assert_eq!(v["description"], "");
    assert_eq!(v["retention_days"], 30);
    assert_eq!(v["save_response"], true);
    assert_eq!(v["limits"], json!({"timeout_seconds": 5}));
    // Name-only updates do not touch the scheduler.
    assert!(h.scheduler.take().is_empty());
    // `{}` limits clears all overrides.
    h.api("PUT", &path, Some(r#"{"limits":{}}"#)).await;
    assert!(h.get_json(&path).await.get("limits").is_none());
}

#[tokio::test]
async fn schedule_changes_refresh_the_scheduler() {
    let h = Harness::new().await;
    let id = h.create("f", "v1").await;
    let path = format!("/api/functions/{id}");
    for body in [
        r#"{"cron_status":"active"}"#,
        r#"{"disabled":true}"#,
        r#"{"cron_schedule":""}"#,
    ] {
        let r = h.api("PUT", &path, Some(body)).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(h.scheduler.take(), vec![format!("refresh {id}")]);
    }
    h.api("PUT", &path, Some(r#"{"save_response":true}"#)).await;
    assert!(h.scheduler.take().is_empty());
}

#[tokio::test]
async fn delete_function_cascades_and_removes_the_job() {
    let h = Harness::new().await;
    let id = h.create("f", "v1").await;
    let call = h.call("GET", &format!("/fn/{id}"), None).await;
    assert_eq!(call.status, 200);
    let exec = call.header("x-execution-id").unwrap().to_owned();
    let r = h.api("DELETE", &format!("/api/functions/{id}"), None).await;
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert_eq!(h.scheduler.take(), vec![format!("remove {id}")]);
    h.api("GET", &format!("/api/functions/{id}"), None)
        .await
        .assert_error(404, "Function not found");
    h.api("GET", &format!("/api/executions/{exec}"), None)
        .await
        .assert_error(404, "Execution not found");
    h.api("DELETE", &format!("/api/functions/{id}"), None)
        .await
        .assert_error(404, "Function not found");
    assert!(h.scheduler.take().is_empty());
}

#[tokio::test]
async fn env_vars_rules() {
    let h = Harness::new().await;
    let id = h.create("f", "v1").await;
    let path = format!("/api/functions/{id}/env");
    let too_many: serde_json::Map<String, Value> =
        (0..101).map(|i| (format!("K{i}"), json!("v"))).collect();
    let bad = [
        (json!({}), "env_vars: env_vars cannot be nil"),
        (
            json!({"env_vars": null}),
            "env_vars: env_vars cannot be nil",
        ),
        (
            json!({"env_vars": too_many}),
            "env_vars: cannot have more than 100 environment variables",
        ),
        (
            json!({"env_vars": {" ": "v"}}),
            "env_var_key: environment variable key cannot be empty",
        ),
        (
            json!({"env_vars": {"A-B": "v"}}),
            "env_var_key: environment variable key can only contain letters, numbers, and underscores",
        ),
        (
            json!({"env_vars": {"K": " "}}),
            "env_var_value: environment variable value cannot be empty",
        ),
        (
            json!({"env_vars": {"K".repeat(101): "v"}}),
            "env_var_key: environment variable key cannot be longer than 100 characters",
        ),
        (
            json!({"env_vars": {"K": "v".repeat(10_001)}}),
            "env_var_value: environment variable value cannot be longer than 10000 characters",
        ),
        // Ascending key order: A's bad value before B's bad key.
        (
            json!({"env_vars": {"B-": "v", "A": ""}}),
            "env_var_value: environment variable value cannot be empty",
        ),
    ];
    for (body, message) in bad {
        h.api("PUT", &path, Some(&body.to_string()))
            .await
            .assert_error(400, message);
    }
    h.api("PUT", &path, Some(r#"{"env_vars":{"A":1}}"#))
        .await
        .assert_error(400, "Invalid request body");
    // Validation happens before the existence check.
    h.api("PUT", "/api/functions/nope/env", Some(r#"{}"#))
        .await
        .assert_error(400, "env_vars: env_vars cannot be nil");
    h.api("PUT", "/api/functions/nope/env", Some(r#"{"env_vars":{}}"#))
        .await
        .assert_error(404, "Function not found");

    let r = h
        .api("PUT", &path, Some(r#"{"env_vars":{"_1":"x","9A":"y"}}"#))
        .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["env_vars"], json!({"9A": "y", "_1": "x"}));
    assert_eq!(v["active_version"]["version"], 1);
    // `{}` deletes all.
    let r = h.api("PUT", &path, Some(r#"{"env_vars":{}}"#)).await;
    assert_eq!(r.json()["env_vars"], json!({}));
    let v = h.get_json(&format!("/api/functions/{id}")).await;
    assert_eq!(v["env_vars"], json!({}));
}

#[tokio::test]
async fn next_run_shapes() {
    let h = Harness::new().await;
    let id = h.create("f", "v1").await;
    let path = format!("/api/functions/{id}/next-run");
    let r = h.api("GET", &path, None).await;
    assert_eq!(r.text(), "{\"has_schedule\":false}\n");
    h.api("GET", "/api/functions/nope/next-run", None)
        .await
        .assert_error(404, "Function not found");
    // Paused (the default status), via the store so no cron parser is needed.
    h.stores
        .functions
        .update_function(
            &id,
            lunar_core::model::FunctionUpdate {
                cron_schedule: Some("*/5 * * * *".into()),
                now: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let r = h.api("GET", &path, None).await;
    assert_eq!(
        r.text(),
        "{\"has_schedule\":true,\"cron_schedule\":\"*/5 * * * *\",\"cron_status\":\"paused\",\"is_paused\":true}\n"
    );
    // Active.
    h.stores
        .functions
        .update_function(
            &id,
            lunar_core::model::FunctionUpdate {
                cron_status: Some(lunar_core::model::CronStatus::Active),
                now: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let v = h.get_json(&path).await;
    assert_eq!(v["has_schedule"], true);
    assert_eq!(v["cron_status"], "active");
    let next = v["next_run"].as_i64().expect("next_run");
    let now = h.engine.clock().unix();
    assert!(next > now && next <= now + 300, "{v}");
    assert!(v["next_run_human"].as_str().unwrap().starts_with("in "));
    assert!(v.get("is_paused").is_none());
    // Unparsable stored schedule.
    h.stores
        .functions
        .update_function(
            &id,
            lunar_core::model::FunctionUpdate {
                cron_schedule: Some("not a cron".into()),
                now: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    h.api("GET", &path, None)
        .await
        .assert_error(400, "Invalid cron schedule");
}

#[tokio::test]
async fn versions_list_get_activate_delete() {
    let h = Harness::new().await;
    let id = h.create("f", "one\n").await;
    h.api(
        "PUT",
        &format!("/api/functions/{id}"),
        Some(r#"{"code":"one\ntwo\n"}"#),
    )
    .await;
    let r = h
        .api("GET", &format!("/api/functions/{id}/versions"), None)
        .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        v["pagination"],
        json!({"total": 2, "limit": 20, "offset": 0})
    );
    let versions = v["versions"].as_array().unwrap();
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["is_active"], true);
    assert_eq!(versions[1]["is_active"], false);
    h.api("GET", "/api/functions/nope/versions", None)
        .await
        .assert_error(404, "Function not found");

    let r = h
        .api("GET", &format!("/api/functions/{id}/versions/1"), None)
        .await;
    assert_eq!(r.json()["id"], format!("ver_{id}_v1"));
    h.api("GET", &format!("/api/functions/{id}/versions/x"), None)
        .await
        .assert_error(400, "Invalid version number");
    h.api("GET", &format!("/api/functions/{id}/versions/9"), None)
        .await
        .assert_error(404, "Version not found");
    h.api("GET", "/api/functions/nope/versions/1", None)
        .await
        .assert_error(404, "Version not found");

    // Activate v1; a version of another function → 404.
    let other = h.create("g", "g").await;
    h.api(
        "POST",
        &format!("/api/functions/{id}/versions/ver_{other}_v1/activate"),
        None,
    )
    .await
    .assert_error(404, "Version not found");
    let r = h
        .api(
            "POST",
            &format!("/api/functions/{id}/versions/ver_{id}_v1/activate"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    let v = h.get_json(&format!("/api/functions/{id}")).await;
    assert_eq!(v["active_version"]["version"], 1);

    // Delete: active → 400; other function's → 404; inactive → 204.
    h.api(
        "DELETE",
        &format!("/api/functions/{id}/versions/ver_{id}_v1"),
        None,
    )
    .await
    .assert_error(400, "Cannot delete active version");
    h.api(
        "DELETE",
        &format!("/api/functions/{id}/versions/ver_{other}_v1"),
        None,
    )
    .await
    .assert_error(404, "Version not found");
    let r = h
        .api(
            "DELETE",
            &format!("/api/functions/{id}/versions/ver_{id}_v2"),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    h.api(
        "DELETE",
        &format!("/api/functions/{id}/versions/ver_{id}_v2"),
        None,
    )
    .await
    .assert_error(404, "Version not found");
}

#[tokio::test]
async fn diff_shapes_and_errors() {
    let h = Harness::new().await;
    let id = h.create("f", "a\nb\n").await;
    h.api(
        "PUT",
        &format!("/api/functions/{id}"),
        Some(r#"{"code":"a\nc\n"}"#),
    )
    .await;
    let base = format!("/api/functions/{id}/diff");
    let r = h.api("GET", &format!("{base}/1/2"), None).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["old_version"], 1);
    assert_eq!(v["new_version"], 2);
    let lines = v["diff"].as_array().unwrap();
    assert_eq!(
        lines[0],
        json!({"line_type": "unchanged", "old_line": 1, "new_line": 1, "content": "a"})
    );
    assert!(lines.iter().any(|l| l["line_type"] == "removed"
        && l["content"] == "b"
        && l.get("new_line").is_none()));
    assert!(
        lines.iter().any(|l| l["line_type"] == "added"
            && l["content"] == "c"
            && l.get("old_line").is_none())
    );
    assert!(
        r.text()
            .starts_with(r#"{"old_version":1,"new_version":2,"diff":["#)
    );

    h.api("GET", &format!("{base}/x/y"), None)
        .await
        .assert_error(400, "Invalid version number v1");
    h.api("GET", &format!("{base}/1/y"), None)
        .await
        .assert_error(400, "Invalid version number v2");
    h.api("GET", &format!("{base}/7/8"), None)
        .await
        .assert_error(404, "Version v1 not found");
    h.api("GET", &format!("{base}/1/8"), None)
        .await
        .assert_error(404, "Version v2 not found");
    h.api("GET", "/api/functions/nope/diff/1/2", None)
        .await
        .assert_error(404, "Version v1 not found");
}

#[tokio::test]
async fn executions_list_get_logs_and_trackers() {
    let h = Harness::new().await;
    let id = h.create("f", "code").await;
    let r = h
        .api("GET", &format!("/api/functions/{id}/executions"), None)
        .await;
    assert_eq!(
        r.text(),
        "{\"executions\":[],\"pagination\":{\"total\":0,\"limit\":20,\"offset\":0}}\n"
    );
    let call = h.call("POST", &format!("/fn/{id}/log"), Some("hi")).await;
    assert_eq!(call.status, 200);
    let exec = call.header("x-execution-id").unwrap().to_owned();

    let v = h.get_json(&format!("/api/functions/{id}/executions")).await;
    assert_eq!(v["pagination"]["total"], 1);
    let e = &v["executions"][0];
    assert_eq!(e["id"], exec.as_str());
    assert_eq!(e["function_version_id"], format!("ver_{id}_v1"));
    assert_eq!(e["status"], "success");
    assert_eq!(e["trigger"], "http");
    assert!(e["event_json"].is_string());
    assert!(e.get("response_json").is_none());
    h.api("GET", "/api/functions/nope/executions", None)
        .await
        .assert_error(404, "Function not found");

    let r = h.api("GET", &format!("/api/executions/{exec}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], exec.as_str());
    h.api("GET", "/api/executions/nope", None)
        .await
        .assert_error(404, "Execution not found");

    let r = h
        .api("GET", &format!("/api/executions/{exec}/logs"), None)
        .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["id"], exec.as_str());
    assert_eq!(v["status"], "success");
    assert_eq!(v["logs"][0]["level"], "info");
    assert_eq!(v["logs"][0]["message"], "first line");
    assert_eq!(v["logs"][1]["message"], "second line");
    assert_eq!(
        v["pagination"],
        json!({"total": 2, "limit": 20, "offset": 0})
    );
    let v = h
        .get_json(&format!("/api/executions/{exec}/logs?limit=1&offset=1"))
        .await;
    assert_eq!(v["logs"].as_array().unwrap().len(), 1);
    assert_eq!(v["logs"][0]["message"], "second line");
    h.api("GET", "/api/executions/nope/logs", None)
        .await
        .assert_error(404, "Execution not found");

    for (route, field) in [
        ("ai-requests", "ai_requests"),
        ("email-requests", "email_requests"),
    ] {
        let r = h
            .api("GET", &format!("/api/executions/{exec}/{route}"), None)
            .await;
        assert_eq!(
            r.text(),
            format!(
                "{{\"{field}\":[],\"pagination\":{{\"total\":0,\"limit\":20,\"offset\":0}}}}\n"
            )
        );
        h.api("GET", &format!("/api/executions/nope/{route}"), None)
            .await
            .assert_error(404, "Execution not found");
    }
}
