//! One execution: its context (the version's warm context, or a fresh one), the handler
//! call with this execution's `ctx` and `event`, and the loop that resumes the execution as
//! its host ops complete, until it settles or is stopped.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use lunar_core::model::Isolation;
use lunar_core::runtime::{FunctionResponse, RunError, RunErrorKind, RunJob, RunOutcome};
use tokio::sync::mpsc;

use crate::errors;
use crate::response::{self, Normalized};
use crate::state::{self, Completion, ExecState, OpValue};
use crate::watchdog::{self, Fired, Watch};
use crate::worker::{CodeCache, Compiled, WarmContext, WarmContexts, Worker};

static NEXT_EXEC: AtomicU64 = AtomicU64::new(1);

/// A turn in JavaScript this long is followed by a heap sample for the execution's usage.
const LONG_TURN: std::time::Duration = std::time::Duration::from_micros(500);

/// Per-isolate things an entry may use.
pub(crate) struct Parts<'a> {
    pub(crate) cache: &'a mut CodeCache,
    pub(crate) warm: &'a mut WarmContexts,
    pub(crate) lookup: &'a v8::Global<v8::UnboundScript>,
}

/// Where an execution stands after its first entry into JavaScript.
enum Step {
    /// The handler returned a plain value: the response.
    Done(Result<FunctionResponse, RunError>),
    /// The handler returned a promise.
    Await(v8::Global<v8::Promise>),
    /// A module whose evaluation (top-level await) is pending; `true` when its V8 code
    /// cache is still to be made (after the handler call, so that it covers the handler).
    Module(v8::Global<v8::Module>, v8::Global<v8::Promise>, bool),
}

/// Handles an entry may read or set.
#[derive(Default)]
pub(crate) struct Handles {
    /// The execution's context.
    pub(crate) context: Option<v8::Global<v8::Context>>,
    /// The prelude's internal functions (of that context).
    pub(crate) internals: Option<v8::Global<v8::Object>>,
}

struct Exec<'w> {
    worker: &'w Worker,
    id: u64,
    watch: Arc<Watch>,
    state: Rc<ExecState>,
    _registration: state::Registration,
    rx: mpsc::UnboundedReceiver<Completion>,
    deadline: Instant,
    job: RunJob,
    handles: Handles,
    /// The warm context this execution runs in, when it runs in one.
    warm: Option<Rc<WarmContext>>,
}

/// Runs one job on this worker.
pub(crate) async fn run(
    worker: &Worker,
    job: RunJob,
    host_rt: Option<tokio::runtime::Handle>,
) -> RunOutcome {
    if let Some(e) = worker.init_error.borrow().clone() {
        return Err(RunError::new(RunErrorKind::Internal, e));
    }
    let id = NEXT_EXEC.fetch_add(1, Ordering::Relaxed);
    let deadline = Instant::now() + job.limits.timeout;
    let cpu_limit = job
        .limits
        .cpu_time
        .map(|limit| (limit, job.host.usage.clone()));
    let watch = watchdog::watch(
        id,
        deadline,
        job.cancel.clone(),
        worker.gate.clone(),
        cpu_limit,
    );
    let (tx, rx) = mpsc::unbounded_channel();
    let timezone = job.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let state = Rc::new(ExecState::new(
        &job.limits,
        job.host.clone(),
        host_rt,
        job.ctx.function_id.clone(),
        job.ctx.base_url.clone(),
        timezone,
        tx,
    ));
    let registration = state::register(id, state.clone());
    let mut exec = Exec {
        worker,
        id,
        watch,
        state,
        _registration: registration,
        rx,
        deadline,
        job,
        handles: Handles::default(),
        warm: None,
    };
    let out = exec.execute().await;
    exec.finish();
    out
}

