//! The fault suite: the standalone server (V8, a real store) as a child process under
//! load, overloaded, killed with SIGKILL, stopped with SIGTERM, and with its store taken
//! away (PostgreSQL stopped, SQLite on a full file system). Each test prints what was
//! sent, acknowledged and found in the store, and asserts that every acknowledged
//! execution is stored.
//!
//! The tests are `#[ignore]`d in the ordinary run (they take minutes and load the whole
//! machine); `.ci/run` runs them alone, optimised (so both the server and the load
//! generator run as users would build them): `cargo test --release -p lunar-examples
//! --test server -- --ignored --test-threads=1 faults::`. The server is this test binary
//! itself, started again as `faults::child_server` with `LUNAR_FAULT_CHILD=1` and the
//! server's environment variables. `LUNAR_FAULT_SECONDS` sets the overload duration
//! (default 60). Without
//! root (the full file system is a tmpfs mount) or without PostgreSQL control
//! (`LUNAR_TEST_PG_STOP` / `LUNAR_TEST_PG_START`, set by `.ci/run`) those tests skip,
//! unless `LUNAR_REQUIRE_FAULTS=1`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lunar_examples::{ServerConfig, build_app, shutdown_signal};
use serde_json::{Value, json};

const KEY: &str = "fault-suite-key";

const HELLO: &str = r#"function handler(ctx, event) {
  log.info("hello " + ctx.executionId);
  return { statusCode: 200, headers: { "Content-Type": "application/json" },
           body: JSON.stringify({ message: "Hello, World!" }) };
}"#;

/// 2 ms of CPU per execution: the work the queue-delay bound sheds.
const BUSY: &str = r#"function handler(ctx, event) {
  const end = Date.now() + 2;
  while (Date.now() < end) {}
  log.info("busy " + ctx.executionId);
  return { statusCode: 200, body: "worked" };
}"#;

const SLEEPY: &str = r#"async function handler(ctx, event) {
  await time.sleep(1000);
  log.info("slept " + ctx.executionId);
  return { statusCode: 200, body: "rested" };
}"#;

/// A 4 KiB log line per execution, to fill a small disk quickly.
const WORDY: &str = r#"function handler(ctx, event) {
  log.info("x".repeat(4096));
  return { statusCode: 200, body: "ok" };
}"#;

// ---------------------------------------------------------------------------------------
// The child server.

