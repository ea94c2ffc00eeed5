//! Host capabilities: named async Rust functions that the embedding application hands to
//! user code, which calls them as `await host.users.lookup({ id })`.
//!
//! Arguments and results cross as JSON values, decoded into the capability's own serde
//! types. Which function may call which capability is the host's decision (a grant hook;
//! nothing is granted by default). Every call is recorded for its execution — name,
//! duration, outcome — including refused calls and calls cancelled because their
//! execution ended.
//!
//! ```
//! use lunar_core::capability::{Capabilities, CallCtx};
//!
//! #[derive(serde::Deserialize)]
//! struct Lookup { id: u64 }
//!
//! let caps = Capabilities::new()
//!     .add("users.lookup", |_ctx: CallCtx, args: Lookup| async move {
//!         Ok::<_, String>(serde_json::json!({ "id": args.id, "name": "Ada" }))
//!     })
//!     .grant(|function, capability| function.name == "profile" && capability == "users.lookup");
//! assert_eq!(caps.names().collect::<Vec<_>>(), ["users.lookup"]);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::cache::Runnable;
use crate::clock::Clock;
use crate::ids;
use crate::model::{CallStatus, Function, HostCall};
use crate::store::HostCallTracker;
use crate::usage::{CallKind, UsageMeter};

/// What a capability learns about its caller.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CallCtx {
    /// The calling function.
    pub function_id: String,
    /// Its name.
    pub function_name: String,
    /// The calling execution.
    pub execution_id: String,
    /// The capability called.
    pub capability: String,
}

type CallFuture = Pin<Box<dyn Future<Output = Result<Value, String>> + Send>>;
type Handler = Arc<dyn Fn(CallCtx, Value) -> CallFuture + Send + Sync>;
type Grant = Arc<dyn Fn(&Function, &str) -> bool + Send + Sync>;

/// The host capabilities of an engine, and who may call them
/// ([`EngineBuilder::capabilities`](crate::engine::EngineBuilder::capabilities)).
#[derive(Clone, Default)]
pub struct Capabilities {
    handlers: BTreeMap<String, Handler>,
    grant: Option<Grant>,
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capabilities")
            .field("names", &self.handlers.keys().collect::<Vec<_>>())
            .field("grant", &self.grant.is_some())
            .finish()
    }
}

/// `users.lookup`: dot-separated JavaScript identifiers (ASCII letters, digits, `_`, `$`,
/// not starting with a digit).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
}

impl Capabilities {
    /// No capabilities.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers capability `name`: `f` receives the caller and the JavaScript argument
    /// decoded as `A` (`null` when none was given); its `Ok` is encoded back to JSON, its
    /// `Err` becomes the message of the `Error` the call rejects with.
    ///
    /// # Panics
    /// When `name` is not dot-separated identifiers (`users.lookup`) or is registered
    /// twice: both are mistakes in the host's code, found at startup.
    #[must_use]
    pub fn add<A, R, E, F, Fut>(mut self, name: &str, f: F) -> Self
    where
        A: DeserializeOwned + Send + 'static,
        R: Serialize,
        E: fmt::Display,
        F: Fn(CallCtx, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
    {
        assert!(
            valid_name(name),
            "host capability names are dot-separated identifiers, not {name:?}"
        );
        assert!(
            !self.handlers.contains_key(name),
            "host capability {name:?} is registered twice"
        );
        let f = Arc::new(f);
        let handler: Handler = Arc::new(move |ctx: CallCtx, args: Value| {
            let f = f.clone();
            Box::pin(async move {
                let name = ctx.capability.clone();
                let args: A = serde_json::from_value(args)
                    .map_err(|e| format!("host capability {name}: invalid arguments: {e}"))?;
                let result = f(ctx, args).await.map_err(|e| e.to_string())?;
                serde_json::to_value(result)
                    .map_err(|e| format!("host capability {name}: invalid result: {e}"))
            })
        });
        self.handlers.insert(name.to_owned(), handler);
        self
    }

    /// Decides which function may call which capability (replacing an earlier hook).
    /// Without one, nothing is granted.
    #[must_use]
    pub fn grant(
        mut self,
        grant: impl Fn(&Function, &str) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.grant = Some(Arc::new(grant));
        self
    }

    /// Grants every capability to every function.
    #[must_use]
    pub fn grant_all(self) -> Self {
        self.grant(|_, _| true)
    }

    /// Grants what a [`Grants`] table (read from configuration) allows, replacing an
    /// earlier hook.
    #[must_use]
    pub fn grant_table(self, grants: Grants) -> Self {
        self.grant(move |function, capability| grants.allows(function, capability))
    }

    /// The registered names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }

    /// True when nothing is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }

    /// The handler `function` may call as `name`, or why not.
    fn allowed(&self, function: &Function, name: &str) -> Result<&Handler, String> {
        let handler = self
            .handlers
            .get(name)
            .ok_or_else(|| format!("host capability {name} does not exist"))?;
        if self.grant.as_ref().is_some_and(|g| g(function, name)) {
            Ok(handler)
        } else {
            Err(format!(
                "host capability {name} is not granted to this function"
            ))
        }
    }
}

/// The capabilities as one execution sees them: calls are checked against its function's
/// grants and recorded under the execution.
#[derive(Clone)]
pub struct HostCalls {
    capabilities: Arc<Capabilities>,
    runnable: Arc<Runnable>,
    execution_id: String,
    tracker: Arc<dyn HostCallTracker>,
    clock: Arc<dyn Clock>,
    usage: Arc<UsageMeter>,
}

impl fmt::Debug for HostCalls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostCalls")
            .field("function", &self.runnable.function.id)
            .field("execution_id", &self.execution_id)
            .finish_non_exhaustive()
    }
}