impl Exec<'_> {
    fn timeout_error(&self) -> RunError {
        RunError::new(
            RunErrorKind::Timeout,
            format!(
                "execution timed out after {} ms",
                self.job.limits.timeout.as_millis()
            ),
        )
    }

    fn memory_error(&self) -> RunError {
        RunError::new(
            RunErrorKind::Memory,
            format!("memory limit exceeded ({} MiB)", self.job.limits.memory_mb),
        )
    }

    fn cpu_error(&self) -> RunError {
        let limit = self.job.limits.cpu_time.unwrap_or_default();
        RunError::new(
            RunErrorKind::CpuTime,
            format!("CPU time limit exceeded ({} ms)", limit.as_millis()),
        )
    }

    fn cancelled_error() -> RunError {
        RunError::new(RunErrorKind::Cancelled, "execution cancelled")
    }

    /// Runs `f` inside the execution's context (a fresh one made on first use), as this
    /// execution, then the microtask checkpoint and the unhandled-rejection report; maps a
    /// termination to its error. A terminated execution's warm context is retired.
    fn enter<R>(
        &mut self,
        f: impl for<'s, 'i> FnOnce(&mut v8::PinScope<'s, 'i>, &mut Parts<'_>, &mut Handles) -> R,
    ) -> Result<R, RunError> {
        let mut guard = self.worker.isolate.borrow_mut();
        let Some(engine) = guard.as_mut() else {
            return Err(RunError::new(
                RunErrorKind::Internal,
                "the V8 isolate is gone",
            ));
        };
        let mut parts = Parts {
            cache: &mut engine.cache,
            warm: &mut engine.warm,
            lookup: &engine.lookup,
        };
        let spare = if self.handles.context.is_none() {
            engine.spare.take()
        } else {
            None
        };
        self.worker.gate.enter(self.id);
        let r = {
            v8::scope!(let scope, &mut engine.isolate);
            let context = match &self.handles.context {
                Some(c) => v8::Local::new(scope, c),
                None => {
                    // The spare (made while idle) when there is one: a fresh context
                    // either way.
                    let c = match spare {
                        Some(s) => v8::Local::new(scope, s),
                        None => v8::Context::new(scope, Default::default()),
                    };
                    self.handles.context = Some(v8::Global::new(scope, c));
                    c
                }
            };
            let mut cs = v8::ContextScope::new(scope, context);
            state::enter_execution(&mut cs, self.id);
            let r = f(&mut cs, &mut parts, &mut self.handles);
            cs.perform_microtask_checkpoint();
            report_rejections(&mut cs, &self.state, self.handles.internals.as_ref());
            r
        };
        let spent = self.worker.gate.leave();
        let usage = &self.job.host.usage;
        usage.add_cpu(spent);
        // Reading V8's heap statistics costs microseconds: only after a long turn, where a
        // peak builds up.
        if spent >= LONG_TURN {
            usage.observe_heap(engine.memory_used());
        }
        // Over the heap limit, or an `ArrayBuffer` refused at the same limit.
        let heap_hit = engine.heap.hit.swap(false, Ordering::AcqRel)
            | self
                .worker
                .gate
                .buffers_exceeded
                .swap(false, Ordering::AcqRel);
        let fired = self.watch.fired();
        if heap_hit || fired.is_some() {
            engine.isolate.cancel_terminate_execution();
            // Code was stopped mid-way: the warm context's state cannot be trusted any
            // more, so the next execution gets a new one (those in flight finish in it).
            self.warm = None;
            if self.job.isolation == Isolation::Warm {
                engine
                    .warm
                    .retire(&self.job.ctx.function_id, &self.job.version_id);
            }
        }
        if heap_hit {
            self.worker.poisoned.set(true);
            return Err(self.memory_error());
        }
        match fired {
            Some(Fired::Timeout) => Err(self.timeout_error()),
            Some(Fired::Cancelled) => Err(Self::cancelled_error()),
            Some(Fired::CpuTime) => Err(self.cpu_error()),
            Some(Fired::Memory) => Err(self.memory_error()),
            // A turn that ended between two watchdog ticks past the limit.
            None if self
                .job
                .limits
                .cpu_time
                .is_some_and(|limit| usage.cpu() >= limit) =>
            {
                Err(self.cpu_error())
            }
            None => Ok(r),
        }
    }

    async fn execute(&mut self) -> RunOutcome {
        let limit = self.job.limits.max_response_body_bytes;
        let warm = self.job.isolation == Isolation::Warm;
        let hit = if warm {
            let mut guard = self.worker.isolate.borrow_mut();
            guard.as_mut().and_then(|e| {
                e.warm.get(
                    &self.job.ctx.function_id,
                    &self.job.version_id,
                    &self.job.code,
                )
            })
        } else {
            None
        };
        // The event is only read to build the handler's argument (moved out of the job);
        // `ctx` stays, its ids are needed until the end.
        let (ctx, event) = (self.job.ctx.clone(), std::mem::take(&mut self.job.event));
        let step = if let Some(w) = hit {
            self.handles.context = Some(w.context.clone());
            self.handles.internals = Some(w.internals.clone());
            let handler = w.handler.clone();
            self.warm = Some(w);
            self.enter(|scope, _, handles| {
                v8::tc_scope!(let tc, scope);
                let handler = v8::Local::new(tc, &handler);
                let r = call_handler(tc, handles, handler, &ctx, &event);
                first_step(tc, handles, r, limit)
            })??
        } else {
            let key = WarmKey::of(&self.job, warm);
            let (step, kept) = self.enter(|scope, parts, handles| {
                let mut kept = None;
                let step =
                    setup(scope, parts, handles, &key, &mut kept).and_then(|init| match init {
                        Init::Script(handler) => {
                            v8::tc_scope!(let tc, scope);
                            let h = v8::Local::new(tc, &handler);
                            let r = call_handler(tc, handles, h, &ctx, &event);
                            first_step(tc, handles, r, limit)
                        }
                        Init::Module(m, p, produce) => Ok(Step::Module(m, p, produce)),
                    });
                (step, kept)
            })?;
            self.warm = kept;
            step?
        };
        let promise = match step {
            Step::Done(r) => return r,
            Step::Await(p) => p,
            Step::Module(module, promise, produce) => {
                self.drive(promise, |_, _, _| ()).await?;
                let key = WarmKey::of(&self.job, warm);
                let (step, kept) = self.enter(|scope, parts, handles| {
                    let mut kept = None;
                    let step = module_handler(scope, parts, handles, &module, &key, &mut kept)
                        .and_then(|handler| {
                            v8::tc_scope!(let tc, scope);
                            let h = v8::Local::new(tc, &handler);
                            let r = call_handler(tc, handles, h, &ctx, &event);
                            if produce && r.is_ok() {
                                keep_module_code(tc, parts.cache, &module, &key);
                            }
                            first_step(tc, handles, r, limit)
                        });
                    (step, kept)
                })?;
                self.warm = kept;
                match step? {
                    Step::Done(r) => return r,
                    Step::Await(p) => p,
                    Step::Module(..) => return Err(internal("unexpected module step")),
                }
            }
        };
        let mut promise = promise;
        loop {
            let normalized = self
                .drive(promise, move |scope, handles, v| {
                    response::normalize(scope, handles.internals.as_ref(), v, limit)
                })
                .await??;
            match normalized {
                Normalized::Response(r) => return Ok(r),
                // A streamed `Response` body: read it, then normalise what that gives.
                Normalized::Pending(p) => promise = p,
            }
        }
    }

    /// Runs the event loop until `promise` settles; a fulfilled value goes through
    /// `on_value` (inside the context), a rejection becomes the execution's error.
    async fn drive<R>(
        &mut self,
        promise: v8::Global<v8::Promise>,
        on_value: impl for<'s, 'i> Fn(
            &mut v8::PinScope<'s, 'i>,
            &mut Handles,
            v8::Local<'s, v8::Value>,
        ) -> R,
    ) -> Result<R, RunError> {
        let deadline = tokio::time::Instant::from_std(self.deadline);
        let cancel = self.job.cancel.clone();
        loop {
            let settled = self.enter(|scope, _, handles| {
                let p = v8::Local::new(scope, &promise);
                match p.state() {
                    v8::PromiseState::Pending => None,
                    v8::PromiseState::Fulfilled => {
                        let r = p.result(scope);
                        Some(Ok(on_value(scope, handles, r)))
                    }
                    v8::PromiseState::Rejected => {
                        let r = p.result(scope);
                        Some(Err(errors::from_exception(
                            scope,
                            handles.internals.as_ref(),
                            r,
                            None,
                        )))
                    }
                }
            })?;
            if let Some(r) = settled {
                return r;
            }
            let first = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(Self::cancelled_error()),
                () = tokio::time::sleep_until(deadline) => return Err(self.timeout_error()),
                c = self.rx.recv() => c,
            };
            let mut batch: Vec<Completion> = first.into_iter().collect();
            while let Ok(c) = self.rx.try_recv() {
                batch.push(c);
            }
            let state = self.state.clone();
            self.enter(move |scope, _, _| {
                for c in batch {
                    complete(scope, &state, c);
                }
            })?;
        }
    }

    /// Ends the execution: in-flight ops and timers dropped, its handles released (a warm
    /// context stays with the worker).
    fn finish(&mut self) {
        self.state.end();
        self.warm = None;
        let handles = std::mem::take(&mut self.handles);
        let mut guard = self.worker.isolate.borrow_mut();
        if let Some(engine) = guard.as_mut() {
            drop(handles);
            // Short executions report the isolate's memory as last measured (reading V8's
            // heap statistics costs as much as a hello-world execution).
            let last = self.worker.heap.load(std::sync::atomic::Ordering::Relaxed);
            self.job.host.usage.observe_heap(last);
            if let Some(used) = engine.after_execution() {
                self.worker
                    .heap
                    .store(used, std::sync::atomic::Ordering::Relaxed);
            }
        }
        while self.rx.try_recv().is_ok() {}
    }
}

