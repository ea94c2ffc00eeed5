//! `GET /api/functions/{id}/metrics?window=1h|24h|7d`: executions over time, error rate and
//! duration percentiles, counted by the store.

use axum::extract::{RawQuery, State};
use http::StatusCode;
use lunar_core::validate::parse_metrics_window;

use super::Params;
use super::functions::{invalid, load_function};
use crate::json::{ApiError, ApiResult, json};
use crate::state::AppState;
use crate::uri::first_values;

/// `GET /api/functions/{id}/metrics`.
pub(crate) async fn get(
    State(state): State<AppState>,
    params: Params,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let window = first_values(q.as_deref()).remove("window");
    let window = parse_metrics_window(window.as_deref()).map_err(|e| invalid(&e))?;
    let function = load_function(&state, params.get(0)).await?;
    let metrics = function
        .metrics(window)
        .await
        .map_err(|e| ApiError::internal("Failed to compute metrics", &e))?;
    Ok(json(StatusCode::OK, &metrics))
}
