//! The dashboard in a real browser: Debian's Chromium, headless, driven over WebDriver by
//! chromedriver, against the real server (SQLite, V8) — once mounted at the root and once
//! under `/lunar` inside a host's router. Each test walks a person's whole path through the
//! UI and asserts on what the page shows (the `data-testid`s of the dashboard's README).
//!
//! Without Chromium or chromedriver the tests are skipped, unless `LUNAR_REQUIRE_BROWSER=1`.
//! `LUNAR_CHROMIUM` and `LUNAR_CHROMEDRIVER` override the binaries' paths. A failing step
//! leaves a screenshot, and chromedriver's log, in `target/dashboard-screenshots/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::Method;
use fantoccini::elements::Element;
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lunar_examples::{App, ServerConfig, build_app};
use serde_json::{Value, json};
use tokio::net::TcpListener;

const API_KEY: &str = "dashboard-test-key";
/// How long any one wait may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How often a wait checks again.
const POLL: Duration = Duration::from_millis(100);
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

/// A line of the kv-counter template, and what the edit turns it into.
const OLD_LOG: &str = "count is now ";
const NEW_LOG: &str = "dashboard test saw count ";
const ENV_KEY: &str = "GREETING";
const ENV_VALUE: &str = "hello from the browser";
const CRON: &str = "*/5 * * * *";

/// One browser at a time: two Chromium instances beside two V8 servers would starve a
/// small machine.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_at_the_root() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let _one_browser_at_a_time = BROWSER.lock().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the server");
    let origin = format!("http://{}", listener.local_addr().expect("server address"));
    let app = build_app(config(dir.path(), &origin))
        .await
        .expect("the server builds");
    let journey = Journey {
        start: format!("{origin}/"),
        mount: format!("{origin}/"),
        key: app.api_key.clone(),
        name: "dashboard-e2e".to_owned(),
    };
    let server = Server::start(app, listener);
    browse("dashboard_at_the_root", &browser, &journey).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_under_a_prefix() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let _one_browser_at_a_time = BROWSER.lock().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the server");
    let origin = format!("http://{}", listener.local_addr().expect("server address"));
    let mut app = build_app(config(dir.path(), &format!("{origin}/lunar")))
        .await
        .expect("the server builds");
    // A host application with a route of its own, mounting Lunar under /lunar.
    let lunar = app.service();
    app.router = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async { "The host's own page.\n" }),
        )
        .nest_service("/lunar", lunar);
    let journey = Journey {
        // Without the slash: the server must redirect to `/lunar/`.
        start: format!("{origin}/lunar"),
        mount: format!("{origin}/lunar/"),
        key: app.api_key.clone(),
        name: "dashboard-e2e-prefix".to_owned(),
    };
    let server = Server::start(app, listener);
    browse("dashboard_under_a_prefix", &browser, &journey).await;
    server.stop().await;
}

/// What one test walks through.
#[derive(Clone)]
struct Journey {
    /// The URL the browser opens first.
    start: String,
    /// The mount root the page must end up at (ends with `/`).
    mount: String,
    /// The API key to log in with.
    key: String,
    /// The function to create.
    name: String,
}