/// The server process of the suite: does nothing unless started by a test with
/// `LUNAR_FAULT_CHILD=1`; then serves on a loopback port (printed as `LISTENING <addr>`)
/// until SIGTERM, configured by the server's own environment variables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the server process of the fault suite, started by its tests"]
async fn child_server() {
    if std::env::var_os("LUNAR_FAULT_CHILD").is_none() {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let config = ServerConfig::from_env().expect("server configuration");
    let app = build_app(config).await.expect("the server builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    println!("LISTENING {}", listener.local_addr().expect("address"));
    app.serve(listener, shutdown_signal()).await.expect("serve");
    println!("STOPPED");
}

/// A running child server.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts the server with `env` (plus `API_KEY`) and waits until it listens.
    fn start(env: &[(&str, String)]) -> Self {
        Self::start_on(env, None)
    }

    /// [`start`](Self::start), on the CPUs `cpus` (a `taskset` list) when given.
    fn start_on(env: &[(&str, String)], cpus: Option<&str>) -> Self {
        let exe = std::env::current_exe().expect("the test binary");
        let mut cmd = match cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpus]).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        cmd.args([
            "--exact",
            "faults::child_server",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LUNAR_FAULT_CHILD", "1")
        .env("API_KEY", KEY)
        .env(
            "RUST_LOG",
            std::env::var("LUNAR_FAULT_LOG").unwrap_or_else(|_| "off".to_owned()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start the child server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest prints the test's name first, on the same line.
                if let Some((_, addr)) = line.split_once("LISTENING ") {
                    let _ = tx.send(addr.trim().parse::<SocketAddr>().expect("an address"));
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(addr) => Self { child, addr },
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the child server did not listen within 2 minutes: {e}");
            }
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// SIGKILL, no chance to clean up.
    fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// Sends SIGTERM.
    fn term(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.pid()])
            .status()
            .expect("kill -TERM")
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// SIGTERM, then waits (at most `limit`) for the exit status.
    fn stop(mut self, limit: Duration) -> std::process::ExitStatus {
        self.term();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {limit:?} of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resident set size now, in KiB (from /proc).
    fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// HTTP and the load generator.

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build_http()
}

/// One request's result: status and headers we care about, or a transport error.
struct Reply {
    status: u16,
    execution_id: Option<String>,
    retry_after: bool,
    body: Bytes,
}

async fn send(c: &HttpClient, method: &str, url: &str, body: &str) -> Result<Reply, String> {
    let req = http::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {KEY}"))
        .body(Full::new(Bytes::from(body.to_owned())))
        .map_err(|e| e.to_string())?;
    let res = c.request(req).await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let execution_id = res
        .headers()
        .get("x-execution-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let retry_after = res.headers().contains_key("retry-after");
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(Reply {
        status,
        execution_id,
        retry_after,
        body,
    })
}

/// Creates a function through the API; returns its id.
async fn create(addr: SocketAddr, name: &str, code: &str) -> String {
    let r = send(
        &client(),
        "POST",
        &format!("http://{addr}/api/functions"),
        &json!({ "name": name, "code": code }).to_string(),
    )
    .await
    .expect("create");
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v: Value = serde_json::from_slice(&r.body).expect("json");
    v["id"].as_str().expect("id").to_owned()
}

/// How many `/fn` calls the server has refused for `reason` (its Prometheus counter).
async fn refused_for(addr: SocketAddr, reason: &str) -> u64 {
    let r = send(&client(), "GET", &format!("http://{addr}/api/metrics"), "")
        .await
        .expect("metrics");
    assert_eq!(r.status, 200);
    let text = String::from_utf8_lossy(&r.body);
    let key = format!("lunar_executions_refused_total{{reason=\"{reason}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no refusal counter for {reason} in:\n{text}"))
}

/// What a load run saw.
#[derive(Default)]
struct Tally {
    /// Requests sent (a transport error after sending counts too).
    sent: u64,
    /// Execution ids of 2xx answers: the acknowledged executions.
    acked: Vec<String>,
    /// Answers by status.
    statuses: BTreeMap<u16, u64>,
    /// Refusals (429/503) without `Retry-After`.
    refusals_without_retry_after: u64,
    /// Transport errors (connection refused or reset).
    transport_errors: u64,
    /// Latency of 2xx answers, µs.
    ok_latency: Vec<u64>,
    /// Latency of 429/503 answers, µs.
    refused_latency: Vec<u64>,
    /// (ms since the start, status) of every answer.
    timeline: Vec<(u64, u16)>,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        self.sent += o.sent;
        self.acked.extend(o.acked);
        for (k, v) in o.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        self.refusals_without_retry_after += o.refusals_without_retry_after;
        self.transport_errors += o.transport_errors;
        self.ok_latency.extend(o.ok_latency);
        self.refused_latency.extend(o.refused_latency);
        self.timeline.extend(o.timeline);
    }

    /// Adds one request's result: the reply, how long it took, when it came (ms since
    /// the run started).
    fn record(&mut self, (reply, took, at): (Result<Reply, String>, Duration, u64)) {
        self.sent += 1;
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        match reply {
            Ok(r) => {
                *self.statuses.entry(r.status).or_default() += 1;
                self.timeline.push((at, r.status));
                if (200..300).contains(&r.status) {
                    self.ok_latency.push(us);
                    self.acked
                        .push(r.execution_id.expect("2xx answers name the execution"));
                } else if r.status == 429 || r.status == 503 {
                    self.refused_latency.push(us);
                    if !r.retry_after {
                        self.refusals_without_retry_after += 1;
                    }
                }
            }
            Err(_) => self.transport_errors += 1,
        }
    }

    /// Answers with `status` that came within `during` (ms since the run started).
    fn answered(&self, status: u16, during: std::ops::Range<u64>) -> usize {
        self.timeline
            .iter()
            .filter(|(at, s)| *s == status && during.contains(at))
            .count()
    }

    fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
}

/// The `p`th percentile (nearest rank) of latencies in µs, as ms.
fn pct_ms(v: &mut [u64], p: usize) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let rank = (v.len() * p).div_ceil(100).max(1);
    #[allow(clippy::cast_precision_loss)]
    let ms = v[rank - 1] as f64 / 1000.0;
    ms
}

/// `conns` closed-loop clients calling `GET path` for `duration` (or until the server
/// goes away). Every request started is waited for.
async fn load(addr: SocketAddr, path: &str, conns: usize, duration: Duration) -> Tally {
    let c = client();
    let url = format!("http://{addr}{path}");
    let start = Instant::now();
    let gone = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (c, url, gone) = (c.clone(), url.clone(), gone.clone());
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            while start.elapsed() < duration && !gone.load(Ordering::Relaxed) {
                let sent_at = Instant::now();
                let reply = send(&c, "GET", &url, "").await;
                if reply.is_err() {
                    // The server is gone (killed or stopped): stop this client.
                    gone.store(true, Ordering::Relaxed);
                }
                let at = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                t.record((reply, sent_at.elapsed(), at));
            }
            t
        }));
    }
    let mut all = Tally::default();
    for task in tasks {
        all.merge(task.await.expect("load task"));
    }
    all
}

