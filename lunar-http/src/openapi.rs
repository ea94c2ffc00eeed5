//! The OpenAPI 3.1 document of the HTTP API, generated with utoipa from the route table
//! ([`crate::routes::ROUTES`]), one description per operation and mirror types of the
//! JSON shapes.

#![allow(dead_code)]

use std::collections::BTreeMap;

use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    Components, ContentBuilder, OpenApi as Document, Ref, RefOr, Required, ResponseBuilder,
    ResponsesBuilder, Schema, ServerBuilder,
};
use utoipa::{IntoParams, Modify, OpenApi, PartialSchema, ToSchema};

use lunar_core::model::{
    AiRequest, DiffLine, EmailRequest, Execution, FunctionVersion, FunctionWithActiveVersion,
    HostCall, Isolation, KvEntry, LogEntry, NextRun, Pagination,
};
use lunar_core::usage::Usage;

use crate::routes::{FN_PATH, Op, ROUTES};

/// `{"error": message}`.
#[derive(ToSchema)]
struct ErrorBody {
    error: String,
}

#[derive(ToSchema)]
struct HostCallList {
    host_calls: Vec<HostCall>,
    pagination: Pagination,
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
    usage: Option<Usage>,
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
    /// Absent or null means `warm`.
    #[schema(default = "warm")]
    isolation: Option<Isolation>,
}

