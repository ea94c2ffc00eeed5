//! Domain types with the JSON shapes of the HTTP API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::limits::FunctionLimits;

use crate::usage::Usage;

/// Unix seconds.
pub type Timestamp = i64;

/// Cron status of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CronStatus {
    /// The schedule fires.
    Active,
    /// The schedule is kept but does not fire.
    Paused,
}

impl CronStatus {
    /// The wire and storage spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
        }
    }

    /// Parses the exact spelling (`active` / `paused`).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            _ => None,
        }
    }
}

/// How a function's executions share V8 state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Isolation {
    /// The version's code is evaluated once per worker into a context that then serves
    /// many executions (top-level code runs once; module-scope state persists between the
    /// function's own executions, as on Workers and Lambda).
    #[default]
    Warm,
    /// Every execution gets a fresh context: top-level code runs each time and nothing
    /// survives between executions.
    Fresh,
}

impl Isolation {
    /// The wire and storage spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warm => "warm",
            Self::Fresh => "fresh",
        }
    }

    /// Parses the exact spelling (`warm` / `fresh`).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "warm" => Some(Self::Warm),
            "fresh" => Some(Self::Fresh),
            _ => None,
        }
    }
}

/// A stored function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Function {
    /// xid.
    pub id: String,
    /// Name, stored as sent.
    pub name: String,
    /// Optional description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Environment variables; filled only where the API says so.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub env_vars: BTreeMap<String, String>,
    /// A disabled function cannot run.
    pub disabled: bool,
    /// Retention of executions in days (`None` = 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<i64>,
    /// Cron expression; `""` means cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_schedule: Option<String>,
    /// Cron status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_status: Option<CronStatus>,
    /// Store the handler's response with each execution.
    pub save_response: bool,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Limit overrides; omitted when none.
    #[serde(default, skip_serializing_if = "FunctionLimits::is_empty")]
    pub limits: FunctionLimits,
    /// Whether executions share a warm context (default) or each get a fresh one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = "warm", required = true))]
    pub isolation: Isolation,
}

impl Function {
    /// Retention in days, applying the default of 7.
    #[must_use]
    pub fn effective_retention_days(&self) -> i64 {
        self.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS)
    }

    /// True when the schedule should fire: active, non-empty schedule, not disabled.
    #[must_use]
    pub fn has_active_cron(&self) -> bool {
        !self.disabled
            && self.cron_status == Some(CronStatus::Active)
            && self.cron_schedule.as_deref().is_some_and(|s| !s.is_empty())
    }
}

/// Default retention in days.
pub const DEFAULT_RETENTION_DAYS: i64 = 7;

/// One version of a function's code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunctionVersion {
    /// `ver_{function_id}_v{n}`.
    pub id: String,
    /// Owning function.
    pub function_id: String,
    /// Version number, from 1.
    pub version: i64,
    /// JavaScript source.
    pub code: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Never set by the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Whether this is the function's active version.
    pub is_active: bool,
}

/// A function with its active version (the zero version when it has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunctionWithActiveVersion {
    /// The function.
    #[serde(flatten)]
    pub function: Function,
    /// Its active version, or [`FunctionVersion::default`].
    pub active_version: FunctionVersion,
}

/// Execution status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ExecutionStatus {
    /// Inserted, not finished.
    Pending,
    /// Finished with a response below 400.
    Success,
    /// Failed, or answered with a status of 400 or more.
    Error,
}

impl ExecutionStatus {
    /// Storage spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Success => "success",
            Self::Error => "error",
        }
    }

    /// Parses the storage spelling; unknown text reads as `error`.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s {
            "pending" => Self::Pending,
            "success" => Self::Success,
            _ => Self::Error,
        }
    }
}

/// What started an execution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Trigger {
    /// An HTTP request to `/fn/{id}`.
    #[default]
    Http,
    /// The cron scheduler.
    Cron,
}

impl Trigger {
    /// Storage spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Cron => "cron",
        }
    }

    /// Parses the storage spelling; anything but `cron` reads as `http`.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        if s == "cron" { Self::Cron } else { Self::Http }
    }
}