/// The person's whole path through the dashboard.
async fn journey(ui: &Ui, j: &Journey) {
    let mount = j.mount.as_str();

    ui.step("open the page");
    ui.goto(&j.start).await;
    let shell = ui.js("return !!document.getElementById('view')", &[]).await;
    assert_eq!(
        shell,
        json!(true),
        "{} does not serve the dashboard (is lunar-http's `dashboard` feature on?)",
        j.start
    );
    ui.wait_js("the login form", "return !!$('login-form')", &[])
        .await;
    let here = ui.js("return location.href", &[]).await;
    assert_eq!(here, json!(mount), "the page must end up at the mount root");
    ui.js(
        "performance.setResourceTimingBufferSize(1000); return true",
        &[],
    )
    .await;

    ui.step("log in with the API key");
    ui.type_into(&tid("login-key"), &j.key).await;
    ui.click(&tid("login-submit")).await;
    ui.wait_js(
        "the empty functions list",
        "const e = $('fn-empty'); return !!$('functions-view') && !!e && !e.hidden && !!$('logout')",
        &[],
    )
    .await;

    ui.step("create a function from the kv-counter template");
    ui.click(&tid("new-function")).await;
    ui.type_into(&tid("create-name"), &j.name).await;
    ui.click(&tid("template-kv-counter")).await;
    ui.wait_js(
        "the kv-counter template to be chosen",
        "return $('template-kv-counter').getAttribute('aria-checked') === 'true' \
         && $('template-preview').textContent.includes(arguments[0])",
        &[json!(OLD_LOG)],
    )
    .await;
    ui.click(&tid("create-submit")).await;
    let id = ui
        .wait_js(
            "the new function's code tab",
            "const v = $('function-view'); \
             return v && $('fn-title')?.textContent === arguments[0] \
               && $('code-version')?.dataset.version === '1' \
               && $('fn-active-version')?.dataset.version === '1' \
               && $('editor')?.value.includes(arguments[1]) ? v.dataset.id : null",
            &[json!(j.name), json!(OLD_LOG)],
        )
        .await;
    let id = id.as_str().expect("the function id").to_owned();
    let url = ui.js("return $('fn-url').textContent", &[]).await;
    assert_eq!(
        url,
        json!(format!("{mount}fn/{id}")),
        "the invoke URL shown"
    );

    ui.step("edit the code and save it as version 2");
    let edited = ui
        .js(
            "const ta = $('editor'); \
             if (!ta.value.includes(arguments[0])) return 'the editor holds: ' + ta.value; \
             ta.value = ta.value.replace(arguments[0], arguments[1]); \
             ta.dispatchEvent(new Event('input', { bubbles: true })); \
             return 'ok';",
            &[json!(OLD_LOG), json!(NEW_LOG)],
        )
        .await;
    assert_eq!(edited, json!("ok"));
    ui.wait_js(
        "the unsaved marker",
        "return !$('unsaved').hidden && !$('save-code').disabled",
        &[],
    )
    .await;
    ui.click(&tid("save-code")).await;
    ui.wait_js(
        "version 2 in the editor",
        "return $('code-version')?.dataset.version === '2' \
           && $('fn-active-version')?.dataset.version === '2' \
           && $('unsaved').hidden && $('editor').value.includes(arguments[0])",
        &[json!(NEW_LOG)],
    )
    .await;

    ui.step("diff version 1 against version 2");
    ui.click(&tid("tab-versions")).await;
    ui.wait_js("two versions, v2 active", ACTIVE_VERSION, &[json!("2")])
        .await;
    ui.select(&tid("diff-from"), "1").await;
    ui.select(&tid("diff-to"), "2").await;
    let counts = ui
        .wait_js(
            "the inline diff",
            DIFF_STATE,
            &[json!("inline"), json!(NEW_LOG), json!(OLD_LOG)],
        )
        .await;
    assert!(
        counts["added"].as_u64() > Some(0) && counts["removed"].as_u64() > Some(0),
        "{counts}"
    );
    ui.click(&tid("diff-split")).await;
    ui.wait_js(
        "the side-by-side diff",
        DIFF_STATE,
        &[json!("split"), json!(NEW_LOG), json!(OLD_LOG)],
    )
    .await;
    ui.click(&tid("diff-inline")).await;

    ui.step("activate version 1");
    ui.click(r#"[data-testid="version-row"][data-version="1"] [data-testid="version-activate"]"#)
        .await;
    ui.wait_js("version 1 active", ACTIVE_VERSION, &[json!("1")])
        .await;

    ui.step("set an environment variable");
    ui.click(&tid("tab-env")).await;
    ui.click(&tid("env-add")).await;
    ui.type_into(
        r#"[data-testid="env-row"]:last-child [data-testid="env-key"]"#,
        ENV_KEY,
    )
    .await;
    ui.type_into(
        r#"[data-testid="env-row"]:last-child [data-testid="env-value"]"#,
        ENV_VALUE,
    )
    .await;
    ui.wait_js(
        "the env unsaved marker",
        "return !$('env-unsaved').hidden",
        &[],
    )
    .await;
    ui.click(&tid("env-save")).await;
    ui.wait_js(
        "the saved variable",
        ENV_STATE,
        &[json!(ENV_KEY), json!(ENV_VALUE)],
    )
    .await;

    ui.step("reload the environment tab");
    ui.click(&tid("tab-code")).await;
    ui.wait_js(
        "the code tab",
        "return !!$('tab-code-panel') && !!$('editor')",
        &[],
    )
    .await;
    ui.click(&tid("tab-env")).await;
    ui.wait_js(
        "the variable after reloading the tab",
        ENV_STATE,
        &[json!(ENV_KEY), json!(ENV_VALUE)],
    )
    .await;

    ui.step("set a KV entry");
    ui.click(&tid("tab-kv")).await;
    let kv = ui
        .wait_js(
            "the KV tab",
            "return $('kv-unavailable') ? 'unavailable' \
               : ($('kv-empty') || $('kv-table')) && $('kv-form') ? 'ready' : null",
            &[],
        )
        .await;
    assert_eq!(
        kv,
        json!("ready"),
        "the server does not answer the KV routes"
    );
    ui.type_into(&tid("kv-key"), "count").await;
    ui.type_into(&tid("kv-value"), "41").await;
    ui.click(&tid("kv-set")).await;
    ui.wait_js(
        "the KV row and the opened entry",
        "const r = $$('kv-row').find(r => r.dataset.key === arguments[0]); \
         return !!r && $('kv-row-value', r).textContent === arguments[1] \
           && !$('kv-detail').hidden && $('kv-detail-value').textContent === arguments[1]",
        &[json!("count"), json!("41")],
    )
    .await;

    ui.step("invoke the function from the Test tab");
    ui.click(&tid("tab-test")).await;
    ui.wait_js(
        "the request form",
        "return $('req-url')?.textContent === arguments[0]",
        &[json!(format!("GET {mount}fn/{id}"))],
    )
    .await;
    ui.click(&tid("req-send")).await;
    let res = ui
        .wait_js(
            "the response",
            "const s = $('resp-status'); if (!s) return null; const b = $('resp-body'); \
             return { status: s.dataset.status, body: b.textContent, json: b.dataset.json, \
                      execution: $('resp-execution-link')?.dataset.id ?? null };",
            &[],
        )
        .await;
    assert_eq!(res["status"], json!("200"), "{res}");
    assert_eq!(res["json"], json!("true"), "{res}");
    let body: Value =
        serde_json::from_str(res["body"].as_str().expect("the body text")).expect("a JSON body");
    // Version 1 is active again, and counts on from the value set in the KV tab.
    assert_eq!(body, json!({"count": 42}));
    let exec = res["execution"]
        .as_str()
        .expect("a link to the execution")
        .to_owned();

    ui.step("open the execution and read its logs");
    ui.click(&tid("resp-execution-link")).await;
    let ex = ui
        .wait_js(
            "the execution with its logs",
            "const v = $('execution-view'); if (!v || v.dataset.id !== arguments[0]) return null; \
             const logs = $$('log-row').map(r => ({ level: r.dataset.level, message: $('log-message', r).textContent })); \
             return logs.length ? { status: $('exec-status').dataset.status, \
                                    version: $('exec-version').textContent, \
                                    calls: $('exec-calls').textContent, logs } : null;",
            &[json!(exec)],
        )
        .await;
    assert_eq!(ex["status"], json!("success"), "{ex}");
    assert_eq!(ex["version"], json!("v1"), "{ex}");
    // The counter read and wrote its KV key: two calls in the execution's usage.
    assert_eq!(ex["calls"], json!("kv 2"), "{ex}");
    let logged = ex["logs"].as_array().is_some_and(|logs| {
        logs.iter().any(|l| {
            l["level"] == "info"
                && l["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("count is now 42"))
        })
    });
    assert!(logged, "the log rows: {}", ex["logs"]);
    ui.click(&tid("exec-function-link")).await;
    ui.wait_js(
        "the execution in the function's list",
        "const r = $$('exec-row').find(r => r.dataset.id === arguments[0]); \
         return !!r && r.dataset.status === 'success' && r.dataset.trigger === 'http'",
        &[json!(exec)],
    )
    .await;

    ui.step("schedule it every five minutes");
    ui.click(&tid("tab-settings")).await;
    ui.wait_js(
        "the settings without a schedule",
        "return !!$('settings-form') && $('next-run')?.dataset.state === 'none'",
        &[],
    )
    .await;
    ui.type_into(&tid("cron-schedule"), CRON).await;
    ui.select(&tid("cron-status"), "active").await;
    ui.wait_js(
        "the settings unsaved marker",
        "return !$('settings-unsaved').hidden",
        &[],
    )
    .await;
    let before = unix_now();
    ui.click(&tid("settings-save")).await;
    let next = ui
        .wait_js(
            "the next run",
            "const n = $('next-run'); \
             return n && n.dataset.state === 'scheduled' && $('cron-schedule').value === arguments[0] \
               && $('cron-status').value === 'active' \
               ? { next: Number(n.dataset.next), text: n.textContent } : null",
            &[json!(CRON)],
        )
        .await;
    let at = next["next"].as_f64().expect("data-next") as i64;
    assert!(
        at > before && at <= before + 5 * 60 + 60,
        "next run at {at}, saved at {before}: {next}"
    );

    ui.step("disable the function");
    ui.click(&tid("disable")).await;
    ui.wait_js(
        "the disabled status",
        "return $('fn-status')?.dataset.status === 'disabled' \
           && $('disable')?.dataset.disabled === 'true' \
           && $('next-run')?.dataset.state === 'paused' && $('settings-disabled').checked",
        &[],
    )
    .await;

    ui.step("find it in the list");
    ui.click(&tid("nav-functions")).await;
    let row = ui
        .wait_js(
            "its row with its last execution",
            "const r = $$('fn-row').find(r => r.dataset.id === arguments[0]); \
             const link = r && $('fn-last-exec', r).querySelector('a'); \
             return link ? { status: $('fn-status', r).dataset.status, \
                             cron: $('fn-cron', r)?.dataset.status ?? null, \
                             version: $('fn-version', r).textContent, \
                             last: link.getAttribute('href') } : null;",
            &[json!(id)],
        )
        .await;
    assert_eq!(row["status"], json!("disabled"), "{row}");
    assert_eq!(row["cron"], json!("active"), "{row}");
    assert_eq!(row["version"], json!("v1"), "{row}");
    // A cron run may have happened meanwhile, so only the link's shape is checked.
    assert!(
        row["last"]
            .as_str()
            .is_some_and(|h| h.starts_with("#/executions/")),
        "{row}"
    );
    ui.click(&format!(
        r#"[data-testid="fn-row"][data-id="{id}"] [data-testid="fn-name"]"#
    ))
    .await;
    ui.wait_js(
        "its page",
        "return $('function-view')?.dataset.id === arguments[0] && !!$('tab-code-panel')",
        &[json!(id)],
    )
    .await;

    ui.step("delete it");
    ui.click(&tid("tab-settings")).await;
    ui.click(&tid("delete-function")).await;
    ui.wait_js(
        "the confirmation",
        "return !!$('confirm-dialog') && $('confirm-message').textContent.includes(arguments[0])",
        &[json!(j.name)],
    )
    .await;
    ui.click(&tid("confirm-ok")).await;
    ui.wait_js(
        "the list without it",
        "const e = $('fn-empty'); \
         return !!$('functions-view') && !$$('fn-row').some(r => r.dataset.id === arguments[0]) \
           && !!e && !e.hidden",
        &[json!(id)],
    )
    .await;

    ui.step("check that every request stayed under the mount");
    let urls = ui
        .js(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            &[],
        )
        .await;
    let urls: Vec<&str> = urls
        .as_array()
        .expect("a list of URLs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let app_js = format!("{mount}dashboard/app.js");
    assert!(
        urls.contains(&app_js.as_str()),
        "{app_js} not among {urls:?}"
    );
    let api = format!("{mount}api/functions");
    assert!(
        urls.iter().any(|u| u.starts_with(&api)),
        "no call to {api} among {urls:?}"
    );
    let elsewhere: Vec<&&str> = urls
        .iter()
        .filter(|u| !u.starts_with(mount) && !u.starts_with("data:"))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "the page reached outside {mount}: {elsewhere:?}"
    );
}

/// True when the version with number `arguments[0]` is the only active one of two, in the
/// header and the versions table.
const ACTIVE_VERSION: &str = "const rows = $$('version-row'); \
    return $('fn-active-version')?.dataset.version === arguments[0] && rows.length === 2 \
      && rows.every(r => r.dataset.active === String(r.dataset.version === arguments[0]))";

/// The v1→v2 diff in mode `arguments[0]`: its counts when both are above zero, an added
/// line holds `arguments[1]` (on the new side when split) and a removed one `arguments[2]`.
const DIFF_STATE: &str = "const [mode, added, removed] = arguments; \
    const d = $('diff'), s = $('diff-summary'); \
    if (!d || !s || d.dataset.mode !== mode || $('diff-from').value !== '1' || $('diff-to').value !== '2') return null; \
    const lines = $$('diff-line'); \
    const hasAdded = lines.some(l => l.dataset.type === 'added' && l.textContent.includes(added) \
      && (mode === 'inline' || l.dataset.side === 'new')); \
    const hasRemoved = lines.some(l => l.dataset.type === 'removed' && l.textContent.includes(removed)); \
    const counts = { added: Number(s.dataset.added), removed: Number(s.dataset.removed) }; \
    return counts.added > 0 && counts.removed > 0 && hasAdded && hasRemoved ? counts : null;";

/// The environment tab, saved (no unsaved marker), with the masked row
/// `arguments[0]`=`arguments[1]`.
const ENV_STATE: &str = "const u = $('env-unsaved'); \
    return !!$('tab-env-panel') && !!u && u.hidden && $$('env-row').some(r => \
      $('env-key', r).value === arguments[0] && $('env-value', r).value === arguments[1] \
      && $('env-value', r).type === 'password')";

/// Prepended to every script: `$(testid, root?)` and `$$(testid, root?)`.
const PRELUDE: &str = "const $ = (id, root = document) => root.querySelector(`[data-testid=\"${id}\"]`); \
    const $$ = (id, root = document) => [...root.querySelectorAll(`[data-testid=\"${id}\"]`)];\n";

/// What the page shows when a wait times out.
const DIAGNOSE: &str = "const b = document.getElementById('banner'); \
    return { url: location.href, banner: b && !b.hidden ? b.textContent : null, \
             view_error: $('view-error')?.textContent ?? null };";

/// The CSS selector of a test id.
fn tid(id: &str) -> String {
    format!(r#"[data-testid="{id}"]"#)
}

fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    i64::try_from(secs).expect("seconds fit an i64")
}

/// The browser session of one test, with the name of the step it is in.
#[derive(Clone)]
struct Ui {
    client: Client,
    test: &'static str,
    /// Number and name of the current step.
    step: Arc<Mutex<(u32, String)>>,
}

impl Ui {
    /// Starts a step: a failure from here on is reported, and screenshotted, under `name`.
    fn step(&self, name: &str) {
        let mut step = self.step.lock().unwrap_or_else(PoisonError::into_inner);
        step.0 += 1;
        step.1 = name.to_owned();
        eprintln!("[{}] step {}: {name}", self.test, step.0);
    }

    /// `<test>-<nn>-<step>`, for the screenshot's file name.
    fn step_file_name(&self) -> String {
        let step = self.step.lock().unwrap_or_else(PoisonError::into_inner);
        let mut slug = String::new();
        for c in step.1.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') {
                slug.push('-');
            }
        }
        format!("{}-{:02}-{}", self.test, step.0, slug.trim_matches('-'))
    }

    async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Runs `script` (after [`PRELUDE`]) with `args` as `arguments`.
    async fn js(&self, script: &str, args: &[Value]) -> Value {
        self.client
            .execute(&format!("{PRELUDE}{script}"), args.to_vec())
            .await
            .unwrap_or_else(|e| panic!("the script failed: {e}\n{script}"))
    }

    /// Runs `script` until it returns a truthy value, and returns that value.
    async fn wait_js(&self, what: &str, script: &str, args: &[Value]) -> Value {
        let script = format!("{PRELUDE}{script}");
        let deadline = Instant::now() + TIMEOUT;
        let last = loop {
            let last = match self.client.execute(&script, args.to_vec()).await {
                Ok(v) if truthy(&v) => return v,
                Ok(v) => format!("returned {v}"),
                Err(e) => format!("failed: {e}"),
            };
            if Instant::now() >= deadline {
                break last;
            }
            tokio::time::sleep(POLL).await;
        };
        let page = self
            .client
            .execute(&format!("{PRELUDE}{DIAGNOSE}"), Vec::new())
            .await
            .map_or_else(|e| format!("unknown ({e})"), |v| format!("{v}"));
        panic!(
            "timed out after {TIMEOUT:?} waiting for {what}; the last check {last}; the page: {page}"
        );
    }

    /// Waits for the element `css`, then runs `action` on it, again while the element goes
    /// stale, is covered or cannot take input yet.
    async fn act<F, Fut>(&self, what: &str, css: &str, action: F)
    where
        F: Fn(Element) -> Fut,
        Fut: Future<Output = Result<(), CmdError>>,
    {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let element = self
                .client
                .wait()
                .at_most(TIMEOUT)
                .every(POLL)
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("no element matches `{css}` within {TIMEOUT:?}: {e}"));
            match action(element).await {
                Ok(()) => return,
                Err(e) if retryable(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(POLL).await;
                }
                Err(e) => panic!("cannot {what} `{css}`: {e}"),
            }
        }
    }

    async fn click(&self, css: &str) {
        self.act("click", css, |el| async move { el.click().await })
            .await;
    }

    /// Replaces the field's text by typing `text` (input events as from a person).
    async fn type_into(&self, css: &str, text: &str) {
        self.act("type into", css, |el| async move {
            el.clear().await?;
            el.send_keys(text).await
        })
        .await;
    }

    /// Picks the `<option>` with `value` of the `<select>` `css`.
    async fn select(&self, css: &str, value: &str) {
        self.act("select an option of", css, |el| async move {
            el.select_by_value(value).await
        })
        .await;
    }

    /// Saves a screenshot of the page as `<dir>/<test>-<nn>-<step>.png`.
    async fn screenshot(&self, dir: &Path) {
        let path = dir.join(format!("{}.png", self.step_file_name()));
        match self.client.screenshot().await {
            Ok(png) => match std::fs::write(&path, png) {
                Ok(()) => eprintln!("[{}] screenshot: {}", self.test, path.display()),
                Err(e) => eprintln!("[{}] cannot write {}: {e}", self.test, path.display()),
            },
            Err(e) => eprintln!("[{}] cannot take a screenshot: {e}", self.test),
        }
    }
}