/// Limit overrides as sent; null members mean "no override".
#[derive(ToSchema)]
struct LimitsRequest {
    timeout_seconds: Option<i64>,
    memory_mb: Option<i64>,
    max_request_body_bytes: Option<i64>,
    max_response_body_bytes: Option<i64>,
    max_log_entries: Option<i64>,
    /// 1 to 10000.
    max_concurrency: Option<i64>,
    /// 1 to 900000.
    cpu_time_ms: Option<i64>,
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
    /// Absent or null keeps the current mode (new functions are `warm`).
    isolation: Option<Isolation>,
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

#[derive(ToSchema)]
struct KvEntryList {
    entries: Vec<KvEntry>,
    pagination: Pagination,
}

/// The value to store under the key of the path.
#[derive(ToSchema)]
struct KvSetRequest {
    value: String,
}

/// The metrics window.
#[derive(ToSchema)]
enum MetricsWindow {
    #[schema(rename = "1h")]
    Hour,
    #[schema(rename = "24h")]
    Day,
    #[schema(rename = "7d")]
    Week,
}

/// One bucket of the metrics window, oldest first.
#[derive(ToSchema)]
struct MetricsBucket {
    /// Unix second the bucket starts at.
    start: i64,
    /// Executions created in the bucket.
    count: u64,
    /// Of those, how many ended with an error.
    errors: u64,
    /// Median duration of the bucket's finished executions.
    p50_ms: Option<i64>,
    /// 95th percentile duration of the bucket's finished executions.
    p95_ms: Option<i64>,
}

/// A function's executions over a window: 60 one-minute buckets for `1h`, 48 half-hour
/// buckets for `24h`, 84 two-hour buckets for `7d`, aligned to multiples of the bucket size
/// and ending with the bucket that holds the current time.
#[derive(ToSchema)]
struct ExecutionMetrics {
    window: MetricsWindow,
    bucket_seconds: i64,
    /// First Unix second counted.
    since: i64,
    /// First Unix second not counted.
    until: i64,
    /// Executions created in the window, pending ones included.
    total: u64,
    errors: u64,
    /// `errors / total` (0 without executions).
    error_rate: f64,
    /// Nearest-rank median of the finished executions' durations.
    p50_ms: Option<i64>,
    /// Nearest-rank 95th percentile of the finished executions' durations.
    p95_ms: Option<i64>,
    buckets: Vec<MetricsBucket>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct KvQuery {
    /// Only keys starting with this text (compared literally, case-sensitive).
    prefix: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct MetricsQuery {
    /// `1h`, `24h` (default) or `7d`.
    window: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// A JSON body of mirror type `T`: its `$ref`, registering `T` (and what it refers to) as
/// components of the document.
fn json<T: ToSchema>(components: &mut Components) -> RefOr<Schema> {
    let mut schemas = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut schemas);
    components.schemas.extend(schemas);
    Ref::from_schema_name(T::name()).into()
}

/// A mirror type's body, as [`json`] instantiated for it.
type Body = fn(&mut Components) -> RefOr<Schema>;

/// What a response carries.
#[derive(Clone, Copy)]
enum Content {
    /// No content.
    None,
    /// `application/json` of a mirror type.
    Json(Body),
    /// A media type without a schema.
    Media(&'static str),
}

/// One response: status, description and content.
type Reply = (&'static str, &'static str, Content);

/// A response with a `T` body.
const fn reply<T: ToSchema>(status: &'static str, description: &'static str) -> Reply {
    (status, description, Content::Json(json::<T>))
}

/// A 200 response with a `T` body.
const fn ok<T: ToSchema>(description: &'static str) -> Reply {
    reply::<T>("200", description)
}

/// A response with an [`ErrorBody`].
const fn error(status: &'static str, description: &'static str) -> Reply {
    reply::<ErrorBody>(status, description)
}

/// A response without content.
const fn bare(status: &'static str, description: &'static str) -> Reply {
    (status, description, Content::None)
}

/// A 200 response of `media_type`, without a schema.
const fn media(description: &'static str, media_type: &'static str) -> Reply {
    ("200", description, Content::Media(media_type))
}

const INVALID_BODY: Reply = error("400", "Invalid body or validation failure");
const INVALID_VERSION: Reply = error("400", "Invalid version number");
const UNAUTHENTICATED: Reply = error("401", "Authentication required");
const FUNCTION_NOT_FOUND: Reply = error("404", "Function not found");
const VERSION_NOT_FOUND: Reply = error("404", "Version not found");
const EXECUTION_NOT_FOUND: Reply = error("404", "Execution not found");

/// The responses of both `/fn` routes.
const FN_REPLIES: &[Reply] = &[
    bare(
        "200",
        "The function's response, with `X-Function-Id`, `X-Function-Version-Id`, \
         `X-Execution-Id` and `X-Execution-Duration-Ms`",
    ),
    error("403", "Function is disabled"),
    FUNCTION_NOT_FOUND,
    error("413", "Request body too large"),
    error(
        "429",
        "The function already has its `limits.max_concurrency` executions in flight; sent at \
         once with `Retry-After: 1`, nothing ran and no execution is recorded",
    ),
    error("500", "Function execution failed"),
    error(
        "503",
        "The server already has its bound of executions in flight, or a new execution \
         would wait for a V8 worker longer than its bound on that wait; sent at once with \
         `Retry-After: 1`, nothing ran and no execution is recorded",
    ),
];

/// A path parameter: name, whether it is an integer (else a string), description.
type Param = (&'static str, bool, &'static str);

const FUNCTION_ID: Param = ("id", false, "Function id");
const EXECUTION_ID: Param = ("id", false, "Execution id");
const VERSION_ID: Param = ("version", false, "Version id (`ver_{id}_v{n}`)");
const FN_ID: Param = ("function_id", false, "Function id");
const KV_KEY: Param = ("key", false, "The key, percent-encoded (at most 512 bytes)");

/// What the document says of one [`Op`]; paths, methods and authentication come from
/// the route table ([`crate::routes::ROUTES`]).
struct OpDoc {
    tag: &'static str,
    operation_id: &'static str,
    params: &'static [Param],
    /// Followed by the [`PageQuery`] parameters.
    paged: bool,
    query: Option<fn() -> Vec<Parameter>>,
    request: Option<Body>,
    replies: &'static [Reply],
}

impl OpDoc {
    /// An operation without parameters or request body.
    const fn new(tag: &'static str, operation_id: &'static str, replies: &'static [Reply]) -> Self {
        OpDoc {
            tag,
            operation_id,
            params: &[],
            paged: false,
            query: None,
            request: None,
            replies,
        }
    }

    const fn params(self, params: &'static [Param]) -> Self {
        OpDoc { params, ..self }
    }

    const fn paged(self) -> Self {
        OpDoc {
            paged: true,
            ..self
        }
    }

    const fn query<T: IntoParams>(self) -> Self {
        OpDoc {
            query: Some(|| T::into_params(|| None)),
            ..self
        }
    }

    /// A required `application/json` request body of `T`.
    const fn request<T: ToSchema>(self) -> Self {
        OpDoc {
            request: Some(json::<T>),
            ..self
        }
    }

    /// The operation; `secured` when it requires the bearer token or the session cookie.
    fn operation(&self, components: &mut Components, secured: bool) -> Operation {
        let mut parameters: Vec<Parameter> = self
            .params
            .iter()
            .map(|&(name, integer, description)| {
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .description(Some(description))
                    .required(Required::True)
                    .schema(Some(if integer {
                        i64::schema()
                    } else {
                        String::schema()
                    }))
                    .build()
            })
            .collect();
        if let Some(query) = self.query {
            parameters.extend(query());
        }
        if self.paged {
            parameters.extend(PageQuery::into_params(|| None));
        }
        let mut responses = ResponsesBuilder::new();
        for &(status, description, content) in self.replies {
            let response = ResponseBuilder::new().description(description);
            let response = match content {
                Content::None => response,
                Content::Json(body) => response.content(JSON, schema(body, components)),
                Content::Media(media_type) => response.content(media_type, Default::default()),
            };
            responses = responses.response(status, response.build());
        }
        let mut operation = OperationBuilder::new()
            .tag(self.tag)
            .operation_id(Some(self.operation_id))
            .responses(responses.build());
        if !parameters.is_empty() {
            operation = operation.parameters(Some(parameters));
        }
        if let Some(body) = self.request {
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .content(JSON, schema(body, components))
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        if secured {
            operation = operation.securities(Some(
                ["bearer", "cookie"]
                    .map(|name| SecurityRequirement::new(name, Vec::<String>::new())),
            ));
        }
        operation.build()
    }
}

const JSON: &str = "application/json";

/// The content of a JSON body.
fn schema(body: Body, components: &mut Components) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(body(components))).build()
}

/// The document of each operation. The match is exhaustive, so an operation added to the
/// route table cannot go undocumented.
#[rustfmt::skip]
fn describe(op: Op, path: &str) -> OpDoc {
    match op {
        Op::Login => OpDoc::new("auth", "login", const { &[
            ok::<LoginResponse>("Logged in; sets the `auth_token` cookie"),
            reply::<LoginResponse>("400", "Invalid request body"),
            reply::<LoginResponse>("401", "Invalid API key"),
        ] }).request::<LoginRequest>(),
        Op::Logout => OpDoc::new("auth", "logout", const { &[
            ok::<LoginResponse>("Clears the cookie"),
        ] }),
        Op::DocsHtml => OpDoc::new("docs", "docs_html", const { &[
            media("API reference page", "text/html"),
        ] }),
        Op::DocsYaml => OpDoc::new("docs", "docs_yaml", const { &[
            media("This document", "application/yaml"),
        ] }),
        Op::DocsJson => OpDoc::new("docs", "docs_json", const { &[
            media("This document", "application/json"),
        ] }),
        Op::CreateFunction => OpDoc::new("functions", "create_function", const { &[
            reply::<FunctionWithActiveVersion>("201", "Created"),
            INVALID_BODY,
            UNAUTHENTICATED,
        ] }).request::<CreateFunctionRequest>(),
        Op::ListFunctions => OpDoc::new("functions", "list_functions", const { &[
            ok::<FunctionList>("Functions, newest first"),
            UNAUTHENTICATED,
        ] }).paged(),
        Op::GetFunction => OpDoc::new("functions", "get_function", const { &[
            ok::<FunctionWithActiveVersion>("The function with its env vars"),
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID]),
        Op::UpdateFunction => OpDoc::new("functions", "update_function", const { &[
            bare("200", "Updated (empty body)"),
            INVALID_BODY,
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID]).request::<UpdateFunctionRequest>(),
        Op::DeleteFunction => OpDoc::new("functions", "delete_function", const { &[
            bare("204", "Deleted with everything it owns"),
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID]),
        Op::SetEnv => OpDoc::new("functions", "set_env", const { &[
            ok::<FunctionWithActiveVersion>("The function with its new env vars"),
            INVALID_BODY,
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID]).request::<EnvVarsRequest>(),
        Op::NextRun => OpDoc::new("functions", "next_run", const { &[
            ok::<NextRun>("Next cron fire"),
            error("400", "Invalid cron schedule"),
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID]),
        Op::ListVersions => OpDoc::new("versions", "list_versions", const { &[
            ok::<VersionList>("Versions, highest first"),
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID]).paged(),
        Op::GetVersion => OpDoc::new("versions", "get_version", const { &[
            ok::<FunctionVersion>("The version"),
            INVALID_VERSION,
            VERSION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID, ("version", true, "Version number")]),
        Op::ActivateVersion => OpDoc::new("versions", "activate_version", const { &[
            bare("200", "Activated (empty body)"),
            VERSION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID, VERSION_ID]),
        Op::DeleteVersion => OpDoc::new("versions", "delete_version", const { &[
            bare("204", "Deleted with its executions"),
            error("400", "Cannot delete active version"),
            VERSION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID, VERSION_ID]),
        Op::Diff => OpDoc::new("versions", "diff", const { &[
            ok::<DiffResponse>("Line diff"),
            INVALID_VERSION,
            VERSION_NOT_FOUND,
        ] }).params(&[
            FUNCTION_ID,
            ("v1", true, "Old version number"),
            ("v2", true, "New version number"),
        ]),
        Op::ListExecutions => OpDoc::new("executions", "list_executions", const { &[
            ok::<ExecutionList>("Executions, newest first"),
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID]).paged(),
        Op::Metrics => OpDoc::new("executions", "function_metrics", const { &[
            ok::<ExecutionMetrics>("Counts, error rate and duration percentiles, per bucket"),
            error("400", "Invalid window"),
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID]).query::<MetricsQuery>(),
        Op::Prometheus => OpDoc::new("metrics", "prometheus_metrics", const { &[
            media(
                "The engine's metrics in the Prometheus text format: lunar_executions_total \
                 {function_id,status,trigger}, lunar_execution_duration_seconds (histogram per \
                 function), lunar_execution_cpu_seconds_total{function_id}, \
                 lunar_executions_refused_total{reason}, lunar_executions_in_flight, \
                 lunar_executions_awaiting_store, \
                 lunar_runtime_heap_used_bytes, lunar_runtime_queue_delay_seconds, \
                 lunar_store_batch_writes and \
                 lunar_store_batch_seconds (histograms)",
                "text/plain; version=0.0.4",
            ),
            UNAUTHENTICATED,
        ] }),
        Op::ListKv => OpDoc::new("kv", "list_kv", const { &[
            ok::<KvEntryList>("Entries in key (byte) order"),
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID]).query::<KvQuery>().paged(),
        Op::GetKv => OpDoc::new("kv", "get_kv", const { &[
            ok::<KvEntry>("The entry"),
            error("400", "Invalid key"),
            error("404", "Function or key not found"),
        ] }).params(&[FUNCTION_ID, KV_KEY]),
        Op::SetKv => OpDoc::new("kv", "set_kv", const { &[
            ok::<KvEntry>("Stored (created or replaced)"),
            INVALID_BODY,
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID, KV_KEY]).request::<KvSetRequest>(),
        Op::DeleteKv => OpDoc::new("kv", "delete_kv", const { &[
            bare("204", "Deleted (also when it did not exist)"),
            error("400", "Invalid key"),
            FUNCTION_NOT_FOUND,
        ] }).params(&[FUNCTION_ID, KV_KEY]),
        Op::GetExecution => OpDoc::new("executions", "get_execution", const { &[
            ok::<Execution>("The execution"),
            EXECUTION_NOT_FOUND,
        ] }).params(&[EXECUTION_ID]),
        Op::ExecutionLogs => OpDoc::new("executions", "execution_logs", const { &[
            ok::<ExecutionWithLogs>("The execution with its logs, oldest first"),
            EXECUTION_NOT_FOUND,
        ] }).params(&[EXECUTION_ID]).paged(),
        Op::AiRequests => OpDoc::new("executions", "ai_requests", const { &[
            ok::<AiRequestList>("AI calls of the execution"),
            EXECUTION_NOT_FOUND,
        ] }).params(&[EXECUTION_ID]).paged(),
        Op::HostCalls => OpDoc::new("executions", "host_calls", const { &[
            ok::<HostCallList>("Host-capability calls of the execution"),
            EXECUTION_NOT_FOUND,
        ] }).params(&[EXECUTION_ID]).paged(),
        Op::EmailRequests => OpDoc::new("executions", "email_requests", const { &[
            ok::<EmailRequestList>("E-mails of the execution"),
            EXECUTION_NOT_FOUND,
        ] }).params(&[EXECUTION_ID]).paged(),
        Op::Fn if path == FN_PATH => OpDoc::new("fn", "call_function", FN_REPLIES)
            .params(&[FN_ID]),
        Op::Fn => OpDoc::new("fn", "call_function_path", FN_REPLIES)
            .params(&[FN_ID, ("path", false, "Sub-path, passed as `event.relativePath`")]),
    }
}

fn http_method(method: &str) -> Option<HttpMethod> {
    Some(match method {
        "GET" => HttpMethod::Get,
        "HEAD" => HttpMethod::Head,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        _ => return None,
    })
}

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
    modifiers(&Security)
)]
struct ApiDoc;

/// The document, with `base_url` as its server when given.
pub(crate) fn document(base_url: Option<&str>) -> Document {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    // One operation per (path, op) of the route table, under all of its methods.
    let mut seen: Vec<(&str, Op)> = Vec::new();
    for route in ROUTES {
        if seen.contains(&(route.path, route.op())) {
            continue;
        }
        seen.push((route.path, route.op()));
        let methods: Vec<HttpMethod> = ROUTES
            .iter()
            .filter(|r| r.path == route.path && r.op() == route.op())
            .filter_map(|r| http_method(r.method))
            .collect();
        let operation = describe(route.op(), route.path).operation(components, route.auth);
        doc.paths
            .add_path_operation(route.path.replace("{*", "{"), methods, operation);
    }
    if let Some(url) = base_url {
        doc.servers = Some(vec![ServerBuilder::new().url(url).build()]);
    }
    doc
}