/// A grant table from configuration: which functions (by name or id) may call which
/// capabilities. The text is a list of `function:capability` rules separated by commas or
/// whitespace; either side may end in `*` to match any suffix (`crm-*:users.*`), and a
/// lone `*` matches everything.
///
/// ```
/// use lunar_core::capability::Grants;
///
/// let g = Grants::parse("crm-*:users.lookup, billing:invoices.*").unwrap();
/// assert!(g.matches("crm-sync", "users.lookup"));
/// assert!(g.matches("billing", "invoices.create"));
/// assert!(!g.matches("billing", "users.lookup"));
/// assert_eq!(
///     Grants::parse("users.lookup").unwrap_err(),
///     "rule \"users.lookup\" must be function:capability"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    rules: Vec<(Pattern, Pattern)>,
}

/// One side of a rule: an exact text, or a prefix when written with a trailing `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Exact(String),
    Prefix(String),
}

impl Pattern {
    fn parse(text: &str) -> Option<Self> {
        match text.strip_suffix('*') {
            Some(prefix) if !prefix.contains('*') => Some(Self::Prefix(prefix.to_owned())),
            Some(_) => None,
            None if !text.is_empty() && !text.contains('*') => Some(Self::Exact(text.to_owned())),
            None => None,
        }
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            Self::Exact(e) => e == s,
            Self::Prefix(p) => s.starts_with(p.as_str()),
        }
    }
}

impl Grants {
    /// Parses a table; the error names the rule that is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rules = Vec::new();
        for rule in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|r| !r.is_empty())
        {
            if rule == "*" {
                rules.push((
                    Pattern::Prefix(String::new()),
                    Pattern::Prefix(String::new()),
                ));
                continue;
            }
            let Some((f, c)) = rule.split_once(':') else {
                return Err(format!("rule {rule:?} must be function:capability"));
            };
            let (Some(f), Some(c)) = (Pattern::parse(f), Pattern::parse(c)) else {
                return Err(format!(
                    "rule {rule:?}: each side is a name, optionally ending in *"
                ));
            };
            rules.push((f, c));
        }
        Ok(Self { rules })
    }

    /// True when no rule grants anything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether a rule lets the function called (or with the id) `function` call
    /// `capability`.
    #[must_use]
    pub fn matches(&self, function: &str, capability: &str) -> bool {
        self.rules
            .iter()
            .any(|(f, c)| f.matches(function) && c.matches(capability))
    }

    /// Whether `function` (matched by name, then by id) may call `capability`.
    #[must_use]
    pub fn allows(&self, function: &Function, capability: &str) -> bool {
        self.matches(&function.name, capability) || self.matches(&function.id, capability)
    }
}

/// Records one call when dropped: with its outcome when it finished, else as cancelled.
struct Recorder {
    call: Option<HostCall>,
    tracker: Option<Arc<dyn HostCallTracker>>,
    started: Instant,
}

