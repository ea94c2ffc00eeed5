//! Every route's response against the OpenAPI document: each JSON body has no field the
//! document does not describe, every required field, and the documented types. The
//! function, version, execution, logs, trackers and KV behind them are filled in so that
//! optional fields appear.

use serde_json::{Value, json};

use crate::auth::concrete;
use crate::common::Harness;

fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            doc,
            &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        ),
        None => s,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One object schema with the properties and required fields of all of `s`'s `allOf`
/// parts.
fn merge_all_of(doc: &Value, s: &Value) -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for part in s["allOf"].as_array().into_iter().flatten() {
        let part = resolve(doc, part);
        let part = if part.get("allOf").is_some() {
            merge_all_of(doc, part)
        } else {
            part.clone()
        };
        if let Some(p) = part["properties"].as_object() {
            properties.extend(p.clone());
        }
        required.extend(part["required"].as_array().cloned().unwrap_or_default());
    }
    json!({"type": "object", "properties": properties, "required": required})
}

/// Adds to `errs` where `v` departs from `schema`.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    let s = resolve(doc, schema);
    if let Some(alts) = s
        .get("oneOf")
        .or_else(|| s.get("anyOf"))
        .and_then(Value::as_array)
    {
        let mut closest: Option<Vec<String>> = None;
        for alt in alts {
            let mut e = Vec::new();
            check(doc, alt, v, at, &mut e);
            if e.is_empty() {
                return;
            }
            if closest.as_ref().is_none_or(|c| e.len() < c.len()) {
                closest = Some(e);
            }
        }
        errs.extend(closest.unwrap_or_default());
        return;
    }
    if s.get("allOf").is_some() {
        // The parts together describe one object: check against their union.
        let merged = merge_all_of(doc, s);
        return check(doc, &merged, v, at, errs);
    }
    let types: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let actual = kind(v);
    if !types.is_empty()
        && !types
            .iter()
            .any(|t| *t == actual || (*t == "number" && actual == "integer"))
    {
        errs.push(format!("{at}: a {actual}, documented as {types:?}"));
        return;
    }
    match v {
        Value::Object(m) => {
            let props = s.get("properties").and_then(Value::as_object);
            let extra = s.get("additionalProperties");
            for (k, x) in m {
                let here = format!("{at}.{k}");
                match (props.and_then(|p| p.get(k)), extra) {
                    (Some(p), _) => check(doc, p, x, &here, errs),
                    (None, Some(a)) if a.is_object() => check(doc, a, x, &here, errs),
                    (None, Some(Value::Bool(true))) => {}
                    (None, _) if props.is_some() => {
                        errs.push(format!("{here}: not in the document"));
                    }
                    (None, _) => {}
                }
            }
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(r) = r.as_str().filter(|r| !m.contains_key(*r)) {
                    errs.push(format!("{at}.{r}: required but missing"));
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = s.get("items") {
                for (i, x) in items.iter().enumerate() {
                    check(doc, item, x, &format!("{at}[{i}]"), errs);
                }
            }
        }
        _ => {}
    }
}

/// The calls to make, in order: (method, documented path, concrete path, body).
fn calls(fid: &str, exec: &str) -> Vec<(&'static str, &'static str, String, Option<Value>)> {
    let f = |p: &str| concrete(p, fid);
    let e = |p: &str| p.replace("{id}", exec);
    let mut out = vec![
        (
            "POST",
            "/api/auth/login",
            "/api/auth/login".to_owned(),
            Some(json!({"apiKey": crate::common::KEY})),
        ),
        (
            "GET",
            "/docs/openapi.json",
            "/docs/openapi.json".to_owned(),
            None,
        ),
    ];
    for p in [
        "/api/functions",
        "/api/functions/{id}",
        "/api/functions/{id}/next-run",
        "/api/functions/{id}/versions",
        "/api/functions/{id}/versions/{version}",
        "/api/functions/{id}/executions",
        "/api/functions/{id}/metrics",
        "/api/functions/{id}/kv",
        "/api/functions/{id}/kv/{key}",
    ] {
        out.push(("GET", p, f(p), None));
    }
    out.push((
        "GET",
        "/api/functions/{id}/diff/{v1}/{v2}",
        format!("/api/functions/{fid}/diff/1/2"),
        None,
    ));
    for p in [
        "/api/executions/{id}",
        "/api/executions/{id}/logs",
        "/api/executions/{id}/ai-requests",
        "/api/executions/{id}/email-requests",
        "/api/executions/{id}/host-calls",
    ] {
        out.push(("GET", p, e(p), None));
    }
    out.extend([
        (
            "POST",
            "/api/functions",
            "/api/functions".to_owned(),
            Some(json!({"name": "other", "code": "c", "description": "d", "isolation": "fresh"})),
        ),
        (
            "PUT",
            "/api/functions/{id}",
            f("/api/functions/{id}"),
            Some(json!({"description": "new", "retention_days": 30})),
        ),
        (
            "PUT",
            "/api/functions/{id}/env",
            f("/api/functions/{id}/env"),
            Some(json!({"env_vars": {"B": "2"}})),
        ),
        (
            "PUT",
            "/api/functions/{id}/kv/{key}",
            f("/api/functions/{id}/kv/{key}"),
            Some(json!({"value": "v2"})),
        ),
        (
            "POST",
            "/api/functions/{id}/versions/{version}/activate",
            f("/api/functions/{id}/versions/{version}/activate"),
            None,
        ),
        (
            "DELETE",
            "/api/functions/{id}/versions/{version}",
            format!("/api/functions/{fid}/versions/2"),
            None,
        ),
        (
            "DELETE",
            "/api/functions/{id}/kv/{key}",
            f("/api/functions/{id}/kv/{key}"),
            None,
        ),
        (
            "DELETE",
            "/api/functions/{id}",
            f("/api/functions/{id}"),
            None,
        ),
        (
            "POST",
            "/api/auth/logout",
            "/api/auth/logout".to_owned(),
            None,
        ),
    ]);
    out
}