/// What identifies a version's warm context, and whether this execution may keep one.
struct WarmKey {
    function_id: String,
    version_id: String,
    code: Arc<str>,
    keep: bool,
}

impl WarmKey {
    fn of(job: &RunJob, keep: bool) -> Self {
        Self {
            function_id: job.ctx.function_id.clone(),
            version_id: job.version_id.clone(),
            code: job.code.clone(),
            keep,
        }
    }

    /// Keeps the context of `handles` as this version's warm context (when allowed).
    fn keep(
        &self,
        parts: &mut Parts<'_>,
        handles: &Handles,
        handler: &v8::Global<v8::Function>,
        kept: &mut Option<Rc<WarmContext>>,
    ) {
        if !self.keep {
            return;
        }
        let (Some(context), Some(internals)) = (&handles.context, &handles.internals) else {
            return;
        };
        let w = Rc::new(WarmContext {
            version_id: self.version_id.clone(),
            code: self.code.clone(),
            context: context.clone(),
            internals: internals.clone(),
            handler: handler.clone(),
        });
        parts.warm.put(&self.function_id, w.clone());
        *kept = Some(w);
    }
}

/// What the user's code produced when it was set up in a new context.
enum Init {
    /// A classic script's handler.
    Script(v8::Global<v8::Function>),
    /// A module still evaluating (see [`Step::Module`]).
    Module(v8::Global<v8::Module>, v8::Global<v8::Promise>, bool),
}

