//! [`Lunar`]: the platform as one value — engine, function cache, group commit, cron
//! scheduler and housekeeping — built from a store backend, a runtime and one
//! [`LunarConfig`], with a management API ([`Lunar::functions`]) and a lifecycle
//! ([`Lunar::start`] → [`Running::shutdown`]).
//!
//! ```no_run
//! # async fn demo(
//! #     backend: std::sync::Arc<impl lunar_core::store::Backend>,
//! #     runtime: std::sync::Arc<dyn lunar_core::Runtime>,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use lunar_core::app::{Lunar, LunarConfig};
//!
//! let lunar = Lunar::builder(backend, runtime).config(LunarConfig::from_env()?).build();
//! let running = lunar.start().await?;
//! // ... serve lunar_http::LunarService::for_lunar(&lunar) somewhere ...
//! running.shutdown(std::time::Duration::from_secs(30)).await;
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::capability::{Capabilities, Grants};
use crate::clock::Clock;
use crate::cron_scheduler::{CronScheduler, SchedulerConfig};
use crate::engine::{Engine, EngineConfig};
use crate::housekeeping::Housekeeper;
use crate::http_client::HttpClient;
use crate::manage::Functions;
use crate::runtime::{Limits, Runtime};
use crate::scheduler::Scheduler;
use crate::store::{Backend, Stores};
use crate::validate::LimitCeilings;

/// A setting that could not be read; the message names the variable and what it takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The platform's settings, read once. Invalid values are errors, never silent defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LunarConfig {
    /// Absolute URL at which clients reach Lunar, mount prefix included, without a
    /// trailing `/` (`ctx.baseUrl`, the API docs, cron's event path).
    pub base_url: Option<String>,
    /// Time zone of functions (`Date`, `time.*`) and of cron schedules without a
    /// `CRON_TZ=` prefix.
    pub timezone: chrono_tz::Tz,
    /// Limits where a function has no override (the execution timeout among them).
    pub limits: Limits,
    /// Largest values a function may set.
    pub ceilings: LimitCeilings,
    /// Most executions in flight before `/fn` answers 503 (`None`: the engine's default
    /// from the runtime's parallelism; `Some(0)`: no bound).
    pub max_in_flight: Option<usize>,
    /// Longest wait for the runtime's workers before `/fn` answers 503 (see
    /// [`EngineConfig::max_queue_delay`]; zero: no bound).
    pub max_queue_delay: Duration,
    /// Who may call which host capability (replacing any grant hook the capabilities
    /// carry); `None` leaves the capabilities' own hook.
    pub grants: Option<Grants>,
}

impl Default for LunarConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            timezone: chrono_tz::UTC,
            limits: Limits::default(),
            ceilings: LimitCeilings::default(),
            max_in_flight: None,
            max_queue_delay: crate::DEFAULT_MAX_QUEUE_DELAY,
            grants: None,
        }
    }
}