#[tokio::test]
async fn every_response_has_exactly_the_documented_fields() {
    let h = Harness::new().await;
    let doc = serde_json::to_value(lunar_http::openapi()).unwrap();
    // A function with every optional part, a second version, an execution with logs,
    // tracked calls and a KV entry.
    let r = h
        .api(
            "POST",
            "/api/functions",
            Some(&json!({"name": "f", "code": "v1", "description": "d"}).to_string()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let fid = r.json()["id"].as_str().unwrap().to_owned();
    let update = json!({"code": "v2", "env_vars": {"A": "1"}, "cron_schedule": "*/5 * * * *",
        "save_response": true, "limits": {"timeout_seconds": 5, "cpu_time_ms": 100}});
    let r = h
        .api(
            "PUT",
            &format!("/api/functions/{fid}"),
            Some(&update.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let call = h.call("POST", &format!("/fn/{fid}/log"), Some("hi")).await;
    let exec = call.header("x-execution-id").unwrap().to_owned();
    let record = |extra: Value| {
        let mut v = json!({"id": format!("rec{}", extra.to_string().len()), "execution_id": exec,
            "status": "success", "duration_ms": 3, "created_at": 1_700_000_000, "request_json": "{}",
            "response_json": "{}"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    let ai = serde_json::from_value(record(json!({"provider": "openai", "model": "m",
        "endpoint": "http://x", "input_tokens": 1, "output_tokens": 2})))
    .unwrap();
    h.stores.ai.record(&ai).await.unwrap();
    let email = serde_json::from_value(record(json!({"from": "a@b.c", "to": ["d@e.f"],
        "subject": "s", "has_text": true, "has_html": false, "email_id": "e1"})))
    .unwrap();
    h.stores.email.record(&email).await.unwrap();
    let host = serde_json::from_value(json!({"id": "hc1", "execution_id": exec,
        "capability": "users.lookup", "status": "error", "error_message": "no", "duration_ms": 1,
        "created_at": 1_700_000_000}))
    .unwrap();
    h.stores.host_calls.record(&host).await.unwrap();
    let r = h
        .api(
            "PUT",
            &format!("/api/functions/{fid}/kv/k"),
            Some(r#"{"value":"v"}"#),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());

    let mut errs = Vec::new();
    let mut checked = 0;
    for (method, path, concrete_path, body) in calls(&fid, &exec) {
        let body = body.map(|b| b.to_string());
        let r = h.api(method, &concrete_path, body.as_deref()).await;
        let what = format!("{method} {concrete_path}");
        let op = &doc["paths"][path][method.to_lowercase()];
        assert!(op.is_object(), "{method} {path} is not documented");
        let Some(response) = op["responses"].get(r.status.as_str()) else {
            errs.push(format!(
                "{what}: status {} is not documented ({})",
                r.status,
                r.text()
            ));
            continue;
        };
        let response = resolve(&doc, response);
        if let Some(schema) = response.pointer("/content/application~1json/schema") {
            check(&doc, schema, &r.json(), &what, &mut errs);
            checked += 1;
        }
    }
    assert!(errs.is_empty(), "{}", errs.join("\n"));
    assert!(checked >= 20, "only {checked} JSON responses checked");

    // The check itself notices an undocumented field, a wrong type and a missing field.
    let schema = &doc["paths"]["/api/functions/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    let mut v = h.get_json("/api/functions").await["functions"][0].clone();
    v["bogus"] = json!(1);
    v["created_at"] = json!("yesterday");
    v.as_object_mut().unwrap().remove("name");
    let mut errs = Vec::new();
    check(&doc, schema, &v, "f", &mut errs);
    errs.sort();
    assert_eq!(
        errs,
        [
            "f.bogus: not in the document",
            "f.created_at: a string, documented as [\"integer\"]",
            "f.name: required but missing",
        ],
        "{v}"
    );
}
