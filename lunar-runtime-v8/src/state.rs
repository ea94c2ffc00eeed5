//! Per-execution state, found by native ops through V8's continuation-preserved embedder
//! data: every entry into JavaScript sets it to the execution's id, and V8 carries it into
//! each promise continuation created meanwhile (the mechanism behind
//! `AsyncLocalStorage`). So when many executions of one function are in flight in one warm
//! context and interleave across `await`s, each op still lands on its own execution.

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
    /// A `Uint8Array` (charged to the isolate's buffer budget).
    Bytes(Vec<u8>),
    /// A streamed response: `[head JSON, stream id]`, the body registered under the id
    /// (see [`ExecState::body`]).
    Stream(String, SharedBody),
}

/// A response body being read by `fetch`'s body stream.
pub(crate) type SharedBody =
    std::sync::Arc<tokio::sync::Mutex<Box<dyn lunar_core::http_client::BodyStream>>>;

/// What `fetch` sends down a streamed request body's channel.
#[derive(Debug)]
pub(crate) enum UploadMsg {
    /// The next chunk (never empty).
    Chunk(Vec<u8>),
    /// The body is complete.
    End,
    /// The body's stream errored with this message: the request fails.
    Fail(String),
}

/// A streamed request body as the host client reads it: the chunks `fetch` sends. A
/// channel closed without [`UploadMsg::End`] (the execution ended) fails the request, so
/// a cut-off body is never sent as if it were whole.
#[derive(Debug)]
pub(crate) struct UploadBody {
    rx: mpsc::Receiver<UploadMsg>,
    done: bool,
}

#[async_trait::async_trait]
impl lunar_core::http_client::BodyStream for UploadBody {
    async fn next_chunk(
        &mut self,
    ) -> Option<Result<Vec<u8>, lunar_core::http_client::OutboundError>> {
        use lunar_core::http_client::OutboundError;
        if self.done {
            return None;
        }
        let fail = match self.rx.recv().await {
            Some(UploadMsg::Chunk(c)) => return Some(Ok(c)),
            Some(UploadMsg::End) => {
                self.done = true;
                return None;
            }
            Some(UploadMsg::Fail(message)) => message,
            None => "the request body ended before it was complete".to_owned(),
        };
        self.done = true;
        Some(Err(OutboundError::Body(fail)))
    }
}

/// Chunks of a streamed request body waiting to be sent, at most.
const UPLOAD_QUEUE: usize = 4;

/// A streamed request body being written: its sender, and its reader until the request
/// takes it.
#[derive(Debug)]
struct Upload {
    tx: mpsc::Sender<UploadMsg>,
    body: Option<UploadBody>,
}

/// An async op finished: resolve (or reject with the message) promise `op`.
#[derive(Debug)]
pub(crate) struct Completion {
    pub(crate) op: u64,
    pub(crate) result: Result<OpValue, String>,
}

/// State of one execution, registered under its id while it runs.
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
    timers: RefCell<HashMap<u64, Timer>>,
    tasks: RefCell<HashMap<u64, AbortHandle>>,
    /// Response bodies being streamed, by id; dropped (closing the connection) when read
    /// to the end, cancelled, or when the execution ends.
    bodies: RefCell<HashMap<u64, SharedBody>>,
    /// Request bodies being streamed, by id; dropped when written to the end or when the
    /// execution ends (which fails their requests).
    uploads: RefCell<HashMap<u64, Upload>>,
    /// Rejected promises without a handler, with their reason.
    pub(crate) rejections: RefCell<Vec<(v8::Global<v8::Promise>, v8::Global<v8::Value>)>>,
    ended: Cell<bool>,
}

/// A timer's callback, and its period when it is an interval.
#[derive(Debug)]
struct Timer {
    callback: v8::Global<v8::Function>,
    every: Option<u64>,
}