impl LunarConfig {
    /// Reads `EXECUTION_TIMEOUT` (seconds, default 30), `BASE_URL`, `LUNAR_TIMEZONE`
    /// (IANA name, default UTC), `LUNAR_MAX_IN_FLIGHT`, `LUNAR_MAX_QUEUE_DELAY_MS` and
    /// `LUNAR_GRANTS` from the process environment.
    ///
    /// # Errors
    /// The first variable that is set to something invalid, by name.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) through `var` (a map in tests, a config file...).
    ///
    /// # Errors
    /// The first variable that is set to something invalid, by name.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let err = |m: String| ConfigError(m);
        let mut c = Self::default();
        if let Some(t) = var("EXECUTION_TIMEOUT") {
            match t.parse::<u64>() {
                Ok(n) if n > 0 => c = c.with_timeout(Duration::from_secs(n)),
                _ => {
                    return Err(err(
                        "EXECUTION_TIMEOUT must be a positive number of seconds".into(),
                    ));
                }
            }
        }
        if let Some(u) = var("BASE_URL") {
            c = c.with_base_url(u);
        }
        if let Some(tz) = var("LUNAR_TIMEZONE") {
            c.timezone = tz.parse().map_err(|_| {
                err(format!(
                    "LUNAR_TIMEZONE must be an IANA time zone (got {tz:?})"
                ))
            })?;
        }
        if let Some(n) = var("LUNAR_MAX_IN_FLIGHT") {
            c.max_in_flight = Some(n.parse().map_err(|_| {
                err("LUNAR_MAX_IN_FLIGHT must be a whole number (0: no bound)".into())
            })?);
        }
        if let Some(n) = var("LUNAR_MAX_QUEUE_DELAY_MS") {
            c.max_queue_delay = Duration::from_millis(n.parse().map_err(|_| {
                err(
                    "LUNAR_MAX_QUEUE_DELAY_MS must be a whole number of milliseconds (0: no bound)"
                        .into(),
                )
            })?);
        }
        if let Some(g) = var("LUNAR_GRANTS") {
            c.grants = Some(Grants::parse(&g).map_err(|e| err(format!("LUNAR_GRANTS: {e}")))?);
        }
        Ok(c)
    }

    /// Sets the base URL (one trailing `/` removed).
    #[must_use]
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(crate::engine::base_url_of(url));
        self
    }

    /// Sets the execution timeout, raising the timeout ceiling to it when needed.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.limits = self.limits.with_timeout(timeout);
        self.ceilings.timeout_seconds = self.ceilings.timeout_seconds.max(timeout.as_secs());
        self
    }

    /// Sets the time zone.
    #[must_use]
    pub fn with_timezone(mut self, tz: chrono_tz::Tz) -> Self {
        self.timezone = tz;
        self
    }

    /// Sets the default limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the bound on executions in flight (`0`: none).
    #[must_use]
    pub fn with_max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = Some(max);
        self
    }

    /// Sets the longest wait for the runtime's workers before executions are refused
    /// (zero: no bound).
    #[must_use]
    pub fn with_max_queue_delay(mut self, max: Duration) -> Self {
        self.max_queue_delay = max;
        self
    }

    /// Sets who may call which host capability.
    #[must_use]
    pub fn with_grants(mut self, grants: Grants) -> Self {
        self.grants = Some(grants);
        self
    }

    /// The engine's part of these settings.
    #[must_use]
    pub fn engine_config(&self) -> EngineConfig {
        let mut e = EngineConfig::default()
            .with_default_limits(self.limits)
            .with_ceilings(self.ceilings)
            .with_timezone(self.timezone.name());
        if let Some(u) = &self.base_url {
            e = e.with_base_url(u.clone());
        }
        if let Some(n) = self.max_in_flight {
            e = e.with_max_in_flight(n);
        }
        e.with_max_queue_delay(self.max_queue_delay)
    }
}

/// Builds a [`Lunar`].
pub struct LunarBuilder {
    stores: Stores,
    runtime: Arc<dyn Runtime>,
    config: LunarConfig,
    http: Option<Arc<dyn HttpClient>>,
    capabilities: Capabilities,
    clock: Option<Arc<dyn Clock>>,
    node: Option<String>,
    exclusive: bool,
}

impl fmt::Debug for LunarBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LunarBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LunarBuilder {
    /// The settings.
    #[must_use]
    pub fn config(mut self, config: LunarConfig) -> Self {
        self.config = config;
        self
    }

    /// The client for outbound `http`/`fetch`, AI and e-mail calls (none: they fail).
    #[must_use]
    pub fn http_client(mut self, http: Arc<dyn HttpClient>) -> Self {
        self.http = Some(http);
        self
    }

    /// Host capabilities functions may call as `host.<name>(args)`.
    #[must_use]
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// A clock other than the system's (tests).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// This node's name in cron and housekeeping claims (default: a new id per process).
    #[must_use]
    pub fn node(mut self, node: impl Into<String>) -> Self {
        self.node = Some(node.into());
        self
    }

