//! CORS, OPTIONS, 404/405, HEAD, panics, and mounting.

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Body;
use http::Request;
use http::request::Parts;
use http_body_util::BodyExt;
use lunar_core::{Engine, EngineConfig};
use lunar_http::{Auth, Authenticator, LunarService};
use tower::ServiceExt;

use crate::common::{Harness, KEY, Resp, echo_runtime, sqlite_stores};

#[track_caller]
fn assert_cors(r: &Resp) {
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, POST, PUT, PATCH, DELETE, OPTIONS")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("Content-Type, Authorization")
    );
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("X-Function-Id, X-Function-Version-Id, X-Execution-Id, X-Execution-Duration-Ms")
    );
}

#[tokio::test]
async fn options_anywhere_is_204_before_routing_and_auth() {
    let h = Harness::new().await;
    for path in [
        "/lunar/api/functions",
        "/lunar/api/functions/x/versions/1",
        "/lunar/nowhere/at/all",
        "/lunar/fn/abc/x",
        "/lunar/api/auth/login",
    ] {
        let r = h.raw("OPTIONS", path, None, &[]).await;
        assert_eq!(r.status, 204, "{path}");
        assert!(r.body.is_empty());
        assert_cors(&r);
    }
}

#[tokio::test]
async fn cors_on_every_response() {
    let h = Harness::new().await;
    let id = h.create("f", "c").await;
    assert_cors(&h.api("GET", "/api/functions", None).await);
    assert_cors(&h.raw("GET", "/lunar/api/functions", None, &[]).await);
    assert_cors(&h.api("GET", "/api/functions/nope", None).await);
    assert_cors(&h.raw("GET", "/lunar/nowhere", None, &[]).await);
    assert_cors(&h.raw("PATCH", "/lunar/api/functions", None, &[]).await);
    assert_cors(&h.call("GET", &format!("/fn/{id}"), None).await);
    assert_cors(&h.call("GET", &format!("/fn/{id}/throw"), None).await);
    assert_cors(&h.raw("GET", "/lunar/docs", None, &[]).await);
}

#[tokio::test]
async fn cors_can_be_switched_off() {
    let h = Harness::with(|b| b.cors(false)).await;
    let r = h.api("GET", "/api/functions", None).await;
    assert!(r.header("access-control-allow-origin").is_none());
    let r = h.raw("OPTIONS", "/lunar/api/functions", None, &[]).await;
    assert_eq!(r.status, 204);
    assert!(r.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn unknown_paths_are_json_404_before_auth() {
    // Without the dashboard, which would answer `/lunar/`.
    let h = Harness::with(|b| b.dashboard(false)).await;
    for path in [
        "/lunar/",
        "/lunar/api",
        "/lunar/api/",
        "/lunar/api/functions/",
        "/lunar/api/functions/x/unknown",
        "/lunar/api/executions",
        "/lunar/fn",
        "/lunar/fn/",
        "/lunar/docs/",
        "/lunar/api/functions/../functions",
    ] {
        let r = h.raw("GET", path, None, &[]).await;
        assert_eq!(r.status, 404, "{path}");
        r.assert_error(404, "Not found");
    }
}

#[tokio::test]
async fn wrong_method_is_json_405_with_allow() {
    let h = Harness::new().await;
    for (method, path, allow) in [
        (
            "PATCH",
            "/lunar/api/functions",
            ["GET", "HEAD", "POST"].as_slice(),
        ),
        (
            "POST",
            "/lunar/api/functions/x",
            &["GET", "HEAD", "PUT", "DELETE"],
        ),
        ("GET", "/lunar/api/functions/x/env", &["PUT"]),
        ("DELETE", "/lunar/docs", &["GET", "HEAD"]),
        ("PUT", "/lunar/api/auth/logout", &["POST"]),
    ] {
        let r = h.raw(method, path, None, &[]).await;
        r.assert_error(405, "Method not allowed");
        let got = r.header("allow").expect("allow header");
        let mut got: Vec<&str> = got.split(',').map(str::trim).collect();
        got.sort_unstable();
        let mut want = allow.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{method} {path}");
        assert_cors(&r);
    }
}

#[tokio::test]
async fn head_runs_the_handler_without_a_body() {
    let h = Harness::new().await;
    let id = h.create("f", "c").await;
    let r = h.api("HEAD", "/api/functions", None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    let r = h.api("HEAD", &format!("/api/functions/{id}"), None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    let r = h.api("HEAD", "/api/functions/nope", None).await;
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    // Unauthenticated HEAD is still 401.
    assert_eq!(
        h.raw("HEAD", "/lunar/api/functions", None, &[])
            .await
            .status,
        401
    );
    let r = h.call("HEAD", &format!("/fn/{id}/x"), None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert!(r.header("x-execution-id").is_some());
    let execs = h.get_json(&format!("/api/functions/{id}/executions")).await;
    assert_eq!(execs["pagination"]["total"], 1);
    let event: serde_json::Value =
        serde_json::from_str(execs["executions"][0]["event_json"].as_str().unwrap()).unwrap();
    assert_eq!(event["method"], "HEAD");
    assert_eq!(h.raw("HEAD", "/lunar/docs", None, &[]).await.status, 200);
}

#[derive(Debug)]
struct Panicking;

#[async_trait]
impl Authenticator for Panicking {
    async fn authorize(&self, _parts: &Parts) -> bool {
        panic!("authenticator exploded")
    }
}

#[tokio::test]
async fn a_panic_is_a_json_500() {
    let h = Harness::with(|b| b.auth(Auth::Custom(Arc::new(Panicking)))).await;
    let r = h.raw("GET", "/lunar/api/functions", None, &[]).await;
    r.assert_error(500, "Internal server error");
    assert_cors(&r);
    // The service keeps working.
    assert_eq!(h.raw("GET", "/lunar/docs", None, &[]).await.status, 200);
}

#[tokio::test]
async fn host_routes_stay_with_the_host() {
    let h = Harness::new().await;
    let r = h.raw("GET", "/", None, &[]).await;
    assert_eq!(r.text(), "host home");
    let r = h.raw("GET", "/elsewhere", None, &[]).await;
    assert_eq!(r.status, 404);
    assert!(r.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn served_without_a_host_router() {
    let (stores, _dir) = sqlite_stores().await;
    let engine = Engine::new(stores, echo_runtime(), EngineConfig::default());
    let svc = LunarService::builder(engine)
        .auth(Auth::ApiKey(KEY.into()))
        .base_url("http://h/base")
        .build();
    let req = Request::post("/api/functions")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Body::from(r#"{"name":"n","code":"c"}"#))
        .unwrap();
    let res = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), 201);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let id = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Paths are not normalised.
    for path in ["//api/functions", "/api//functions", "/api/functions/"] {
        let req = Request::get(path)
            .header("authorization", format!("Bearer {KEY}"))
            .body(Body::empty())
            .unwrap();
        let res = svc.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    // Event path: base-URL path + the path given.
    let req = Request::get(format!("/fn/{id}/a%20b"))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["event"]["path"], format!("/base/fn/{id}/a b"));
    assert_eq!(v["event"]["relativePath"], "/a b");
}