/// JavaScript truthiness of a returned value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Errors a moment later may cure: the page re-rendered, or is still settling.
fn retryable(e: &CmdError) -> bool {
    matches!(e, CmdError::Standard(w) if matches!(
        w.error,
        ErrorStatus::StaleElementReference
            | ErrorStatus::ElementClickIntercepted
            | ErrorStatus::ElementNotInteractable
            | ErrorStatus::NoSuchElement
    ))
}

/// Starts chromedriver and a Chromium session, walks the journey, and always ends the
/// session and chromedriver; a failed step leaves a screenshot before the test fails.
async fn browse(test: &'static str, browser: &Browser, j: &Journey) {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let http: HttpClient<HttpConnector, String> =
        HttpClient::builder(TokioExecutor::new()).build_http();
    let driver = ChromeDriver::start(
        &browser.chromedriver,
        &dir.join(format!("{test}-chromedriver.log")),
        &http,
    )
    .await;
    let client = connect(&driver, &browser.chromium).await;
    let ui = Ui {
        client: client.clone(),
        test,
        step: Arc::default(),
    };

    // The journey runs as a task of its own so that a panic in any step comes back here
    // while the browser still shows the page it failed on.
    let outcome = {
        let (ui, j) = (ui.clone(), j.clone());
        tokio::spawn(async move { journey(&ui, &j).await }).await
    };
    let console = match &outcome {
        Ok(()) => console_errors(&http, &driver, &client).await,
        Err(_) => {
            ui.screenshot(&dir).await;
            None
        }
    };
    if let Err(e) = client.close().await {
        eprintln!("[{test}] cannot end the browser session: {e}");
    }
    drop(driver);

    if let Err(e) = outcome {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("[{test}] the journey was cancelled: {e}");
    }
    if let Some(errors) = console {
        // The start-up probe's 401 (before logging in) is expected; Chromium logs it.
        let unexpected: Vec<String> = errors
            .into_iter()
            .filter(|m| !(m.contains("api/functions?limit=1") && m.contains("401")))
            .collect();
        assert!(
            unexpected.is_empty(),
            "[{test}] the browser console has errors: {unexpected:#?}"
        );
    }
}

