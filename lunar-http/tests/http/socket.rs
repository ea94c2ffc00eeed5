//! Scenarios over a real socket (axum::serve on 127.0.0.1:0, a raw HTTP/1.1 client).

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::{Harness, KEY};

/// A parsed response.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

async fn serve(h: &Harness) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = h.app.clone();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> String {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    req
}

async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request(addr, method, path, headers, body).as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut reply = Reply {
        status,
        headers,
        body: body.to_owned(),
    };
    if reply.header("transfer-encoding") == Some("chunked") {
        reply.body = dechunk(&reply.body);
    }
    reply
}

/// A `GET` without a body.
async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    send(addr, "GET", path, headers, "").await
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_scenario_over_a_socket() {
    let h = Harness::new().await;
    let addr = serve(&h).await;
    let auth = format!("Bearer {KEY}");
    let auth = [("Authorization", auth.as_str())];

    let r = send(
        addr,
        "POST",
        "/lunar/api/functions",
        &auth,
        r#"{"name":"hello","code":"x"}"#,
    )
    .await;
    assert_eq!(r.status, 201);
    assert!(r.body.ends_with("}\n"));
    let id = r.json()["id"].as_str().unwrap().to_owned();

    let r = send(
        addr,
        "POST",
        &format!("/lunar/fn/{id}/greet?name=Ann+Lee"),
        &[("Content-Type", "text/plain"), ("X-Trigger", "cron")],
        "hi there",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let exec = r.header("x-execution-id").unwrap().to_owned();
    let v = r.json();
    assert_eq!(v["event"]["path"], format!("/lunar/fn/{id}/greet"));
    assert_eq!(v["event"]["relativePath"], "/greet");
    assert_eq!(v["event"]["query"], json!({"name": "Ann Lee"}));
    assert_eq!(v["event"]["body"], "hi there");
    assert!(v["event"]["headers"].get("Host").is_none());
    assert_eq!(v["event"]["headers"]["Content-Type"], "text/plain");

    let r = send(addr, "HEAD", &format!("/lunar/fn/{id}"), &[], "").await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());

    let r = get(
        addr,
        &format!("/lunar/api/functions/{id}/executions"),
        &auth,
    )
    .await;
    assert_eq!(r.json()["pagination"]["total"], 2);
    let r = get(addr, &format!("/lunar/api/executions/{exec}/logs"), &auth).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "success");

    let r = send(addr, "OPTIONS", "/lunar/anything", &[], "").await;
    assert_eq!(r.status, 204);
    let r = get(addr, "/lunar/api/functions", &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, "{\"error\":\"Authentication required\"}\n");
}

/// The curl sequence of `examples/README.md`, replayed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_curl_sequence() {
    let h = Harness::new().await;
    let addr = serve(&h).await;
    let bearer = format!("Bearer {KEY}");
    let auth = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
    ];
    // curl -X POST $LUNAR/api/functions -H "Authorization: Bearer $KEY" -d '{...}'
    let r = send(
        addr,
        "POST",
        "/lunar/api/functions",
        &auth,
        r#"{"name":"hello","code":"export function handler(ctx, event) { log.info('hi'); return { statusCode: 200, body: 'Hello, ' + (event.query.name || 'world') }; }"}"#,
    )
    .await;
    assert_eq!(r.status, 201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    // curl "$LUNAR/fn/$ID?name=Lunar"
    let r = get(addr, &format!("/lunar/fn/{id}?name=Lunar"), &[]).await;
    assert_eq!(r.status, 200);
    let exec = r.header("x-execution-id").unwrap().to_owned();
    // curl "$LUNAR/api/functions/$ID/executions" -H "Authorization: Bearer $KEY"
    let r = get(
        addr,
        &format!("/lunar/api/functions/{id}/executions"),
        &auth,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["executions"][0]["id"], exec.as_str());
    // curl "$LUNAR/api/executions/$EXEC/logs" -H "Authorization: Bearer $KEY"
    let r = get(addr, &format!("/lunar/api/executions/{exec}/logs"), &auth).await;
    assert_eq!(r.status, 200);
    assert!(r.json()["logs"].is_array());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_disconnect_is_recorded() {
    let h = Harness::new().await;
    let addr = serve(&h).await;
    let id = h.create("slow", "c").await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request(addr, "GET", &format!("/lunar/fn/{id}/sleep"), &[], "").as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(s);
    let mut status = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let v = h.get_json(&format!("/api/functions/{id}/executions")).await;
        if let Some(e) = v["executions"].get(0)
            && e["status"] != "pending"
        {
            assert_eq!(e["error_message"], "client disconnected");
            status = e["status"].as_str().unwrap().to_owned();
            break;
        }
    }
    assert_eq!(status, "error");
}