/// The message of a call that its execution's end cancelled.
pub const CANCELLED: &str = "cancelled: the execution ended";

impl Recorder {
    fn finish(
        mut self,
        outcome: &Result<Value, String>,
    ) -> Option<(HostCall, Arc<dyn HostCallTracker>)> {
        let mut call = self.call.take()?;
        call.duration_ms = crate::clock::elapsed_ms(self.started);
        if let Err(e) = outcome {
            call.status = CallStatus::Error;
            call.error_message = Some(e.clone());
        }
        Some((call, self.tracker.take()?))
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let (Some(mut call), Some(tracker)) = (self.call.take(), self.tracker.take()) else {
            return;
        };
        call.duration_ms = crate::clock::elapsed_ms(self.started);
        call.status = CallStatus::Error;
        call.error_message = Some(CANCELLED.to_owned());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = tracker.record(&call).await {
                    tracing::warn!(error = %e, "cannot record a cancelled host capability call");
                }
            });
        }
    }
}

impl HostCalls {
    /// The capabilities the execution `execution_id` of `runnable`'s function may call,
    /// recorded with `tracker` and counted on `usage`.
    pub(crate) fn new(
        capabilities: Arc<Capabilities>,
        runnable: Arc<Runnable>,
        execution_id: String,
        tracker: Arc<dyn HostCallTracker>,
        clock: Arc<dyn Clock>,
        usage: Arc<UsageMeter>,
    ) -> Self {
        Self {
            capabilities,
            runnable,
            execution_id,
            tracker,
            clock,
            usage,
        }
    }

    /// Calls capability `name` with `args`; the error is the message the JavaScript
    /// `Error` carries. The call is recorded — refused, failed, or cancelled (this future
    /// dropped) included.
    pub async fn call(&self, name: &str, args: Value) -> Result<Value, String> {
        self.usage.count(CallKind::Host);
        let recorder = Recorder {
            call: Some(HostCall {
                id: ids::new_id(),
                execution_id: self.execution_id.clone(),
                capability: name.to_owned(),
                status: CallStatus::Success,
                error_message: None,
                duration_ms: 0,
                created_at: self.clock.unix(),
            }),
            tracker: Some(self.tracker.clone()),
            started: Instant::now(),
        };
        let function = &self.runnable.function;
        let outcome = match self.capabilities.allowed(function, name) {
            Ok(handler) => {
                let ctx = CallCtx {
                    function_id: function.id.clone(),
                    function_name: function.name.clone(),
                    execution_id: self.execution_id.clone(),
                    capability: name.to_owned(),
                };
                handler(ctx, args).await
            }
            Err(refused) => Err(refused),
        };
        if let Some((call, tracker)) = recorder.finish(&outcome)
            && let Err(e) = tracker.record(&call).await
        {
            tracing::warn!(error = %e, capability = name, "cannot record a host capability call");
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::{Grants, valid_name};

    #[test]
    fn grant_tables_match_names_and_prefixes_and_refuse_the_rest() {
        let g = Grants::parse(" crm-*:users.lookup,\nbilling:invoices.*  ops:*").expect("parse");
        assert!(g.matches("crm-", "users.lookup"));
        assert!(g.matches("crm-sync", "users.lookup"));
        assert!(!g.matches("crm-sync", "users.lookups"));
        assert!(!g.matches("xcrm-sync", "users.lookup"));
        assert!(g.matches("billing", "invoices.create"));
        assert!(!g.matches("billing2", "invoices.create"));
        assert!(g.matches("ops", "admin.reset"));
        assert!(Grants::parse("").expect("empty").is_empty());
        assert!(Grants::parse("*").expect("all").matches("any", "thing"));
        for (bad, msg) in [
            ("users", r#"rule "users" must be function:capability"#),
            (
                "a:b*c",
                r#"rule "a:b*c": each side is a name, optionally ending in *"#,
            ),
            (
                ":x",
                r#"rule ":x": each side is a name, optionally ending in *"#,
            ),
            (
                "f:",
                r#"rule "f:": each side is a name, optionally ending in *"#,
            ),
        ] {
            assert_eq!(Grants::parse(bad).unwrap_err(), msg);
        }
    }

    #[test]
    fn names_are_dotted_identifiers() {
        for ok in ["a", "users.lookup", "_x.$y.z9", "A.b_c"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", ".", "a.", ".a", "9a", "a..b", "a-b", "a b", "ü"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
