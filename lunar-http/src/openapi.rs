//! The OpenAPI 3.1 document of the HTTP API, generated with utoipa from mirror types of the
//! JSON shapes (SPEC.md §2.5) and one annotated stub per route.

#![allow(dead_code)]

use std::collections::BTreeMap;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, ServerBuilder};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

/// `{"error": message}`.
#[derive(ToSchema)]
struct ErrorBody {
    error: String,
}

/// Per-function limit overrides; each member omitted when not overridden.
#[derive(ToSchema)]
struct FunctionLimits {
    timeout_seconds: Option<u64>,
    memory_mb: Option<u64>,
    max_request_body_bytes: Option<u64>,
    max_response_body_bytes: Option<u64>,
    max_log_entries: Option<u64>,
}

/// A stored function.
#[derive(ToSchema)]
struct Function {
    /// xid.
    id: String,
    name: String,
    description: Option<String>,
    env_vars: BTreeMap<String, String>,
    disabled: bool,
    /// 7, 15, 30 or 365; absent means 7.
    retention_days: Option<i64>,
    cron_schedule: Option<String>,
    /// `active` or `paused`.
    cron_status: Option<String>,
    save_response: bool,
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds.
    updated_at: i64,
    limits: Option<FunctionLimits>,
}

/// One version of a function's code.
#[derive(ToSchema)]
struct FunctionVersion {
    /// `ver_{function_id}_v{n}`.
    id: String,
    function_id: String,
    version: i64,
    code: String,
    created_at: i64,
    created_by: Option<String>,
    is_active: bool,
}

/// The function fields, then its active version (the zero version when none).
#[derive(ToSchema)]
struct FunctionWithActiveVersion {
    id: String,
    name: String,
    description: Option<String>,
    env_vars: BTreeMap<String, String>,
    disabled: bool,
    retention_days: Option<i64>,
    cron_schedule: Option<String>,
    cron_status: Option<String>,
    save_response: bool,
    created_at: i64,
    updated_at: i64,
    limits: Option<FunctionLimits>,
    active_version: FunctionVersion,
}

/// Pagination of list responses (normalised values).
#[derive(ToSchema)]
struct Pagination {
    total: u64,
    limit: u32,
    offset: u64,
}

/// One execution.
#[derive(ToSchema)]
struct Execution {
    id: String,
    function_id: String,
    function_version_id: String,
    /// `pending`, `success` or `error`.
    status: String,
    duration_ms: Option<i64>,
    error_message: Option<String>,
    /// JSON text of the masked event.
    event_json: Option<String>,
    /// JSON text of the saved response.
    response_json: Option<String>,
    /// `http` or `cron`.
    trigger: String,
    created_at: i64,
}

/// One log line.
#[derive(ToSchema)]
struct LogEntry {
    /// `debug`, `info`, `warn` or `error`.
    level: String,
    message: String,
    created_at: i64,
}

/// A tracked AI call.
#[derive(ToSchema)]
#[schema(as = AIRequest)]
struct AiRequest {
    id: String,
    execution_id: String,
    provider: String,
    model: String,
    endpoint: String,
    request_json: String,
    response_json: Option<String>,
    status: String,
    error_message: Option<String>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    duration_ms: i64,
    created_at: i64,
}

/// A tracked e-mail.
#[derive(ToSchema)]
struct EmailRequest {
    id: String,
    execution_id: String,
    from: String,
    to: Vec<String>,
    subject: String,
    has_text: bool,
    has_html: bool,
    request_json: String,
    response_json: Option<String>,
    status: String,
    error_message: Option<String>,
    email_id: Option<String>,
    duration_ms: i64,
    created_at: i64,
}

/// One line of a diff.
#[derive(ToSchema)]
struct DiffLine {
    /// `unchanged`, `added` or `removed`.
    line_type: String,
    old_line: Option<u64>,
    new_line: Option<u64>,
    content: String,
}

/// The next-run answer.
#[derive(ToSchema)]
struct NextRun {
    has_schedule: bool,
    cron_schedule: Option<String>,
    cron_status: Option<String>,
    next_run: Option<i64>,
    next_run_human: Option<String>,
    is_paused: Option<bool>,
}

#[derive(ToSchema)]
struct FunctionList {
    functions: Vec<FunctionWithActiveVersion>,
    pagination: Pagination,
}

#[derive(ToSchema)]
struct VersionList {
    versions: Vec<FunctionVersion>,
    pagination: Pagination,
}

#[derive(ToSchema)]
struct ExecutionList {
    executions: Vec<Execution>,
    pagination: Pagination,
}

/// The execution's fields, its logs and their pagination.
#[derive(ToSchema)]
struct ExecutionWithLogs {
    id: String,
    function_id: String,
    function_version_id: String,
    status: String,
    duration_ms: Option<i64>,
    error_message: Option<String>,
    event_json: Option<String>,
    response_json: Option<String>,
    trigger: String,
    created_at: i64,
    logs: Vec<LogEntry>,
    pagination: Pagination,
}

#[derive(ToSchema)]
struct AiRequestList {
    ai_requests: Vec<AiRequest>,
    pagination: Pagination,
}

