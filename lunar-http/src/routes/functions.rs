//! `/api/functions` and `/api/functions/{id}` (+ `/env`, `/next-run`): SPEC.md §2.6.

use axum::extract::{RawQuery, State};
use http::StatusCode;
use lunar_core::Error;
use lunar_core::cron_scheduler::next_run_info;
use lunar_core::model::{Function, FunctionWithActiveVersion};
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
pub(crate) async fn load_function(state: &AppState, id: &str) -> Result<Function, ApiError> {
    state
        .engine
        .stores()
        .functions
        .get_function(id)
        .await
        .map_err(|e| function_error(&e, crate::json::INTERNAL))
}

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
    let now = state.engine.clock().unix();
    let new = body
        .into_new_function(lunar_core::ids::new_id(), now)
        .map_err(|e| invalid(&e))?;
    let created = state
        .engine
        .stores()
        .functions
        .create_function(new)
        .await
        .map_err(|e| ApiError::internal("Failed to create function", &e))?;
    Ok(json(StatusCode::CREATED, &created))
}

/// `GET /api/functions`.
pub(crate) async fn list(State(state): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    paged(q.as_deref(), "functions", async |p| {
        let functions = &state.engine.stores().functions;
        functions
            .list_functions(p)
            .await
            .map_err(|e| ApiError::internal("Failed to list functions", &e))
    })
    .await
}

/// The function with its active version and all its env vars.
async fn with_active_version(
    state: &AppState,
    function: Function,
) -> Result<FunctionWithActiveVersion, ApiError> {
    let active_version = state
        .engine
        .stores()
        .functions
        .active_version(&function.id)
        .await
        .map_err(|e| ApiError::internal(NO_ACTIVE_VERSION, &e))?;
    Ok(FunctionWithActiveVersion {
        function,
        active_version,
    })
}

/// `GET /api/functions/{id}`.
pub(crate) async fn get(State(state): State<AppState>, params: Params) -> ApiResult {
    let id = params.get(0);
    let function = load_function(&state, id).await?;
    let mut full = with_active_version(&state, function).await?;
    full.function.env_vars = state
        .engine
        .stores()
        .env
        .all(id)
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
    let id = params.get(0);
    let now = state.engine.clock().unix();
    let update = body
        .validate(&state.engine.config().ceilings, now)
        .map_err(|e| invalid(&e))?;
    state
        .engine
        .stores()
        .functions
        .update_function(id, update)
        .await
        .map_err(|e| function_error(&e, "Failed to update function"))?;
    if body.touches_schedule()
        && let Some(s) = &state.scheduler
        && let Err(e) = s.refresh(id).await
    {
        tracing::warn!(function_id = id, error = %e, "failed to refresh the cron job");
    }
    Ok(empty(StatusCode::OK))
}

/// `DELETE /api/functions/{id}`.
pub(crate) async fn delete(State(state): State<AppState>, params: Params) -> ApiResult {
    let id = params.get(0);
    state
        .engine
        .stores()
        .delete_function(id)
        .await
        .map_err(|e| function_error(&e, "Failed to delete function"))?;
    if let Some(s) = &state.scheduler
        && let Err(e) = s.remove(id).await
    {
        tracing::warn!(function_id = id, error = %e, "failed to remove the cron job");
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `PUT /api/functions/{id}/env`.
pub(crate) async fn set_env(
    State(state): State<AppState>,
    params: Params,
    JsonBody(body): JsonBody<EnvVarsRequest>,
) -> ApiResult {
    let id = params.get(0);
    let vars = body.validate().map_err(|e| invalid(&e))?;
    let function = load_function(&state, id).await?;
    state
        .engine
        .stores()
        .env
        .replace_all(id, &vars)
        .await
        .map_err(|e| ApiError::internal("Failed to set env var", &e))?;
    let mut full = with_active_version(&state, function).await?;
    full.function.env_vars = vars;
    Ok(json(StatusCode::OK, &full))
}

/// `GET /api/functions/{id}/next-run`.
pub(crate) async fn next_run(State(state): State<AppState>, params: Params) -> ApiResult {
    let function = load_function(&state, params.get(0)).await?;
    let zone = state
        .engine
        .config()
        .timezone
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::UTC);
    let info = next_run_info(&function, state.engine.clock().now(), zone)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "Invalid cron schedule"))?;
    Ok(json(StatusCode::OK, &info))
}
