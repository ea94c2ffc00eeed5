//! Managing functions from Rust: the operations behind the REST API — validation,
//! cascades, cron re-registration and cache invalidation included — so that a host
//! managing functions in code gets exactly what the API does, and `/fn` never serves a
//! stale version afterwards.
//!
//! Reach it through [`Lunar::functions`](crate::app::Lunar::functions), or build one over
//! an [`Engine`] with [`Functions::new`]. Writes go through the engine's own stores, whose
//! wrappers invalidate its function cache at once (writes made through another copy of the
//! stores are only seen after the cache's TTL).
//!
//! Operations on one function either take its id (they answer `NotFound("function")` for
//! an unknown one) or go through a [`FunctionRef`] from [`Functions::get`], which proves
//! the function existed when it was loaded.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cron_scheduler::next_run_info;
use crate::engine::Engine;
use crate::metrics::{ExecutionMetrics, MetricsWindow};
use crate::model::{
    AiRequest, EmailRequest, Execution, Function, FunctionVersion, FunctionWithActiveVersion,
    HostCall, KvEntry, LogEntry, NextRun, Page, PageRequest,
};
use crate::scheduler::Scheduler;
use crate::validate::{
    CreateFunctionRequest, EnvVarsRequest, KvSetRequest, UpdateFunctionRequest, validate_kv_key,
};
use crate::{Error, Result, ids};

/// The management operations over one engine (cheap to clone).
#[derive(Debug, Clone)]
pub struct Functions {
    engine: Engine,
    scheduler: Option<Arc<dyn Scheduler>>,
}

impl Functions {
    /// Operations over `engine`'s stores; schedule changes are handed to `scheduler`.
    #[must_use]
    pub fn new(engine: Engine, scheduler: Option<Arc<dyn Scheduler>>) -> Self {
        Self { engine, scheduler }
    }

    /// The engine.
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Creates a function with its first version, active. `InvalidInput` names the field.
    pub async fn create(&self, req: CreateFunctionRequest) -> Result<FunctionWithActiveVersion> {
        let new = req.into_new_function(ids::new_id(), self.engine.clock().unix())?;
        self.engine.stores().functions.create_function(new).await
    }

    /// Functions, newest first, each with its active version.
    pub async fn list(&self, page: PageRequest) -> Result<Page<FunctionWithActiveVersion>> {
        self.engine.stores().functions.list_functions(page).await
    }

    /// Loads a function.
    pub async fn get(&self, id: &str) -> Result<FunctionRef<'_>> {
        let function = self.engine.stores().functions.get_function(id).await?;
        Ok(FunctionRef {
            functions: self,
            function,
        })
    }

    /// Validates `req` against the engine's ceilings and applies it (a new version when the
    /// code changes); the cron job follows a schedule or status change.
    pub async fn update(&self, id: &str, req: &UpdateFunctionRequest) -> Result<()> {
        let update = req.validate(&self.engine.config().ceilings, self.engine.clock().unix())?;
        self.engine
            .stores()
            .functions
            .update_function(id, update)
            .await?;
        if req.touches_schedule() {
            self.refresh_schedule(id).await;
        }
        Ok(())
    }

    /// Deletes the function with its versions, executions (and their logs and tracked
    /// calls), KV entries, env vars and cron job.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.engine.stores().delete_function(id).await?;
        if let Some(s) = &self.scheduler
            && let Err(e) = s.remove(id).await
        {
            tracing::warn!(function_id = id, error = %e, "failed to remove the cron job");
        }
        Ok(())
    }

    /// Version `number` of the function (`NotFound("version")`).
    pub async fn version(&self, id: &str, number: i64) -> Result<FunctionVersion> {
        self.engine.stores().functions.get_version(id, number).await
    }

    /// Makes `version_id` the active version; `/fn` serves it from the next execution.
    pub async fn activate(&self, id: &str, version_id: &str) -> Result<()> {
        self.engine
            .stores()
            .functions
            .activate_version(id, version_id)
            .await
    }

    /// Deletes a version that is not active (`Conflict` for the active one), with the
    /// executions that ran it.
    pub async fn delete_version(&self, id: &str, version_id: &str) -> Result<()> {
        self.engine.stores().delete_version(id, version_id).await
    }

    /// Loads an execution.
    pub async fn execution(&self, execution_id: &str) -> Result<Execution> {
        self.engine
            .stores()
            .executions
            .get_execution(execution_id)
            .await
    }

    /// An execution's log entries, oldest first.
    pub async fn logs(&self, execution_id: &str, page: PageRequest) -> Result<Page<LogEntry>> {
        self.engine.stores().logs.list(execution_id, page).await
    }

    /// An execution's `ai.chat` calls.
    pub async fn ai_requests(
        &self,
        execution_id: &str,
        page: PageRequest,
    ) -> Result<Page<AiRequest>> {
        self.engine.stores().ai.list(execution_id, page).await
    }

    /// An execution's `email.send` calls.
    pub async fn email_requests(
        &self,
        execution_id: &str,
        page: PageRequest,
    ) -> Result<Page<EmailRequest>> {
        self.engine.stores().email.list(execution_id, page).await
    }

    /// An execution's host-capability calls, oldest first.
    pub async fn host_calls(
        &self,
        execution_id: &str,
        page: PageRequest,
    ) -> Result<Page<HostCall>> {
        self.engine
            .stores()
            .host_calls
            .list(execution_id, page)
            .await
    }

    /// Hands a schedule change to the scheduler; a failure is logged (the function's row
    /// is already written, and the scheduler re-reads all jobs on its next reload).
    async fn refresh_schedule(&self, id: &str) {
        if let Some(s) = &self.scheduler
            && let Err(e) = s.refresh(id).await
        {
            tracing::warn!(function_id = id, error = %e, "failed to refresh the cron job");
        }
    }
}