    /// The store belongs to this process alone (an embedded SQLite file, sled): whatever
    /// an earlier process left `pending` is failed at [`Lunar::start`]. Otherwise (a shared
    /// PostgreSQL) only executions pending for longer than any could run are.
    #[must_use]
    pub fn exclusive_store(mut self, exclusive: bool) -> Self {
        self.exclusive = exclusive;
        self
    }

    /// Builds the engine, scheduler and housekeeper.
    #[must_use]
    pub fn build(self) -> Lunar {
        let mut capabilities = self.capabilities;
        if let Some(g) = &self.config.grants {
            capabilities = capabilities.grant_table(g.clone());
        }
        let mut engine = Engine::builder(self.stores, self.runtime)
            .config(self.config.engine_config())
            .capabilities(capabilities);
        if let Some(h) = self.http {
            engine = engine.http_client(h);
        }
        if let Some(c) = self.clock {
            engine = engine.clock(c);
        }
        let engine = engine.build();
        let node = self
            .node
            .unwrap_or_else(|| format!("{}-{}", crate::ids::new_id(), std::process::id()));
        let scheduler = CronScheduler::new(
            engine.clone(),
            SchedulerConfig::default()
                .with_node(node.clone())
                .with_timezone(self.config.timezone),
        );
        let housekeeper = Housekeeper::new(engine.clone(), node);
        let functions = Functions::new(
            engine.clone(),
            Some(Arc::new(scheduler.clone()) as Arc<dyn Scheduler>),
        );
        Lunar {
            inner: Arc::new(Inner {
                engine,
                scheduler,
                housekeeper,
                functions,
                config: self.config,
                exclusive: self.exclusive,
            }),
        }
    }
}

/// The platform: engine, cache, group commit, cron and housekeeping. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Lunar {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    engine: Engine,
    scheduler: CronScheduler,
    housekeeper: Housekeeper,
    functions: Functions,
    config: LunarConfig,
    exclusive: bool,
}

impl Lunar {
    /// A platform over `backend` and `runtime`.
    pub fn builder<B: Backend>(backend: Arc<B>, runtime: Arc<dyn Runtime>) -> LunarBuilder {
        Self::with_stores(Stores::from_backend(backend), runtime)
    }

    /// A platform over stores composed by hand.
    pub fn with_stores(stores: Stores, runtime: Arc<dyn Runtime>) -> LunarBuilder {
        LunarBuilder {
            stores,
            runtime,
            config: LunarConfig::default(),
            http: None,
            capabilities: Capabilities::default(),
            clock: None,
            node: None,
            exclusive: false,
        }
    }

    /// The execution engine.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The settings it was built with.
    #[must_use]
    pub fn config(&self) -> &LunarConfig {
        &self.inner.config
    }

    /// Managing functions, versions, env, KV and executions, as the REST API does.
    #[must_use]
    pub fn functions(&self) -> &Functions {
        &self.inner.functions
    }

    /// The cron scheduler (started by [`start`](Self::start)).
    #[must_use]
    pub fn scheduler(&self) -> &CronScheduler {
        &self.inner.scheduler
    }

    /// Fails executions an earlier process left `pending`, loads the cron schedules and
    /// starts the scheduler and hourly housekeeping.
    ///
    /// # Errors
    /// The store error when the schedules cannot be loaded.
    pub async fn start(&self) -> crate::Result<Running> {
        let i = &self.inner;
        let interrupted = if i.exclusive {
            i.housekeeper.fail_all_pending().await
        } else {
            i.housekeeper.fail_stale_pending().await
        };
        match interrupted {
            Ok(0) => {}
            Ok(n) => tracing::warn!(count = n, "marked interrupted pending executions as failed"),
            Err(e) => tracing::warn!(error = %e, "cannot fail interrupted pending executions"),
        }
        i.scheduler.reload().await?;
        let stop = CancellationToken::new();
        let tasks = TaskTracker::new();
        {
            let (scheduler, stop) = (i.scheduler.clone(), stop.clone());
            tasks.spawn(async move { scheduler.run(stop).await });
        }
        {
            let (housekeeper, stop) = (i.housekeeper.clone(), stop.clone());
            tasks.spawn(async move { housekeeper.run(stop).await });
        }
        tasks.close();
        Ok(Running {
            engine: i.engine.clone(),
            stop,
            tasks,
        })
    }
}