/// After the handler's call: the response of a plain value, or the promise to await.
fn first_step(
    scope: &mut v8::PinScope<'_, '_>,
    handles: &Handles,
    returned: Result<v8::Local<'_, v8::Value>, RunError>,
    limit: u64,
) -> Result<Step, RunError> {
    let v = returned?;
    match v8::Local::<v8::Promise>::try_from(v) {
        Ok(p) => Ok(Step::Await(v8::Global::new(scope, p))),
        Err(_) => Ok(
            match response::normalize(scope, handles.internals.as_ref(), v, limit) {
                Ok(Normalized::Response(r)) => Step::Done(Ok(r)),
                Ok(Normalized::Pending(p)) => Step::Await(p),
                Err(e) => Step::Done(Err(e)),
            },
        ),
    }
}

fn internal(msg: &str) -> RunError {
    RunError::new(RunErrorKind::Internal, msg)
}

fn v8_str<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    s: &str,
) -> Result<v8::Local<'s, v8::String>, RunError> {
    v8::String::new(scope, s).ok_or_else(|| RunError::script("string too long for V8"))
}

/// Bootstraps the prelude in the new context, then compiles and runs the user's code and
/// finds its handler (a classic script), or starts evaluating it (a module).
fn setup(
    scope: &mut v8::PinScope<'_, '_>,
    parts: &mut Parts<'_>,
    handles: &mut Handles,
    key: &WarmKey,
    kept: &mut Option<Rc<WarmContext>>,
) -> Result<Init, RunError> {
    let context = scope.get_current_context();
    let global = context.global(scope);
    {
        let name = v8_str(scope, "__lunar_bootstrap")?;
        let boot = global
            .get(scope, name.into())
            .and_then(|f| v8::Local::<v8::Function>::try_from(f).ok())
            .ok_or_else(|| internal("the prelude bootstrap is missing"))?;
        let internals = boot
            .call(scope, global.into(), &[])
            .and_then(|v| v8::Local::<v8::Object>::try_from(v).ok())
            .ok_or_else(|| internal("the prelude bootstrap failed"))?;
        handles.internals = Some(v8::Global::new(scope, internals));
    }
    let internals = handles.internals.clone();
    let code = &key.code;
    let version = key.version_id.as_str();
    let source = v8_str(scope, code)?;
    // Classic script, from the code cache when this version was compiled before; a
    // version known to be a module skips the classic compile.
    let unbound = match parts.cache.get(version, code) {
        Some(Compiled::Script(u)) => v8::Local::new(scope, &u),
        Some(Compiled::Module(data)) => {
            return compile_module(scope, internals.as_ref(), source, data.as_deref());
        }
        None => {
            v8::tc_scope!(let tc, scope);
            let origin = errors::origin(tc, false);
            let mut src = v8::script_compiler::Source::new(source, Some(&origin));
            match v8::script_compiler::compile_unbound_script(
                tc,
                &mut src,
                v8::script_compiler::CompileOptions::NoCompileOptions,
                v8::script_compiler::NoCacheReason::NoReason,
            ) {
                Some(u) => {
                    let u_global = v8::Global::new(tc, u);
                    parts
                        .cache
                        .put(version, code.clone(), Compiled::Script(u_global));
                    u
                }
                None => {
                    let exception = tc.exception();
                    let message = tc.message();
                    let text = exception
                        .map(|e| e.to_rust_string_lossy(tc))
                        .unwrap_or_default();
                    if !is_module_syntax(&text) {
                        let e = exception.unwrap_or_else(|| v8::undefined(tc).into());
                        return Err(errors::from_exception(tc, internals.as_ref(), e, message));
                    }
                    parts
                        .cache
                        .put(version, code.clone(), Compiled::Module(None));
                    return compile_module(tc, internals.as_ref(), source, None);
                }
            }
        }
    };
    v8::tc_scope!(let tc, scope);
    let script = unbound.bind_to_current_context(tc);
    if script.run(tc).is_none() {
        return Err(caught(tc, internals.as_ref()));
    }
    let lookup = v8::Local::new(tc, parts.lookup).bind_to_current_context(tc);
    let handler = lookup
        .run(tc)
        .and_then(|v| v8::Local::<v8::Function>::try_from(v).ok());
    let Some(handler) = handler else {
        if tc.has_caught() {
            return Err(caught(tc, internals.as_ref()));
        }
        return Err(RunError::script(
            "handler function not found in JavaScript code",
        ));
    };
    let handler = v8::Global::new(tc, handler);
    key.keep(parts, handles, &handler, kept);
    Ok(Init::Script(handler))
}

