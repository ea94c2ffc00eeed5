//! Decoding rows of either dialect into Lunar's model types, and encoding the values that
//! need it. Both schemas use the same column names and the same value kinds (64-bit
//! integers, booleans, text), so one decoder per table serves both.

use lunar_core::model::{
    AiRequest, CallStatus, CronStatus, EmailRequest, Execution, ExecutionStatus, Function,
    FunctionLimits, FunctionVersion, FunctionWithActiveVersion, HostCall, Isolation, KvEntry,
    LogEntry, LogLevel, Outcome, PageRequest, Trigger,
};
use lunar_core::usage::Usage;
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::error::{SqlError, SqlResult};

/// A row whose columns decode as the value kinds Lunar stores. Implemented for the row
/// type of every enabled dialect (`SqliteRow`, `PgRow`).
pub(crate) trait Columns {
    /// A non-NULL text column.
    fn text(&self, column: &'static str) -> SqlResult<String>;
    /// A nullable text column.
    fn opt_text(&self, column: &'static str) -> SqlResult<Option<String>>;
    /// A non-NULL integer column.
    fn int(&self, column: &'static str) -> SqlResult<i64>;
    /// A nullable integer column.
    fn opt_int(&self, column: &'static str) -> SqlResult<Option<i64>>;
    /// A non-NULL boolean column.
    fn flag(&self, column: &'static str) -> SqlResult<bool>;
}

impl<R> Columns for R
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    fn text(&self, column: &'static str) -> SqlResult<String> {
        Ok(self.try_get(column)?)
    }
    fn opt_text(&self, column: &'static str) -> SqlResult<Option<String>> {
        Ok(self.try_get(column)?)
    }
    fn int(&self, column: &'static str) -> SqlResult<i64> {
        Ok(self.try_get(column)?)
    }
    fn opt_int(&self, column: &'static str) -> SqlResult<Option<i64>> {
        Ok(self.try_get(column)?)
    }
    fn flag(&self, column: &'static str) -> SqlResult<bool> {
        Ok(self.try_get(column)?)
    }
}

/// `LIMIT` and `OFFSET` binds of a page.
pub(crate) fn page_binds(page: PageRequest) -> (i64, i64) {
    (
        i64::from(page.limit),
        i64::try_from(page.offset).unwrap_or(i64::MAX),
    )
}

/// A `COUNT(*)` result as the page total.
pub(crate) fn total(count: i64) -> u64 {
    u64::try_from(count).unwrap_or(0)
}

/// Decodes the row a lookup found; `NotFound(what)` when it found none.
pub(crate) fn found<R, T>(
    row: Option<R>,
    what: &'static str,
    decode: fn(&R) -> SqlResult<T>,
) -> SqlResult<T> {
    decode(&row.ok_or(SqlError::Core(lunar_core::Error::NotFound(what)))?)
}

/// Decodes every row, failing on the first that does not decode.
pub(crate) fn decode_all<R, T>(rows: &[R], decode: fn(&R) -> SqlResult<T>) -> SqlResult<Vec<T>> {
    rows.iter().map(decode).collect()
}

/// A stored limit (64-bit integer) back as `u64`.
fn limit(row: &impl Columns, column: &'static str) -> SqlResult<Option<u64>> {
    row.opt_int(column)?
        .map(|v| u64::try_from(v).map_err(|e| SqlError::corrupt(column, e)))
        .transpose()
}

/// A limit as an integer bind; values beyond `i64::MAX` are rejected as input.
pub(crate) fn limit_bind(v: Option<u64>) -> SqlResult<Option<i64>> {
    v.map(|v| {
        i64::try_from(v)
            .map_err(|_| SqlError::Core(lunar_core::Error::invalid("limits", "value is too large")))
    })
    .transpose()
}

/// A `functions` row (columns of `function_columns!`).
pub(crate) fn function(row: &impl Columns) -> SqlResult<Function> {
    let cron_status = row.opt_text("cron_status")?;
    Ok(Function {
        id: row.text("id")?,
        name: row.text("name")?,
        description: row.opt_text("description")?,
        env_vars: Default::default(),
        disabled: row.flag("disabled")?,
        retention_days: row.opt_int("retention_days")?,
        cron_schedule: row.opt_text("cron_schedule")?,
        cron_status: cron_status.as_deref().and_then(CronStatus::parse),
        save_response: row.flag("save_response")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
        limits: FunctionLimits {
            timeout_seconds: limit(row, "limit_timeout_seconds")?,
            memory_mb: limit(row, "limit_memory_mb")?,
            max_request_body_bytes: limit(row, "limit_max_request_body_bytes")?,
            max_response_body_bytes: limit(row, "limit_max_response_body_bytes")?,
            max_log_entries: limit(row, "limit_max_log_entries")?,
            max_concurrency: limit(row, "limit_max_concurrency")?,
            cpu_time_ms: limit(row, "limit_cpu_time_ms")?,
        },
        // A mode this build does not know reads as the default.
        isolation: Isolation::parse(&row.text("isolation")?).unwrap_or_default(),
    })
}

/// A `function_versions` row (columns of `version_columns!`).
pub(crate) fn version(row: &impl Columns) -> SqlResult<FunctionVersion> {
    Ok(FunctionVersion {
        id: row.text("id")?,
        function_id: row.text("function_id")?,
        version: row.int("version")?,
        code: row.text("code")?,
        created_at: row.int("created_at")?,
        created_by: row.opt_text("created_by")?,
        is_active: row.flag("is_active")?,
    })
}

/// The `v_*` columns of a functions-with-active-version row; the zero version when absent.
pub(crate) fn joined_active_version(
    row: &impl Columns,
    function_id: &str,
) -> SqlResult<FunctionVersion> {
    let Some(id) = row.opt_text("v_id")? else {
        return Ok(FunctionVersion::default());
    };
    Ok(FunctionVersion {
        id,
        function_id: function_id.to_owned(),
        version: row.int("v_version")?,
        code: row.text("v_code")?,
        created_at: row.int("v_created_at")?,
        created_by: row.opt_text("v_created_by")?,
        is_active: true,
    })
}

/// A functions-with-active-version row (`sql::LIST_FUNCTIONS`).
pub(crate) fn function_with_active_version(
    row: &impl Columns,
) -> SqlResult<FunctionWithActiveVersion> {
    let function = function(row)?;
    let active_version = joined_active_version(row, &function.id)?;
    Ok(FunctionWithActiveVersion {
        function,
        active_version,
    })
}

/// An `executions` row.
pub(crate) fn execution(row: &impl Columns) -> SqlResult<Execution> {
    Ok(Execution {
        id: row.text("id")?,
        function_id: row.text("function_id")?,
        function_version_id: row.text("function_version_id")?,
        status: ExecutionStatus::parse(&row.text("status")?),
        duration_ms: row.opt_int("duration_ms")?,
        error_message: row.opt_text("error_message")?,
        event_json: row.opt_text("event_json")?,
        response_json: row.opt_text("response_json")?,
        trigger: Trigger::parse(&row.text("trigger_type")?),
        created_at: row.int("created_at")?,
        // Figures this build cannot read are left out rather than failing the row.
        usage: row
            .opt_text("usage_json")?
            .and_then(|t| Usage::from_storage(&t)),
    })
}

/// The `usage_json` column of an outcome.
pub(crate) fn usage_json(outcome: &Outcome) -> Option<String> {
    outcome.usage.as_ref().map(Usage::to_storage)
}

/// A `logs` row.
pub(crate) fn log_entry(row: &impl Columns) -> SqlResult<LogEntry> {
    Ok(LogEntry {
        level: LogLevel::from_code(row.int("level")?),
        message: row.text("message")?,
        created_at: row.int("created_at")?,
    })
}

/// An `ai_requests` row.
pub(crate) fn ai_request(row: &impl Columns) -> SqlResult<AiRequest> {
    Ok(AiRequest {
        id: row.text("id")?,
        execution_id: row.text("execution_id")?,
        provider: row.text("provider")?,
        model: row.text("model")?,
        endpoint: row.text("endpoint")?,
        request_json: row.text("request_json")?,
        response_json: row.opt_text("response_json")?,
        status: CallStatus::parse(&row.text("status")?),
        error_message: row.opt_text("error_message")?,
        input_tokens: row.opt_int("input_tokens")?,
        output_tokens: row.opt_int("output_tokens")?,
        duration_ms: row.int("duration_ms")?,
        created_at: row.int("created_at")?,
    })
}

/// A `kv` row (`key`, `value`).
pub(crate) fn kv_entry(row: &impl Columns) -> SqlResult<KvEntry> {
    Ok(KvEntry {
        key: row.text("key")?,
        value: row.text("value")?,
    })
}

/// A `host_calls` row.
pub(crate) fn host_call(row: &impl Columns) -> SqlResult<HostCall> {
    Ok(HostCall {
        id: row.text("id")?,
        execution_id: row.text("execution_id")?,
        capability: row.text("capability")?,
        status: CallStatus::parse(&row.text("status")?),
        error_message: row.opt_text("error_message")?,
        duration_ms: row.int("duration_ms")?,
        created_at: row.int("created_at")?,
    })
}

/// The recipient list as stored in `to_addresses`: a JSON array of strings.
pub(crate) fn encode_recipients(to: &[String]) -> SqlResult<String> {
    serde_json::to_string(to).map_err(|e| SqlError::corrupt("to_addresses", e))
}

/// An `email_requests` row; the recipients are a JSON array.
pub(crate) fn email_request(row: &impl Columns) -> SqlResult<EmailRequest> {
    let to = row.text("to_addresses")?;
    Ok(EmailRequest {
        id: row.text("id")?,
        execution_id: row.text("execution_id")?,
        from: row.text("from_address")?,
        to: serde_json::from_str(&to).map_err(|e| SqlError::corrupt("to_addresses", e))?,
        subject: row.text("subject")?,
        has_text: row.flag("has_text")?,
        has_html: row.flag("has_html")?,
        request_json: row.text("request_json")?,
        response_json: row.opt_text("response_json")?,
        status: CallStatus::parse(&row.text("status")?),
        error_message: row.opt_text("error_message")?,
        email_id: row.opt_text("email_id")?,
        duration_ms: row.int("duration_ms")?,
        created_at: row.int("created_at")?,
    })
}