/// Open-loop load: requests started at `rate` per second for `duration` whatever the
/// answers (as independent clients would), at most `max_outstanding` at once (the rest
/// are counted in `not_sent`). Every request started is waited for.
async fn load_paced(
    addr: SocketAddr,
    path: &str,
    rate: f64,
    duration: Duration,
    max_outstanding: usize,
) -> (Tally, u64) {
    let c = client();
    let url = format!("http://{addr}{path}");
    let start = Instant::now();
    let slots = Arc::new(tokio::sync::Semaphore::new(max_outstanding));
    let mut tasks = tokio::task::JoinSet::new();
    let mut started: u64 = 0;
    let mut not_sent: u64 = 0;
    let mut t = Tally::default();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while start.elapsed() < duration {
        tick.tick().await;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let due = (start.elapsed().as_secs_f64() * rate) as u64;
        while started + not_sent < due {
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                not_sent += 1;
                continue;
            };
            started += 1;
            let (c, url) = (c.clone(), url.clone());
            tasks.spawn(async move {
                let _slot = slot;
                let sent_at = Instant::now();
                let r = send(&c, "GET", &url, "").await;
                let at = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                (r, sent_at.elapsed(), at)
            });
        }
        while let Some(done) = tasks.try_join_next() {
            t.record(done.expect("request task"));
        }
    }
    while let Some(done) = tasks.join_next().await {
        t.record(done.expect("request task"));
    }
    (t, not_sent)
}

// ---------------------------------------------------------------------------------------
// Reading the store.

/// One stored execution: status and number of log lines.
type Stored = HashMap<String, (String, i64)>;

const STORED_SQL: &str = "SELECT e.id, e.status, \
    (SELECT COUNT(*) FROM logs l WHERE l.execution_id = e.id) FROM executions e";

async fn stored_sqlite(db: &Path) -> Stored {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let pool = sqlx::SqlitePool::connect(&url)
        .await
        .expect("open the SQLite file");
    let rows: Vec<(String, String, i64)> = sqlx::query_as(STORED_SQL)
        .fetch_all(&pool)
        .await
        .expect("read executions");
    pool.close().await;
    rows.into_iter().map(|(id, s, n)| (id, (s, n))).collect()
}

async fn stored_postgres(url: &str) -> Stored {
    let pool = sqlx::PgPool::connect(url).await.expect("connect");
    let rows: Vec<(String, String, i64)> = sqlx::query_as(STORED_SQL)
        .fetch_all(&pool)
        .await
        .expect("read executions");
    pool.close().await;
    rows.into_iter().map(|(id, s, n)| (id, (s, n))).collect()
}

