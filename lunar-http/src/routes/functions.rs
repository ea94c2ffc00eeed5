//! `/api/functions` and `/api/functions/{id}` (+ `/env`, `/next-run`). The
//! work is [`lunar_core::Functions`]'s; these handlers map its answers to HTTP.

use axum::extract::{RawQuery, State};
use http::StatusCode;
use lunar_core::Error;
use lunar_core::manage::FunctionRef;
use lunar_core::model::FunctionWithActiveVersion;
use lunar_core::validate::{CreateFunctionRequest, EnvVarsRequest, UpdateFunctionRequest};

use super::{Params, paged};
use crate::json::{ApiError, ApiResult, JsonBody, empty, json};
use crate::state::AppState;

pub(crate) const FUNCTION_NOT_FOUND: &str = "Function not found";
const NO_ACTIVE_VERSION: &str = "No active version found";

/// Maps a store error on a function lookup: `NotFound` → 404, else 500 with `message`.
pub(crate) fn function_error(e: &Error, message: &'static str) -> ApiError {
    if e.is_not_found() {
        ApiError::not_found(FUNCTION_NOT_FOUND)
    } else {
        ApiError::internal(message, e)
    }
}

/// Loads a function or answers 404.
pub(crate) async fn load_function<'s>(
    state: &'s AppState,
    id: &str,
) -> Result<FunctionRef<'s>, ApiError> {
    state
        .functions
        .get(id)
        .await
        .map_err(|e| function_error(&e, crate::json::INTERNAL))
}

/// `InvalidInput` → 400 with its message, anything else → 500.
pub(crate) fn invalid(e: &Error) -> ApiError {
    match e {
        Error::InvalidInput { .. } => ApiError::bad_request(e.to_string()),
        other => ApiError::internal(crate::json::INTERNAL, other),
    }
}

/// `POST /api/functions`.
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateFunctionRequest>,
) -> ApiResult {
    let created = state.functions.create(body).await.map_err(|e| match e {
        Error::InvalidInput { .. } => invalid(&e),
        e => ApiError::internal("Failed to create function", &e),
    })?;
    Ok(json(StatusCode::CREATED, &created))
}

/// `GET /api/functions`.
pub(crate) async fn list(State(state): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    paged(q.as_deref(), "functions", async |p| {
        state
            .functions
            .list(p)
            .await
            .map_err(|e| ApiError::internal("Failed to list functions", &e))
    })
    .await
}

/// The function with its active version.
async fn with_active_version(f: FunctionRef<'_>) -> Result<FunctionWithActiveVersion, ApiError> {
    f.with_active_version()
        .await
        .map_err(|e| ApiError::internal(NO_ACTIVE_VERSION, &e))
}

/// `GET /api/functions/{id}`.
pub(crate) async fn get(State(state): State<AppState>, params: Params) -> ApiResult {
    let function = load_function(&state, params.get(0)).await?;
    let env = function.env();
    let mut full = with_active_version(function.clone()).await?;
    full.function.env_vars = env
        .await
        .map_err(|e| ApiError::internal("Failed to get env vars", &e))?;
    Ok(json(StatusCode::OK, &full))
}

/// `PUT /api/functions/{id}`.
pub(crate) async fn update(
    State(state): State<AppState>,
    params: Params,
    JsonBody(body): JsonBody<UpdateFunctionRequest>,
) -> ApiResult {
    state
        .functions
        .update(params.get(0), &body)
        .await
        .map_err(|e| match e {
            Error::InvalidInput { .. } => invalid(&e),
            e => function_error(&e, "Failed to update function"),
        })?;
    Ok(empty(StatusCode::OK))
}

/// `DELETE /api/functions/{id}`.
pub(crate) async fn delete(State(state): State<AppState>, params: Params) -> ApiResult {
    state
        .functions
        .delete(params.get(0))
        .await
        .map_err(|e| function_error(&e, "Failed to delete function"))?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `PUT /api/functions/{id}/env`.
pub(crate) async fn set_env(
    State(state): State<AppState>,
    params: Params,
    JsonBody(body): JsonBody<EnvVarsRequest>,
) -> ApiResult {
    // The body is checked before the function is looked up (and again by `set_env`).
    body.clone().validate().map_err(|e| invalid(&e))?;
    let function = load_function(&state, params.get(0)).await?;
    let vars = function.set_env(body).await.map_err(|e| match e {
        Error::InvalidInput { .. } => invalid(&e),
        e => ApiError::internal("Failed to set env var", &e),
    })?;
    let mut full = with_active_version(function).await?;
    full.function.env_vars = vars;
    Ok(json(StatusCode::OK, &full))
}

/// `GET /api/functions/{id}/next-run`.
pub(crate) async fn next_run(State(state): State<AppState>, params: Params) -> ApiResult {
    let function = load_function(&state, params.get(0)).await?;
    let info = function
        .next_run()
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "Invalid cron schedule"))?;
    Ok(json(StatusCode::OK, &info))
}