#[derive(ToSchema)]
struct EmailRequestList {
    email_requests: Vec<EmailRequest>,
    pagination: Pagination,
}

#[derive(ToSchema)]
struct DiffResponse {
    old_version: i64,
    new_version: i64,
    diff: Vec<DiffLine>,
}

#[derive(ToSchema)]
struct CreateFunctionRequest {
    name: String,
    description: Option<String>,
    code: String,
}

/// Limit overrides as sent; null members mean "no override".
#[derive(ToSchema)]
struct LimitsRequest {
    timeout_seconds: Option<i64>,
    memory_mb: Option<i64>,
    max_request_body_bytes: Option<i64>,
    max_response_body_bytes: Option<i64>,
    max_log_entries: Option<i64>,
}

/// Every field optional; null means "not provided"; at least one required.
#[derive(ToSchema)]
struct UpdateFunctionRequest {
    name: Option<String>,
    description: Option<String>,
    code: Option<String>,
    disabled: Option<bool>,
    retention_days: Option<i64>,
    cron_schedule: Option<String>,
    cron_status: Option<String>,
    save_response: Option<bool>,
    limits: Option<LimitsRequest>,
}

#[derive(ToSchema)]
struct EnvVarsRequest {
    env_vars: BTreeMap<String, String>,
}

#[derive(ToSchema)]
struct LoginRequest {
    #[schema(rename = "apiKey")]
    api_key: String,
}

#[derive(ToSchema)]
struct LoginResponse {
    success: bool,
    error: Option<String>,
}

/// `limit` (1–100, default 20) and `offset` (default 0).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; sets the `auth_token` cookie", body = LoginResponse),
        (status = 400, description = "Invalid request body", body = LoginResponse),
        (status = 401, description = "Invalid API key", body = LoginResponse)))]
fn login() {}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 200, description = "Clears the cookie", body = LoginResponse)))]
fn logout() {}

#[utoipa::path(get, path = "/docs", tag = "docs",
    responses((status = 200, description = "API reference page", content_type = "text/html")))]
fn docs_html() {}

#[utoipa::path(get, path = "/docs/openapi.yaml", tag = "docs",
    responses((status = 200, description = "This document", content_type = "application/yaml")))]
fn docs_yaml() {}

#[utoipa::path(get, path = "/docs/openapi.json", tag = "docs",
    responses((status = 200, description = "This document", content_type = "application/json")))]
fn docs_json() {}

#[utoipa::path(post, path = "/api/functions", tag = "functions", request_body = CreateFunctionRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Created", body = FunctionWithActiveVersion),
        (status = 400, description = "Invalid body or validation failure", body = ErrorBody),
        (status = 401, description = "Authentication required", body = ErrorBody)))]
fn create_function() {}

#[utoipa::path(get, path = "/api/functions", tag = "functions", params(PageQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Functions, newest first", body = FunctionList),
        (status = 401, description = "Authentication required", body = ErrorBody)))]
fn list_functions() {}

#[utoipa::path(get, path = "/api/functions/{id}", tag = "functions",
    params(("id" = String, Path, description = "Function id")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The function with its env vars", body = FunctionWithActiveVersion),
        (status = 404, description = "Function not found", body = ErrorBody)))]
fn get_function() {}

#[utoipa::path(put, path = "/api/functions/{id}", tag = "functions",
    params(("id" = String, Path, description = "Function id")),
    request_body = UpdateFunctionRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Updated (empty body)"),
        (status = 400, description = "Invalid body or validation failure", body = ErrorBody),
        (status = 404, description = "Function not found", body = ErrorBody)))]
fn update_function() {}

#[utoipa::path(delete, path = "/api/functions/{id}", tag = "functions",
    params(("id" = String, Path, description = "Function id")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Deleted with everything it owns"),
        (status = 404, description = "Function not found", body = ErrorBody)))]
fn delete_function() {}

#[utoipa::path(put, path = "/api/functions/{id}/env", tag = "functions",
    params(("id" = String, Path, description = "Function id")),
    request_body = EnvVarsRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The function with its new env vars", body = FunctionWithActiveVersion),
        (status = 400, description = "Invalid body or validation failure", body = ErrorBody),
        (status = 404, description = "Function not found", body = ErrorBody)))]
fn set_env() {}

#[utoipa::path(get, path = "/api/functions/{id}/next-run", tag = "functions",
    params(("id" = String, Path, description = "Function id")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Next cron fire", body = NextRun),
        (status = 400, description = "Invalid cron schedule", body = ErrorBody),
        (status = 404, description = "Function not found", body = ErrorBody)))]
fn next_run() {}

#[utoipa::path(get, path = "/api/functions/{id}/versions", tag = "versions",
    params(("id" = String, Path, description = "Function id"), PageQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Versions, highest first", body = VersionList),
        (status = 404, description = "Function not found", body = ErrorBody)))]
fn list_versions() {}

#[utoipa::path(get, path = "/api/functions/{id}/versions/{version}", tag = "versions",
    params(("id" = String, Path, description = "Function id"),
           ("version" = i64, Path, description = "Version number")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The version", body = FunctionVersion),
        (status = 400, description = "Invalid version number", body = ErrorBody),
        (status = 404, description = "Version not found", body = ErrorBody)))]