impl ExecState {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        limits: &lunar_core::runtime::Limits,
        mut host: Host,
        host_rt: Option<tokio::runtime::Handle>,
        function_id: String,
        base_url: Option<String>,
        timezone: chrono_tz::Tz,
        tx: mpsc::UnboundedSender<Completion>,
    ) -> Self {
        // The job's limits hold for KV whoever made the handle.
        host.kv = host.kv.with_limits(limits);
        Self {
            host,
            host_rt,
            function_id,
            base_url,
            timezone,
            tx,
            next_op: Cell::new(0),
            pending: RefCell::new(HashMap::new()),
            timers: RefCell::new(HashMap::new()),
            tasks: RefCell::new(HashMap::new()),
            bodies: RefCell::new(HashMap::new()),
            uploads: RefCell::new(HashMap::new()),
            rejections: RefCell::new(Vec::new()),
            ended: Cell::new(false),
        }
    }

    /// Spawns `fut` as op `op` of this execution; its result comes back as a completion.
    fn spawn(&self, op: u64, fut: impl Future<Output = Result<OpValue, String>> + 'static) {
        let tx = self.tx.clone();
        let task = tokio::task::spawn_local(async move {
            let result = fut.await;
            let _ = tx.send(Completion { op, result });
        });
        let mut tasks = self.tasks.borrow_mut();
        tasks.retain(|_, t| !t.is_finished());
        tasks.insert(op, task.abort_handle());
    }

    fn next_op(&self) -> u64 {
        let op = self.next_op.get() + 1;
        self.next_op.set(op);
        op
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
        let op = self.next_op();
        self.pending
            .borrow_mut()
            .insert(op, v8::Global::new(scope, resolver));
        self.spawn(op, fut);
        Some(promise)
    }

    /// Starts a timer calling `callback` after `ms` (0: the next turn), and every `ms`
    /// after that when `repeat`; returns its id.
    pub(crate) fn start_timer(
        &self,
        scope: &mut v8::PinScope<'_, '_>,
        ms: u64,
        callback: v8::Local<'_, v8::Function>,
        repeat: bool,
    ) -> u64 {
        let op = self.next_op();
        if self.ended.get() {
            return op;
        }
        let callback = v8::Global::new(scope, callback);
        self.timers.borrow_mut().insert(
            op,
            Timer {
                callback,
                every: repeat.then_some(ms),
            },
        );
        self.arm(op, ms);
        op
    }

    /// Schedules timer `op` to fire after `ms`.
    fn arm(&self, op: u64, ms: u64) {
        self.spawn(op, async move {
            if ms > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            } else {
                tokio::task::yield_now().await;
            }
            Ok(OpValue::Undefined)
        });
    }

    /// Cancels timer `id` (unknown ids are ignored).
    pub(crate) fn clear_timer(&self, id: u64) {
        if self.timers.borrow_mut().remove(&id).is_some()
            && let Some(t) = self.tasks.borrow_mut().remove(&id)
        {
            t.abort();
        }
    }

    /// Takes the resolver of a finished op.
    pub(crate) fn take_resolver(&self, op: u64) -> Option<v8::Global<v8::PromiseResolver>> {
        self.pending.borrow_mut().remove(&op)
    }

    /// The callback of a timer that fired: a timeout is done, an interval is armed again.
    pub(crate) fn fired_timer(&self, op: u64) -> Option<v8::Global<v8::Function>> {
        let mut timers = self.timers.borrow_mut();
        let every = timers.get(&op)?.every;
        match every {
            Some(ms) if !self.ended.get() => {
                let callback = timers.get(&op).map(|t| t.callback.clone());
                drop(timers);
                self.arm(op, ms);
                callback
            }
            _ => timers.remove(&op).map(|t| t.callback),
        }
    }

    /// Registers a streamed body; returns its id.
    pub(crate) fn add_body(&self, body: SharedBody) -> u64 {
        let id = self.next_op();
        self.bodies.borrow_mut().insert(id, body);
        id
    }

    /// The streamed body `id`, while it is open.
    pub(crate) fn body(&self, id: u64) -> Option<SharedBody> {
        self.bodies.borrow().get(&id).cloned()
    }

    /// Drops the streamed body `id` (closing its connection).
    pub(crate) fn close_body(&self, id: u64) {
        self.bodies.borrow_mut().remove(&id);
    }

    /// Opens a streamed request body; returns its id.
    pub(crate) fn add_upload(&self) -> u64 {
        let id = self.next_op();
        let (tx, rx) = mpsc::channel(UPLOAD_QUEUE);
        let body = Some(UploadBody { rx, done: false });
        self.uploads.borrow_mut().insert(id, Upload { tx, body });
        id
    }

    /// The reader of streamed request body `id`, for its request (once).
    pub(crate) fn take_upload_body(&self, id: u64) -> Option<UploadBody> {
        self.uploads.borrow_mut().get_mut(&id)?.body.take()
    }

    /// The sender of streamed request body `id`; with `last`, the body is closed for
    /// further writes (the caller sends the final message).
    pub(crate) fn upload_sender(&self, id: u64, last: bool) -> Option<mpsc::Sender<UploadMsg>> {
        let mut uploads = self.uploads.borrow_mut();
        if last {
            uploads.remove(&id).map(|u| u.tx)
        } else {
            uploads.get(&id).map(|u| u.tx.clone())
        }
    }

    /// Ends the execution: aborts in-flight ops and timers, drops handles.
    pub(crate) fn end(&self) {
        self.ended.set(true);
        self.bodies.borrow_mut().clear();
        self.uploads.borrow_mut().clear();
        for (_, t) in self.tasks.borrow_mut().drain() {
            t.abort();
        }
        self.pending.borrow_mut().clear();
        self.timers.borrow_mut().clear();
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

thread_local! {
    /// The executions of this worker thread, by id.
    static EXECUTIONS: RefCell<HashMap<u64, Rc<ExecState>>> = RefCell::new(HashMap::new());
}

/// Registers `state` as execution `id` until the returned guard drops.
pub(crate) fn register(id: u64, state: Rc<ExecState>) -> Registration {
    EXECUTIONS.with(|m| m.borrow_mut().insert(id, state));
    Registration(id)
}

/// Keeps an execution registered; dropping it unregisters the execution.
#[derive(Debug)]
pub(crate) struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        EXECUTIONS.with(|m| m.borrow_mut().remove(&self.0));
    }
}

/// Marks what runs next in this isolate (and every promise continuation it creates) as
/// execution `id`'s.
pub(crate) fn enter_execution(scope: &mut v8::PinScope<'_, '_>, id: u64) {
    #[allow(clippy::cast_precision_loss)] // ids stay far below 2^53
    let v = v8::Number::new(scope, id as f64);
    scope.set_continuation_preserved_embedder_data(v.into());
}

/// The state of the execution that the running JavaScript belongs to.
pub(crate) fn current(scope: &v8::PinScope<'_, '_>) -> Option<Rc<ExecState>> {
    let data = scope.get_continuation_preserved_embedder_data();
    let id = v8::Local::<v8::Number>::try_from(data).ok()?.value();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let id = id as u64;
    EXECUTIONS.with(|m| m.borrow().get(&id).cloned())
}
