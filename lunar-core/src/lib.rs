#![doc = include_str!("../README.md")]

mod admission;
mod after_insert;
pub mod ai;
pub mod app;
pub(crate) mod cache;
pub mod capability;
pub mod clock;
pub mod compat;
pub mod cron;
pub mod cron_scheduler;
pub mod diff;
pub mod email;
pub mod engine;
pub mod errfmt;
pub mod error;
pub(crate) mod group_commit;
pub mod housekeeping;
pub mod http_client;
pub mod ids;
pub mod late_finish;
pub mod limits;
pub mod logger;
pub mod manage;
pub mod mask;
pub mod metrics;
pub mod model;
pub mod router;
pub mod runtime;
pub mod scheduler;
pub mod store;
mod telemetry;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod usage;
pub mod validate;

pub use app::{Lunar, LunarConfig, Running};
pub use clock::{Clock, ManualClock, SystemClock};
pub use cron_scheduler::{CronScheduler, SchedulerConfig};
pub use engine::{
    DEFAULT_MAX_QUEUE_DELAY, Engine, EngineBuilder, EngineConfig, EngineError, ExecuteRequest,
    ExecutionReport,
};
pub use error::{Error, Result};
pub use housekeeping::Housekeeper;
pub use http_client::HttpClient;
pub use logger::Logger;
pub use manage::Functions;
pub use runtime::Runtime;
pub use scheduler::Scheduler;
pub use store::{
    AiTracker, Backend, BatchWriter, ClaimStore, EmailTracker, EnvStore, ExecutionStore,
    ExecutionWrite, FunctionStore, HostCallTracker, KvStore, LogStore, Stores,
};