fn get_version() {}

#[utoipa::path(post, path = "/api/functions/{id}/versions/{version}/activate", tag = "versions",
    params(("id" = String, Path, description = "Function id"),
           ("version" = String, Path, description = "Version id (`ver_{id}_v{n}`)")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Activated (empty body)"),
        (status = 404, description = "Version not found", body = ErrorBody)))]
fn activate_version() {}

#[utoipa::path(delete, path = "/api/functions/{id}/versions/{version}", tag = "versions",
    params(("id" = String, Path, description = "Function id"),
           ("version" = String, Path, description = "Version id (`ver_{id}_v{n}`)")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Deleted with its executions"),
        (status = 400, description = "Cannot delete active version", body = ErrorBody),
        (status = 404, description = "Version not found", body = ErrorBody)))]
fn delete_version() {}

#[utoipa::path(get, path = "/api/functions/{id}/diff/{v1}/{v2}", tag = "versions",
    params(("id" = String, Path, description = "Function id"),
           ("v1" = i64, Path, description = "Old version number"),
           ("v2" = i64, Path, description = "New version number")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Line diff", body = DiffResponse),
        (status = 400, description = "Invalid version number", body = ErrorBody),
        (status = 404, description = "Version not found", body = ErrorBody)))]
fn diff() {}

#[utoipa::path(get, path = "/api/functions/{id}/executions", tag = "executions",
    params(("id" = String, Path, description = "Function id"), PageQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Executions, newest first", body = ExecutionList),
        (status = 404, description = "Function not found", body = ErrorBody)))]
fn list_executions() {}

#[utoipa::path(get, path = "/api/executions/{id}", tag = "executions",
    params(("id" = String, Path, description = "Execution id")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The execution", body = Execution),
        (status = 404, description = "Execution not found", body = ErrorBody)))]
fn get_execution() {}

#[utoipa::path(get, path = "/api/executions/{id}/logs", tag = "executions",
    params(("id" = String, Path, description = "Execution id"), PageQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The execution with its logs, oldest first", body = ExecutionWithLogs),
        (status = 404, description = "Execution not found", body = ErrorBody)))]
fn execution_logs() {}

#[utoipa::path(get, path = "/api/executions/{id}/ai-requests", tag = "executions",
    params(("id" = String, Path, description = "Execution id"), PageQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "AI calls of the execution", body = AiRequestList),
        (status = 404, description = "Execution not found", body = ErrorBody)))]
fn ai_requests() {}

#[utoipa::path(get, path = "/api/executions/{id}/email-requests", tag = "executions",
    params(("id" = String, Path, description = "Execution id"), PageQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "E-mails of the execution", body = EmailRequestList),
        (status = 404, description = "Execution not found", body = ErrorBody)))]
fn email_requests() {}

#[utoipa::path(method(get, head, post, put, patch, delete), path = "/fn/{function_id}", tag = "fn",
    params(("function_id" = String, Path, description = "Function id")),
    responses(
        (status = 200, description = "The function's response, with `X-Function-Id`, `X-Function-Version-Id`, `X-Execution-Id` and `X-Execution-Duration-Ms`"),
        (status = 403, description = "Function is disabled", body = ErrorBody),
        (status = 404, description = "Function not found", body = ErrorBody),
        (status = 413, description = "Request body too large", body = ErrorBody),
        (status = 500, description = "Function execution failed", body = ErrorBody)))]
fn call_function() {}

#[utoipa::path(method(get, head, post, put, patch, delete), path = "/fn/{function_id}/{path}", tag = "fn",
    params(("function_id" = String, Path, description = "Function id"),
           ("path" = String, Path, description = "Sub-path, passed as `event.relativePath`")),
    responses(
        (status = 200, description = "The function's response, with `X-Function-Id`, `X-Function-Version-Id`, `X-Execution-Id` and `X-Execution-Duration-Ms`"),
        (status = 403, description = "Function is disabled", body = ErrorBody),
        (status = 404, description = "Function not found", body = ErrorBody),
        (status = 413, description = "Request body too large", body = ErrorBody),
        (status = 500, description = "Function execution failed", body = ErrorBody)))]
fn call_function_path() {}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The API key"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "auth_token",
                "Session from POST /api/auth/login",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Lunar", description = "Lunar FaaS HTTP API"),
    paths(
        login, logout, docs_html, docs_yaml, docs_json, create_function, list_functions,
        get_function, update_function, delete_function, set_env, next_run, list_versions,
        get_version, activate_version, delete_version, diff, list_executions, get_execution,
        execution_logs, ai_requests, email_requests, call_function, call_function_path
    ),
    modifiers(&Security)
)]
struct ApiDoc;

/// The document, with `base_url` as its server when given.
pub(crate) fn document(base_url: Option<&str>) -> Document {
    let mut doc = ApiDoc::openapi();
    if let Some(url) = base_url {
        doc.servers = Some(vec![ServerBuilder::new().url(url).build()]);
    }
    doc
}
