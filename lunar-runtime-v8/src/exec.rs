//! One execution: a fresh context, the user's code, the handler call, and the loop that
//! resumes the execution as its host ops complete, until it settles or is stopped.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use lunar_core::runtime::{RunError, RunErrorKind, RunJob, RunOutcome};
use tokio::sync::mpsc;

use crate::errors;
use crate::response;
use crate::state::{Completion, ExecState, OpValue};
use crate::watchdog::{self, Fired, Watch};
use crate::worker::{CodeCache, Compiled, Worker};

static NEXT_EXEC: AtomicU64 = AtomicU64::new(1);

/// Per-isolate things an entry may use.
pub(crate) struct Parts<'a> {
    pub(crate) cache: &'a mut CodeCache,
    pub(crate) lookup: &'a v8::Global<v8::UnboundScript>,
}

/// What the setup produced.
enum Flow {
    /// A value (maybe a promise) returned by the handler.
    Returned(v8::Global<v8::Value>),
    /// A module whose evaluation (top-level await) is pending; `true` when its V8 code
    /// cache is still to be made (after the handler call, so that it covers the handler).
    Module(v8::Global<v8::Module>, v8::Global<v8::Promise>, bool),
}

struct Exec<'w> {
    worker: &'w Worker,
    id: u64,
    watch: Arc<Watch>,
    state: Rc<ExecState>,
    rx: mpsc::UnboundedReceiver<Completion>,
    deadline: Instant,
    job: RunJob,
    context: Option<v8::Global<v8::Context>>,
    internals: Option<v8::Global<v8::Object>>,
    args: Option<(v8::Global<v8::Value>, v8::Global<v8::Value>)>,
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
    let watch = watchdog::watch(id, deadline, job.cancel.clone(), worker.gate.clone());
    let (tx, rx) = mpsc::unbounded_channel();
    let base_url = job.ctx.base_url.clone();
    let state = Rc::new(ExecState::new(
        job.host.clone(),
        host_rt,
        job.ctx.function_id.clone(),
        base_url,
        job.timezone.parse().unwrap_or(chrono_tz::Tz::UTC),
        tx,
    ));
    let mut exec = Exec {
        worker,
        id,
        watch,
        state,
        rx,
        deadline,
        job,
        context: None,
        internals: None,
        args: None,
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

    fn cancelled_error() -> RunError {
        RunError::new(RunErrorKind::Cancelled, "execution cancelled")
    }

    /// Runs `f` inside the execution's context (created on first use), then the microtask
    /// checkpoint and the unhandled-rejection report; maps a termination to its error.
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
            lookup: &engine.lookup,
        };
        let mut handles = Handles {
            internals: self.internals.take(),
            args: self.args.take(),
        };
        let spare = if self.context.is_none() {
            engine.spare.take()
        } else {
            None
        };
        self.worker.gate.enter(self.id);
        let r = {
            v8::scope!(let scope, &mut engine.isolate);
            let context = match &self.context {
                Some(c) => v8::Local::new(scope, c),
                None => {
                    // The spare (made while idle) when there is one: a fresh context
                    // either way.
                    let c = match spare {
                        Some(s) => v8::Local::new(scope, s),
                        None => v8::Context::new(scope, Default::default()),
                    };
                    c.set_slot(self.state.clone());
                    self.context = Some(v8::Global::new(scope, c));
                    c
                }
            };
            let mut cs = v8::ContextScope::new(scope, context);
            let r = f(&mut cs, &mut parts, &mut handles);
            cs.perform_microtask_checkpoint();
            report_rejections(&mut cs, &self.state, handles.internals.as_ref());
            r
        };
        self.worker.gate.leave();
        self.internals = handles.internals;
        self.args = handles.args;
        let heap_hit = engine.heap.hit.swap(false, Ordering::AcqRel);
        let fired = self.watch.fired();
        if heap_hit || fired.is_some() {
            engine.isolate.cancel_terminate_execution();
        }
        if heap_hit {
            self.worker.poisoned.set(true);
            return Err(RunError::new(
                RunErrorKind::Memory,
                format!("memory limit exceeded ({} MiB)", self.job.limits.memory_mb),
            ));
        }
        match fired {
            Some(Fired::Timeout) => Err(self.timeout_error()),
            Some(Fired::Cancelled) => Err(Self::cancelled_error()),
            None => Ok(r),
        }
    }

    async fn execute(&mut self) -> RunOutcome {
        let job_config = config_json(&self.job);
        let code = self.job.code.clone();
        let version = self.job.version_id.clone();
        let flow = self.enter(move |scope, parts, handles| {
            setup(scope, parts, handles, &job_config, &code, &version)
        })??;
        let returned = match flow {
            Flow::Returned(v) => v,
            Flow::Module(module, promise, produce) => {
                self.drive(promise).await?;
                let code = self.job.code.clone();
                let version = self.job.version_id.clone();
                self.enter(move |scope, parts, handles| {
                    let r = call_module_handler(scope, handles, &module);
                    if produce && r.is_ok() {
                        keep_module_code(scope, parts.cache, &module, &version, &code);
                    }
                    r
                })??
            }
        };
        let value = self.settle(returned).await?;
        let limit = self.job.limits.max_response_body_bytes;
        self.enter(move |scope, _, handles| {
            let v = v8::Local::new(scope, &value);
            response::normalize(scope, handles.internals.as_ref(), v, limit)
        })?
    }

    /// Awaits the handler's value when it is a promise.
    async fn settle(
        &mut self,
        value: v8::Global<v8::Value>,
    ) -> Result<v8::Global<v8::Value>, RunError> {
        let promise = self.enter(|scope, _, _| {
            let v = v8::Local::new(scope, &value);
            v8::Local::<v8::Promise>::try_from(v)
                .ok()
                .map(|p| v8::Global::new(scope, p))
        })?;
        match promise {
            Some(p) => self.drive(p).await,
            None => Ok(value),
        }
    }

    /// Runs the event loop until `promise` settles.
    async fn drive(
        &mut self,
        promise: v8::Global<v8::Promise>,
    ) -> Result<v8::Global<v8::Value>, RunError> {
        let deadline = tokio::time::Instant::from_std(self.deadline);
        let cancel = self.job.cancel.clone();
        loop {
            let settled = self.enter(|scope, _, handles| {
                let p = v8::Local::new(scope, &promise);
                match p.state() {
                    v8::PromiseState::Pending => None,
                    v8::PromiseState::Fulfilled => {
                        let r = p.result(scope);
                        Some(Ok(v8::Global::new(scope, r)))
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

    /// Ends the execution: in-flight ops dropped, the context released.
    fn finish(&mut self) {
        self.state.end();
        self.internals = None;
        self.args = None;
        if let Some(ctx) = self.context.take() {
            let mut guard = self.worker.isolate.borrow_mut();
            if let Some(engine) = guard.as_mut() {
                v8::scope!(let scope, &mut engine.isolate);
                let c = v8::Local::new(scope, &ctx);
                c.remove_slot::<ExecState>();
                drop(ctx);
            }
        }
        while self.rx.try_recv().is_ok() {}
    }
}

/// Handles an entry may read or set.
pub(crate) struct Handles {
    /// The prelude's internal functions.
    pub(crate) internals: Option<v8::Global<v8::Object>>,
    /// The handler's `ctx` and `event`.
    pub(crate) args: Option<(v8::Global<v8::Value>, v8::Global<v8::Value>)>,
}

/// What the prelude's bootstrap receives (field order is the order JS sees).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Config<'a> {
    ctx: &'a lunar_core::runtime::Ctx,
    event: &'a lunar_core::runtime::Event,
    max_kv_key: u64,
    max_kv_value: u64,
}

fn config_json(job: &RunJob) -> String {
    serde_json::to_string(&Config {
        ctx: &job.ctx,
        event: &job.event,
        max_kv_key: job.limits.max_kv_key_bytes,
        max_kv_value: job.limits.max_kv_value_bytes,
    })
    .unwrap_or_else(|_| "{}".to_owned())
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

/// Bootstraps the prelude, compiles and runs the user's code, and calls the handler.
fn setup(
    scope: &mut v8::PinScope<'_, '_>,
    parts: &mut Parts<'_>,
    handles: &mut Handles,
    config: &str,
    code: &Arc<str>,
    version: &str,
) -> Result<Flow, RunError> {
    let context = scope.get_current_context();
    let global = context.global(scope);
    // Bootstrap: hand the prelude the job's data.
    {
        let key = v8_str(scope, "__lunar_bootstrap")?;
        let boot = global
            .get(scope, key.into())
            .and_then(|f| v8::Local::<v8::Function>::try_from(f).ok())
            .ok_or_else(|| internal("the prelude bootstrap is missing"))?;
        let cfg = v8_str(scope, config)?;
        let out = boot
            .call(scope, global.into(), &[cfg.into()])
            .and_then(|v| v8::Local::<v8::Array>::try_from(v).ok())
            .ok_or_else(|| internal("the prelude bootstrap failed"))?;
        let ctx = out
            .get_index(scope, 0)
            .ok_or_else(|| internal("bootstrap ctx"))?;
        let event = out
            .get_index(scope, 1)
            .ok_or_else(|| internal("bootstrap event"))?;
        let internals = out
            .get_index(scope, 2)
            .and_then(|v| v8::Local::<v8::Object>::try_from(v).ok())
            .ok_or_else(|| internal("bootstrap internals"))?;
        handles.internals = Some(v8::Global::new(scope, internals));
        handles.args = Some((v8::Global::new(scope, ctx), v8::Global::new(scope, event)));
    }
    let internals = handles.internals.clone();
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
    call_handler(tc, handles, handler)
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
) -> Result<Flow, RunError> {
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
    Ok(Flow::Module(
        v8::Global::new(tc, module),
        v8::Global::new(tc, promise),
        produce,
    ))
}

/// Keeps the V8 code cache of a module's compiled code (its top level and the functions
/// compiled so far, the handler included) for the version's next executions.
fn keep_module_code(
    scope: &mut v8::PinScope<'_, '_>,
    cache: &mut CodeCache,
    module: &v8::Global<v8::Module>,
    version: &str,
    code: &Arc<str>,
) {
    let module = v8::Local::new(scope, module);
    let unbound = module.get_unbound_module_script(scope);
    if let Some(data) = unbound.create_code_cache() {
        let bytes: Arc<[u8]> = Arc::from(&**data);
        cache.put(version, code.clone(), Compiled::Module(Some(bytes)));
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

/// After module evaluation: the `handler` export, else `default`, called.
fn call_module_handler(
    scope: &mut v8::PinScope<'_, '_>,
    handles: &mut Handles,
    module: &v8::Global<v8::Module>,
) -> Result<v8::Global<v8::Value>, RunError> {
    let module = v8::Local::new(scope, module);
    let ns = v8::Local::<v8::Object>::try_from(module.get_module_namespace())
        .map_err(|_| internal("module namespace"))?;
    let mut handler = None;
    for name in ["handler", "default"] {
        let key = v8_str(scope, name)?;
        if let Some(f) = ns
            .get(scope, key.into())
            .and_then(|v| v8::Local::<v8::Function>::try_from(v).ok())
        {
            handler = Some(f);
            break;
        }
    }
    let Some(handler) = handler else {
        return Err(RunError::script(
            "handler function not found in JavaScript code",
        ));
    };
    v8::tc_scope!(let tc, scope);
    match call_handler(tc, handles, handler)? {
        Flow::Returned(v) => Ok(v),
        Flow::Module(..) => Err(internal("unexpected module flow")),
    }
}

fn call_handler(
    tc: &mut v8::PinnedRef<'_, v8::TryCatch<'_, '_, v8::HandleScope<'_>>>,
    handles: &mut Handles,
    handler: v8::Local<'_, v8::Function>,
) -> Result<Flow, RunError> {
    let (ctx, event) = handles
        .args
        .as_ref()
        .ok_or_else(|| internal("handler arguments missing"))?;
    let ctx = v8::Local::new(tc, ctx);
    let event = v8::Local::new(tc, event);
    let undefined = v8::undefined(tc).into();
    match handler.call(tc, undefined, &[ctx, event]) {
        Some(v) => {
            if let Ok(p) = v8::Local::<v8::Promise>::try_from(v) {
                mark_handled(tc, p);
            }
            Ok(Flow::Returned(v8::Global::new(tc, v)))
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

/// Resolves the promise of a finished op.
fn complete(scope: &mut v8::PinScope<'_, '_>, state: &ExecState, c: Completion) {
    let Some(resolver) = state.take_resolver(c.op) else {
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