/// A function that existed when it was loaded, and what can be done with it.
#[derive(Debug, Clone)]
pub struct FunctionRef<'a> {
    functions: &'a Functions,
    function: Function,
}

impl FunctionRef<'_> {
    /// The function as loaded (without env vars).
    #[must_use]
    pub fn function(&self) -> &Function {
        &self.function
    }

    /// The function as loaded.
    #[must_use]
    pub fn into_function(self) -> Function {
        self.function
    }

    fn engine(&self) -> &Engine {
        &self.functions.engine
    }

    fn id(&self) -> &str {
        &self.function.id
    }

    /// The function with its active version.
    pub async fn with_active_version(self) -> Result<FunctionWithActiveVersion> {
        let active_version = self
            .engine()
            .stores()
            .functions
            .active_version(self.id())
            .await?;
        Ok(FunctionWithActiveVersion {
            function: self.function,
            active_version,
        })
    }

    /// All its environment variables.
    pub async fn env(&self) -> Result<BTreeMap<String, String>> {
        self.engine().stores().env.all(self.id()).await
    }

    /// Replaces all its environment variables (validated; `InvalidInput` names the
    /// field) and returns them.
    pub async fn set_env(&self, req: EnvVarsRequest) -> Result<BTreeMap<String, String>> {
        let vars = req.validate()?;
        self.engine()
            .stores()
            .env
            .replace_all(self.id(), &vars)
            .await?;
        Ok(vars)
    }

    /// When its cron job fires next (in the engine's time zone).
    pub fn next_run(&self) -> Result<NextRun> {
        let engine = self.engine();
        next_run_info(&self.function, engine.clock().now(), engine.config().zone())
            .map_err(|e| Error::invalid("cron_schedule", e.to_string()))
    }

    /// Its versions, newest first.
    pub async fn versions(&self, page: PageRequest) -> Result<Page<FunctionVersion>> {
        self.engine()
            .stores()
            .functions
            .list_versions(self.id(), page)
            .await
    }

    /// Its executions, newest first (without saved responses).
    pub async fn executions(&self, page: PageRequest) -> Result<Page<Execution>> {
        self.engine()
            .stores()
            .executions
            .list_executions(self.id(), page)
            .await
    }

    /// Executions over time, error rate and duration percentiles over `window`.
    pub async fn metrics(&self, window: MetricsWindow) -> Result<ExecutionMetrics> {
        let range = window.range(self.engine().clock().unix());
        self.engine()
            .stores()
            .executions
            .execution_metrics(self.id(), range)
            .await
    }

    /// Its KV entries whose key starts with `prefix`, in key order.
    pub async fn kv_list(&self, prefix: &str, page: PageRequest) -> Result<Page<KvEntry>> {
        self.engine()
            .stores()
            .kv
            .list(self.id(), prefix, page)
            .await
    }

    /// A KV value (`InvalidInput` for a key functions could not use either).
    pub async fn kv_get(&self, key: &str) -> Result<Option<String>> {
        validate_kv_key(key, &self.engine().config().default_limits)?;
        self.engine().stores().kv.get(self.id(), key).await
    }

    /// Sets a KV value under the limits functions get; returns the entry.
    pub async fn kv_set(&self, key: &str, req: KvSetRequest) -> Result<KvEntry> {
        let value = req.validate(key, &self.engine().config().default_limits)?;
        self.engine()
            .stores()
            .kv
            .set(self.id(), key, &value)
            .await?;
        Ok(KvEntry {
            key: key.to_owned(),
            value,
        })
    }

    /// Deletes a KV entry (also when there was none).
    pub async fn kv_delete(&self, key: &str) -> Result<()> {
        validate_kv_key(key, &self.engine().config().default_limits)?;
        self.engine().stores().kv.delete(self.id(), key).await
    }
}
