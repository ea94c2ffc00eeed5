//! The dashboard (feature `dashboard`): the page at the mount root, its assets with the
//! right content types, the redirect to the slash, and the switch to turn it off.

use http::StatusCode;

use crate::common::Harness;

#[tokio::test]
async fn serves_the_page_and_assets_under_the_mount() {
    let h = Harness::new().await;
    let page = h.raw("GET", "/lunar/", None, &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    let html = page.text();
    assert!(html.contains(r#"<script type="module" src="dashboard/app.js">"#));
    assert!(html.contains(r#"href="dashboard/app.css""#));

    // The page needs no login; its data does.
    let js = h.raw("GET", "/lunar/dashboard/app.js", None, &[]).await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(js.header("x-content-type-options"), Some("nosniff"));
    assert!(js.text().contains("import"));
    let view = h
        .raw("GET", "/lunar/dashboard/views/kv.js", None, &[])
        .await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(view.text().contains("kvTab"));
    let css = h.raw("GET", "/lunar/dashboard/app.css", None, &[]).await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let head = h.raw("HEAD", "/lunar/dashboard/app.css", None, &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());

    for missing in [
        "/lunar/dashboard/nope.js",
        "/lunar/dashboard/../Cargo.toml",
        "/lunar/dashboard/README.md",
    ] {
        h.raw("GET", missing, None, &[])
            .await
            .assert_error(404, "Not found");
    }
    h.raw("POST", "/lunar/", None, &[])
        .await
        .assert_error(405, "Method not allowed");
}

#[tokio::test]
async fn the_mount_without_a_slash_redirects() {
    let h = Harness::new().await;
    let r = h.raw("GET", "/lunar", None, &[]).await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.header("location"), Some("/lunar/"));
    let r = h.raw("GET", "/lunar?x=1", None, &[]).await;
    assert_eq!(r.header("location"), Some("/lunar/?x=1"));
}

#[tokio::test]
async fn the_dashboard_can_be_switched_off() {
    let h = Harness::with(|b| b.dashboard(false)).await;
    h.raw("GET", "/lunar/", None, &[])
        .await
        .assert_error(404, "Not found");
    h.raw("GET", "/lunar/dashboard/app.js", None, &[])
        .await
        .assert_error(404, "Not found");
    // The API is unaffected.
    assert_eq!(
        h.api("GET", "/api/functions", None).await.status,
        StatusCode::OK
    );
}