/// The browser console's `SEVERE` entries, or `None` when chromedriver cannot give them
/// (the log endpoint is not part of W3C WebDriver).
async fn console_errors(
    http: &HttpClient<HttpConnector, String>,
    driver: &ChromeDriver,
    client: &Client,
) -> Option<Vec<String>> {
    let session = match client.session_id().await {
        Ok(Some(id)) => id,
        other => {
            eprintln!("cannot read the browser console: no session id ({other:?})");
            return None;
        }
    };
    let url = format!("{}/session/{session}/se/log", driver.url);
    match driver_call(http, Method::POST, &url, r#"{"type":"browser"}"#).await {
        Ok((200, body)) => {
            let entries = body["value"].as_array()?;
            Some(
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                    .collect(),
            )
        }
        Ok((status, body)) => {
            eprintln!("cannot read the browser console (HTTP {status}: {body}); not checked");
            None
        }
        Err(e) => {
            eprintln!("cannot read the browser console ({e}); not checked");
            None
        }
    }
}

/// Opens a headless Chromium session.
async fn connect(driver: &ChromeDriver, chromium: &Path) -> Client {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.to_string_lossy(),
            "args": CHROMIUM_ARGS,
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    let capabilities = capabilities
        .as_object()
        .cloned()
        .expect("capabilities are a JSON object");
    // Plain HTTP to chromedriver on loopback: no TLS connector needed.
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(capabilities);
    builder
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("chromedriver cannot start a Chromium session: {e}"))
}

