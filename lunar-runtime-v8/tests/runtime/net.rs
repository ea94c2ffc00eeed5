//! Outbound HTTP (`http`, `fetch`, `ai.chat`, `email.send`) against real servers on
//! loopback, through the reqwest client and its network policy.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode};
use lunar_core::model::{CallStatus, Page, PageRequest};
use lunar_core::{HttpClient, Stores};
use lunar_runtime_v8::{ClientOptions, NetworkPolicy, ReqwestClient};
use serde_json::{Value, json};

use crate::harness::{RunOpts, run, stores};

/// One request the upstream saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// A scripted upstream on 127.0.0.1.
struct Upstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn last(&self) -> Seen {
        self.seen().pop().expect("a request reached the upstream")
    }

    /// [`opts`] for this upstream with the default client.
    fn opts(&self) -> RunOpts {
        self.opts_with(&[])
    }

    /// [`Upstream::opts`] with the environment variables `vars` added.
    fn opts_with(&self, vars: &[(&str, &str)]) -> RunOpts {
        let mut o = opts(&self.base(), client());
        for (k, v) in vars {
            o.env.insert((*k).into(), (*v).into());
        }
        o
    }
}

fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> Response<Body> {
    let mut b = Response::builder().status(StatusCode::from_u16(status).unwrap());
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(body.into()).unwrap()
}

fn reply_json(status: u16, body: impl Into<Body>) -> Response<Body> {
    reply(status, &[("content-type", "application/json")], body)
}

fn query_param(uri: &axum::http::Uri, key: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.to_owned())
    })
}

