//! Tracked calls of an execution whose `pending` row is still queued for group commit:
//! their rows reference the execution, so they are written once its row is.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::model::{AiRequest, EmailRequest, HostCall, Page, PageRequest};
use crate::store::{AiTracker, EmailTracker, HostCallTracker};
use crate::{Error, Result};

/// A tracker that records only after the execution's row was committed.
#[derive(Debug)]
pub(crate) struct AfterInsert<T: ?Sized> {
    pub(crate) inner: Arc<T>,
    pub(crate) inserted: watch::Receiver<bool>,
}

impl<T: ?Sized> AfterInsert<T> {
    async fn wait(&self) -> Result<()> {
        let mut rx = self.inserted.clone();
        rx.wait_for(|done| *done)
            .await
            .map(|_| ())
            .map_err(|_| Error::Internal("the execution was not recorded".to_owned()))
    }
}

#[async_trait]
impl AiTracker for AfterInsert<dyn AiTracker> {
    async fn record(&self, request: &AiRequest) -> Result<()> {
        self.wait().await?;
        self.inner.record(request).await
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<AiRequest>> {
        self.inner.list(execution_id, page).await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        self.inner.delete_for_executions(execution_ids).await
    }
}

#[async_trait]
impl HostCallTracker for AfterInsert<dyn HostCallTracker> {
    async fn record(&self, call: &HostCall) -> Result<()> {
        self.wait().await?;
        self.inner.record(call).await
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<HostCall>> {
        self.inner.list(execution_id, page).await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        self.inner.delete_for_executions(execution_ids).await
    }
}

#[async_trait]
impl EmailTracker for AfterInsert<dyn EmailTracker> {
    async fn record(&self, request: &EmailRequest) -> Result<()> {
        self.wait().await?;
        self.inner.record(request).await
    }

    async fn list(&self, execution_id: &str, page: PageRequest) -> Result<Page<EmailRequest>> {
        self.inner.list(execution_id, page).await
    }

    async fn delete_for_executions(&self, execution_ids: &[String]) -> Result<()> {
        self.inner.delete_for_executions(execution_ids).await
    }
}