/// One execution of a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Execution {
    /// xid.
    pub id: String,
    /// The function.
    pub function_id: String,
    /// The version that ran.
    pub function_version_id: String,
    /// Status.
    pub status: ExecutionStatus,
    /// Duration in ms, set when finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    /// Formatted error text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The masked event as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_json: Option<String>,
    /// The saved response as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_json: Option<String>,
    /// What started it.
    pub trigger: Trigger,
    /// Creation time.
    pub created_at: Timestamp,
    /// What it cost, once finished (absent for executions recorded before accounting
    /// existed, and for those failed by housekeeping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// Log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LogLevel {
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Warning.
    Warn,
    /// Error.
    Error,
}

impl LogLevel {
    /// Wire spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }

    /// The original's integer code (`0 = info, 1 = debug, 2 = warn, 3 = error`).
    #[must_use]
    pub fn code(self) -> i64 {
        match self {
            Self::Info => 0,
            Self::Debug => 1,
            Self::Warn => 2,
            Self::Error => 3,
        }
    }

    /// From the integer code; unknown codes read as `info`.
    #[must_use]
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Debug,
            2 => Self::Warn,
            3 => Self::Error,
            _ => Self::Info,
        }
    }
}

/// One log line of an execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogEntry {
    /// Level.
    pub level: LogLevel,
    /// Masked message.
    pub message: String,
    /// Time written.
    pub created_at: Timestamp,
}

/// Status of an AI or e-mail call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CallStatus {
    /// The call succeeded.
    Success,
    /// The call failed.
    Error,
}

impl CallStatus {
    /// Storage spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => "error",
        }
    }

    /// Parses the storage spelling (anything but `success` is `error`).
    #[must_use]
    pub fn parse(s: &str) -> Self {
        if s == "success" {
            Self::Success
        } else {
            Self::Error
        }
    }
}

/// One tracked AI provider call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiRequest {
    /// xid.
    pub id: String,
    /// The execution that made the call.
    pub execution_id: String,
    /// `openai`, `anthropic`, or what was requested.
    pub provider: String,
    /// Model as requested.
    pub model: String,
    /// Full URL called (`""` if never built).
    pub endpoint: String,
    /// The masked JSON sent.
    pub request_json: String,
    /// The masked raw response body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_json: Option<String>,
    /// Outcome.
    pub status: CallStatus,
    /// Failure text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Prompt tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<i64>,
    /// Completion tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<i64>,
    /// Duration of the provider call.
    pub duration_ms: i64,
    /// Time recorded.
    pub created_at: Timestamp,
}

/// One tracked e-mail send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailRequest {
    /// xid.
    pub id: String,
    /// The execution that sent it.
    pub execution_id: String,
    /// Sender.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// A text part was given.
    pub has_text: bool,
    /// An HTML part was given.
    pub has_html: bool,
    /// The masked request JSON.
    pub request_json: String,
    /// The masked provider response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_json: Option<String>,
    /// Outcome.
    pub status: CallStatus,
    /// Failure text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Provider's message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_id: Option<String>,
    /// Duration of the provider call.
    pub duration_ms: i64,
    /// Time recorded.
    pub created_at: Timestamp,
}

/// One line of a version diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiffLine {
    /// `unchanged`, `added` or `removed`.
    pub line_type: DiffLineType,
    /// Line number in the old text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_line: Option<usize>,
    /// Line number in the new text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_line: Option<usize>,
    /// Line content without its newline.
    pub content: String,
}

/// Kind of diff line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DiffLineType {
    /// In both texts.
    Unchanged,
    /// Only in the new text.
    Added,
    /// Only in the old text.
    Removed,
}

/// The next-run answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextRun {
    /// A non-empty schedule is stored.
    pub has_schedule: bool,
    /// The schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_schedule: Option<String>,
    /// The status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_status: Option<CronStatus>,
    /// Next fire in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run: Option<Timestamp>,
    /// `in 3 minutes`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_human: Option<String>,
    /// Present (true) when paused or disabled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_paused: bool,
}

/// A page request: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows wanted (already normalised, 1..=100 at the API).
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
}

impl PageRequest {
    /// Default page size.
    pub const DEFAULT_LIMIT: u32 = 20;
    /// Largest page size.
    pub const MAX_LIMIT: u32 = 100;

    /// A page request as given.
    #[must_use]
    pub fn new(limit: u32, offset: u64) -> Self {
        Self { limit, offset }
    }

