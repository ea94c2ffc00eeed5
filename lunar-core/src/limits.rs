//! Limits: what one execution may use ([`Limits`]), a function's overrides of the server
//! defaults ([`FunctionLimits`]) and the bounds of those overrides ([`LimitCeilings`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Limits in force for one execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Wall-clock timeout.
    pub timeout: Duration,
    /// Heap limit in MiB.
    pub memory_mb: u64,
    /// Largest request body.
    pub max_request_body_bytes: u64,
    /// Largest response body.
    pub max_response_body_bytes: u64,
    /// Most log entries.
    pub max_log_entries: u64,
    /// Most bytes of log text per execution.
    pub max_log_bytes: u64,
    /// Longest single log message.
    pub max_log_message_bytes: u64,
    /// Longest KV key.
    pub max_kv_key_bytes: u64,
    /// Longest KV value.
    pub max_kv_value_bytes: u64,
    /// CPU time the execution may spend in the runtime (none: only the wall-clock
    /// timeout applies).
    pub cpu_time: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            memory_mb: 128,
            max_request_body_bytes: 10 * 1024 * 1024,
            max_response_body_bytes: 10 * 1024 * 1024,
            max_log_entries: 1000,
            max_log_bytes: 1024 * 1024,
            max_log_message_bytes: 16 * 1024,
            max_kv_key_bytes: 512,
            max_kv_value_bytes: 1024 * 1024,
            cpu_time: None,
        }
    }
}

impl Limits {
    /// Returns these limits with a different timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Returns these limits with a CPU-time limit.
    #[must_use]
    pub fn with_cpu_time(mut self, cpu_time: Option<Duration>) -> Self {
        self.cpu_time = cpu_time;
        self
    }

    /// Returns these limits with a different heap limit.
    #[must_use]
    pub fn with_memory_mb(mut self, memory_mb: u64) -> Self {
        self.memory_mb = memory_mb;
        self
    }

    /// Returns these limits with a different log entry cap.
    #[must_use]
    pub fn with_max_log_entries(mut self, n: u64) -> Self {
        self.max_log_entries = n;
        self
    }

    /// Returns these limits with a different response body cap.
    #[must_use]
    pub fn with_max_response_body_bytes(mut self, n: u64) -> Self {
        self.max_response_body_bytes = n;
        self
    }

    /// Returns these limits with a different request body cap.
    #[must_use]
    pub fn with_max_request_body_bytes(mut self, n: u64) -> Self {
        self.max_request_body_bytes = n;
        self
    }
}

/// Per-function limit overrides; each `None` member means "use the server default".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunctionLimits {
    /// Wall-clock timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// V8 heap limit in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    /// Largest accepted request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_request_body_bytes: Option<u64>,
    /// Largest response body the function may return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_response_body_bytes: Option<u64>,
    /// Most log entries one execution may write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_log_entries: Option<u64>,
    /// Most executions of the function in flight at once; past it a call is refused (HTTP
    /// 429) before anything runs or is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u64>,
    /// CPU time one execution may spend running JavaScript, in ms; past it the execution
    /// ends with `CPU time limit exceeded`. Time spent waiting (timers, I/O) does not
    /// count; the wall-clock `timeout_seconds` still applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_time_ms: Option<u64>,
}

impl FunctionLimits {
    /// True when nothing is overridden.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Upper bounds of the per-function limits (server-configurable; never below the server
/// defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimitCeilings {
    /// Largest `timeout_seconds`.
    pub timeout_seconds: u64,
    /// Largest `memory_mb`.
    pub memory_mb: u64,
    /// Largest `max_request_body_bytes`.
    pub max_request_body_bytes: u64,
    /// Largest `max_response_body_bytes`.
    pub max_response_body_bytes: u64,
    /// Largest `max_log_entries`.
    pub max_log_entries: u64,
    /// Largest `max_concurrency`.
    pub max_concurrency: u64,
    /// Largest `cpu_time_ms`.
    pub cpu_time_ms: u64,
}

impl Default for LimitCeilings {
    fn default() -> Self {
        Self {
            timeout_seconds: 900,
            memory_mb: 1024,
            max_request_body_bytes: 104_857_600,
            max_response_body_bytes: 104_857_600,
            max_log_entries: 10_000,
            max_concurrency: 10_000,
            cpu_time_ms: 900_000,
        }
    }
}
