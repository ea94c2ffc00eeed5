//! `/api/functions/{id}/versions...` and `/diff/{v1}/{v2}`.

use axum::extract::{RawQuery, State};
use http::StatusCode;
use lunar_core::Error;
use lunar_core::model::DiffLine;
use serde::Serialize;

use super::functions::load_function;
use super::{Params, paged};
use crate::json::{ApiError, ApiResult, INTERNAL, empty, json};
use crate::state::AppState;

const VERSION_NOT_FOUND: &str = "Version not found";

/// `GET /api/functions/{id}/versions`.
pub(crate) async fn list(
    State(state): State<AppState>,
    params: Params,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let function = load_function(&state, params.get(0)).await?;
    paged(q.as_deref(), "versions", async |p| {
        function
            .versions(p)
            .await
            .map_err(|e| ApiError::internal("Failed to list versions", &e))
    })
    .await
}

/// A version number as Go's `strconv.Atoi` reads it.
fn parse_number(s: &str) -> Option<i64> {
    s.parse::<i64>().ok()
}

/// `GET /api/functions/{id}/versions/{version}`.
pub(crate) async fn get(State(state): State<AppState>, params: Params) -> ApiResult {
    let n = parse_number(params.get(1)).ok_or(ApiError::new(
        StatusCode::BAD_REQUEST,
        "Invalid version number",
    ))?;
    let v = state
        .functions
        .version(params.get(0), n)
        .await
        .map_err(|e| version_error(&e, INTERNAL))?;
    Ok(json(StatusCode::OK, &v))
}

fn version_error(e: &Error, message: &'static str) -> ApiError {
    if e.is_not_found() {
        ApiError::not_found(VERSION_NOT_FOUND)
    } else {
        ApiError::internal(message, e)
    }
}

/// `POST /api/functions/{id}/versions/{versionId}/activate`.
pub(crate) async fn activate(State(state): State<AppState>, params: Params) -> ApiResult {
    state
        .functions
        .activate(params.get(0), params.get(1))
        .await
        .map_err(|e| version_error(&e, "Failed to activate version"))?;
    Ok(empty(StatusCode::OK))
}

/// `DELETE /api/functions/{id}/versions/{versionId}`.
pub(crate) async fn delete(State(state): State<AppState>, params: Params) -> ApiResult {
    match state
        .functions
        .delete_version(params.get(0), params.get(1))
        .await
    {
        Ok(()) => Ok(empty(StatusCode::NO_CONTENT)),
        Err(Error::Conflict(_)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Cannot delete active version",
        )),
        Err(e) => Err(version_error(&e, "Failed to delete version")),
    }
}

#[derive(Serialize)]
struct Diff {
    old_version: i64,
    new_version: i64,
    diff: Vec<DiffLine>,
}

/// `GET /api/functions/{id}/diff/{v1}/{v2}`.
pub(crate) async fn diff(State(state): State<AppState>, params: Params) -> ApiResult {
    let id = params.get(0);
    let v1 = parse_number(params.get(1)).ok_or(ApiError::new(
        StatusCode::BAD_REQUEST,
        "Invalid version number v1",
    ))?;
    let v2 = parse_number(params.get(2)).ok_or(ApiError::new(
        StatusCode::BAD_REQUEST,
        "Invalid version number v2",
    ))?;
    let lookup = |e: Error, missing: &'static str| {
        if e.is_not_found() {
            ApiError::not_found(missing)
        } else {
            ApiError::internal(INTERNAL, &e)
        }
    };
    let old = state
        .functions
        .version(id, v1)
        .await
        .map_err(|e| lookup(e, "Version v1 not found"))?;
    let new = state
        .functions
        .version(id, v2)
        .await
        .map_err(|e| lookup(e, "Version v2 not found"))?;
    Ok(json(
        StatusCode::OK,
        &Diff {
            old_version: v1,
            new_version: v2,
            diff: lunar_core::diff::diff_lines(&old.code, &new.code),
        },
    ))
}