/// The error for what a TryCatch caught (a terminated run is reported by `enter`).
fn caught(
    tc: &mut v8::PinnedRef<'_, v8::TryCatch<'_, '_, v8::HandleScope<'_>>>,
    internals: Option<&v8::Global<v8::Object>>,
) -> RunError {
    if tc.has_terminated() {
        return RunError::new(RunErrorKind::Internal, "execution terminated");
    }
    let exception = tc.exception().unwrap_or_else(|| v8::undefined(tc).into());
    let message = tc.message();
    errors::from_exception(tc, internals, exception, message)
}

fn is_module_syntax(text: &str) -> bool {
    text.starts_with("SyntaxError")
        && (text.contains("export")
            || text.contains("import")
            || text.contains("top level bodies of modules"))
}

/// Compiles, instantiates and evaluates the user's code as a module, consuming the
/// version's V8 code cache (`cached`) when there is one.
fn compile_module(
    scope: &mut v8::PinScope<'_, '_>,
    internals: Option<&v8::Global<v8::Object>>,
    source: v8::Local<'_, v8::String>,
    cached: Option<&[u8]>,
) -> Result<Init, RunError> {
    use v8::script_compiler::{CachedData, CompileOptions, NoCacheReason};
    v8::tc_scope!(let tc, scope);
    let origin = errors::origin(tc, true);
    let (module, produce) = match cached {
        Some(bytes) => {
            // `src` (which points into `bytes`) is dropped at the end of this arm.
            let mut src = v8::script_compiler::Source::new_with_cached_data(
                source,
                Some(&origin),
                CachedData::new(bytes),
            );
            let module = v8::script_compiler::compile_module2(
                tc,
                &mut src,
                CompileOptions::ConsumeCodeCache,
                NoCacheReason::NoReason,
            );
            // A rejected cache (e.g. V8 flags changed) was compiled from source: remake it.
            let rejected = src.get_cached_data().is_none_or(CachedData::rejected);
            (module, rejected)
        }
        None => {
            let mut src = v8::script_compiler::Source::new(source, Some(&origin));
            (v8::script_compiler::compile_module(tc, &mut src), true)
        }
    };
    let Some(module) = module else {
        return Err(caught(tc, internals));
    };
    let requests = module.get_module_requests();
    if let Some(first) = requests.get(tc, 0)
        && let Ok(req) = v8::Local::<v8::ModuleRequest>::try_from(first)
    {
        let spec = req.get_specifier().to_rust_string_lossy(tc);
        let loc = module.source_offset_to_location(req.get_source_offset());
        let line = u32::try_from(loc.get_line_number() + 1).unwrap_or(1);
        let col = u32::try_from(loc.get_column_number() + 1).ok();
        return Err(RunError::script(format!("imports are not supported: {spec}")).at(line, col));
    }
    if module.instantiate_module(tc, no_imports) != Some(true) {
        return Err(caught(tc, internals));
    }
    let Some(result) = module.evaluate(tc) else {
        return Err(caught(tc, internals));
    };
    let promise = v8::Local::<v8::Promise>::try_from(result)
        .map_err(|_| internal("module evaluation did not return a promise"))?;
    mark_handled(tc, promise);
    Ok(Init::Module(
        v8::Global::new(tc, module),
        v8::Global::new(tc, promise),
        produce,
    ))
}