/// A started [`Lunar`]; [`shutdown`](Self::shutdown) stops it in order.
#[derive(Debug)]
#[must_use = "a started Lunar is stopped with Running::shutdown"]
pub struct Running {
    engine: Engine,
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Running {
    /// Stops the scheduler and housekeeping (no new cron executions), stops taking
    /// executions, lets those in flight finish for up to `grace` (the rest are recorded
    /// `server shutting down`), and waits for every write.
    pub async fn shutdown(self, grace: Duration) {
        self.stop.cancel();
        self.engine.shutdown(grace).await;
        self.tasks.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<LunarConfig, String> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        LunarConfig::from_vars(|k| map.get(k).map(|v| (*v).to_owned())).map_err(|e| e.0)
    }

    #[test]
    fn settings_are_read_once_and_bad_ones_are_named() {
        let c = read(&[]).expect("defaults");
        assert_eq!(c.base_url, None);
        assert_eq!(c.timezone, chrono_tz::UTC);
        assert_eq!(c.limits.timeout, Duration::from_secs(30));
        assert_eq!(c.max_queue_delay, Duration::from_millis(20));
        let c = read(&[
            ("EXECUTION_TIMEOUT", "1200"),
            ("BASE_URL", "https://x.io/lunar/"),
            ("LUNAR_TIMEZONE", "Europe/Berlin"),
            ("LUNAR_MAX_IN_FLIGHT", "0"),
            ("LUNAR_MAX_QUEUE_DELAY_MS", "5"),
            ("LUNAR_GRANTS", "crm-*:users.*"),
        ])
        .expect("valid");
        assert_eq!(c.limits.timeout, Duration::from_secs(1200));
        assert_eq!(c.ceilings.timeout_seconds, 1200, "the ceiling follows");
        assert_eq!(c.base_url.as_deref(), Some("https://x.io/lunar"));
        assert_eq!(c.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(c.max_in_flight, Some(0));
        assert_eq!(c.max_queue_delay, Duration::from_millis(5));
        assert_eq!(
            c.engine_config().max_queue_delay,
            Duration::from_millis(5),
            "the engine gets it"
        );
        assert!(c.grants.is_some_and(|g| g.matches("crm-a", "users.get")));
        let e = read(&[("LUNAR_TIMEZONE", "Asia/Tokyo")])
            .expect("valid")
            .engine_config();
        assert_eq!(e.zone(), chrono_tz::Asia::Tokyo);
        for (var, value, message) in [
            (
                "EXECUTION_TIMEOUT",
                "0",
                "EXECUTION_TIMEOUT must be a positive number of seconds",
            ),
            (
                "LUNAR_TIMEZONE",
                "Mars/Olympus",
                r#"LUNAR_TIMEZONE must be an IANA time zone (got "Mars/Olympus")"#,
            ),
            (
                "LUNAR_MAX_IN_FLIGHT",
                "-1",
                "LUNAR_MAX_IN_FLIGHT must be a whole number (0: no bound)",
            ),
            (
                "LUNAR_MAX_QUEUE_DELAY_MS",
                "1.5",
                "LUNAR_MAX_QUEUE_DELAY_MS must be a whole number of milliseconds (0: no bound)",
            ),
            (
                "LUNAR_GRANTS",
                "x",
                r#"LUNAR_GRANTS: rule "x" must be function:capability"#,
            ),
        ] {
            assert_eq!(read(&[(var, value)]).unwrap_err(), message);
        }
    }
}