/// Asserts every acknowledged execution is stored, finished with success and with its
/// log line; returns how many of the store's rows are pending.
fn assert_acked_stored(what: &str, acked: &[String], stored: &Stored) -> usize {
    let mut missing = 0;
    for id in acked {
        match stored.get(id) {
            Some((status, logs)) => {
                assert_eq!(
                    status, "success",
                    "{what}: acknowledged {id} stored as {status}"
                );
                assert!(
                    *logs >= 1,
                    "{what}: acknowledged {id} stored without its log"
                );
            }
            None => missing += 1,
        }
    }
    assert_eq!(
        missing, 0,
        "{what}: acknowledged executions missing from the store"
    );
    let unique: HashSet<&String> = acked.iter().collect();
    assert_eq!(
        unique.len(),
        acked.len(),
        "{what}: an execution id acknowledged twice"
    );
    stored.values().filter(|(s, _)| s == "pending").count()
}

/// Rows finished as `error`: in the outage scenarios, whose functions never fail, the
/// executions whose outcome was held while the store failed and recorded once it was back.
fn recorded_late(stored: &Stored) -> usize {
    stored.values().filter(|(s, _)| s == "error").count()
}

fn require_faults() -> bool {
    std::env::var("LUNAR_REQUIRE_FAULTS").as_deref() == Ok("1")
}

fn sqlite_env(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("DATA_DIR", dir.display().to_string()),
        ("LUNAR_STORE", "sqlite".to_owned()),
    ]
}

// ---------------------------------------------------------------------------------------
// The scenarios.

/// `kill -9` at random moments of a load run, five times, then one restart: every
/// acknowledged execution is stored with its log, and nothing is left pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: run by .ci/run with --ignored --test-threads=1"]
async fn kill_9_under_load_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = sqlite_env(dir.path());
    let mut total = Tally::default();
    let mut fid = None;
    for round in 1..=5 {
        let server = Server::start(&env);
        let id = match &fid {
            Some(id) => String::clone(id),
            None => {
                let id = create(server.addr, "hello", HELLO).await;
                fid = Some(id.clone());
                id
            }
        };
        let running = tokio::spawn({
            let addr = server.addr;
            async move { load(addr, &format!("/fn/{id}"), 16, Duration::from_secs(30)).await }
        });
        let after = Duration::from_millis(rand::random_range(300..2_500));
        tokio::time::sleep(after).await;
        server.kill9();
        let t = running.await.expect("load");
        println!(
            "kill -9 round {round} after {after:?}: sent {}, acknowledged {}, transport errors {}",
            t.sent,
            t.acked.len(),
            t.transport_errors
        );
        assert!(
            !t.acked.is_empty(),
            "round {round} acknowledged nothing before the kill"
        );
        total.merge(t);
    }
    // The restart fails what the kills left pending.
    let server = Server::start(&env);
    assert!(server.stop(Duration::from_secs(40)).success());
    let stored = stored_sqlite(&dir.path().join("lunar.db")).await;
    let pending = assert_acked_stored("kill -9", &total.acked, &stored);
    println!(
        "kill -9 x5: sent {}, acknowledged {}, stored {} (all acknowledged among them), \
         pending after restart {pending}",
        total.sent,
        total.acked.len(),
        stored.len()
    );
    assert_eq!(pending, 0, "no row stays pending after the restart");
}