/// Keeps the V8 code cache of a module's compiled code (its top level and the functions
/// compiled so far, the handler included) for the version's next fresh contexts.
fn keep_module_code(
    scope: &mut v8::PinScope<'_, '_>,
    cache: &mut CodeCache,
    module: &v8::Global<v8::Module>,
    key: &WarmKey,
) {
    let module = v8::Local::new(scope, module);
    let unbound = module.get_unbound_module_script(scope);
    if let Some(data) = unbound.create_code_cache() {
        let bytes: Arc<[u8]> = Arc::from(&**data);
        cache.put(
            &key.version_id,
            key.code.clone(),
            Compiled::Module(Some(bytes)),
        );
    }
}

fn no_imports<'s>(
    _context: v8::Local<'s, v8::Context>,
    _specifier: v8::Local<'s, v8::String>,
    _attributes: v8::Local<'s, v8::FixedArray>,
    _referrer: v8::Local<'s, v8::Module>,
) -> Option<v8::Local<'s, v8::Module>> {
    None
}

/// After module evaluation: the `handler` export, else `default` — a function, or an
/// object with a `fetch` method (the Workers module format) — kept warm when allowed.
fn module_handler(
    scope: &mut v8::PinScope<'_, '_>,
    parts: &mut Parts<'_>,
    handles: &Handles,
    module: &v8::Global<v8::Module>,
    key: &WarmKey,
    kept: &mut Option<Rc<WarmContext>>,
) -> Result<v8::Global<v8::Function>, RunError> {
    let module = v8::Local::new(scope, module);
    let ns = v8::Local::<v8::Object>::try_from(module.get_module_namespace())
        .map_err(|_| internal("module namespace"))?;
    for name in ["handler", "default"] {
        let k = v8_str(scope, name)?;
        let Some(export) = ns.get(scope, k.into()) else {
            continue;
        };
        let f = match v8::Local::<v8::Function>::try_from(export) {
            Ok(f) => Some(f),
            Err(_) if name == "default" && export.is_object() => {
                errors::call_internal(scope, handles.internals.as_ref(), "workersHandler", export)
                    .and_then(|v| v8::Local::<v8::Function>::try_from(v).ok())
            }
            Err(_) => None,
        };
        if let Some(f) = f {
            let handler = v8::Global::new(scope, f);
            key.keep(parts, handles, &handler, kept);
            return Ok(handler);
        }
    }
    Err(RunError::script(
        "handler function not found in JavaScript code",
    ))
}

