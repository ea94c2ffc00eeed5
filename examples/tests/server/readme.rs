//! The standalone server: configuration, first-run key, and a full run over a socket with
//! the V8 runtime (the README's curl sequence).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use lunar_examples::{KeySource, ServerConfig, StoreKind, build_app, resolve_api_key};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn config(vars: &[(&str, &str)]) -> Result<ServerConfig, String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    ServerConfig::from_vars(|k| map.get(k).cloned()).map_err(|e| e.to_string())
}

fn c_max_in_flight(vars: &[(&str, &str)]) -> Result<Option<usize>, String> {
    config(vars).map(|c| c.lunar.max_in_flight)
}

#[test]
fn defaults() {
    let c = config(&[]).unwrap();
    assert_eq!(c.port, 3000);
    assert_eq!(c.data_dir, Path::new("./data"));
    assert_eq!(c.execution_timeout(), 30);
    assert_eq!(c.api_key, None);
    assert_eq!(c.base_url(), "http://localhost:3000");
    assert_eq!(c.store, StoreKind::Sqlite);
    assert_eq!(c.lunar.timezone, chrono_tz::UTC);
    assert!(!c.deny_private_networks);
    let c = config(&[("PORT", "8081")]).unwrap();
    assert_eq!(c.base_url(), "http://localhost:8081");
}