async fn route(parts: axum::http::request::Parts, body: Vec<u8>) -> Response<Body> {
    let path = parts.uri.path().to_owned();
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(code) = path.strip_prefix("/status/") {
        return reply(code.parse().unwrap(), &[], format!("status {code}"));
    }
    if let Some(n) = path.strip_prefix("/redirect/") {
        let n: u32 = n.parse().unwrap();
        let to = if n == 0 {
            "/echo".to_owned()
        } else {
            format!("/redirect/{}", n - 1)
        };
        return reply(302, &[("location", &to)], "");
    }
    match path.as_str() {
        "/echo" => {
            let headers: BTreeMap<String, String> = parts
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
                .collect();
            let v = json!({
                "method": parts.method.as_str(),
                "uri": parts.uri.to_string(),
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            });
            reply(
                200,
                &[
                    ("content-type", "application/json"),
                    ("x-echo", "1"),
                    ("x-echo", "2"),
                ],
                v.to_string(),
            )
        }
        "/redirect-to" => {
            let to = query_param(&parts.uri, "url").unwrap();
            let to = to.replace("%3A", ":").replace("%2F", "/");
            reply(302, &[("location", &to)], "")
        }
        "/see-other" => reply(303, &[("location", "/echo")], ""),
        "/moved" => reply(301, &[("location", "/echo")], ""),
        "/temporary" => reply(307, &[("location", "/echo")], ""),
        "/loop" => reply(302, &[("location", "/loop")], ""),
        "/slow" => {
            let ms: u64 = query_param(&parts.uri, "ms").unwrap().parse().unwrap();
            tokio::time::sleep(Duration::from_millis(ms)).await;
            reply(200, &[], "slow")
        }
        "/big" => {
            let n: usize = query_param(&parts.uri, "n").unwrap().parse().unwrap();
            reply(200, &[], vec![b'x'; n])
        }
        // A chunked body (no length) arriving in `n` parts `ms` apart: "part0,part1,...".
        "/drip" => {
            let n: u64 = query_param(&parts.uri, "n").unwrap().parse().unwrap();
            let ms: u64 = query_param(&parts.uri, "ms").unwrap().parse().unwrap();
            let chunks = futures_util::stream::unfold(0, move |i| async move {
                if i == n {
                    return None;
                }
                if i > 0 {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                let sep = if i + 1 == n { "" } else { "," };
                Some((Ok::<_, std::io::Error>(format!("part{i}{sep}")), i + 1))
            });
            Response::new(Body::from_stream(chunks))
        }
        "/bytes" => reply(
            200,
            &[("content-type", "application/octet-stream")],
            vec![0xff, 0x00, 0x41],
        ),
        "/cookies" => reply(200, &[("set-cookie", "a=1"), ("set-cookie", "b=2")], "ok"),
        "/utf8-header" => reply(200, &[("x-name", "café ☕")], "ok"),
        // Fake OpenAI.
        "/v1/chat/completions" => {
            let model = req["model"].as_str().unwrap_or_default();
            match model {
                "broken" => reply_json(500, r#"{"error":{"message":"model is broken"}}"#),
                "empty" => reply_json(200, r#"{"model":"empty","choices":[]}"#),
                "garbage" => reply(200, &[], "not json"),
                _ => reply_json(
                    200,
                    json!({
                        "model": format!("{model}-2024"),
                        "choices": [{"message": {"role": "assistant", "content": "Hello from OpenAI"}}],
                        "usage": {"prompt_tokens": 11, "completion_tokens": 7},
                    })
                    .to_string(),
                ),
            }
        }
        // Fake Anthropic.
        "/v1/messages" => {
            if req["model"] == "broken" {
                return reply_json(
                    400,
                    r#"{"type":"error","error":{"type":"invalid_request_error","message":"bad model"}}"#,
                );
            }
            if req["model"] == "empty" {
                return reply_json(200, r#"{"model":"empty","content":[]}"#);
            }
            reply_json(
                200,
                json!({
                    "model": req["model"],
                    "content": [{"type": "text", "text": "Hello "}, {"type": "tool_use"}, {"type": "text", "text": "from Claude"}],
                    "usage": {"input_tokens": 5, "output_tokens": 3},
                })
                .to_string(),
            )
        }
        // Fake Resend.
        "/emails" => {
            if req["subject"] == "fail" {
                return reply_json(
                    422,
                    r#"{"statusCode":422,"message":"Invalid `to` field","name":"validation_error"}"#,
                );
            }
            if req["subject"] == "fail-plain" {
                return reply(503, &[], "down");
            }
            reply_json(200, r#"{"id":"email-123"}"#)
        }
        _ => reply(404, &[], "not found"),
    }
}

async fn upstream() -> Upstream {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rec = seen.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let rec = rec.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap()
                .to_vec();
            rec.lock().unwrap().push(Seen {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                headers: parts.headers.clone(),
                body: body.clone(),
            });
            route(parts, body).await
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Upstream { addr, seen }
}

fn client_with(options: ClientOptions) -> Arc<dyn HttpClient> {
    Arc::new(ReqwestClient::new(options).unwrap())
}

fn client() -> Arc<dyn HttpClient> {
    client_with(ClientOptions::default())
}

fn opts(base: &str, http: Arc<dyn HttpClient>) -> RunOpts {
    let mut o = RunOpts {
        http: Some(http),
        ..RunOpts::default()
    };
    o.env.insert("BASE".into(), base.into());
    o
}

/// Runs `body` (the inside of an async function; `B` is the upstream's base URL) and
/// returns `{"ok": <returned value>}` or `{"err": "<name>: <message>"}`.
async fn js(body: &str, opts: RunOpts) -> Value {
    js_run(body, opts).await.0
}

/// [`js`], with the execution id.
async fn js_run(body: &str, opts: RunOpts) -> (Value, String) {
    let code = format!(
        "async function handler() {{\n  const B = env.get(\"BASE\");\n  try {{\n    const r = await (async () => {{ {body} }})();\n    return {{ body: JSON.stringify({{ ok: r === undefined ? null : r }}) }};\n  }} catch (e) {{\n    return {{ body: JSON.stringify({{ err: String(e && e.name) + \": \" + String(e && e.message) }}) }};\n  }}\n}}\n"
    );
    let out = run(&code, opts).await;
    let resp = out.result.unwrap_or_else(|e| panic!("run failed: {e:?}"));
    (
        serde_json::from_slice(resp.body.as_bytes()).unwrap(),
        out.execution.id,
    )
}

/// [`js_run`], with the first page of the execution's rows that `list` reads.
async fn js_tracked<T>(
    body: &str,
    opts: RunOpts,
    list: impl AsyncFnOnce(&Stores, &str, PageRequest) -> lunar_core::Result<Page<T>>,
) -> (Value, Vec<T>) {
    let (v, id) = js_run(body, opts).await;
    let rows = list(&stores().await, &id, PageRequest::new(100, 0))
        .await
        .unwrap()
        .items;
    (v, rows)
}

fn err(v: &Value) -> &str {
    v["err"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {v}"))
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

// --- http ---------------------------------------------------------------------------------

#[tokio::test]
async fn http_get_sends_headers_and_sorted_query() {
    let up = upstream().await;
    let v = js(
        r#"return await http.get(B + "/echo?z=1&c=a%20b", { headers: { "X-Test": "yes", "X-Num": 5 }, query: { b: "x y", a: [1, "2"] }, body: "ignored" });"#,
        up.opts(),
    )
    .await;
    let r = &v["ok"];
    assert_eq!(r["statusCode"], 200);
    assert_eq!(r["headers"]["Content-Type"], "application/json");
    assert_eq!(r["headers"]["X-Echo"], "1", "first value only");
    let seen = up.last();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.uri, "/echo?a=1&a=2&b=x+y&c=a+b&z=1");
    assert_eq!(seen.header("x-test"), Some("yes"));
    assert_eq!(seen.header("x-num"), Some("5"));
    assert_eq!(
        seen.header("user-agent"),
        Some(format!("lunar/{VERSION}").as_str())
    );
    assert!(seen.body.is_empty(), "get sends no body");
    let echoed: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(echoed["method"], "GET");
}

#[tokio::test]
async fn http_post_put_patch_delete_bodies() {
    let up = upstream().await;
    let o = || up.opts();
    let v = js(
        r#"return (await http.post(B + "/echo", { body: { k: 1, s: "é" } })).statusCode;"#,
        o(),
    )
    .await;
    assert_eq!(v["ok"], 200);
    let s = up.last();
    assert_eq!(s.method, "POST");
    assert_eq!(s.header("content-type"), Some("application/json"));
    assert_eq!(s.json(), json!({"k": 1, "s": "é"}));

    js(r#"await http.put(B + "/echo", { body: "plain text", headers: { "User-Agent": "mine" } });"#, o()).await;
    let s = up.last();
    assert_eq!(
        (s.method.as_str(), s.body.as_slice()),
        ("PUT", b"plain text".as_slice())
    );
    assert_eq!(
        s.header("content-type"),
        None,
        "no Content-Type for strings"
    );
    assert_eq!(s.header("user-agent"), Some("mine"));

    js(r#"await http.patch(B + "/echo", { body: [1, 2], headers: { "content-type": "text/x-json" } });"#, o()).await;
    let s = up.last();
    assert_eq!(
        (s.method.as_str(), s.body.as_slice()),
        ("PATCH", b"[1,2]".as_slice())
    );
    assert_eq!(s.header("content-type"), Some("text/x-json"));

    js(
        r#"await http.delete(B + "/echo", { body: new Uint8Array([0, 255, 7]) });"#,
        o(),
    )
    .await;
    let s = up.last();
    assert_eq!(
        (s.method.as_str(), s.body.as_slice()),
        ("DELETE", [0u8, 255, 7].as_slice())
    );

    js(
        r#"await http.request({ url: B + "/echo", method: "post", body: 42, timeoutMs: "5000" });"#,
        o(),
    )
    .await;
    let s = up.last();
    assert_eq!(
        (s.method.as_str(), s.body.as_slice()),
        ("POST", b"42".as_slice())
    );

    js(r#"await http.request({ url: B + "/echo" });"#, o()).await;
    assert_eq!(up.last().method, "GET");
}

#[tokio::test]
async fn http_non_2xx_statuses_are_results() {
    let up = upstream().await;
    let v = js(
        r#"const a = await http.get(B + "/status/404"); const b = await http.post(B + "/status/503");
           return [a.statusCode, a.body, b.statusCode, b.body];"#,
        up.opts(),
    )
    .await;
    assert_eq!(v["ok"], json!([404, "status 404", 503, "status 503"]));
}

#[tokio::test]
async fn http_argument_and_request_errors() {
    let up = upstream().await;
    let o = || up.opts();
    for (code, want) in [
        (
            "await http.get();",
            "TypeError: http.get: argument 1 (url) must be a string, got undefined",
        ),
        (
            "await http.post(B, \"x\");",
            "TypeError: http.post: argument 2 (options) must be an object, got string",
        ),
        (
            "await http.get(B, { headers: [] });",
            "TypeError: http.get: argument 2 (options.headers) must be an object, got array",
        ),
        (
            "await http.get(B, { timeoutMs: \"soon\" });",
            "TypeError: http.get: argument 2 (options.timeoutMs) must be an integer, got string",
        ),
        (
            "await http.request();",
            "TypeError: http.request: argument 1 (options) must be an object, got undefined",
        ),
        (
            "await http.request({});",
            "TypeError: http.request: argument 1 (options.url) must be a string, got undefined",
        ),
        (
            "await http.get(\"not a url\");",
            "Error: failed to parse URL: parse \"not a url\": relative URL without a base",
        ),
        (
            "await http.get(\"ftp://example.com/x\");",
            "Error: HTTP request failed: unsupported protocol scheme \"ftp\"",
        ),
        (
            "await http.get(B, { headers: { \"Bad Name\": \"x\" } });",
            "Error: failed to create request: net/http: invalid header field name \"Bad Name\"",
        ),
        (
            "await http.request({ url: B, method: \"BAD METHOD\" });",
            "Error: failed to create request: net/http: invalid method \"BAD METHOD\"",
        ),
    ] {
        assert_eq!(err(&js(code, o()).await), want, "{code}");
    }
    // Connection refused: a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let v = js(&format!("await http.get(\"http://{closed}/\");"), o()).await;
    assert!(err(&v).starts_with("Error: HTTP request failed: "), "{v}");
}

#[tokio::test]
async fn http_follows_redirects_with_browser_method_rules() {
    let up = upstream().await;
    let o = || up.opts();
    let v = js(r#"const r = await http.get(B + "/redirect/3"); return [r.statusCode, JSON.parse(r.body).uri];"#, o()).await;
    assert_eq!(v["ok"], json!([200, "/echo"]));
    assert_eq!(up.seen().len(), 5);
    // 303 and 301/302 turn a POST into a body-less GET; 307 keeps both.
    for (path, method, body) in [
        ("/see-other", "GET", ""),
        ("/moved", "GET", ""),
        ("/temporary", "POST", "data"),
    ] {
        let v = js(&format!(r#"const r = await http.post(B + "{path}", {{ body: "data" }}); return JSON.parse(r.body);"#), o()).await;
        assert_eq!(
            (
                v["ok"]["method"].as_str().unwrap(),
                v["ok"]["body"].as_str().unwrap()
            ),
            (method, body),
            "{path}"
        );
    }
    let v = js(r#"await http.get(B + "/loop");"#, o()).await;
    assert_eq!(
        err(&v),
        "Error: HTTP request failed: stopped after 10 redirects"
    );
    assert_eq!(up.seen().iter().filter(|s| s.uri == "/loop").count(), 11);
}

#[tokio::test]
async fn http_redirect_to_a_denied_address_is_refused() {
    let up = upstream().await;
    let v = js(
        r#"await http.get(B + "/redirect-to?url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data");"#,
        up.opts(),
    )
    .await;
    assert_eq!(
        err(&v),
        "Error: HTTP request failed: 169.254.169.254 resolves to 169.254.169.254, which the network policy does not allow"
    );
    // A redirect from an allowed public-looking hop back to loopback under deny-private.
    let policy = NetworkPolicy::default()
        .deny_private_networks(true)
        .allow("127.0.0.1/32");
    let strict = client_with(ClientOptions::default().with_policy(policy.deny("localhost")));
    let v = js(
        &format!(
            r#"await http.get(B + "/redirect-to?url=http%3A%2F%2Flocalhost%3A{}%2Fecho");"#,
            up.addr.port()
        ),
        opts(&up.base(), strict),
    )
    .await;
    assert!(
        err(&v).starts_with("Error: HTTP request failed: localhost resolves to "),
        "{v}"
    );
    assert!(
        err(&v).ends_with(", which the network policy does not allow"),
        "{v}"
    );
}

#[tokio::test]
async fn http_timeout_fails_the_call_not_the_execution() {
    let up = upstream().await;
    let start = Instant::now();
    let v = js(
        r#"await http.get(B + "/slow?ms=3000", { timeoutMs: 200 });"#,
        up.opts(),
    )
    .await;
    assert_eq!(
        err(&v),
        "Error: HTTP request failed: request timed out after 200 ms"
    );
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        start.elapsed()
    );
    // The client's default timeout applies without timeoutMs.
    let short =
        client_with(ClientOptions::default().with_default_timeout(Duration::from_millis(300)));
    let v = js(
        r#"await http.get(B + "/slow?ms=3000");"#,
        opts(&up.base(), short),
    )
    .await;
    assert_eq!(
        err(&v),
        "Error: HTTP request failed: request timed out after 300 ms"
    );
}

#[tokio::test]
async fn an_execution_ending_drops_its_request() {
    let up = upstream().await;
    let mut o = up.opts();
    o.limits = o.limits.with_timeout(Duration::from_millis(300));
    let start = Instant::now();
    let out = run(r#"async function handler() { await http.get(env.get("BASE") + "/slow?ms=5000"); return {}; }"#, o).await;
    assert_eq!(
        out.result.unwrap_err().message,
        "execution timed out after 300 ms"
    );
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn http_response_body_is_capped() {
    let up = upstream().await;
    let small = || client_with(ClientOptions::default().with_max_body_bytes(1000));
    let v = js(
        r#"return (await http.get(B + "/big?n=1000")).body.length;"#,
        opts(&up.base(), small()),
    )
    .await;
    assert_eq!(v["ok"], 1000);
    let v = js(
        r#"await http.get(B + "/big?n=1001");"#,
        opts(&up.base(), small()),
    )
    .await;
    assert_eq!(
        err(&v),
        "Error: failed to read response body: response body exceeds 1000 bytes"
    );
    let v = js(
        r#"await fetch(B + "/big?n=5000");"#,
        opts(&up.base(), small()),
    )
    .await;
    assert_eq!(
        err(&v),
        "TypeError: fetch failed: response body exceeds 1000 bytes"
    );
}

#[tokio::test]
async fn network_policy_defaults_deny_private_and_allow_lists() {
    let up = upstream().await;
    let v = js(
        r#"await http.get("http://169.254.169.254/latest/meta-data/");"#,
        up.opts(),
    )
    .await;
    assert_eq!(
        err(&v),
        "Error: HTTP request failed: 169.254.169.254 resolves to 169.254.169.254, which the network policy does not allow"
    );
    for (url, shown) in [
        (
            "http://[::ffff:169.254.169.254]/",
            "[::ffff:a9fe:a9fe] resolves to ::ffff:169.254.169.254",
        ),
        ("http://224.0.0.1/", "224.0.0.1 resolves to 224.0.0.1"),
    ] {
        let v = js(&format!("await http.get({url:?});"), up.opts()).await;
        assert_eq!(
            err(&v),
            format!("Error: HTTP request failed: {shown}, which the network policy does not allow")
        );
    }
    // Loopback is allowed by default...
    let v = js(
        r#"return (await http.get(B + "/status/204")).statusCode;"#,
        up.opts(),
    )
    .await;
    assert_eq!(v["ok"], 204);
    let reached = up.seen().len();
    // ...denied with deny-private, by address and by name...
    let deny = || {
        client_with(
            ClientOptions::default()
                .with_policy(NetworkPolicy::default().deny_private_networks(true)),
        )
    };
    let v = js(r#"await http.get(B + "/echo");"#, opts(&up.base(), deny())).await;
    assert_eq!(
        err(&v),
        "Error: HTTP request failed: 127.0.0.1 resolves to 127.0.0.1, which the network policy does not allow"
    );
    let by_name = format!("http://localhost:{}/echo", up.addr.port());
    let v = js(
        &format!("await http.get({by_name:?});"),
        opts(&up.base(), deny()),
    )
    .await;
    assert!(
        err(&v).starts_with("Error: HTTP request failed: localhost resolves to "),
        "{v}"
    );
    let v = js(
        &format!("await fetch({by_name:?});"),
        opts(&up.base(), deny()),
    )
    .await;
    assert!(
        err(&v).starts_with("TypeError: fetch failed: localhost resolves to "),
        "{v}"
    );
    assert_eq!(up.seen().len(), reached, "nothing reached the upstream");
    // ...and an allow list overrides the class.
    let allowed = client_with(
        ClientOptions::default().with_policy(
            NetworkPolicy::default()
                .deny_private_networks(true)
                .allow("127.0.0.0/8"),
        ),
    );
    let v = js(
        r#"return (await http.get(B + "/status/200")).statusCode;"#,
        opts(&up.base(), allowed),
    )
    .await;
    assert_eq!(v["ok"], 200);
    // A deny list wins over the default.
    let denied = client_with(
        ClientOptions::default().with_policy(NetworkPolicy::default().deny("127.0.0.1")),
    );
    let v = js(
        r#"await http.get(B + "/status/200");"#,
        opts(&up.base(), denied),
    )
    .await;
    assert!(
        err(&v).ends_with("which the network policy does not allow"),
        "{v}"
    );
}

#[tokio::test]
async fn without_a_client_calls_fail() {
    let up = upstream().await;
    let mut o = up.opts();
    o.http = None;
    let v = js(r#"await http.get(B);"#, o).await;
    assert_eq!(
        err(&v),
        "Error: HTTP request failed: outbound HTTP is not configured"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_executions_await_a_one_second_upstream() {
    let up = upstream().await;
    let http = client();
    let code = r#"async function handler() { const r = await http.get(env.get("BASE") + "/slow?ms=1000"); return { body: r.body }; }"#;
    let start = Instant::now();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let o = opts(&up.base(), http.clone());
            tokio::spawn(async move { run(code, o).await })
        })
        .collect();
    for t in tasks {
        let out = t.await.unwrap();
        assert_eq!(out.result.unwrap().body.as_bytes(), b"slow");
    }
    let took = start.elapsed();
    eprintln!("50 x 1 s upstream: {took:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(up.seen().len(), 50);
}

// --- fetch --------------------------------------------------------------------------------

#[tokio::test]
async fn fetch_reads_status_headers_and_bodies() {
    let up = upstream().await;
    let o = || up.opts();
    let v = js(
        r#"const r = await fetch(B + "/echo?q=1", { method: "post", headers: { "X-A": "1" }, body: "hello" });
           const j = await r.json();
           let again = null;
           try { await r.text(); } catch (e) { again = e.name + ": " + e.message; }
           return { status: r.status, ok: r.ok, statusText: r.statusText, url: r.url, redirected: r.redirected,
                    ct: r.headers.get("content-type"), echo: r.headers.get("X-Echo"), used: r.bodyUsed, j, again };"#,
        o(),
    )
    .await;
    let r = &v["ok"];
    assert_eq!(r["status"], 200);
    assert_eq!(r["ok"], true);
    assert_eq!(r["statusText"], "OK");
    assert_eq!(r["url"], format!("{}/echo?q=1", up.base()));
    assert_eq!(r["redirected"], false);
    assert_eq!(r["ct"], "application/json");
    assert_eq!(r["echo"], "1, 2");
    assert_eq!(r["used"], true);
    assert_eq!(r["j"]["method"], "POST");
    assert_eq!(r["j"]["body"], "hello");
    assert_eq!(
        r["again"],
        "TypeError: Body is unusable: Body has already been read"
    );
    let s = up.last();
    assert_eq!(s.header("x-a"), Some("1"));
    assert_eq!(s.header("content-type"), Some("text/plain;charset=UTF-8"));

    let v = js(
        r#"const r = await fetch(B + "/bytes"); const b = new Uint8Array(await r.arrayBuffer());
           const n = await fetch(new URL(B + "/status/404"));
           const c = await fetch(new Request(B + "/cookies"));
           return { bytes: Array.from(b), status: n.status, ok: n.ok, text: await n.text(),
                    cookies: c.headers.getSetCookie(), keys: [...c.headers.keys()] };"#,
        o(),
    )
    .await;
    assert_eq!(v["ok"]["bytes"], json!([255, 0, 65]));
    assert_eq!(
        (v["ok"]["status"].clone(), v["ok"]["ok"].clone()),
        (json!(404), json!(false))
    );
    assert_eq!(v["ok"]["text"], "status 404");
    assert_eq!(v["ok"]["cookies"], json!(["a=1", "b=2"]));
    assert_eq!(
        v["ok"]["keys"],
        json!(["content-length", "date", "set-cookie", "set-cookie"])
    );

    let v = js(
        r#"const p = new URLSearchParams({ a: "x y", b: "2" });
           const r = await fetch(B + "/echo", { method: "PUT", body: p, headers: new Headers([["X-B", "2"]]) });
           return (await r.json()).body;"#,
        o(),
    )
    .await;
    assert_eq!(v["ok"], "a=x+y&b=2");
    let s = up.last();
    assert_eq!(
        s.header("content-type"),
        Some("application/x-www-form-urlencoded;charset=UTF-8")
    );
    assert_eq!(s.header("x-b"), Some("2"));
}

#[tokio::test]
async fn fetch_redirect_modes_and_failures() {
    let up = upstream().await;
    let o = || up.opts();
    let v = js(
        r#"const r = await fetch(B + "/redirect/2"); return [r.status, r.redirected, r.url];"#,
        o(),
    )
    .await;
    assert_eq!(v["ok"], json!([200, true, format!("{}/echo", up.base())]));
    let v = js(
        r#"const r = await fetch(B + "/redirect/2", { redirect: "manual" }); return [r.status, r.redirected, r.headers.get("location")];"#,
        o(),
    )
    .await;
    assert_eq!(v["ok"], json!([302, false, "/redirect/1"]));
    let v = js(
        r#"await fetch(B + "/redirect/2", { redirect: "error" });"#,
        o(),
    )
    .await;
    assert_eq!(err(&v), "TypeError: fetch failed: unexpected redirect");
    for (code, want) in [
        (
            r#"await fetch("http://169.254.169.254/");"#,
            "TypeError: fetch failed: 169.254.169.254 resolves to 169.254.169.254, which the network policy does not allow",
        ),
        (
            r#"await fetch("nope");"#,
            "TypeError: Failed to construct 'Request': Invalid URL 'nope'",
        ),
        (
            r#"await fetch("http://user:pw@example.com/");"#,
            "TypeError: Failed to construct 'Request': Request cannot be constructed from a URL that includes credentials: http://user:pw@example.com/",
        ),
        (
            r#"await fetch(B + "/slow?ms=2000", { redirect: "sideways" });"#,
            "TypeError: Failed to construct 'Request': The provided value 'sideways' is not a valid enum value of type RequestRedirect.",
        ),
        (
            r#"await fetch(B + "/loop");"#,
            "TypeError: fetch failed: stopped after 10 redirects",
        ),
    ] {
        assert_eq!(err(&js(code, o()).await), want, "{code}");
    }
}

#[tokio::test]
async fn headers_request_and_response_objects() {
    let v = js(
        r#"const h = new Headers({ "Content-Type": "text/plain" });
           h.append("X-Multi", "a"); h.append("x-multi", "b"); h.set("X-One", " 1 ");
           const seen = []; h.forEach((v, k) => seen.push(k + "=" + v));
           const has = [h.has("content-type"), h.has("nope")]; h.delete("Content-Type");
           const req = new Request("https://example.com/a?b=1", { method: "post", body: JSON.stringify({ x: 1 }) });
           const r = Response.json({ a: 1 }, { status: 201, headers: { "X-A": "1" } });
           let bad = null; try { new Response("x", { status: 99 }); } catch (e) { bad = e.name; }
           return { seen, has, after: [...h], method: req.method, url: req.url, reqBody: await req.json(),
                    status: r.status, ct: r.headers.get("content-type"), xa: r.headers.get("x-a"), body: await r.text(), bad,
                    empty: await new Response().text(), tag: String(h) };"#,
        RunOpts::default(),
    )
    .await;
    let r = &v["ok"];
    assert_eq!(
        r["seen"],
        json!(["content-type=text/plain", "x-multi=a, b", "x-one=1"])
    );
    assert_eq!(r["has"], json!([true, false]));
    assert_eq!(r["after"], json!([["x-multi", "a, b"], ["x-one", "1"]]));
    assert_eq!(
        (r["method"].as_str(), r["url"].as_str()),
        (Some("POST"), Some("https://example.com/a?b=1"))
    );
    assert_eq!(r["reqBody"], json!({"x": 1}));
    assert_eq!(
        (r["status"].clone(), r["ct"].clone(), r["xa"].clone()),
        (json!(201), json!("application/json"), json!("1"))
    );
    assert_eq!(r["body"], r#"{"a":1}"#);
    assert_eq!(r["bad"], "RangeError");
    assert_eq!(r["empty"], "");
    assert_eq!(r["tag"], "[object Headers]");
}

#[tokio::test]
async fn a_handler_may_return_a_response() {
    let out = run(
        r#"function handler() { const h = new Headers({ "X-A": "1" }); h.append("Set-Cookie", "a=1"); h.append("Set-Cookie", "b=2");
             return new Response("created", { status: 201, headers: h }); }"#,
        RunOpts::default(),
    )
    .await;
    let r = out.result.unwrap();
    assert_eq!(r.status_code, 201);
    assert_eq!(r.body.as_bytes(), b"created");
    let h = serde_json::to_value(&r.headers).unwrap();
    assert_eq!(h["x-a"], "1");
    assert_eq!(h["set-cookie"], json!(["a=1", "b=2"]));
    assert_eq!(h["content-type"], "text/plain;charset=UTF-8");

    let out = run(
        r#"async function handler() { return Response.json({ ok: true }, { status: 202 }); }"#,
        RunOpts::default(),
    )
    .await;
    let r = out.result.unwrap();
    assert_eq!(
        (r.status_code, r.body.as_bytes()),
        (202, br#"{"ok":true}"#.as_slice())
    );
    let out = run(
        r#"function handler() { return new Response(new Uint8Array([1, 2, 3])); }"#,
        RunOpts::default(),
    )
    .await;
    let r = out.result.unwrap();
    assert_eq!(
        (r.status_code, r.body.as_bytes()),
        (200, [1u8, 2, 3].as_slice())
    );
    // A plain object with Headers.
    let out = run(r#"function handler() { return { statusCode: 200, headers: new Headers({ "X-B": 2 }), body: "x" }; }"#, RunOpts::default()).await;
    let h = serde_json::to_value(&out.result.unwrap().headers).unwrap();
    assert_eq!(h["x-b"], "2");
}

// --- ai.chat ------------------------------------------------------------------------------

fn ai_opts(up: &Upstream) -> RunOpts {
    up.opts_with(&[
        ("OPENAI_API_KEY", "sk-openai-test"),
        ("OPENAI_ENDPOINT", &format!("{}/v1", up.base())),
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_ENDPOINT", &up.base()),
    ])
}

/// Runs `body` and returns its value and the execution's AI rows.
async fn js_ai(body: &str, opts: RunOpts) -> (Value, Vec<lunar_core::model::AiRequest>) {
    js_tracked(body, opts, async |s, id, page| s.ai.list(id, page).await).await
}

#[tokio::test]
async fn ai_chat_openai_on_the_wire() {
    let up = upstream().await;
    let (v, rows) = js_ai(
        r#"return await ai.chat({ provider: "openai", model: "gpt-4o", max_tokens: 50, maxTokens: 100, temperature: 0.5,
             messages: [{ role: "system", content: "Be brief" }, { role: "user", content: "Hi" }, { role: "", content: "x" }, "junk", { role: "user", content: 7 }] });"#,
        ai_opts(&up),
    )
    .await;
    assert_eq!(
        v["ok"],
        json!({"content": "Hello from OpenAI", "model": "gpt-4o-2024",
               "usage": {"inputTokens": 11, "outputTokens": 7, "input_tokens": 11, "output_tokens": 7}})
    );
    let s = up.last();
    assert_eq!(
        (s.method.as_str(), s.uri.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(s.header("authorization"), Some("Bearer sk-openai-test"));
    assert_eq!(s.header("content-type"), Some("application/json"));
    assert_eq!(
        s.json(),
        json!({"model": "gpt-4o", "max_tokens": 100, "temperature": 0.5,
               "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}, {"role": "user", "content": "7"}]})
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, CallStatus::Success);
    assert_eq!(
        (rows[0].provider.as_str(), rows[0].model.as_str()),
        ("openai", "gpt-4o")
    );
    assert_eq!(
        rows[0].endpoint,
        format!("{}/v1/chat/completions", up.base())
    );
    assert_eq!(
        (rows[0].input_tokens, rows[0].output_tokens),
        (Some(11), Some(7))
    );
}

#[tokio::test]
async fn ai_chat_anthropic_on_the_wire() {
    let up = upstream().await;
    let (v, rows) = js_ai(
        r#"return await ai.chat({ provider: "anthropic", model: "claude-3",
             messages: [{ role: "system", content: "One" }, { role: "user", content: "Hi" }, { role: "system", content: "Two" }] });"#,
        ai_opts(&up),
    )
    .await;
    assert_eq!(v["ok"]["content"], "Hello from Claude");
    assert_eq!(
        v["ok"]["usage"],
        json!({"inputTokens": 5, "outputTokens": 3, "input_tokens": 5, "output_tokens": 3})
    );
    let s = up.last();
    assert_eq!(s.uri, "/v1/messages");
    assert_eq!(s.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(s.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        s.json(),
        json!({"model": "claude-3", "max_tokens": 1024, "system": "Two", "messages": [{"role": "user", "content": "Hi"}]})
    );
    assert_eq!(rows.len(), 1);
}

#[tokio::test]
async fn ai_chat_errors() {
    let up = upstream().await;
    let msgs = r#"[{ role: "user", content: "Hi" }]"#;
    // TypeErrors: before any call, not tracked.
    for (code, want) in [
        ("await ai.chat({});".to_owned(), "TypeError: provider is required (openai or anthropic)"),
        ("await ai.chat({ provider: \"openai\" });".to_owned(), "TypeError: model is required"),
        ("await ai.chat({ provider: \"openai\", model: \"m\", messages: \"hi\" });".to_owned(), "TypeError: messages is required and must be an array"),
        ("await ai.chat({ provider: \"openai\", model: \"m\", messages: [{ role: \"user\", content: \"\" }, null] });".to_owned(), "TypeError: messages cannot be empty"),
        ("await ai.chat(\"x\");".to_owned(), "TypeError: ai.chat: argument 1 (options) must be an object, got string"),
    ] {
        let (v, rows) = js_ai(&code, ai_opts(&up)).await;
        assert_eq!(err(&v), want, "{code}");
        assert!(rows.is_empty(), "{code}: not tracked");
    }
    assert!(up.seen().is_empty());
    // Provider-call failures: each tracked once.
    let mut no_key = ai_opts(&up);
    no_key.env.remove("OPENAI_API_KEY");
    no_key.env.remove("ANTHROPIC_API_KEY");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for (provider, model, o, want) in [
        (
            "mistral",
            "m",
            ai_opts(&up),
            "Error: unsupported provider: mistral (use openai or anthropic)",
        ),
        (
            "openai",
            "m",
            no_key.clone(),
            "Error: OPENAI_API_KEY not set in function environment",
        ),
        (
            "anthropic",
            "m",
            no_key,
            "Error: ANTHROPIC_API_KEY not set in function environment",
        ),
        (
            "openai",
            "broken",
            ai_opts(&up),
            "Error: OpenAI API error: model is broken",
        ),
        (
            "anthropic",
            "broken",
            ai_opts(&up),
            "Error: anthropic API error: bad model",
        ),
        (
            "openai",
            "empty",
            ai_opts(&up),
            "Error: no response from OpenAI",
        ),
        (
            "anthropic",
            "empty",
            ai_opts(&up),
            "Error: no response from Anthropic",
        ),
    ] {
        let code = format!(
            "await ai.chat({{ provider: {provider:?}, model: {model:?}, messages: {msgs} }});"
        );
        let (v, rows) = js_ai(&code, o).await;
        assert_eq!(err(&v), want, "{code}");
        assert_eq!(rows.len(), 1, "{code}: tracked once");
        assert_eq!(rows[0].status, CallStatus::Error);
        assert_eq!(
            rows[0].error_message.as_deref(),
            Some(&want["Error: ".len()..])
        );
    }
    let code =
        format!("await ai.chat({{ provider: \"openai\", model: \"garbage\", messages: {msgs} }});");
    let (v, rows) = js_ai(&code, ai_opts(&up)).await;
    assert!(
        err(&v).starts_with("Error: failed to parse response: "),
        "{v}"
    );
    assert_eq!(rows.len(), 1);
    let code = format!(
        "await ai.chat({{ provider: \"openai\", model: \"m\", endpoint: \"http://{closed}\", messages: {msgs} }});"
    );
    let (v, rows) = js_ai(&code, ai_opts(&up)).await;
    assert!(err(&v).starts_with("Error: HTTP request failed: "), "{v}");
    assert_eq!(
        rows[0].endpoint,
        format!("http://{closed}/chat/completions")
    );
}

// --- email.send ---------------------------------------------------------------------------

fn email_opts(up: &Upstream) -> RunOpts {
    up.opts_with(&[
        ("RESEND_API_KEY", " 're_test_key' "),
        ("RESEND_BASE_URL", &format!("{}/", up.base())),
    ])
}

/// Runs `body` and returns its value and the execution's e-mail rows.
async fn js_email(body: &str, opts: RunOpts) -> (Value, Vec<lunar_core::model::EmailRequest>) {
    js_tracked(body, opts, async |s, id, page| s.email.list(id, page).await).await
}

#[tokio::test]
async fn email_send_on_the_wire_and_tracked() {
    let up = upstream().await;
    let (v, rows) = js_email(
        r#"return await email.send({ from: "a@example.com", to: ["b@example.com", "", 5, null], subject: "Hi", text: "Body",
             reply_to: "old@example.com", replyTo: "r@example.com", cc: "c@example.com", bcc: [],
             headers: { "X-Entity": "1", token: "s3cret-value" }, tags: [{ name: "t", value: "v" }, { value: "dropped" }],
             scheduledAt: 1735732800 });"#,
        email_opts(&up),
    )
    .await;
    assert_eq!(v["ok"], json!({"id": "email-123"}));
    let s = up.last();
    assert_eq!((s.method.as_str(), s.uri.as_str()), ("POST", "/emails"));
    assert_eq!(s.header("authorization"), Some("Bearer re_test_key"));
    assert_eq!(s.header("content-type"), Some("application/json"));
    assert_eq!(s.header("accept"), Some("application/json"));
    assert_eq!(
        s.header("user-agent"),
        Some(format!("lunar/{VERSION}").as_str())
    );
    let body = s.json();
    assert_eq!(body["to"], json!(["b@example.com", "5"]));
    assert_eq!(body["reply_to"], "r@example.com");
    assert_eq!(body["cc"], json!(["c@example.com"]));
    assert!(body.get("bcc").is_none(), "{body}");
    assert_eq!(body["tags"], json!([{"name": "t", "value": "v"}]));
    assert_eq!(
        body["headers"]["token"], "s3cret-value",
        "the wire is not masked"
    );
    assert_eq!(body["scheduled_at"], "2025-01-01T12:00:00Z");
    assert_eq!(body["text"], "Body");
    assert!(body.get("html").is_none());
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.status, CallStatus::Success);
    assert_eq!(row.email_id.as_deref(), Some("email-123"));
    assert_eq!((row.has_text, row.has_html), (true, false));
    assert!(!row.request_json.contains("s3cret"), "{}", row.request_json);
    assert!(
        row.request_json.contains("[REDACTED]"),
        "{}",
        row.request_json
    );
}

#[tokio::test]
async fn email_send_errors() {
    let up = upstream().await;
    for (code, want) in [
        (
            r#"await email.send({ from: "a@x", subject: "s", text: "t" });"#,
            "TypeError: to is required",
        ),
        (
            r#"await email.send({ to: ["", null], from: "a@x" });"#,
            "TypeError: to cannot be empty",
        ),
        (
            r#"await email.send({ to: 5 });"#,
            "TypeError: to must be a string or array of strings",
        ),
        (
            r#"await email.send({ to: "b@x" });"#,
            "TypeError: from is required",
        ),
        (
            r#"await email.send({ to: "", from: "a@x" });"#,
            "TypeError: to is required",
        ),
        (
            r#"await email.send({ to: "b@x", from: "a@x" });"#,
            "TypeError: subject is required",
        ),
        (
            r#"await email.send({ to: "b@x", from: "a@x", subject: "s" });"#,
            "TypeError: either text or html content is required",
        ),
    ] {
        let (v, rows) = js_email(code, email_opts(&up)).await;
        assert_eq!(err(&v), want, "{code}");
        assert!(rows.is_empty(), "{code}: not tracked");
    }
    let ok = r#"to: "b@x", from: "a@x", html: "<p>h</p>""#;
    let (v, rows) = js_email(
        &format!("await email.send({{ {ok}, subject: \"fail\" }});"),
        email_opts(&up),
    )
    .await;
    assert_eq!(err(&v), "Error: [ERROR]: Invalid `to` field");
    assert_eq!((rows.len(), rows[0].status), (1, CallStatus::Error));
    let (v, _) = js_email(
        &format!("await email.send({{ {ok}, subject: \"fail-plain\" }});"),
        email_opts(&up),
    )
    .await;
    assert_eq!(err(&v), "Error: [ERROR]: Service Unavailable");
    let mut no_key = email_opts(&up);
    no_key.env.remove("RESEND_API_KEY");
    let (v, rows) = js_email(
        &format!("await email.send({{ {ok}, subject: \"s\", scheduled_at: \"tomorrow\" }});"),
        no_key,
    )
    .await;
    assert_eq!(
        err(&v),
        "Error: RESEND_API_KEY not set in function environment"
    );
    assert_eq!(rows.len(), 1, "a missing key is tracked");
    assert_eq!(rows[0].request_json, "");
    let (v, _) = js_email(
        &format!(
            "return await email.send({{ {ok}, subject: \"s\", scheduled_at: \"tomorrow\" }});"
        ),
        email_opts(&up),
    )
    .await;
    assert_eq!(v["ok"]["id"], "email-123", "{v}");
    assert_eq!(up.last().json()["scheduled_at"], "tomorrow");
}

// --- resource accounting ---------------------------------------------------------------

#[tokio::test]
async fn usage_of_an_io_heavy_execution_counts_calls_and_bytes_not_waiting() {
    let up = upstream().await;
    let mut o = up.opts();
    o.event.method = "POST".into();
    o.event.body = "x".repeat(1000);
    let code = r#"async function handler(ctx, event) {
        const B = env.get("BASE");
        await kv.set("k", "v");
        await kv.get("k");
        const r = await fetch(B + "/echo", { method: "POST", body: "y".repeat(5000) });
        const text = await r.text();
        const s = await http.get(B + "/status/200");
        await new Promise(r => setTimeout(r, 300));
        return { body: text + "|" + event.body.length + "|" + s.body };
    }"#;
    let out = run(code, o).await;
    let resp = out.result.as_ref().expect("ran");
    let u = out.execution.usage.expect("usage");
    eprintln!("io-heavy: {u:?}");
    assert_eq!((u.calls.http, u.calls.kv), (2, 2));
    assert_eq!((u.calls.ai, u.calls.email, u.calls.host), (0, 0, 0));
    assert_eq!(u.request_bytes, 1000);
    assert_eq!(u.response_bytes, resp.body.len() as u64);
    assert_eq!(u.outbound_sent_bytes, 5000, "the fetch body");
    // The echo (returned whole, before `|1000|status 200`) and `status 200`.
    let echoed = resp.body.len() - "|1000|status 200".len();
    assert_eq!(
        u.outbound_received_bytes,
        (echoed + "status 200".len()) as u64
    );
    // 300 ms of waiting and three round trips cost little CPU.
    let wall_us = u64::try_from(out.execution.duration_ms.expect("duration")).unwrap() * 1000;
    assert!(wall_us >= 300_000);
    assert!(
        u.cpu_time_us > 0 && u.cpu_time_us < wall_us / 2,
        "cpu {} µs of {wall_us} µs",
        u.cpu_time_us
    );
    assert!(u.peak_heap_bytes > 0);
}

#[tokio::test]
async fn usage_counts_ai_and_email_calls_and_their_traffic() {
    let up = upstream().await;
    let mut o = ai_opts(&up);
    o.env.insert("RESEND_API_KEY".into(), "re_test_key".into());
    o.env
        .insert("RESEND_BASE_URL".into(), format!("{}/", up.base()));
    let code = r#"async function handler() {
        await ai.chat({ provider: "openai", model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
        await ai.chat({ provider: "anthropic", model: "claude", messages: [{ role: "user", content: "Hi" }] });
        await email.send({ from: "a@example.com", to: "b@example.com", subject: "S", text: "T" });
        return { body: "sent" };
    }"#;
    let out = run(code, o).await;
    assert!(out.result.is_ok(), "{:?}", out.result);
    let u = out.execution.usage.expect("usage");
    assert_eq!((u.calls.ai, u.calls.email, u.calls.http), (2, 1, 0));
    // What the upstream received and answered, byte for byte.
    let sent: usize = up.seen().iter().map(|s| s.body.len()).sum();
    assert_eq!(u.outbound_sent_bytes, sent as u64);
    assert!(u.outbound_received_bytes > 0);
}

#[tokio::test]
async fn fetch_is_aborted_by_its_signal() {
    let up = upstream().await;
    let started = std::time::Instant::now();
    let v = js(
        r#"
        const out = {};
        const pre = AbortSignal.abort();
        try { await fetch(B + "/echo", { signal: pre }); } catch (e) { out.pre = e.name; }
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 50);
        try { await fetch(B + "/slow?ms=3000", { signal: ac.signal }); } catch (e) { out.aborted = e.name; }
        try { await fetch(B + "/slow?ms=3000", { signal: AbortSignal.timeout(80) }); } catch (e) { out.timeout = e.name; }
        const req = new Request(B + "/echo", { signal: ac.signal });
        out.requestSignal = req.signal.aborted;
        try { await fetch(req); } catch (e) { out.fromRequest = e.name; }
        const ok = await fetch(B + "/echo", { signal: new AbortController().signal });
        out.ok = ok.status;
        return out;
        "#,
        up.opts(),
    )
    .await;
    assert_eq!(
        v["ok"],
        json!({"pre": "AbortError", "aborted": "AbortError", "timeout": "TimeoutError",
               "requestSignal": true, "fromRequest": "AbortError", "ok": 200})
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "aborted at once, not after the upstream's 3 s"
    );
}

#[tokio::test]
async fn fetch_keeps_response_header_values_the_host_received() {
    let up = upstream().await;
    // Values from the network are not checked as a script's would be (a UTF-8 value is
    // not a byte string, but the response must still arrive).
    let v = js(
        r#"const r = await fetch(B + "/utf8-header"); return [r.status, r.headers.get("x-name")];"#,
        up.opts(),
    )
    .await;
    assert_eq!(v["ok"], json!([200, "café ☕"]));
}

#[tokio::test]
async fn fetch_sends_a_stream_body_and_reads_the_response_as_a_stream() {
    let up = upstream().await;
    let v = js(
        r#"const parts = ["str", "eamed ", "upload"];
           const body = new ReadableStream({ pull(c) { const p = parts.shift(); if (p === undefined) c.close(); else c.enqueue(new TextEncoder().encode(p)); } });
           const r = await fetch(B + "/echo", { method: "POST", body, duplex: "half" });
           const reader = r.body.getReader();
           const usedWhileLocked = r.bodyUsed;
           let text = "";
           const dec = new TextDecoder();
           for (;;) { const { value, done } = await reader.read(); if (done) break; text += dec.decode(value, { stream: true }); }
           let again = null;
           try { await r.text(); } catch (e) { again = e.name; }
           return { echoed: JSON.parse(text).body, usedWhileLocked, used: r.bodyUsed, again, uploadUsed: body.locked };"#,
        up.opts(),
    )
    .await;
    assert_eq!(
        v["ok"],
        json!({"echoed": "streamed upload", "usedWhileLocked": false, "used": true,
               "again": "TypeError", "uploadUsed": true})
    );
}

/// An upstream that answers `/frames` with the body's frames as they arrived:
/// `{"frames": [[ms since the first, text], ...], "te": <transfer-encoding>}`.
async fn frame_recorder() -> String {
    use futures_util::StreamExt;
    let app = axum::Router::new().fallback(|req: axum::extract::Request| async move {
        let te = req
            .headers()
            .get("transfer-encoding")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let mut data = req.into_body().into_data_stream();
        let mut first = None;
        let mut frames = Vec::new();
        while let Some(Ok(bytes)) = data.next().await {
            let t0 = *first.get_or_insert_with(Instant::now);
            frames.push(json!([
                t0.elapsed().as_millis() as u64,
                String::from_utf8_lossy(&bytes)
            ]));
        }
        reply_json(200, json!({"frames": frames, "te": te}).to_string())
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn fetch_streams_a_request_body_as_it_is_produced() {
    let base = frame_recorder().await;
    // Three chunks 300 ms apart: the upstream gets the first long before the last, so the
    // body was sent as it was produced, not read whole first.
    let v = js(
        r#"let i = 0;
           const body = new ReadableStream({ async pull(c) {
             if (i === 3) { c.close(); return; }
             if (i > 0) await new Promise((r) => setTimeout(r, 300));
             c.enqueue(new TextEncoder().encode("chunk" + i++));
           } });
           const r = await fetch(B + "/frames", { method: "POST", body, duplex: "half" });
           return await r.json();"#,
        opts(&base, client()),
    )
    .await;
    let frames = v["ok"]["frames"].as_array().expect("frames");
    let text: String = frames.iter().map(|f| f[1].as_str().unwrap()).collect();
    assert_eq!(text, "chunk0chunk1chunk2");
    assert_eq!(v["ok"]["te"], "chunked", "no length is known up front");
    let last_ms = frames.last().unwrap()[0].as_u64().unwrap();
    assert!(
        last_ms >= 450,
        "the first chunk arrived {last_ms} ms before the last: {v}"
    );
}

#[tokio::test]
async fn a_streamed_request_body_is_capped_and_fails_cleanly() {
    let up = upstream().await;
    let small = client_with(ClientOptions::default().with_max_body_bytes(1000));
    let v = js(
        r#"const out = {};
           const endless = () => new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(400)); } });
           try { await fetch(B + "/echo", { method: "POST", body: endless() }); out.capped = "sent"; }
           catch (e) { out.capped = e.name + ": " + e.message; }
           let n = 0;
           const failing = new ReadableStream({ pull(c) { if (n++ === 0) c.enqueue(new Uint8Array(10)); else c.error(new Error("disk gone")); } });
           try { await fetch(B + "/echo", { method: "POST", body: failing }); out.errored = "sent"; }
           catch (e) { out.errored = e.name + ": " + e.message; }
           const strings = new ReadableStream({ start(c) { c.enqueue("not bytes"); c.close(); } });
           try { await fetch(B + "/echo", { method: "POST", body: strings }); out.notBytes = "sent"; }
           catch (e) { out.notBytes = e.name + ": " + e.message; }
           const once = () => new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("once")); c.close(); } });
           try { await fetch(B + "/temporary", { method: "POST", body: once() }); out.temporary = "followed"; }
           catch (e) { out.temporary = e.name + ": " + e.message; }
           const seeOther = await (await fetch(B + "/see-other", { method: "POST", body: once() })).json();
           out.seeOther = [seeOther.method, seeOther.body];
           const locked = once();
           locked.getReader();
           try { await fetch(B + "/echo", { method: "POST", body: locked }); out.locked = "sent"; }
           catch (e) { out.locked = e.name; }
           try { new Request(B, { method: "POST", body: once(), duplex: "full" }); out.duplex = "accepted"; }
           catch (e) { out.duplex = e.name; }
           out.duplexHalf = new Request(B).duplex;
           const ok = await (await fetch(B + "/echo", { method: "PUT", body: once() })).json();
           out.ok = [ok.method, ok.body];
           return out;"#,
        opts(&up.base(), small),
    )
    .await;
    assert_eq!(
        v["ok"],
        json!({
            "capped": "TypeError: fetch failed: request body exceeds 1000 bytes",
            "errored": "TypeError: fetch failed: the request body stream failed: disk gone",
            "notBytes": "TypeError: fetch failed: the request body stream failed: a request body stream must give Uint8Array chunks",
            "temporary": "TypeError: fetch failed: cannot follow a 307 redirect: the streamed request body cannot be sent again",
            "seeOther": ["GET", ""],
            "locked": "TypeError",
            "duplex": "TypeError",
            "duplexHalf": "half",
            "ok": ["PUT", "once"],
        })
    );
    // Only whole bodies reached the upstream: the cut-off ones never completed a request
    // (the redirects' first hops got theirs whole).
    let sent: Vec<String> = up
        .seen()
        .iter()
        .filter(|s| s.method != "GET")
        .map(|s| {
            format!(
                "{} {} {}",
                s.method,
                s.uri,
                String::from_utf8_lossy(&s.body)
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            "POST /temporary once",
            "POST /see-other once",
            "PUT /echo once"
        ],
        "{sent:?}"
    );
}

#[tokio::test]
async fn a_streamed_upload_counts_as_sent_bytes() {
    let up = upstream().await;
    let code = r#"async function handler() {
        let n = 0;
        const body = new ReadableStream({ pull(c) { if (n++ < 5) c.enqueue(new Uint8Array(700)); else c.close(); } });
        const r = await fetch(env.get("BASE") + "/echo", { method: "POST", body });
        return { body: String((await r.json()).body.length) };
    }"#;
    let out = run(code, up.opts()).await;
    assert_eq!(out.result.expect("ran").body.as_bytes(), b"3500");
    let u = out.execution.usage.expect("usage");
    assert_eq!(u.outbound_sent_bytes, 3500);
}

#[tokio::test]
async fn fetch_bodies_stream_as_they_arrive() {
    let up = upstream().await;
    // The first part is read while the upstream is still sending (parts 400 ms apart).
    let v = js(
        r#"const t0 = Date.now();
           const r = await fetch(B + "/drip?n=3&ms=400");
           const reader = r.body.getReader();
           const first = new TextDecoder().decode((await reader.read()).value);
           const firstAfter = Date.now() - t0;
           let rest = "";
           for (;;) { const { value, done } = await reader.read(); if (done) break; rest += new TextDecoder().decode(value); }
           return { first, early: firstAfter < 350, rest, total: Date.now() - t0 >= 750 };"#,
        up.opts(),
    )
    .await;
    assert_eq!(
        v["ok"],
        json!({"first": "part0,", "early": true, "rest": "part1,part2", "total": true})
    );

    // Aborting after the head errors the body with the signal's reason; a chunked body past
    // the cap errors when it is read; a cancelled body closes.
    let small = client_with(ClientOptions::default().with_max_body_bytes(8));
    let v = js(
        r#"const c = new AbortController();
           const r = await fetch(B + "/drip?n=3&ms=300", { signal: c.signal });
           const reader = r.body.getReader();
           await reader.read();
           setTimeout(() => c.abort(), 50);
           let aborted;
           try { await reader.read(); await reader.read(); aborted = "no"; } catch (e) { aborted = e.name; }
           let capped;
           try { await (await fetch(B + "/drip?n=3&ms=1")).text(); capped = "no"; } catch (e) { capped = e.name + ": " + e.message; }
           const cancelled = await fetch(B + "/drip?n=3&ms=300");
           await cancelled.body.cancel();
           return { aborted, capped, cancelledUsed: cancelled.bodyUsed };"#,
        opts(&up.base(), small),
    )
    .await;
    assert_eq!(
        v["ok"],
        json!({"aborted": "AbortError",
               "capped": "TypeError: fetch failed: response body exceeds 8 bytes",
               "cancelledUsed": true})
    );
}

#[tokio::test]
async fn fetched_headers_are_immutable_and_a_copy_is_not() {
    let up = upstream().await;
    let v = js(
        r#"const r = await fetch(B + "/echo");
           let fetched;
           try { r.headers.set("x-new", "1"); fetched = "changed"; } catch (e) { fetched = e.name; }
           const twin = r.clone();
           let clone;
           try { twin.headers.append("a", "b"); clone = "changed"; } catch (e) { clone = e.message; }
           const copy = new Response(r.body, r);
           copy.headers.set("x-new", "1");
           return { fetched, copied: copy.headers.get("x-new"), clone };"#,
        up.opts(),
    )
    .await;
    assert_eq!(
        v["ok"],
        json!({"fetched": "TypeError", "copied": "1",
               "clone": "Failed to execute 'append' on 'Headers': Headers are immutable"})
    );
}
