//! Hostile input: malformed JSON, wrong types, oversized bodies, odd paths and ids.

use axum::body::Body;
use bytes::Bytes;
use http::Request;
use serde_json::json;

use crate::common::{Harness, KEY};

#[tokio::test]
async fn request_json_rules() {
    let h = Harness::new().await;
    for body in [
        "",
        " ",
        "{",
        "null",
        "[]",
        "\"x\"",
        "5",
        r#"{"name":5,"code":"c"}"#,
        r#"{"name":"a","code":"c"} x"#,
        r#"{"name":"a","code":"c"}{"name":"b","code":"c"}"#,
        "\u{feff}{\"name\":\"a\",\"code\":\"c\"}",
    ] {
        h.api("POST", "/api/functions", Some(body))
            .await
            .assert_error(400, "Invalid request body");
    }
    // Surrounding whitespace, unknown fields, any Content-Type.
    let auth = format!("Bearer {KEY}");
    let r = h
        .raw(
            "POST",
            "/lunar/api/functions",
            Some(" \n{\"name\":\"a\",\"code\":\"c\",\"unknown\":{\"deep\":[1]},\"disabled\":true}\n "),
            &[("authorization", &auth), ("content-type", "text/plain")],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["disabled"], false);
    // Duplicate members: the last wins (as the original's decoder).
    let r = h
        .api(
            "POST",
            "/api/functions",
            Some(r#"{"name":"a","name":"b","code":"c"}"#),
        )
        .await;
    assert_eq!(r.json()["name"], "b");
    // Nested objects must be objects.
    let id = r.json()["id"].as_str().unwrap().to_owned();
    for body in [r#"{"limits":[]}"#, r#"{"limits":[1]}"#, r#"{"limits":"x"}"#] {
        h.api("PUT", &format!("/api/functions/{id}"), Some(body))
            .await
            .assert_error(400, "Invalid request body");
    }
    // Field names are case-sensitive.
    h.api("POST", "/api/functions", Some(r#"{"Name":"a","code":"c"}"#))
        .await
        .assert_error(400, "name: name cannot be empty");
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let h = Harness::with(|b| b.max_request_body_bytes(1024)).await;
    let big = json!({"name": "a", "code": "x".repeat(2000)}).to_string();
    // Known length (no Content-Length header): read and cut.
    h.api("POST", "/api/functions", Some(&big))
        .await
        .assert_error(413, "Request body too large");
    // Announced by Content-Length.
    let auth = format!("Bearer {KEY}");
    let req = Request::post("/lunar/api/functions")
        .header("authorization", &auth)
        .header("content-length", big.len().to_string())
        .body(Body::from(big.clone()))
        .unwrap();
    h.send(req)
        .await
        .assert_error(413, "Request body too large");
    // Streamed without a known length.
    let req = Request::post("/lunar/api/functions")
        .header("authorization", &auth)
        .body(Body::new(Chunks(20)))
        .unwrap();
    h.send(req)
        .await
        .assert_error(413, "Request body too large");
    // Exactly at the limit passes the size check.
    let at = json!({"name": "a", "code": "x"}).to_string();
    let padded = format!("{at}{}", " ".repeat(1024 - at.len()));
    assert_eq!(
        h.api("POST", "/api/functions", Some(&padded)).await.status,
        201
    );
    // Login and PUT bodies too.
    h.raw("POST", "/lunar/api/auth/login", Some(&big), &[])
        .await
        .assert_error(413, "Request body too large");
}

/// A body of `n` chunks of 100 bytes with an unknown length.
struct Chunks(usize);

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if self.0 == 0 {
            return std::task::Poll::Ready(None);
        }
        self.0 -= 1;
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from(
            "x".repeat(100),
        )))))
    }
}

#[tokio::test]
async fn per_function_request_body_limit() {
    let h = Harness::new().await;
    let id = h.create("f", "c").await;
    h.api(
        "PUT",
        &format!("/api/functions/{id}"),
        Some(r#"{"limits":{"max_request_body_bytes":10}}"#),
    )
    .await;
    h.call("POST", &format!("/fn/{id}"), Some("12345678901"))
        .await
        .assert_error(413, "Request body too large");
    let r = h
        .call("POST", &format!("/fn/{id}"), Some("1234567890"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["event"]["body"], "1234567890");
    let execs = h.get_json(&format!("/api/functions/{id}/executions")).await;
    assert_eq!(execs["pagination"]["total"], 1, "the 413 was not executed");
    // The default limit (10 MiB) for other functions.
    let other = h.create("g", "c").await;
    let big = "x".repeat(10 * 1024 * 1024 + 1);
    h.call("POST", &format!("/fn/{other}"), Some(&big))
        .await
        .assert_error(413, "Request body too large");
    // Unknown and disabled functions with a body: 404 / 403 before reading.
    h.call("POST", "/fn/nope", Some("body"))
        .await
        .assert_error(404, "Function not found");
    h.disable(&other).await;
    h.call("POST", &format!("/fn/{other}"), Some(&big))
        .await
        .assert_error(403, "Function is disabled");
}

#[tokio::test]
async fn odd_ids_and_paths() {
    let h = Harness::new().await;
    let long = "a".repeat(10_000);
    for id in [
        "%00",
        "%ff",
        "%2e%2e",
        "..",
        &long,
        "a%2Fb",
        "%zz",
        "'%20OR%201=1--",
    ] {
        h.api("GET", &format!("/api/functions/{id}"), None)
            .await
            .assert_error(404, "Function not found");
        h.api("GET", &format!("/api/executions/{id}"), None)
            .await
            .assert_error(404, "Execution not found");
        h.call("GET", &format!("/fn/{id}"), None)
            .await
            .assert_error(404, "Function not found");
        h.call("POST", &format!("/fn/{id}/x"), Some("b"))
            .await
            .assert_error(404, "Function not found");
    }
    // Path traversal reaches the function as text; nothing else happens.
    let id = h.create("f", "c").await;
    let r = h.call("GET", &format!("/fn/{id}/../x"), None).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["event"]["relativePath"], "/../x");
    assert_eq!(v["event"]["path"], format!("/lunar/fn/{id}/../x"));
    let r = h
        .call("GET", &format!("/fn/{id}/%2e%2e/%2e%2e/etc/passwd"), None)
        .await;
    assert_eq!(r.json()["event"]["relativePath"], "/../../etc/passwd");
    // An invalid-UTF-8 sub-path is decoded lossily.
    let r = h.call("GET", &format!("/fn/{id}/%ff"), None).await;
    assert_eq!(r.json()["event"]["relativePath"], "/\u{fffd}");
}

#[tokio::test]
async fn non_utf8_bodies_and_headers_are_lossy() {
    let h = Harness::new().await;
    let id = h.create("f", "c").await;
    let req = Request::post(format!("/lunar/fn/{id}"))
        .header("x-bin", http::HeaderValue::from_bytes(b"a\xffb").unwrap())
        .body(Body::from(vec![b'o', b'k', 0xff]))
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["event"]["body"], "ok\u{fffd}");
    assert_eq!(v["event"]["headers"]["X-Bin"], "a\u{fffd}b");
}