/// One request to chromedriver: the status and the JSON body.
async fn driver_call(
    http: &HttpClient<HttpConnector, String>,
    method: Method,
    url: &str,
    body: &str,
) -> Result<(u16, Value), String> {
    let req = axum::http::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .map_err(|e| e.to_string())?;
    let res = tokio::time::timeout(Duration::from_secs(10), http.request(req))
        .await
        .map_err(|_| "no answer within 10 s".to_owned())?
        .map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(axum::body::Body::new(res.into_body()), 64 << 20)
        .await
        .map_err(|e| e.to_string())?;
    let json = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    Ok((status, json))
}

/// Where Chromium and chromedriver are, if both are.
struct Browser {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

impl Browser {
    /// Both binaries, or `None` (skip) when one is missing; with `LUNAR_REQUIRE_BROWSER=1`
    /// a missing one fails the test instead.
    fn find() -> Option<Self> {
        let path = |var: &str, default: &str| {
            std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
        };
        let browser = Self {
            chromium: path("LUNAR_CHROMIUM", "/usr/bin/chromium"),
            chromedriver: path("LUNAR_CHROMEDRIVER", "/usr/bin/chromedriver"),
        };
        let missing: Vec<String> = [&browser.chromium, &browser.chromedriver]
            .into_iter()
            .filter(|p| !p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if missing.is_empty() {
            return Some(browser);
        }
        let missing = missing.join(" and ");
        assert!(
            std::env::var("LUNAR_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "LUNAR_REQUIRE_BROWSER=1 but {missing} is missing"
        );
        eprintln!(
            "skipping the dashboard browser test: {missing} is missing \
             (Debian: apt-get install chromium chromium-driver)"
        );
        None
    }
}

/// A chromedriver process on a free loopback port, killed when dropped.
struct ChromeDriver {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    url: String,
}

impl ChromeDriver {
    /// Starts chromedriver and waits until it is ready for a session.
    async fn start(binary: &Path, log: &Path, http: &HttpClient<HttpConnector, String>) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free loopback port")
            .local_addr()
            .expect("its address")
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = format!("{}/status", driver.url);
        loop {
            if let Ok((200, body)) = driver_call(http, Method::GET, &status, "").await
                && body["value"]["ready"].as_bool() == Some(true)
            {
                return driver;
            }
            if let Ok(Some(exit)) = driver.child.try_wait() {
                panic!("chromedriver exited ({exit}); see {}", log.display());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver is not ready on port {port} after 20 s; see {}",
                log.display()
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The app serving on its listener until stopped.
struct Server {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    fn start(app: App, listener: TcpListener) -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        Self { stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task
            .await
            .expect("the server task")
            .expect("the server shuts down cleanly");
    }
}

/// SQLite and V8 in `data_dir`, with a known API key and `base_url`.
fn config(data_dir: &Path, base_url: &str) -> ServerConfig {
    let vars = HashMap::from([
        (
            "DATA_DIR",
            data_dir.to_str().expect("a UTF-8 temp path").to_owned(),
        ),
        ("API_KEY", API_KEY.to_owned()),
        ("BASE_URL", base_url.to_owned()),
    ]);
    ServerConfig::from_vars(|name| vars.get(name).cloned()).expect("a valid configuration")
}

/// `$CARGO_TARGET_DIR/dashboard-screenshots`, else the workspace's `target/`.
fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("examples/ lies in the workspace");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), |t| workspace.join(t));
    target.join("dashboard-screenshots")
}
