//! HTTP tests of `LunarService`, mounted under `/lunar` in a host axum router (STYLE 12),
//! over a real SQLite store and the `FnRuntime` closure runtime.

mod api;
mod app;
mod auth;
mod common;
#[cfg(feature = "dashboard")]
mod dashboard;
mod docs;
mod fnexec;
mod hostile;
mod kv_metrics;
mod outage;
mod overload;
mod routing;
mod schema;
mod socket;
mod usage;