#[test]
fn config_errors_are_exact() {
    for t in ["0", "-1", "abc", "1.5", "", " 5"] {
        assert_eq!(
            config(&[("EXECUTION_TIMEOUT", t)]).unwrap_err(),
            "EXECUTION_TIMEOUT must be a positive number of seconds",
            "{t:?}"
        );
    }
    assert_eq!(
        config(&[("EXECUTION_TIMEOUT", "900")])
            .unwrap()
            .execution_timeout(),
        900
    );
    assert_eq!(
        config(&[("LUNAR_STORE", "mysql")]).unwrap_err(),
        "LUNAR_STORE must be one of: sqlite, postgres, sled"
    );
    assert_eq!(
        config(&[("LUNAR_STORE", "postgres")]).unwrap_err(),
        "DATABASE_URL is required when LUNAR_STORE=postgres"
    );
    assert_eq!(
        config(&[("LUNAR_STORE", "sled")]).unwrap().store,
        StoreKind::Sled
    );
    assert!(config(&[("PORT", "http")]).is_err());
    assert!(config(&[("PORT", "70000")]).is_err());
    assert!(config(&[("LUNAR_TIMEZONE", "Mars/Olympus")]).is_err());
    assert_eq!(
        config(&[("LUNAR_TIMEZONE", "Europe/Berlin")])
            .unwrap()
            .lunar
            .timezone,
        chrono_tz::Europe::Berlin
    );
    assert!(
        config(&[("LUNAR_DENY_PRIVATE_NETWORKS", "true")])
            .unwrap()
            .deny_private_networks
    );
    assert_eq!(c_max_in_flight(&[]), Ok(None));
    assert_eq!(
        c_max_in_flight(&[("LUNAR_MAX_IN_FLIGHT", "64")]),
        Ok(Some(64))
    );
    assert_eq!(
        c_max_in_flight(&[("LUNAR_MAX_IN_FLIGHT", "0")]),
        Ok(Some(0))
    );
    for bad in ["-1", "many", ""] {
        assert_eq!(
            c_max_in_flight(&[("LUNAR_MAX_IN_FLIGHT", bad)]),
            Err("LUNAR_MAX_IN_FLIGHT must be a whole number (0: no bound)".to_owned()),
            "{bad:?}"
        );
    }
    // One trailing slash removed.
    assert_eq!(
        config(&[("BASE_URL", "https://x.io/l/")])
            .unwrap()
            .base_url(),
        "https://x.io/l"
    );
    assert_eq!(
        config(&[("BASE_URL", "https://x.io//")])
            .unwrap()
            .base_url(),
        "https://x.io/"
    );
    assert_eq!(
        config(&[("LUNAR_GRANTS", "users.lookup")]).unwrap_err(),
        r#"LUNAR_GRANTS: rule "users.lookup" must be function:capability"#
    );
    assert!(
        config(&[]).unwrap().lunar.grants.is_none(),
        "nothing granted"
    );
    let g = config(&[("LUNAR_GRANTS", "crm-*:users.*")])
        .unwrap()
        .lunar
        .grants
        .expect("grants");
    assert!(g.matches("crm-sync", "users.lookup"));
    // An empty API_KEY does not win.
    assert_eq!(config(&[("API_KEY", "")]).unwrap().api_key, None);
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn first_run_api_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // API_KEY wins; nothing written.
    let (k, src) = resolve_api_key(Some("env-key"), d).unwrap();
    assert_eq!((k.as_str(), src), ("env-key", KeySource::Environment));
    assert!(!d.join("api_key.txt").exists());
    // Generated: 64 lowercase hex, mode 0600.
    let (k, src) = resolve_api_key(None, d).unwrap();
    let path = d.join("api_key.txt");
    assert_eq!(src, KeySource::Generated(path.clone()));
    assert_eq!(k.len(), 64);
    assert!(
        k.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    // Read back (trimmed).
    std::fs::write(&path, format!("  {k}\n")).unwrap();
    let (k2, src) = resolve_api_key(None, d).unwrap();
    assert_eq!(k2, k);
    assert_eq!(src, KeySource::File(path.clone()));
    // Empty after trimming.
    std::fs::write(&path, " \n").unwrap();
    assert_eq!(
        resolve_api_key(None, d).unwrap_err().to_string(),
        format!("API key file is empty: {}", path.display())
    );
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(k) = key {
        req.push_str(&format!("Authorization: Bearer {k}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_readme_sequence_with_v8_and_shuts_down() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    let c = config(&[
        ("DATA_DIR", data.to_str().unwrap()),
        ("BASE_URL", "http://127.0.0.1/"),
    ])
    .unwrap();
    let app = build_app(c).await.expect("server builds");
    #[cfg(unix)]
    assert_eq!(mode(&data), 0o700);
    assert!(matches!(app.key_source, KeySource::Generated(_)));
    assert!(data.join("lunar.db").exists());
    readme_sequence(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_readme_sequence_on_sled() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(&[
        ("DATA_DIR", dir.path().to_str().unwrap()),
        ("LUNAR_STORE", "sled"),
        ("API_KEY", "sled-key"),
    ])
    .unwrap();
    let app = build_app(c).await.expect("server builds on sled");
    assert!(dir.path().join("lunar.sled").exists());
    readme_sequence(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_readme_sequence_on_postgres() {
    let Ok(url) = std::env::var("LUNAR_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("LUNAR_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "LUNAR_REQUIRE_POSTGRES=1 but LUNAR_TEST_POSTGRES_URL is not set"
        );
        eprintln!("skipping PostgreSQL server test: LUNAR_TEST_POSTGRES_URL is not set");
        return;
    };
    // A database of its own, dropped afterwards.
    let db_url = crate::pg::own_database(&url, "lunar_server_test").await;
    let dir = tempfile::tempdir().unwrap();
    let c = config(&[
        ("DATA_DIR", dir.path().to_str().unwrap()),
        ("LUNAR_STORE", "postgres"),
        ("DATABASE_URL", &db_url),
        ("API_KEY", "pg-key"),
    ])
    .unwrap();
    let app = build_app(c).await.expect("server builds on PostgreSQL");
    readme_sequence(app).await;
    crate::pg::drop_database(&url, &db_url).await;
}

/// The app serving on a loopback port until [`Serving::stop`].
struct Serving {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Serving {
    async fn start(app: lunar_examples::App) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(listener, async move {
            let _ = stop_rx.await;
        }));
        Self { addr, stop, server }
    }

    /// Signals the shutdown and waits for the server to finish.
    async fn stop(self) {
        self.stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(40), self.server)
            .await
            .expect("shuts down")
            .unwrap()
            .unwrap();
    }
}

/// The README's curl sequence over a real socket, then a graceful shutdown.
async fn readme_sequence(app: lunar_examples::App) {
    let key = app.api_key.clone();
    let serving = Serving::start(app).await;
    let addr = serving.addr;

    let code = r#"function handler(ctx, event) { log.info("hi " + event.query.name); return { statusCode: 200, body: { hello: event.query.name || "world" } }; }"#;
    let body = serde_json::json!({"name": "hello", "code": code}).to_string();
    let (status, _, text) = http(addr, "POST", "/api/functions", Some(&key), &body).await;
    assert_eq!(status, 201, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, head, text) = http(addr, "GET", &format!("/fn/{id}?name=Lunar"), None, "").await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text, r#"{"hello":"Lunar"}"#);
    let exec = head
        .lines()
        .find_map(|l| l.strip_prefix("x-execution-id: "))
        .expect("execution id")
        .to_owned();

    let (status, _, text) = http(
        addr,
        "GET",
        &format!("/api/functions/{id}/executions"),
        Some(&key),
        "",
    )
    .await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["executions"][0]["id"], exec.as_str());
    assert_eq!(v["executions"][0]["status"], "success");

    let (status, _, text) = http(
        addr,
        "GET",
        &format!("/api/executions/{exec}/logs"),
        Some(&key),
        "",
    )
    .await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["logs"][0]["message"], "hi Lunar");

    let (status, _, _) = http(addr, "GET", "/api/functions", None, "").await;
    assert_eq!(status, 401);
    let (status, _, text) = http(addr, "GET", "/docs", None, "").await;
    assert_eq!(status, 200);
    assert!(text.contains("/docs/openapi.yaml"));

    serving.stop().await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}

