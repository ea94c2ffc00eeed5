//! `/docs` and the OpenAPI document, checked against the routes served.

use std::collections::BTreeSet;

use lunar_http::ROUTES;

use crate::auth::concrete;
use crate::common::Harness;

#[tokio::test]
async fn docs_page_points_at_the_yaml() {
    let h = Harness::new().await;
    let r = h.raw("GET", "/lunar/docs", None, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let html = r.text();
    assert!(
        html.contains(r#"data-url="/lunar/docs/openapi.yaml""#),
        "{html}"
    );
    assert!(html.contains("@scalar/api-reference"));

    // Without a base URL, the prefix comes from the host's router.
    let (stores, _dir) = crate::common::sqlite_stores().await;
    let engine = lunar_core::Engine::new(
        stores,
        crate::common::echo_runtime(),
        lunar_core::EngineConfig::default(),
    );
    let svc = lunar_http::LunarService::builder(engine).build();
    let app = axum::Router::new().nest_service("/deep/mount", svc);
    let res = tower::ServiceExt::oneshot(
        app,
        http::Request::get("/deep/mount/docs")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let html = String::from_utf8_lossy(&body);
    assert!(
        html.contains(r#"data-url="/deep/mount/docs/openapi.yaml""#),
        "{html}"
    );
}

#[tokio::test]
async fn openapi_documents_are_served() {
    let h = Harness::new().await;
    let r = h.raw("GET", "/lunar/docs/openapi.json", None, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let v = r.json();
    assert!(v["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(v["servers"][0]["url"], "http://localhost:3000/lunar");
    let r = h.raw("GET", "/lunar/docs/openapi.yaml", None, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/yaml"));
    assert!(r.text().starts_with("openapi: 3.1"));
}

fn normalise(path: &str) -> String {
    path.replace("{*", "{")
}

#[tokio::test]
async fn openapi_matches_the_routes_served() {
    let doc = lunar_http::openapi();
    let v = serde_json::to_value(&doc).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in v["paths"].as_object().unwrap() {
        for method in [
            "get", "head", "post", "put", "patch", "delete", "options", "trace",
        ] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), normalise(r.path)))
        .collect();
    assert_eq!(documented, routed);
    // Protected routes declare security; open ones do not.
    for r in ROUTES {
        let op = &v["paths"][normalise(r.path)][r.method.to_lowercase()];
        assert_eq!(
            op.get("security").is_some(),
            r.auth,
            "{} {}",
            r.method,
            r.path
        );
    }

    // Every route in the table is actually served (neither 404 "Not found" nor 405).
    let h = Harness::new().await;
    let id = h.create("f", "c").await;
    for r in ROUTES {
        let path = concrete(r.path, &id);
        let res = h.api(r.method, &path, Some("{}")).await;
        assert_ne!(res.status, 405, "{} {path}", r.method);
        if res.status == 404 {
            assert_ne!(
                res.text(),
                "{\"error\":\"Not found\"}\n",
                "{} {path}",
                r.method
            );
        }
    }
}

#[tokio::test]
async fn openapi_documents_isolation() {
    let v = serde_json::to_value(lunar_http::openapi()).unwrap();
    let schemas = &v["components"]["schemas"];
    assert_eq!(schemas["Isolation"]["type"], "string");
    assert_eq!(
        schemas["Isolation"]["enum"],
        serde_json::json!(["warm", "fresh"])
    );
    let refers_to_isolation = |p: &serde_json::Value| {
        p["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["$ref"] == "#/components/schemas/Isolation")
    };
    // A schema's own object: FunctionWithActiveVersion is `allOf` Function and
    // `active_version`.
    let object = |name: &str| {
        let s = &schemas[name];
        match s["allOf"][0]["$ref"].as_str() {
            Some(r) => schemas[r.trim_start_matches("#/components/schemas/")].clone(),
            None => s.clone(),
        }
    };
    for (schema, default) in [
        ("FunctionWithActiveVersion", Some("warm")),
        ("CreateFunctionRequest", Some("warm")),
        // Absent keeps the current mode, so no default there.
        ("UpdateFunctionRequest", None),
    ] {
        let o = object(schema);
        let p = &o["properties"]["isolation"];
        assert!(refers_to_isolation(p), "{schema}: {p}");
        assert_eq!(
            p.get("default").and_then(|d| d.as_str()),
            default,
            "{schema}"
        );
    }
    // Always in a function's JSON; optional in both request bodies.
    let required = |schema: &str| {
        object(schema)["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|f| f == "isolation"))
    };
    assert!(required("FunctionWithActiveVersion"));
    assert!(!required("CreateFunctionRequest"));
    assert!(!required("UpdateFunctionRequest"));
    // The function responses and both request bodies use those schemas.
    let body_ref = |method: &str, path: &str| {
        v["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .clone()
    };
    assert_eq!(
        body_ref("post", "/api/functions"),
        "#/components/schemas/CreateFunctionRequest"
    );
    assert_eq!(
        body_ref("put", "/api/functions/{id}"),
        "#/components/schemas/UpdateFunctionRequest"
    );

    // And the served YAML carries it.
    let h = Harness::new().await;
    let yaml = h
        .raw("GET", "/lunar/docs/openapi.yaml", None, &[])
        .await
        .text();
    assert!(yaml.contains("isolation:"), "isolation in the served YAML");
}
