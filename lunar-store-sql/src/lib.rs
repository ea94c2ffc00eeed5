#![doc = include_str!("../README.md")]

#[cfg(feature = "sqlite")]
mod error;
#[cfg(feature = "sqlite")]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