/// SIGTERM while 1-second executions are in flight: the server stops accepting, lets
/// them finish, and exits 0; everything acknowledged is stored and nothing is pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: run by .ci/run with --ignored --test-threads=1"]
async fn sigterm_under_load_drains_in_flight_and_exits_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = sqlite_env(dir.path());
    let server = Server::start(&env);
    let id = create(server.addr, "sleepy", SLEEPY).await;
    let addr = server.addr;
    let running =
        tokio::spawn(
            async move { load(addr, &format!("/fn/{id}"), 32, Duration::from_secs(20)).await },
        );
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let termed = Instant::now();
    let status = tokio::task::spawn_blocking(move || server.stop(Duration::from_secs(40)))
        .await
        .expect("stop");
    let stopped_in = termed.elapsed();
    let t = running.await.expect("load");
    assert!(status.success(), "exit status {status}");
    let stored = stored_sqlite(&dir.path().join("lunar.db")).await;
    let pending = assert_acked_stored("SIGTERM", &t.acked, &stored);
    // The executions in flight at SIGTERM (2.5 s in, mid-wave: about 32) were answered.
    let drained = t.answered(200, 2_500..u64::MAX);
    assert!(
        drained >= 24,
        "in-flight executions finished after SIGTERM: {drained}"
    );
    assert_eq!(
        t.count(200),
        t.sent - t.transport_errors,
        "every answer was a 200"
    );
    println!(
        "SIGTERM: exit 0 after {stopped_in:?}; sent {}, acknowledged {} ({drained} of them \
         answered after SIGTERM), refused after stop {}, stored {}, pending {pending}",
        t.sent,
        t.acked.len(),
        t.transport_errors,
        stored.len()
    );
    assert_eq!(pending, 0);
}

/// Keeps the load generator (this process) off the server's CPU while it lives: on a
/// machine of `n` ≥ 2 CPUs the server gets CPU 0 and this process the others, so what is
/// measured is the server's latency, not the two competing for the same cores.
struct CpusApart {
    all: String,
}

impl CpusApart {
    /// The server's CPU list and the guard, or `None` on one CPU (nothing to separate).
    fn new() -> Option<(&'static str, Self)> {
        let n = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        if n < 2 {
            return None;
        }
        let guard = Self {
            all: format!("0-{}", n - 1),
        };
        guard.pin(&format!("1-{}", n - 1));
        Some(("0", guard))
    }

    /// Sets the CPUs of every thread of this process.
    fn pin(&self, cpus: &str) {
        let pid = std::process::id().to_string();
        let ok = Command::new("taskset")
            .args(["-a", "-p", "-c", cpus, &pid])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "taskset -a -p -c {cpus} {pid} failed");
    }
}

impl Drop for CpusApart {
    fn drop(&mut self) {
        self.pin(&self.all);
    }
}

