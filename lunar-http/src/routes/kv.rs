//! `/api/functions/{id}/kv` and `/api/functions/{id}/kv/{key}`: a function's KV entries,
//! the same store its code reaches through `kv`.

use axum::extract::{RawQuery, State};
use http::StatusCode;
use lunar_core::model::KvEntry;
use lunar_core::validate::{KvSetRequest, validate_kv_key};

use super::functions::{function_error, invalid, load_function};
use super::{Params, paged};
use crate::json::{ApiError, ApiResult, JsonBody, empty, json};
use crate::state::AppState;
use crate::uri::first_values;

const KEY_NOT_FOUND: &str = "Key not found";

/// `GET /api/functions/{id}/kv?prefix=&limit=&offset=`: entries in key order.
pub(crate) async fn list(
    State(state): State<AppState>,
    params: Params,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let id = params.get(0);
    load_function(&state, id).await?;
    let prefix = first_values(q.as_deref())
        .remove("prefix")
        .unwrap_or_default();
    paged(q.as_deref(), "entries", async |p| {
        state
            .engine
            .stores()
            .kv
            .list(id, &prefix, p)
            .await
            .map_err(|e| ApiError::internal("Failed to list KV entries", &e))
    })
    .await
}

/// Checks the function and the key named by the path; returns the key.
async fn target<'p>(state: &AppState, params: &'p Params) -> Result<&'p str, ApiError> {
    load_function(state, params.get(0)).await?;
    let key = params.get(1);
    validate_kv_key(key, &state.engine.config().default_limits).map_err(|e| invalid(&e))?;
    Ok(key)
}

/// `GET /api/functions/{id}/kv/{key}`.
pub(crate) async fn get(State(state): State<AppState>, params: Params) -> ApiResult {
    let key = target(&state, &params).await?;
    let value = state
        .engine
        .stores()
        .kv
        .get(params.get(0), key)
        .await
        .map_err(|e| ApiError::internal("Failed to get KV entry", &e))?
        .ok_or(ApiError::not_found(KEY_NOT_FOUND))?;
    Ok(json(
        StatusCode::OK,
        &KvEntry {
            key: key.to_owned(),
            value,
        },
    ))
}

/// `PUT /api/functions/{id}/kv/{key}` with `{"value": string}`: upsert; answers the entry.
pub(crate) async fn set(
    State(state): State<AppState>,
    params: Params,
    JsonBody(body): JsonBody<KvSetRequest>,
) -> ApiResult {
    let id = params.get(0);
    let key = params.get(1);
    let value = body
        .validate(key, &state.engine.config().default_limits)
        .map_err(|e| invalid(&e))?;
    load_function(&state, id).await?;
    state
        .engine
        .stores()
        .kv
        .set(id, key, &value)
        .await
        .map_err(|e| function_error(&e, "Failed to set KV entry"))?;
    Ok(json(
        StatusCode::OK,
        &KvEntry {
            key: key.to_owned(),
            value,
        },
    ))
}

/// `DELETE /api/functions/{id}/kv/{key}`: 204, also when the key did not exist.
pub(crate) async fn delete(State(state): State<AppState>, params: Params) -> ApiResult {
    let key = target(&state, &params).await?;
    state
        .engine
        .stores()
        .kv
        .delete(params.get(0), key)
        .await
        .map_err(|e| ApiError::internal("Failed to delete KV entry", &e))?;
    Ok(empty(StatusCode::NO_CONTENT))
}
