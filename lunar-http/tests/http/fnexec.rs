//! `/fn/{id}`: event building and the response.

use axum::body::Body;
use http::Request;
use serde_json::json;

use crate::common::Harness;

#[tokio::test]
async fn event_is_built_from_the_request() {
    let h = Harness::new().await;
    let id = h.create("f", "c").await;
    let req = Request::post(format!(
        "/lunar/fn/{id}/users/42%20x?a=1&a=2&b=x+y%21&bad=%zz&c=&%41=%42"
    ))
    .header("host", "example.com")
    .header("content-type", "application/json")
    .header("x-api-key", "k1")
    .header("x-multi", "first")
    .header("x-multi", "second")
    .header("X-TRIGGER", "cron")
    .body(Body::from(r#"{"hello":"world"}"#))
    .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let e = &v["event"];
    assert_eq!(e["method"], "POST");
    assert_eq!(e["path"], format!("/lunar/fn/{id}/users/42 x"));
    assert_eq!(e["relativePath"], "/users/42 x");
    assert_eq!(
        e["headers"],
        json!({
            "Content-Type": "application/json",
            "X-Api-Key": "k1",
            "X-Multi": "first",
            "X-Trigger": "cron",
        })
    );
    assert_eq!(
        e["query"],
        json!({"a": "1", "b": "x y!", "c": "", "A": "B"})
    );
    assert_eq!(e["body"], r#"{"hello":"world"}"#);
    // X-Trigger has no effect.
    assert_eq!(v["ctx"]["trigger"], "http");
    assert_eq!(v["ctx"]["functionId"], id.as_str());
    let stored = h.execution_of(&r).await;
    assert_eq!(stored["trigger"], "http");
}

#[tokio::test]
async fn relative_paths() {
    let h = Harness::new().await;
    let id = h.create("f", "c").await;
    for (suffix, rel) in [
        ("", "/"),
        ("/", "/"),
        ("/users/42", "/users/42"),
        ("/users/", "/users/"),
        ("//x", "//x"),
        ("/a%2Fb", "/a/b"),
    ] {
        let r = h.call("GET", &format!("/fn/{id}{suffix}"), None).await;
        assert_eq!(r.status, 200, "{suffix}: {}", r.text());
        let v = r.json();
        assert_eq!(v["event"]["relativePath"], rel, "{suffix}");
        assert_eq!(v["event"]["method"], "GET");
        assert_eq!(v["event"]["body"], "");
        assert_eq!(v["event"]["query"], json!({}));
    }
}

#[tokio::test]
async fn all_methods_reach_the_function() {
    let h = Harness::new().await;
    let id = h.create("f", "c").await;
    for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        for p in [format!("/fn/{id}"), format!("/fn/{id}/x")] {
            let r = h.call(m, &p, None).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.json()["event"]["method"], m);
        }
    }
    h.call("TRACE", &format!("/fn/{id}"), None)
        .await
        .assert_error(405, "Method not allowed");
}

#[tokio::test]
async fn response_headers_status_and_body() {
    let h = Harness::new().await;
    let id = h.create("f", "c").await;
    let r = h.call("GET", &format!("/fn/{id}"), None).await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-function-id"), Some(id.as_str()));
    assert_eq!(
        r.header("x-function-version-id"),
        Some(format!("ver_{id}_v1").as_str())
    );
    let exec = r.header("x-execution-id").unwrap();
    assert_eq!(exec.len(), 20);
    let ms: u64 = r
        .header("x-execution-duration-ms")
        .unwrap()
        .parse()
        .unwrap();
    assert!(ms < 10_000);

    let r = h.call("GET", &format!("/fn/{id}/headers"), None).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.text(), "hello");
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("x-one"), Some("1"));
    assert_eq!(
        r.header("x-function-id"),
        Some("mine"),
        "the function may override"
    );
    let cookies: Vec<&str> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);

    let r = h.call("GET", &format!("/fn/{id}/bytes"), None).await;
    assert_eq!(&r.body[..], &[0, 159, 146, 150]);

    let r = h.call("GET", &format!("/fn/{id}/status/418"), None).await;
    assert_eq!(r.status, 418);
    assert_eq!(r.text(), "status");
    let e = h.execution_of(&r).await;
    assert_eq!(e["status"], "error");
    assert!(e.get("error_message").is_none());
}

#[tokio::test]
async fn error_mapping() {
    let h = Harness::new().await;
    let id = h.create("f", "line one\nline two\n").await;
    let r = h.call("GET", &format!("/fn/{id}/throw"), None).await;
    r.assert_error(500, "Function execution failed");
    assert_eq!(r.header("x-function-id"), Some(id.as_str()));
    assert!(r.header("x-function-version-id").is_some());
    assert!(r.header("x-execution-duration-ms").is_some());
    let e = h.execution_of(&r).await;
    assert_eq!(e["status"], "error");
    assert!(e["error_message"].as_str().unwrap().contains("boom"));

    h.call("GET", "/fn/unknown", None)
        .await
        .assert_error(404, "Function not found");
    h.disable(&id).await;
    let r = h.call("GET", &format!("/fn/{id}"), None).await;
    r.assert_error(403, "Function is disabled");
    assert!(r.header("x-execution-id").is_none());
    let execs = h.get_json(&format!("/api/functions/{id}/executions")).await;
    assert_eq!(execs["pagination"]["total"], 1, "403 is not recorded");
}

#[tokio::test]
async fn masked_event_is_recorded() {
    let h = Harness::new().await;
    let id = h.create("f", "c").await;
    let req = Request::post(format!("/lunar/fn/{id}?q=1"))
        .header("x-custom", "v")
        .body(Body::from("plain"))
        .unwrap();
    let r = h.send(req).await;
    let e = h.execution_of(&r).await;
    let event: serde_json::Value = serde_json::from_str(e["event_json"].as_str().unwrap()).unwrap();
    assert_eq!(event["method"], "POST");
    assert_eq!(event["path"], format!("/lunar/fn/{id}"));
    assert_eq!(event["relativePath"], "/");
    assert_eq!(event["query"], json!({"q": "1"}));
    assert_eq!(event["headers"]["X-Custom"], "v");
    assert_eq!(event["body"], "plain");
}