/// Calls the handler with this execution's own `ctx` and `event` objects.
fn call_handler<'s>(
    tc: &mut v8::PinnedRef<'s, v8::TryCatch<'_, '_, v8::HandleScope<'_>>>,
    handles: &Handles,
    handler: v8::Local<'_, v8::Function>,
    ctx: &lunar_core::runtime::Ctx,
    event: &lunar_core::runtime::Event,
) -> Result<v8::Local<'s, v8::Value>, RunError> {
    let ctx: v8::Local<'_, v8::Value> = crate::args::ctx(tc, ctx)
        .ok_or_else(|| internal("cannot build ctx"))?
        .into();
    let event: v8::Local<'_, v8::Value> = crate::args::event(tc, event)
        .ok_or_else(|| internal("cannot build event"))?
        .into();
    let undefined = v8::undefined(tc).into();
    match handler.call(tc, undefined, &[ctx, event]) {
        Some(v) => {
            if let Ok(p) = v8::Local::<v8::Promise>::try_from(v) {
                mark_handled(tc, p);
            }
            Ok(v)
        }
        None => Err(caught(tc, handles.internals.as_ref())),
    }
}

/// Gives a promise the execution awaits a no-op rejection handler, so that its rejection
/// is not reported as unhandled (it becomes the execution's error instead).
fn mark_handled(scope: &mut v8::PinScope<'_, '_>, promise: v8::Local<'_, v8::Promise>) {
    let noop = v8::Function::new(
        scope,
        |_: &mut v8::PinScope<'_, '_>,
         _: v8::FunctionCallbackArguments<'_>,
         _: v8::ReturnValue<'_, v8::Value>| {},
    );
    if let Some(noop) = noop {
        let _ = promise.catch(scope, noop);
    }
}

/// Resolves the promise of a finished op, or runs the callback of a timer that fired.
fn complete(scope: &mut v8::PinScope<'_, '_>, state: &ExecState, c: Completion) {
    let Some(resolver) = state.take_resolver(c.op) else {
        if let Some(callback) = state.fired_timer(c.op) {
            let callback = v8::Local::new(scope, &callback);
            let undefined = v8::undefined(scope).into();
            // The prelude's timer callback catches and logs what the user's function throws.
            let _ = callback.call(scope, undefined, &[]);
        }
        return;
    };
    let resolver = v8::Local::new(scope, &resolver);
    match c.result {
        Ok(value) => {
            let v: v8::Local<'_, v8::Value> = match value {
                OpValue::Undefined => v8::undefined(scope).into(),
                OpValue::Null => v8::null(scope).into(),
                OpValue::True => v8::Boolean::new(scope, true).into(),
                OpValue::Str(s) => match v8::String::new(scope, &s) {
                    Some(s) => s.into(),
                    None => {
                        let m = v8::String::new(scope, "value too long for V8")
                            .unwrap_or_else(|| v8::String::empty(scope));
                        resolver.reject(scope, m.into());
                        return;
                    }
                },
                OpValue::Bytes(bytes) => {
                    // Past the memory limit the array is refused: the promise rejects
                    // with V8's RangeError.
                    v8::tc_scope!(let tc, scope);
                    match crate::api::new_uint8_array(tc, bytes) {
                        Some(a) => a.into(),
                        None => {
                            let e = tc.exception();
                            tc.reset();
                            let e = e.unwrap_or_else(|| v8::undefined(tc).into());
                            resolver.reject(tc, e);
                            return;
                        }
                    }
                }
                OpValue::Stream(head, body) => {
                    let id = state.add_body(body);
                    let (Some(head), id) = (
                        v8::String::new(scope, &head),
                        v8::Number::new(scope, id as f64),
                    ) else {
                        return;
                    };
                    v8::Array::new_with_elements(scope, &[head.into(), id.into()]).into()
                }
            };
            resolver.resolve(scope, v);
        }
        Err(message) => {
            let m = v8::String::new(scope, &message).unwrap_or_else(|| v8::String::empty(scope));
            resolver.reject(scope, m.into());
        }
    }
}

/// Logs rejections still unhandled after a turn.
fn report_rejections(
    scope: &mut v8::PinScope<'_, '_>,
    state: &ExecState,
    internals: Option<&v8::Global<v8::Object>>,
) {
    let pending: Vec<_> = state.rejections.borrow_mut().drain(..).collect();
    for (_, reason) in pending {
        let reason = v8::Local::new(scope, &reason);
        let text = errors::call_internal(scope, internals, "unhandledMessage", reason)
            .map(|v| v.to_rust_string_lossy(scope))
            .unwrap_or_else(|| {
                format!(
                    "Unhandled promise rejection: {}",
                    reason.to_rust_string_lossy(scope)
                )
            });
        state
            .host
            .logger
            .log(lunar_core::model::LogLevel::Error, &text);
    }
}