    /// Normalises raw query values as the API does: limit missing, unparsable or `<= 0`
    /// → 20, above 100 → 100; offset missing, unparsable or negative → 0.
    #[must_use]
    pub fn from_query(limit: Option<&str>, offset: Option<&str>) -> Self {
        let limit = match limit.and_then(|l| l.parse::<i64>().ok()) {
            Some(l) if l > i64::from(Self::MAX_LIMIT) => Self::MAX_LIMIT,
            Some(l) if l > 0 => u32::try_from(l).unwrap_or(Self::MAX_LIMIT),
            _ => Self::DEFAULT_LIMIT,
        };
        let offset = match offset.and_then(|o| o.parse::<i64>().ok()) {
            Some(o) if o >= 0 => u64::try_from(o).unwrap_or(0),
            _ => 0,
        };
        Self { limit, offset }
    }

    /// The wire pagination object for a total.
    #[must_use]
    pub fn pagination(&self, total: u64) -> Pagination {
        Pagination {
            total,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(Self::DEFAULT_LIMIT, 0)
    }
}

/// A page of results with the total before paging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// All rows before paging.
    pub total: u64,
}

impl<T> Page<T> {
    /// An empty page.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            total: 0,
        }
    }
}

/// The `pagination` object of list responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pagination {
    /// Rows before paging.
    pub total: u64,
    /// Normalised limit.
    pub limit: u32,
    /// Normalised offset.
    pub offset: u64,
}

/// One call of a host capability (`await host.<name>(args)` in a function), as recorded
/// for its execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HostCall {
    /// xid.
    pub id: String,
    /// The execution that made the call.
    pub execution_id: String,
    /// The capability's name (`users.lookup`).
    pub capability: String,
    /// Outcome: `error` for a refused call, an error from the capability, or a call
    /// cancelled because its execution ended.
    pub status: CallStatus,
    /// Failure text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// How long the call took.
    pub duration_ms: i64,
    /// Time recorded.
    pub created_at: Timestamp,
}

/// One key-value entry of a function's KV store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KvEntry {
    /// The key.
    pub key: String,
    /// The stored string.
    pub value: String,
}

/// A function to create together with its version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFunction {
    /// xid chosen by the caller.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Code of version 1.
    pub code: String,
    /// How its executions share V8 state.
    pub isolation: Isolation,
    /// `created_at` and `updated_at`.
    pub now: Timestamp,
}

/// Changes to a function; `None` fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description (`""` stores `""`).
    pub description: Option<String>,
    /// New code: creates a version and activates it.
    pub code: Option<String>,
    /// Disabled flag.
    pub disabled: Option<bool>,
    /// Retention.
    pub retention_days: Option<i64>,
    /// Schedule (`""` clears it).
    pub cron_schedule: Option<String>,
    /// Cron status.
    pub cron_status: Option<CronStatus>,
    /// Save responses.
    pub save_response: Option<bool>,
    /// Replaces the whole override set.
    pub limits: Option<FunctionLimits>,
    /// Isolation mode.
    pub isolation: Option<Isolation>,
    /// The `updated_at` (and new version's `created_at`) to write.
    pub now: Timestamp,
}

impl FunctionUpdate {
    /// True when no field is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.code.is_none()
            && self.disabled.is_none()
            && self.retention_days.is_none()
            && self.cron_schedule.is_none()
            && self.cron_status.is_none()
            && self.save_response.is_none()
            && self.limits.is_none()
            && self.isolation.is_none()
    }
}

/// An execution row to insert as `pending`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExecution {
    /// xid.
    pub id: String,
    /// The function.
    pub function_id: String,
    /// The version about to run.
    pub function_version_id: String,
    /// Masked event JSON.
    pub event_json: Option<String>,
    /// What started it.
    pub trigger: Trigger,
    /// Creation time.
    pub created_at: Timestamp,
}

/// The final state of an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `success` or `error`.
    pub status: ExecutionStatus,
    /// Duration in ms.
    pub duration_ms: i64,
    /// Error text.
    pub error_message: Option<String>,
    /// Saved response JSON.
    pub response_json: Option<String>,
    /// What the execution cost.
    pub usage: Option<Usage>,
}
