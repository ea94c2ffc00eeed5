//! Decoding SQLite rows into Lunar's model types, and encoding the values that need it.

use lunar_core::model::{
    AiRequest, CallStatus, CronStatus, EmailRequest, Execution, ExecutionStatus, Function,
    FunctionLimits, FunctionVersion, LogEntry, LogLevel, Trigger,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::error::{SqlError, SqlResult};

/// A stored limit (INTEGER) back as `u64`.
fn limit(row: &SqliteRow, column: &'static str) -> SqlResult<Option<u64>> {
    row.try_get::<Option<i64>, _>(column)?
        .map(|v| u64::try_from(v).map_err(|e| SqlError::corrupt(column, e)))
        .transpose()
}

/// A limit as an INTEGER bind; values beyond `i64::MAX` are rejected as input.
pub(super) fn limit_bind(v: Option<u64>) -> SqlResult<Option<i64>> {
    v.map(|v| {
        i64::try_from(v)
            .map_err(|_| SqlError::Core(lunar_core::Error::invalid("limits", "value is too large")))
    })
    .transpose()
}

/// A `functions` row (columns of `function_columns!`).
pub(super) fn function(row: &SqliteRow) -> SqlResult<Function> {
    let cron_status: Option<String> = row.try_get("cron_status")?;
    Ok(Function {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        env_vars: Default::default(),
        disabled: row.try_get("disabled")?,
        retention_days: row.try_get("retention_days")?,
        cron_schedule: row.try_get("cron_schedule")?,
        cron_status: cron_status.as_deref().and_then(CronStatus::parse),
        save_response: row.try_get("save_response")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        limits: FunctionLimits {
            timeout_seconds: limit(row, "limit_timeout_seconds")?,
            memory_mb: limit(row, "limit_memory_mb")?,
            max_request_body_bytes: limit(row, "limit_max_request_body_bytes")?,
            max_response_body_bytes: limit(row, "limit_max_response_body_bytes")?,
            max_log_entries: limit(row, "limit_max_log_entries")?,
        },
    })
}

/// A `function_versions` row (columns of `version_columns!`).
pub(super) fn version(row: &SqliteRow) -> SqlResult<FunctionVersion> {
    Ok(FunctionVersion {
        id: row.try_get("id")?,
        function_id: row.try_get("function_id")?,
        version: row.try_get("version")?,
        code: row.try_get("code")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        is_active: row.try_get("is_active")?,
    })
}

/// The `v_*` columns of a functions-with-active-version row; the zero version when absent.
pub(super) fn joined_active_version(
    row: &SqliteRow,
    function_id: &str,
) -> SqlResult<FunctionVersion> {
    let Some(id) = row.try_get::<Option<String>, _>("v_id")? else {
        return Ok(FunctionVersion::default());
    };
    Ok(FunctionVersion {
        id,
        function_id: function_id.to_owned(),
        version: row.try_get("v_version")?,
        code: row.try_get("v_code")?,
        created_at: row.try_get("v_created_at")?,
        created_by: row.try_get("v_created_by")?,
        is_active: true,
    })
}

/// An `executions` row.
pub(super) fn execution(row: &SqliteRow) -> SqlResult<Execution> {
    let status: String = row.try_get("status")?;
    let trigger: String = row.try_get("trigger_type")?;
    Ok(Execution {
        id: row.try_get("id")?,
        function_id: row.try_get("function_id")?,
        function_version_id: row.try_get("function_version_id")?,
        status: ExecutionStatus::parse(&status),
        duration_ms: row.try_get("duration_ms")?,
        error_message: row.try_get("error_message")?,
        event_json: row.try_get("event_json")?,
        response_json: row.try_get("response_json")?,
        trigger: Trigger::parse(&trigger),
        created_at: row.try_get("created_at")?,
    })
}

/// A `logs` row.
pub(super) fn log_entry(row: &SqliteRow) -> SqlResult<LogEntry> {
    Ok(LogEntry {
        level: LogLevel::from_code(row.try_get("level")?),
        message: row.try_get("message")?,
        created_at: row.try_get("created_at")?,
    })
}

/// An `ai_requests` row.
pub(super) fn ai_request(row: &SqliteRow) -> SqlResult<AiRequest> {
    let status: String = row.try_get("status")?;
    Ok(AiRequest {
        id: row.try_get("id")?,
        execution_id: row.try_get("execution_id")?,
        provider: row.try_get("provider")?,
        model: row.try_get("model")?,
        endpoint: row.try_get("endpoint")?,
        request_json: row.try_get("request_json")?,
        response_json: row.try_get("response_json")?,
        status: CallStatus::parse(&status),
        error_message: row.try_get("error_message")?,
        input_tokens: row.try_get("input_tokens")?,
        output_tokens: row.try_get("output_tokens")?,
        duration_ms: row.try_get("duration_ms")?,
        created_at: row.try_get("created_at")?,
    })
}

/// An `email_requests` row; the recipients are a JSON array.
pub(super) fn email_request(row: &SqliteRow) -> SqlResult<EmailRequest> {
    let status: String = row.try_get("status")?;
    let to: String = row.try_get("to_addresses")?;
    Ok(EmailRequest {
        id: row.try_get("id")?,
        execution_id: row.try_get("execution_id")?,
        from: row.try_get("from_address")?,
        to: serde_json::from_str(&to).map_err(|e| SqlError::corrupt("to_addresses", e))?,
        subject: row.try_get("subject")?,
        has_text: row.try_get("has_text")?,
        has_html: row.try_get("has_html")?,
        request_json: row.try_get("request_json")?,
        response_json: row.try_get("response_json")?,
        status: CallStatus::parse(&status),
        error_message: row.try_get("error_message")?,
        email_id: row.try_get("email_id")?,
        duration_ms: row.try_get("duration_ms")?,
        created_at: row.try_get("created_at")?,
    })
}