/// A host building on the server registers a capability; `LUNAR_GRANTS` decides which
/// functions may call it (by name pattern), the rest get an error naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lunar_grants_decides_who_calls_a_host_capability() {
    #[derive(serde::Deserialize)]
    struct Lookup {
        id: u64,
    }
    let dir = tempfile::tempdir().unwrap();
    let c = config(&[
        ("DATA_DIR", dir.path().to_str().unwrap()),
        ("API_KEY", "grants-key"),
        ("LUNAR_GRANTS", "crm-*:users.*"),
    ])
    .unwrap()
    .with_capabilities(lunar_core::capability::Capabilities::new().add(
        "users.lookup",
        |_ctx, a: Lookup| async move {
            Ok::<_, String>(serde_json::json!({ "id": a.id, "name": "Ada" }))
        },
    ));
    let app = build_app(c).await.expect("server builds");
    let serving = Serving::start(app).await;
    let addr = serving.addr;
    let code = r#"async function handler() {
        try { return { body: await host.users.lookup({ id: 7 }) }; }
        catch (e) { return { statusCode: 403, body: { error: e.message } }; }
    }"#;
    let mut answers = Vec::new();
    for name in ["crm-sync", "billing"] {
        let body = serde_json::json!({"name": name, "code": code}).to_string();
        let (status, _, text) =
            http(addr, "POST", "/api/functions", Some("grants-key"), &body).await;
        assert_eq!(status, 201, "{text}");
        let id = serde_json::from_str::<Value>(&text).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _, text) = http(addr, "GET", &format!("/fn/{id}"), None, "").await;
        answers.push((status, text));
    }
    assert_eq!(answers[0], (200, r#"{"id":7,"name":"Ada"}"#.to_owned()));
    assert_eq!(
        answers[1],
        (
            403,
            r#"{"error":"host capability users.lookup is not granted to this function"}"#
                .to_owned()
        )
    );
    serving.stop().await;
}
