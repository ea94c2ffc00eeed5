//! The [`Scheduler`] trait: what the HTTP API tells the cron scheduler when a function's
//! schedule changes.

use std::fmt::Debug;

use async_trait::async_trait;

use crate::Result;

/// Keeps cron jobs in step with stored functions.
///
/// ```
/// use async_trait::async_trait;
/// use lunar_core::{Result, Scheduler};
///
/// /// A host without cron.
/// #[derive(Debug)]
/// struct NoCron;
///
/// #[async_trait]
/// impl Scheduler for NoCron {
///     async fn refresh(&self, _function_id: &str) -> Result<()> { Ok(()) }
///     async fn remove(&self, _function_id: &str) -> Result<()> { Ok(()) }
/// }
/// ```
#[async_trait]
pub trait Scheduler: Debug + Send + Sync + 'static {
    /// Re-reads the function and adds, replaces or removes its job.
    async fn refresh(&self, function_id: &str) -> Result<()>;
    /// Removes the function's job (after delete).
    async fn remove(&self, function_id: &str) -> Result<()>;
}