/// Five times the measured capacity, open loop, for `LUNAR_FAULT_SECONDS` against a hello
/// function, a function using 2 ms of CPU and a 1-second function, with a bound of 64
/// executions in flight and the default bound on the wait for a V8 worker: the excess
/// gets 503 with `Retry-After` at once (never after waiting for a place), memory stays
/// bounded, and every 2xx is a stored execution.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: run by .ci/run with --ignored --test-threads=1"]
async fn overload_sheds_with_503_and_records_every_2xx() {
    const BOUND: usize = 64;
    let seconds: u64 = std::env::var("LUNAR_FAULT_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut env = sqlite_env(dir.path());
    env.push(("LUNAR_MAX_IN_FLIGHT", BOUND.to_string()));
    let apart = CpusApart::new();
    let server = Server::start_on(&env, apart.as_ref().map(|(cpus, _)| *cpus));
    let addr = server.addr;
    let rss_start = server.rss_kib().unwrap_or(0);
    let mut peak_rss = rss_start;
    let mut acked_total = Vec::new();
    let max_wait_ms = lunar_core::DEFAULT_MAX_QUEUE_DELAY.as_secs_f64() * 1000.0;
    for (name, code) in [("hello", HELLO), ("busy", BUSY), ("sleepy", SLEEPY)] {
        let id = create(addr, name, code).await;
        let path = format!("/fn/{id}");
        let mut unloaded = load(addr, &path, 1, Duration::from_secs(3)).await;
        let unloaded_p99 = pct_ms(&mut unloaded.ok_latency, 99);
        // Capacity: what BOUND closed-loop clients get through per second. The bound on
        // executions in flight is never passed with BOUND clients. The busy function's
        // queue for CPU is past the wait bound (BOUND waiting 2 ms each), so some of its
        // calls are refused; the others' queue passes it only when the worker stalls.
        let cap_secs = 5;
        let over_bound_before = refused_for(addr, "overloaded").await;
        let waited_before = refused_for(addr, "queue_delay").await;
        let at_bound = load(addr, &path, BOUND, Duration::from_secs(cap_secs)).await;
        assert_eq!(at_bound.transport_errors, 0);
        assert_eq!(
            refused_for(addr, "overloaded").await - over_bound_before,
            0,
            "{name}: the bound on executions in flight is never passed by {BOUND} clients"
        );
        let at_bound_refused = at_bound.sent - at_bound.count(200);
        assert_eq!(
            (
                at_bound_refused,
                refused_for(addr, "queue_delay").await - waited_before
            ),
            (at_bound.count(503), at_bound_refused),
            "{name}: every call at the bound is a 200 or a 503 of the wait bound: {:?}",
            at_bound.statuses
        );
        if name != "busy" {
            assert!(
                at_bound_refused * 1000 <= at_bound.sent,
                "{name}: {at_bound_refused} of {} refused at the bound",
                at_bound.sent
            );
        }
        #[allow(clippy::cast_precision_loss)]
        let capacity = at_bound.count(200) as f64 / cap_secs as f64;
        // The longest an admitted execution queues: BOUND executions' worth, or for
        // CPU-bound work the bound on the wait for a worker, whichever is shorter.
        let queueing_ms = (1000.0 * BOUND as f64 / capacity).min(max_wait_ms);
        let over = tokio::spawn({
            let path = path.clone();
            let rate = 5.0 * capacity;
            async move { load_paced(addr, &path, rate, Duration::from_secs(seconds), 4_096).await }
        });
        while !over.is_finished() {
            peak_rss = peak_rss.max(server.rss_kib().unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let (mut t, not_sent) = over.await.expect("overload");
        let ok = t.count(200);
        let refused = t.count(503) + t.count(429);
        let (p50, p99) = (pct_ms(&mut t.ok_latency, 50), pct_ms(&mut t.ok_latency, 99));
        let (r50, r99) = (
            pct_ms(&mut t.refused_latency, 50),
            pct_ms(&mut t.refused_latency, 99),
        );
        #[allow(clippy::cast_precision_loss)]
        let offered = t.sent as f64 / seconds as f64;
        let bar = 2.0 * unloaded_p99 + queueing_ms;
        println!(
            "overload {name}: capacity {capacity:.0}/s with {BOUND} in flight ({at_bound_refused} \
             of {} refused; unloaded p99 {unloaded_p99:.2} ms, queueing bound \
             {queueing_ms:.1} ms); offered {offered:.0}/s \
             ({:.1}x capacity, {not_sent} not sent by the client) for {seconds} s: {ok} x 200 \
             (p50 {p50:.2} ms, p99 {p99:.2} ms; bar 2 x unloaded p99 + queueing = \
             {bar:.1} ms, {}), {refused} x 503 (p50 {r50:.2} ms, p99 {r99:.2} ms{}), all {:?}, \
             transport errors {}",
            at_bound.sent,
            offered / capacity,
            if p99 <= bar { "met" } else { "NOT met" },
            if r99 < 5.0 { "" } else { ", over 5 ms" },
            t.statuses,
            t.transport_errors
        );
        assert!(refused > 0, "{name}: five times the load was never refused");
        assert_eq!(
            ok + refused,
            t.sent,
            "{name}: every request got a 200 or a refusal: {:?}",
            t.statuses
        );
        assert_eq!(
            t.refusals_without_retry_after, 0,
            "refusals carry Retry-After"
        );
        assert_eq!(t.transport_errors, 0);
        assert!(ok > 0, "{name}: the admitted part was served");
        if name == "sleepy" {
            // A refusal that waited for a place would take a second or more.
            assert!(
                r99 < 500.0,
                "refusals are answered at once: p99 {r99:.1} ms"
            );
        }
        if name == "busy" {
            // The bound on executions in flight alone would let BOUND of them queue for
            // the one V8 worker, 2 ms each: 128 ms before the first is even started.
            assert!(
                p99 < 100.0,
                "the wait bound keeps CPU-bound executions from queueing: p99 {p99:.1} ms"
            );
        }
        acked_total.extend(unloaded.acked);
        acked_total.extend(at_bound.acked);
        acked_total.extend(t.acked);
    }
    let rss_end = server.rss_kib().unwrap_or(0);
    assert!(server.stop(Duration::from_secs(40)).success());
    let stored = stored_sqlite(&dir.path().join("lunar.db")).await;
    let pending = assert_acked_stored("overload", &acked_total, &stored);
    println!(
        "overload: RSS {} MiB at start, peak {} MiB, {} MiB at the end; {} executions \
         acknowledged, {} stored, {pending} pending",
        rss_start / 1024,
        peak_rss / 1024,
        rss_end / 1024,
        acked_total.len(),
        stored.len()
    );
    assert_eq!(
        stored.len(),
        acked_total.len(),
        "executions recorded = 2xx sent"
    );
    assert_eq!(pending, 0);
    assert!(
        peak_rss < 1024 * 1024,
        "RSS stayed under 1 GiB: peak {peak_rss} KiB"
    );
}

/// PostgreSQL stopped for 10 s and started again during a load run: the server answers
/// 503 meanwhile, keeps serving, and works again afterwards without a restart; every
/// acknowledged execution is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: run by .ci/run with --ignored --test-threads=1"]
async fn postgres_stopped_for_10s_during_load() {
    let (Ok(url), Ok(stop), Ok(start)) = (
        std::env::var("LUNAR_TEST_POSTGRES_URL"),
        std::env::var("LUNAR_TEST_PG_STOP"),
        std::env::var("LUNAR_TEST_PG_START"),
    ) else {
        assert!(
            !require_faults(),
            "LUNAR_REQUIRE_FAULTS=1 but PostgreSQL control is not set"
        );
        eprintln!("skipping the PostgreSQL outage: LUNAR_TEST_PG_STOP/START not set");
        return;
    };
    let db_url = crate::pg::own_database(&url, "lunar_fault").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let env = vec![
        ("DATA_DIR", dir.path().display().to_string()),
        ("LUNAR_STORE", "postgres".to_owned()),
        ("DATABASE_URL", db_url.clone()),
    ];
    let server = Server::start(&env);
    let id = create(server.addr, "hello", HELLO).await;
    let addr = server.addr;
    // Open loop: new calls keep arriving during the outage, as from independent clients.
    let running = tokio::spawn(async move {
        load_paced(
            addr,
            &format!("/fn/{id}"),
            200.0,
            Duration::from_secs(30),
            4_096,
        )
        .await
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    shell(&stop);
    let stopped_at = 5_000;
    tokio::time::sleep(Duration::from_secs(10)).await;
    shell(&start);
    let started_at = 15_000;
    let (t, not_sent) = running.await.expect("load");
    assert_eq!(not_sent, 0, "the client kept its pace");
    assert!(server.stop(Duration::from_secs(60)).success());
    let stored = stored_postgres(&db_url).await;
    let pending = assert_acked_stored("PostgreSQL outage", &t.acked, &stored);
    let ok_during = t.answered(200, stopped_at + 500..started_at);
    let unavailable = t.count(503);
    let ok_after = t.answered(200, started_at + 5_000..u64::MAX);
    let late = recorded_late(&stored);
    println!(
        "PostgreSQL stopped 10 s: sent {}, acknowledged {}, 503 {unavailable}, other {:?}, \
         200s during the outage {ok_during}, 200s from 5 s after the restart {ok_after}, \
         stored {}, recorded late {late}, pending {pending}",
        t.sent,
        t.acked.len(),
        t.statuses,
        stored.len()
    );
    assert_eq!(t.transport_errors, 0, "the server kept serving");
    assert!(unavailable > 0, "the outage was answered with 503");
    assert_eq!(
        t.count(200) + unavailable,
        t.sent,
        "only 200 and 503: {:?}",
        t.statuses
    );
    assert!(ok_after > 0, "the server works again after the restart");
    assert_eq!(
        pending, 0,
        "outcomes held during the outage are recorded once PostgreSQL is back"
    );
    crate::pg::drop_database(&url, &db_url).await;
}

/// SQLite on a small file system (64 MiB) that fills up: writes fail with SQLITE_FULL, `/fn`
/// answers 503, and once space is freed the server works again without a restart; every
/// acknowledged execution is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: run by .ci/run with --ignored --test-threads=1"]
async fn sqlite_on_a_full_file_system() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The WAL grows by every page a batch touches until the store restarts it (past 16 MiB,
    // after a checkpoint): the file system must hold that working size once space is back.
    let Some(_mount) = Tmpfs::mount(dir.path(), "64m") else {
        assert!(
            !require_faults(),
            "LUNAR_REQUIRE_FAULTS=1 but tmpfs cannot be mounted"
        );
        eprintln!("skipping the full file system: cannot mount a tmpfs (not root?)");
        return;
    };
    let data = dir.path().join("data");
    let server = Server::start(&sqlite_env(&data));
    let id = create(server.addr, "wordy", WORDY).await;
    // Leave 256 KiB: a few dozen executions fit, then the disk is full.
    let ballast = dir.path().join("ballast");
    fill(&ballast, free_bytes(dir.path()).saturating_sub(256 * 1024));
    let addr = server.addr;
    // Paced, so that the freed space lasts the rest of the run whatever the build's speed
    // (4 KiB a call: 0.4 MiB a second). Calls that find the disk full take a while (the
    // writes fail and are retried), so the pace stays below what those can answer.
    let running = tokio::spawn(async move {
        let path = format!("/fn/{id}");
        load_paced(addr, &path, 100.0, Duration::from_secs(20), 512).await
    });
    tokio::time::sleep(Duration::from_secs(8)).await;
    std::fs::remove_file(&ballast).expect("free the space");
    let freed_at = 8_000;

    let (t, not_sent) = running.await.expect("load");
    assert_eq!(not_sent, 0, "the client kept its pace");
    assert!(server.stop(Duration::from_secs(40)).success());
    let stored = stored_sqlite(&data.join("lunar.db")).await;
    let pending = assert_acked_stored("full file system", &t.acked, &stored);
    let unavailable = t.count(503);
    let ok_after = t.answered(200, freed_at + 2_000..u64::MAX);
    let late = recorded_late(&stored);
    println!(
        "SQLite on a full 64 MiB tmpfs: sent {}, acknowledged {}, 503 {unavailable}, other {:?}, \
         200s from 2 s after space was freed {ok_after}, stored {}, recorded late {late}, \
         pending {pending}",
        t.sent,
        t.acked.len(),
        t.statuses,
        stored.len()
    );
    assert_eq!(t.transport_errors, 0, "the server kept serving");
    assert!(unavailable > 0, "a full disk was answered with 503");
    assert_eq!(t.count(200) + unavailable, t.sent, "{:?}", t.statuses);
    assert!(ok_after > 0, "the server works again once space is freed");
    assert_eq!(
        pending, 0,
        "outcomes held while the disk was full are recorded once space is freed"
    );
}

fn shell(cmd: &str) {
    let ok = Command::new("sh")
        .args(["-c", cmd])
        .status()
        .expect("run the command")
        .success();
    assert!(ok, "{cmd} failed");
}

/// A tmpfs mounted over a directory for the test's duration.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Self> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        ok.then(|| Self(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn free_bytes(dir: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(dir)
        .output()
        .expect("df");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .expect("df prints the free bytes")
}

fn fill(path: &Path, bytes: u64) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).expect("ballast");
    let chunk = vec![0u8; 64 * 1024];
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
        if f.write_all(&chunk[..n]).is_err() {
            break;
        }
        left -= n as u64;
    }
}
