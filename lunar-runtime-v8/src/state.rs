//! Per-execution state that native ops reach through the context's slot.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;

use lunar_core::runtime::Host;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// The result of an async host op, converted to JS when the execution resumes.
#[derive(Debug)]
pub(crate) enum OpValue {
    /// `undefined`.
    Undefined,
    /// `null`.
    Null,
    /// `true`.
    True,
    /// A string.
    Str(String),
}

/// An async op finished: resolve (or reject with the message) promise `op`.
#[derive(Debug)]
pub(crate) struct Completion {
    pub(crate) op: u64,
    pub(crate) result: Result<OpValue, String>,
}

/// State of one execution, stored in its context's slot.
#[derive(Debug)]
pub(crate) struct ExecState {
    /// Host services.
    pub(crate) host: Host,
    /// Runtime for host I/O (the caller's), when there is one.
    pub(crate) host_rt: Option<tokio::runtime::Handle>,
    /// Function id (router).
    pub(crate) function_id: String,
    /// Configured base URL (router).
    pub(crate) base_url: Option<String>,
    /// Time zone of `time.format` / `time.parse`.
    pub(crate) timezone: chrono_tz::Tz,
    tx: mpsc::UnboundedSender<Completion>,
    next_op: Cell<u64>,
    pending: RefCell<HashMap<u64, v8::Global<v8::PromiseResolver>>>,
    tasks: RefCell<Vec<AbortHandle>>,
    /// Rejected promises without a handler, with their reason.
    pub(crate) rejections: RefCell<Vec<(v8::Global<v8::Promise>, v8::Global<v8::Value>)>>,
    ended: Cell<bool>,
}

impl ExecState {
    pub(crate) fn new(
        host: Host,
        host_rt: Option<tokio::runtime::Handle>,
        function_id: String,
        base_url: Option<String>,
        timezone: chrono_tz::Tz,
        tx: mpsc::UnboundedSender<Completion>,
    ) -> Self {
        Self {
            host,
            host_rt,
            function_id,
            base_url,
            timezone,
            tx,
            next_op: Cell::new(0),
            pending: RefCell::new(HashMap::new()),
            tasks: RefCell::new(Vec::new()),
            rejections: RefCell::new(Vec::new()),
            ended: Cell::new(false),
        }
    }

    /// Starts an async op; returns its promise.
    pub(crate) fn start_op<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        fut: impl Future<Output = Result<OpValue, String>> + 'static,
    ) -> Option<v8::Local<'s, v8::Promise>> {
        let resolver = v8::PromiseResolver::new(scope)?;
        let promise = resolver.get_promise(scope);
        if self.ended.get() {
            return Some(promise);
        }
        let op = self.next_op.get() + 1;
        self.next_op.set(op);
        self.pending
            .borrow_mut()
            .insert(op, v8::Global::new(scope, resolver));
        let tx = self.tx.clone();
        let task = tokio::task::spawn_local(async move {
            let result = fut.await;
            let _ = tx.send(Completion { op, result });
        });
        let mut tasks = self.tasks.borrow_mut();
        tasks.retain(|t| !t.is_finished());
        tasks.push(task.abort_handle());
        Some(promise)
    }

    /// Takes the resolver of a finished op.
    pub(crate) fn take_resolver(&self, op: u64) -> Option<v8::Global<v8::PromiseResolver>> {
        self.pending.borrow_mut().remove(&op)
    }

    /// Ends the execution: aborts in-flight ops and timers, drops handles.
    pub(crate) fn end(&self) {
        self.ended.set(true);
        for t in self.tasks.borrow_mut().drain(..) {
            t.abort();
        }
        self.pending.borrow_mut().clear();
        self.rejections.borrow_mut().clear();
    }
}

/// Runs `fut` on the host's runtime (aborted when the op is dropped), or here.
pub(crate) async fn on_host<T: Send + 'static>(
    rt: Option<&tokio::runtime::Handle>,
    fut: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    match rt {
        Some(rt) => {
            struct AbortOnDrop(tokio::task::JoinHandle<()>);
            impl Drop for AbortOnDrop {
                fn drop(&mut self) {
                    self.0.abort();
                }
            }
            let (tx, rx) = tokio::sync::oneshot::channel();
            let _guard = AbortOnDrop(rt.spawn(async move {
                let _ = tx.send(fut.await);
            }));
            rx.await.ok()
        }
        None => Some(fut.await),
    }
}

/// The execution state of the current context.
pub(crate) fn current(scope: &v8::PinScope<'_, '_>) -> Option<Rc<ExecState>> {
    scope.get_current_context().get_slot::<ExecState>()
}
