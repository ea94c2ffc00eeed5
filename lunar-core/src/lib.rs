#![doc = include_str!("../README.md")]

pub mod clock;
pub mod cron;
pub mod diff;
pub mod engine;
pub mod errfmt;
pub mod error;
pub mod http_client;
pub mod ids;
pub mod logger;
pub mod mask;
pub mod model;
pub mod router;
pub mod runtime;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod validate;

pub use clock::{Clock, ManualClock, SystemClock};
// engine re-exports follow once it lands
pub use error::{Error, Result};
pub use http_client::HttpClient;
pub use logger::Logger;
pub use runtime::Runtime;
pub use store::{
    AiTracker, Backend, EmailTracker, EnvStore, FunctionStore, KvStore, LogStore, Stores,
};
