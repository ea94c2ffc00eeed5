//! `POST /api/auth/login` and `POST /api/auth/logout` (API-key mode only).

use axum::extract::{Request, State};
use axum::response::Response;
use http::header::SET_COOKIE;
use http::{HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};

use crate::auth::{AuthMode, COOKIE_NAME, SESSION_SECONDS, issue_token, key_matches};
use crate::json::{
    BODY_TOO_LARGE, BodyError, INVALID_BODY, ObjectBody, decode, error, json, read_api_body,
};
use crate::state::AppState;

#[derive(Deserialize)]
struct LoginRequest {
    #[serde(rename = "apiKey", default)]
    api_key: Option<String>,
}

impl ObjectBody for LoginRequest {}

#[derive(Serialize)]
struct LoginResponse {
    success: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    error: &'static str,
}

fn answer(status: StatusCode, message: &'static str) -> Response {
    json(
        status,
        &LoginResponse {
            success: message.is_empty(),
            error: message,
        },
    )
}

fn cookie_path(state: &AppState) -> &str {
    if state.base_path.is_empty() {
        "/"
    } else {
        &state.base_path
    }
}

/// `POST /api/auth/login`.
pub(crate) async fn login(State(state): State<AppState>, req: Request) -> Response {
    let AuthMode::ApiKey { key, session_key } = &state.auth else {
        return error(StatusCode::NOT_FOUND, "Not found");
    };
    let tls = req.uri().scheme_str() == Some("https");
    let body = match read_api_body(req, &state).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return error(StatusCode::PAYLOAD_TOO_LARGE, BODY_TOO_LARGE),
        Err(BodyError::Read) => return answer(StatusCode::BAD_REQUEST, INVALID_BODY),
    };
    let Ok(login) = decode::<LoginRequest>(&body) else {
        return answer(StatusCode::BAD_REQUEST, INVALID_BODY);
    };
    let given = login.api_key.unwrap_or_default();
    if given.is_empty() || !key_matches(key, &given) {
        return answer(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let token = issue_token(session_key, state.engine.clock().unix());
    let mut cookie = format!(
        "{COOKIE_NAME}={token}; Path={}; Max-Age={SESSION_SECONDS}; HttpOnly; SameSite=Strict",
        cookie_path(&state)
    );
    if tls || state.secure_cookie {
        cookie.push_str("; Secure");
    }
    let mut res = answer(StatusCode::OK, "");
    match HeaderValue::try_from(cookie) {
        Ok(v) => {
            res.headers_mut().insert(SET_COOKIE, v);
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "invalid cookie (check the base URL's path)");
            error(StatusCode::INTERNAL_SERVER_ERROR, crate::json::INTERNAL)
        }
    }
}

/// `POST /api/auth/logout`.
pub(crate) async fn logout(State(state): State<AppState>) -> Response {
    if !matches!(state.auth, AuthMode::ApiKey { .. }) {
        return error(StatusCode::NOT_FOUND, "Not found");
    }
    let cookie = format!(
        "{COOKIE_NAME}=; Path={}; Max-Age=0; HttpOnly",
        cookie_path(&state)
    );
    let mut res = answer(StatusCode::OK, "");
    if let Ok(v) = HeaderValue::try_from(cookie) {
        res.headers_mut().insert(SET_COOKIE, v);
    }
    res
}
