#![doc = include_str!("../README.md")]

mod auth;
mod cors;
#[cfg(feature = "dashboard")]
mod dashboard;
mod json;
mod openapi;
mod routes;
mod service;
mod state;
mod uri;

pub use auth::{Auth, Authenticator};
pub use routes::{ROUTES, Route};
pub use service::{LunarService, LunarServiceBuilder, ResponseFuture};

/// A boxed error, as accepted from request bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The OpenAPI document of the HTTP API (what `/docs/openapi.json` serves).
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::document(None)
}
