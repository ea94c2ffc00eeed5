//! Authentication: every protected route, bearer and cookie, login/logout.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::TimeZone;
use http::request::Parts;
use lunar_core::{Engine, EngineConfig, ManualClock};
use lunar_http::{Auth, Authenticator, ROUTES};

use crate::common::{Harness, KEY, Resp, echo_runtime, sqlite_stores};

/// A concrete path for a route template.
pub(crate) fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id)
        .replace("{function_id}", id)
        .replace("{version}", "1")
        .replace("{v1}", "1")
        .replace("{v2}", "1")
        .replace("{key}", "k")
        .replace("{*path}", "x/y")
}

async fn login(h: &Harness, body: &str) -> Resp {
    h.raw("POST", "/lunar/api/auth/login", Some(body), &[])
        .await
}

fn cookie_of(r: &Resp) -> String {
    let set = r.header("set-cookie").expect("set-cookie");
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn every_protected_route_requires_auth() {
    let h = Harness::new().await;
    let id = h.create("f", "code").await;
    let cookie = cookie_of(&login(&h, &format!(r#"{{"apiKey":"{KEY}"}}"#)).await);
    let protected: Vec<_> = ROUTES.iter().filter(|r| r.auth).collect();
    assert_eq!(protected.len(), 24);
    for route in protected {
        let path = format!("/lunar{}", concrete(route.path, &id));
        let deny: [&[(&str, &str)]; 7] = [
            &[],
            &[("authorization", "Bearer wrong")],
            &[("authorization", &format!("bearer {KEY}"))],
            &[("authorization", &format!("Bearer  {KEY}"))],
            &[("authorization", &format!("Bearer{KEY}"))],
            &[("authorization", KEY)],
            &[("cookie", "auth_token=v1.abc.99999999999.sig")],
        ];
        for headers in deny {
            let r = h.raw(route.method, &path, None, headers).await;
            r.assert_error(401, "Authentication required");
        }
        let bearer = format!("Bearer {KEY}");
        let allow: [&[(&str, &str)]; 4] = [
            &[("authorization", &bearer)],
            &[("cookie", &cookie)],
            &[("cookie", &format!("other=1; {cookie}; x=y"))],
            // An invalid cookie does not block the bearer check.
            &[("cookie", "auth_token=garbage"), ("authorization", &bearer)],
        ];
        for headers in allow {
            let r = h.raw(route.method, &path, Some("{}"), headers).await;
            assert_ne!(r.status, 401, "{} {path}: {}", route.method, r.text());
        }
    }
}

#[tokio::test]
async fn login_and_logout_cookies() {
    let h = Harness::new().await;
    let r = login(&h, &format!(r#"{{"apiKey":"{KEY}","extra":1}}"#)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "{\"success\":true}\n");
    let set = r.header("set-cookie").unwrap();
    let rest = set.strip_prefix("auth_token=v1.").unwrap();
    let (token, attrs) = rest.split_once(';').unwrap();
    assert_eq!(
        attrs,
        " Path=/lunar; Max-Age=86400; HttpOnly; SameSite=Strict"
    );
    assert!(!set.contains(KEY));
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].len(), 22); // 16 bytes, base64url without padding
    let exp: i64 = parts[1].parse().unwrap();
    let now = h.engine.clock().unix();
    assert!((now + 86_399..=now + 86_401).contains(&exp));

    for (body, status, text) in [
        (
            "",
            400,
            "{\"success\":false,\"error\":\"Invalid request body\"}\n",
        ),
        (
            "{",
            400,
            "{\"success\":false,\"error\":\"Invalid request body\"}\n",
        ),
        (
            r#"{"apiKey":5}"#,
            400,
            "{\"success\":false,\"error\":\"Invalid request body\"}\n",
        ),
        (
            "{}",
            401,
            "{\"success\":false,\"error\":\"Invalid API key\"}\n",
        ),
        (
            r#"{"apiKey":""}"#,
            401,
            "{\"success\":false,\"error\":\"Invalid API key\"}\n",
        ),
        (
            r#"{"apiKey":"wrong"}"#,
            401,
            "{\"success\":false,\"error\":\"Invalid API key\"}\n",
        ),
        (
            r#"{"apikey":"test-key-123"}"#,
            401,
            "{\"success\":false,\"error\":\"Invalid API key\"}\n",
        ),
    ] {
        let r = login(&h, body).await;
        assert_eq!(r.status.as_u16(), status, "{body}");
        assert_eq!(r.text(), text, "{body}");
        assert!(r.header("set-cookie").is_none());
    }

    let r = h.raw("POST", "/lunar/api/auth/logout", None, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "{\"success\":true}\n");
    assert_eq!(
        r.header("set-cookie"),
        Some("auth_token=; Path=/lunar; Max-Age=0; HttpOnly")
    );
    // GET on the auth routes: 405.
    h.raw("GET", "/lunar/api/auth/login", None, &[])
        .await
        .assert_error(405, "Method not allowed");
}

#[tokio::test]
async fn cookie_path_and_secure_follow_the_base_url() {
    let h = Harness::with(|b| b.base_url("https://example.com")).await;
    let r = login(&h, &format!(r#"{{"apiKey":"{KEY}"}}"#)).await;
    assert!(
        r.header("set-cookie")
            .unwrap()
            .ends_with("; Path=/; Max-Age=86400; HttpOnly; SameSite=Strict; Secure")
    );
    let r = h.raw("POST", "/lunar/api/auth/logout", None, &[]).await;
    assert_eq!(
        r.header("set-cookie"),
        Some("auth_token=; Path=/; Max-Age=0; HttpOnly")
    );
}

#[tokio::test]
async fn sessions_expire_and_change_with_the_key() {
    let (stores, dir) = sqlite_stores().await;
    let start = chrono::Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let engine = Engine::builder(stores.clone(), echo_runtime())
        .config(EngineConfig::default())
        .clock(clock.clone())
        .build();
    let h = Harness::around(engine.clone(), stores.clone(), dir, |b| b);
    let cookie = cookie_of(&login(&h, &format!(r#"{{"apiKey":"{KEY}"}}"#)).await);
    let get = |c: String| {
        let h = &h;
        async move {
            h.raw("GET", "/lunar/api/functions", None, &[("cookie", &c)])
                .await
        }
    };
    assert_eq!(get(cookie.clone()).await.status, 200);
    clock.advance(chrono::Duration::seconds(86_399));
    assert_eq!(get(cookie.clone()).await.status, 200);
    clock.advance(chrono::Duration::seconds(1));
    get(cookie.clone())
        .await
        .assert_error(401, "Authentication required");

    // A token signed for another key is refused.
    let dir2 = tempfile::tempdir().unwrap();
    let h2 = Harness::around(engine, stores, dir2, |b| {
        b.auth(Auth::ApiKey("other".into()))
    });
    let fresh = cookie_of(&login(&h, &format!(r#"{{"apiKey":"{KEY}"}}"#)).await);
    h2.raw("GET", "/lunar/api/functions", None, &[("cookie", &fresh)])
        .await
        .assert_error(401, "Authentication required");
    // A tampered expiry is refused.
    let mut parts: Vec<String> = fresh.split('.').map(str::to_owned).collect();
    parts[2] = "99999999999".into();
    get(parts.join("."))
        .await
        .assert_error(401, "Authentication required");
}

#[tokio::test]
async fn disabled_auth_opens_everything_and_hides_auth_routes() {
    let h = Harness::with(|b| b.auth(Auth::Disabled)).await;
    let r = h.raw("GET", "/lunar/api/functions", None, &[]).await;
    assert_eq!(r.status, 200);
    h.raw(
        "POST",
        "/lunar/api/auth/login",
        Some(r#"{"apiKey":"x"}"#),
        &[],
    )
    .await
    .assert_error(404, "Not found");
    h.raw("POST", "/lunar/api/auth/logout", None, &[])
        .await
        .assert_error(404, "Not found");
}

#[derive(Debug)]
struct HeaderAuth;

#[async_trait]
impl Authenticator for HeaderAuth {
    async fn authorize(&self, parts: &Parts) -> bool {
        parts.headers.get("x-admin").is_some_and(|v| v == "yes")
    }
}

#[tokio::test]
async fn custom_authenticator_decides() {
    let h = Harness::with(|b| b.auth(Auth::Custom(Arc::new(HeaderAuth)))).await;
    h.raw("GET", "/lunar/api/functions", None, &[])
        .await
        .assert_error(401, "Authentication required");
    let bearer = format!("Bearer {KEY}");
    h.raw(
        "GET",
        "/lunar/api/functions",
        None,
        &[("authorization", &bearer)],
    )
    .await
    .assert_error(401, "Authentication required");
    let r = h
        .raw("GET", "/lunar/api/functions", None, &[("x-admin", "yes")])
        .await;
    assert_eq!(r.status, 200);
    h.raw("POST", "/lunar/api/auth/login", Some("{}"), &[])
        .await
        .assert_error(404, "Not found");
    // Unprotected routes stay open.
    assert_eq!(h.raw("GET", "/lunar/docs", None, &[]).await.status, 200);
}

#[tokio::test]
async fn without_auth_setting_protected_routes_are_closed() {
    let (stores, dir) = sqlite_stores().await;
    let engine = Engine::new(stores.clone(), echo_runtime(), EngineConfig::default());
    let svc = lunar_http::LunarService::builder(engine).build();
    let app = axum::Router::new().nest_service("/lunar", svc);
    let _dir = dir;
    use tower::ServiceExt;
    let res = app
        .oneshot(
            http::Request::get("/lunar/api/functions")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
