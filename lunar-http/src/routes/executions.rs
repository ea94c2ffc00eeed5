//! `/api/functions/{id}/executions` and `/api/executions/{id}...`.

use axum::extract::{RawQuery, State};
use http::StatusCode;
use lunar_core::model::{Execution, LogEntry, Page, Pagination};
use serde::Serialize;

use super::functions::load_function;
use super::{Params, paged};
use crate::json::{ApiError, ApiResult, INTERNAL, json};
use crate::state::AppState;
use crate::uri::page;

/// `GET /api/functions/{id}/executions`.
pub(crate) async fn list(
    State(state): State<AppState>,
    params: Params,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let function = load_function(&state, params.get(0)).await?;
    paged(q.as_deref(), "executions", async |p| {
        function
            .executions(p)
            .await
            .map_err(|e| ApiError::internal("Failed to list executions", &e))
    })
    .await
}

async fn load(state: &AppState, id: &str) -> Result<Execution, ApiError> {
    state.functions.execution(id).await.map_err(|e| {
        if e.is_not_found() {
            ApiError::not_found("Execution not found")
        } else {
            ApiError::internal(INTERNAL, &e)
        }
    })
}

/// `GET /api/executions/{id}`.
pub(crate) async fn get(State(state): State<AppState>, params: Params) -> ApiResult {
    let e = load(&state, params.get(0)).await?;
    Ok(json(StatusCode::OK, &e))
}

#[derive(Serialize)]
struct ExecutionLogs {
    #[serde(flatten)]
    execution: Execution,
    logs: Vec<LogEntry>,
    pagination: Pagination,
}

/// `GET /api/executions/{id}/logs`.
pub(crate) async fn logs(
    State(state): State<AppState>,
    params: Params,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let execution = load(&state, params.get(0)).await?;
    let p = page(q.as_deref());
    let found = state
        .functions
        .logs(&execution.id, p)
        .await
        .map_err(|e| ApiError::internal("Failed to get logs", &e))?;
    Ok(json(
        StatusCode::OK,
        &ExecutionLogs {
            execution,
            logs: found.items,
            pagination: p.pagination(found.total),
        },
    ))
}

/// A tracker page, or an empty one when the read fails.
fn or_empty<T>(r: lunar_core::Result<Page<T>>) -> Page<T> {
    r.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "tracker read failed");
        Page::empty()
    })
}

/// `GET /api/executions/{id}/host-calls`: the host-capability calls, oldest first.
pub(crate) async fn host_calls(
    State(state): State<AppState>,
    params: Params,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let execution = load(&state, params.get(0)).await?;
    paged(q.as_deref(), "host_calls", async |p| {
        Ok(or_empty(state.functions.host_calls(&execution.id, p).await))
    })
    .await
}

/// `GET /api/executions/{id}/ai-requests`.
pub(crate) async fn ai_requests(
    State(state): State<AppState>,
    params: Params,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let execution = load(&state, params.get(0)).await?;
    paged(q.as_deref(), "ai_requests", async |p| {
        Ok(or_empty(
            state.functions.ai_requests(&execution.id, p).await,
        ))
    })
    .await
}

/// `GET /api/executions/{id}/email-requests`.
pub(crate) async fn email_requests(
    State(state): State<AppState>,
    params: Params,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let execution = load(&state, params.get(0)).await?;
    paged(q.as_deref(), "email_requests", async |p| {
        Ok(or_empty(
            state.functions.email_requests(&execution.id, p).await,
        ))
    })
    .await
}
