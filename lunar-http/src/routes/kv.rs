//! `/api/functions/{id}/kv` and `/api/functions/{id}/kv/{key}`: a function's KV entries,
//! the same store its code reaches through `kv`.

use axum::extract::{RawQuery, State};
use http::StatusCode;
use lunar_core::Error;
use lunar_core::model::KvEntry;
use lunar_core::validate::KvSetRequest;

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
    let function = load_function(&state, params.get(0)).await?;
    let prefix = first_values(q.as_deref())
        .remove("prefix")
        .unwrap_or_default();
    paged(q.as_deref(), "entries", async |p| {
        function
            .kv_list(&prefix, p)
            .await
            .map_err(|e| ApiError::internal("Failed to list KV entries", &e))
    })
    .await
}

/// A failed KV operation: a bad key → 400, else 500 with `message`.
fn kv_error(e: &Error, message: &'static str) -> ApiError {
    match e {
        Error::InvalidInput { .. } => invalid(e),
        e => ApiError::internal(message, e),
    }
}

/// `GET /api/functions/{id}/kv/{key}`.
pub(crate) async fn get(State(state): State<AppState>, params: Params) -> ApiResult {
    let function = load_function(&state, params.get(0)).await?;
    let key = params.get(1);
    let value = function
        .kv_get(key)
        .await
        .map_err(|e| kv_error(&e, "Failed to get KV entry"))?
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
    let function = load_function(&state, params.get(0)).await?;
    let entry = function
        .kv_set(params.get(1), body)
        .await
        .map_err(|e| match e {
            Error::InvalidInput { .. } => invalid(&e),
            e => function_error(&e, "Failed to set KV entry"),
        })?;
    Ok(json(StatusCode::OK, &entry))
}

/// `DELETE /api/functions/{id}/kv/{key}`: 204, also when the key did not exist.
pub(crate) async fn delete(State(state): State<AppState>, params: Params) -> ApiResult {
    let function = load_function(&state, params.get(0)).await?;
    function
        .kv_delete(params.get(1))
        .await
        .map_err(|e| kv_error(&e, "Failed to delete KV entry"))?;
    Ok(empty(StatusCode::NO_CONTENT))
}
