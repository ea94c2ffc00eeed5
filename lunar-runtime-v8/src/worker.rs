//! A worker's state: its isolate, the compiled code and warm contexts it keeps, and the
//! heap and spare-context upkeep between executions (the thread itself: `thread.rs`).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::Notify;

use crate::buffers::BufferBudget;
use crate::watchdog::Gate;
use crate::{api, platform, rejections};

/// How much a worker keeps per isolate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    /// Compiled versions kept.
    pub(crate) code_cache: usize,
    /// Warm contexts kept.
    pub(crate) warm_contexts: usize,
}

/// Set by the near-heap-limit callback.
#[derive(Debug)]
pub(crate) struct HeapGuard {
    handle: v8::IsolateHandle,
    pub(crate) hit: AtomicBool,
}

extern "C" fn near_heap_limit(data: *mut c_void, current: usize, _initial: usize) -> usize {
    // SAFETY: `data` is the `HeapGuard` boxed in the `IsolateState` that owns the isolate; it
    // outlives the isolate (field order) and the callback runs on the isolate's thread.
    #[allow(unsafe_code)]
    let guard = unsafe { &*data.cast::<HeapGuard>() };
    guard.hit.store(true, Ordering::Release);
    guard.handle.terminate_execution();
    // Headroom so that V8 can unwind instead of aborting the process.
    current.saturating_mul(2)
}

/// What is kept for one version's code.
#[derive(Debug, Clone)]
pub(crate) enum Compiled {
    /// A classic script, compiled once and bound to each execution's context.
    Script(v8::Global<v8::UnboundScript>),
    /// An ES module. A `v8::Module` belongs to the context it was instantiated in, so
    /// what is kept is V8's code cache of its compiled code (`None` until one is made).
    Module(Option<Arc<[u8]>>),
}

/// A bounded map by name, the least recently used entry dropped first (capacity 0 keeps
/// nothing).
#[derive(Debug)]
pub(crate) struct Lru<V> {
    entries: HashMap<String, V>,
    /// Keys, least recently used first.
    order: VecDeque<String>,
    cap: usize,
}

impl<V> Lru<V> {
    fn with_capacity(cap: usize) -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
            cap,
        }
    }

    /// The entry under `key` when `accept` takes it, which then becomes the most recently
    /// used.
    fn get(&mut self, key: &str, accept: impl FnOnce(&V) -> bool) -> Option<&V> {
        if !accept(self.entries.get(key)?) {
            return None;
        }
        self.touch(key);
        self.entries.get(key)
    }

    fn peek(&self, key: &str) -> Option<&V> {
        self.entries.get(key)
    }

    fn touch(&mut self, key: &str) {
        if let Some(pos) = self.order.iter().rposition(|k| k == key) {
            if pos + 1 == self.order.len() {
                return;
            }
            self.order.remove(pos);
        }
        self.order.push_back(key.to_owned());
    }

    /// Stores `value` under `key` as the most recently used, dropping past the capacity;
    /// false when nothing is kept (capacity 0).
    fn insert(&mut self, key: &str, value: V) -> bool {
        if self.cap == 0 {
            return false;
        }
        self.entries.insert(key.to_owned(), value);
        self.touch(key);
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.entries.remove(&old);
            }
        }
        true
    }

    fn remove(&mut self, key: &str) {
        if self.entries.remove(key).is_some() {
            self.order.retain(|k| k != key);
        }
    }

    /// Drops the `n` least recently used entries.
    fn drop_oldest(&mut self, n: usize) {
        for k in self.order.drain(..n.min(self.order.len())) {
            self.entries.remove(&k);
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Whether two copies of a version's code are the same text.
fn same_code(a: &Arc<str>, b: &Arc<str>) -> bool {
    Arc::ptr_eq(a, b) || **a == **b
}

/// Compiled code kept per version (an LRU), validated against the version's code.
#[derive(Debug)]
pub(crate) struct CodeCache(Lru<(Arc<str>, Compiled)>);

impl CodeCache {
    pub(crate) fn get(&mut self, version: &str, code: &Arc<str>) -> Option<Compiled> {
        self.0
            .get(version, |(c, _)| same_code(c, code))
            .map(|(_, compiled)| compiled.clone())
    }

    pub(crate) fn put(&mut self, version: &str, code: Arc<str>, compiled: Compiled) {
        self.0.insert(version, (code, compiled));
    }
}

/// A function version's context, kept between its executions: the version's code was
/// evaluated in it once, and its handler is called for each execution.
#[derive(Debug)]
pub(crate) struct WarmContext {
    pub(crate) version_id: String,
    pub(crate) code: Arc<str>,
    pub(crate) context: v8::Global<v8::Context>,
    /// The prelude's internal functions of this context.
    pub(crate) internals: v8::Global<v8::Object>,
    pub(crate) handler: v8::Global<v8::Function>,
}

/// The warm contexts of one isolate: at most one per function (its latest version), the
/// least recently used dropped past the bound. Executions in flight hold their context,
/// so dropping one here never disturbs them.
#[derive(Debug)]
pub(crate) struct WarmContexts {
    by_function: Lru<Rc<WarmContext>>,
    /// A context was kept since the last heap check.
    added: bool,
}

impl WarmContexts {
    /// The warm context of exactly this version and code, if there is one.
    pub(crate) fn get(
        &mut self,
        function_id: &str,
        version_id: &str,
        code: &Arc<str>,
    ) -> Option<Rc<WarmContext>> {
        self.by_function
            .get(function_id, |w| {
                w.version_id == version_id && same_code(&w.code, code)
            })
            .cloned()
    }

    /// Keeps `w` as the function's warm context (replacing another version's).
    pub(crate) fn put(&mut self, function_id: &str, w: Rc<WarmContext>) {
        self.added |= self.by_function.insert(function_id, w);
    }

    /// Drops the function's warm context if it is of `version_id` (after its code was
    /// terminated mid-way).
    pub(crate) fn retire(&mut self, function_id: &str, version_id: &str) {
        if self
            .by_function
            .peek(function_id)
            .is_some_and(|w| w.version_id == version_id)
        {
            self.by_function.remove(function_id);
        }
    }

    /// Drops the older half of the warm contexts (under memory pressure); returns how
    /// many.
    fn shed_half(&mut self) -> usize {
        let n = self.by_function.len().div_ceil(2);
        self.by_function.drop_oldest(n);
        n
    }

    fn take_added(&mut self) -> bool {
        std::mem::take(&mut self.added)
    }

    /// Number of warm contexts.
    pub(crate) fn len(&self) -> usize {
        self.by_function.len()
    }
}

/// An isolate with what is built once per isolate. Fields drop in order: handles first.
#[derive(Debug)]
pub(crate) struct IsolateState {
    /// A context made while the worker was idle, never used; the next execution takes it.
    pub(crate) spare: Option<v8::Global<v8::Context>>,
    pub(crate) warm: WarmContexts,
    pub(crate) cache: CodeCache,
    /// Executions finished since the heap was last checked.
    since_heap_check: u32,
    /// `typeof handler === "function" ? handler : undefined`, bound per context.
    pub(crate) lookup: v8::Global<v8::UnboundScript>,
    pub(crate) isolate: v8::OwnedIsolate,
    pub(crate) heap: Box<HeapGuard>,
    /// What `ArrayBuffer` backing stores use, against the same limit as the heap.
    pub(crate) buffers: Arc<BufferBudget>,
    pub(crate) memory_mb: u64,
}

/// How often (in executions) the heap is checked against the warm contexts' bound; it is
/// also checked whenever a new warm context was kept.
const HEAP_CHECK_EVERY: u32 = 8;

impl IsolateState {
    /// Bookkeeping after each execution: when the heap is over half its limit, the older
    /// half of the warm contexts is dropped, so that kept state never pushes executions
    /// into the heap limit.
    /// Returns the heap in use when it was measured.
    pub(crate) fn after_execution(&mut self) -> Option<u64> {
        self.since_heap_check += 1;
        let due = self.since_heap_check >= HEAP_CHECK_EVERY || self.warm.take_added();
        if !due {
            return None;
        }
        self.since_heap_check = 0;
        let used = self.memory_used();
        if self.warm.len() == 0 {
            return Some(used);
        }
        let limit = self.memory_mb.max(8) * 1024 * 1024;
        if used > limit / 2 {
            let dropped = self.warm.shed_half();
            tracing::debug!(
                used,
                limit,
                dropped,
                "V8 heap over half its limit: dropped warm contexts"
            );
            self.isolate.low_memory_notification();
        }
        Some(used)
    }

    /// Memory the isolate uses: its heap and its `ArrayBuffer` backing stores.
    pub(crate) fn memory_used(&mut self) -> u64 {
        let heap = self.isolate.get_heap_statistics().used_heap_size();
        u64::try_from(heap + self.buffers.used()).unwrap_or(u64::MAX)
    }

    fn new(
        memory_mb: u64,
        sizes: Sizes,
        buffers_exceeded: Arc<AtomicBool>,
    ) -> Result<Self, String> {
        let snapshot = platform::snapshot()?;
        let max = usize::try_from(memory_mb.max(8))
            .unwrap_or(usize::MAX / 2)
            .saturating_mul(1024 * 1024);
        let buffers = BufferBudget::new(max, buffers_exceeded);
        let params = v8::CreateParams::default()
            .snapshot_blob(v8::StartupData::from(snapshot))
            .external_references(api::external_references().into())
            .allow_atomics_wait(false)
            .array_buffer_allocator(buffers.allocator())
            .heap_limits(0, max);
        let mut isolate = v8::Isolate::new(params);
        // Native ops charge the buffers they make to the same budget.
        isolate.set_slot(buffers.clone());
        // Refresh V8's date cache from ICU's default zone (set by `V8Runtime::new`)
        // without re-detecting it from the host.
        isolate.date_time_configuration_change_notification(v8::TimeZoneDetection::Skip);
        isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
        isolate.set_promise_reject_callback(rejections::on_reject);
        isolate.set_capture_stack_trace_for_uncaught_exceptions(true, 10);
        let heap = Box::new(HeapGuard {
            handle: isolate.thread_safe_handle(),
            hit: AtomicBool::new(false),
        });
        isolate.add_near_heap_limit_callback(
            near_heap_limit,
            std::ptr::from_ref(&*heap).cast_mut().cast(),
        );
        let lookup = {
            v8::scope!(let scope, &mut isolate);
            let ctx = v8::Context::new(scope, Default::default());
            let scope = &mut v8::ContextScope::new(scope, ctx);
            let src = v8::String::new(
                scope,
                "typeof handler === \"function\" ? handler : undefined",
            )
            .ok_or("lookup source")?;
            let mut source = v8::script_compiler::Source::new(src, None);
            let lookup = v8::script_compiler::compile_unbound_script(
                scope,
                &mut source,
                v8::script_compiler::CompileOptions::NoCompileOptions,
                v8::script_compiler::NoCacheReason::NoReason,
            )
            .ok_or("cannot compile the handler lookup")?;
            v8::Global::new(scope, lookup)
        };
        Ok(Self {
            spare: None,
            warm: WarmContexts {
                by_function: Lru::with_capacity(sizes.warm_contexts),
                added: false,
            },
            cache: CodeCache(Lru::with_capacity(sizes.code_cache)),
            since_heap_check: 0,
            lookup,
            isolate,
            heap,
            buffers,
            memory_mb,
        })
    }
}

/// Thread-local worker state.
#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) isolate: RefCell<Option<IsolateState>>,
    pub(crate) gate: Arc<Gate>,
    pub(crate) in_flight: Cell<usize>,
    pub(crate) drained: Notify,
    sizes: Sizes,
    /// Set when the isolate hit its heap limit: replace it once idle.
    pub(crate) poisoned: Cell<bool>,
    pub(crate) init_error: RefCell<Option<String>>,
    /// The heap gauge the pool reads ([`WorkerHandle::heap`]).
    pub(crate) heap: Arc<AtomicU64>,
}

impl Worker {
    pub(crate) fn new(sizes: Sizes, heap: Arc<AtomicU64>) -> Self {
        Self {
            heap,
            isolate: RefCell::new(None),
            gate: Arc::new(Gate::new(crate::cpu::ThreadClock::current())),
            in_flight: Cell::new(0),
            drained: Notify::new(),
            sizes,
            poisoned: Cell::new(false),
            init_error: RefCell::new(None),
        }
    }

    /// Creates the spare context when there is none (skipped while the isolate awaits
    /// replacement).
    pub(crate) fn prepare_spare(&self) {
        if self.poisoned.get() {
            return;
        }
        let mut guard = self.isolate.borrow_mut();
        let Some(engine) = guard.as_mut() else {
            return;
        };
        if engine.spare.is_some() {
            return;
        }
        v8::scope!(let scope, &mut engine.isolate);
        let context = v8::Context::new(scope, Default::default());
        engine.spare = Some(v8::Global::new(scope, context));
    }

    /// Makes sure an isolate fit for a job with this heap limit exists: a poisoned
    /// isolate is replaced once its executions have drained; an idle isolate with another
    /// heap limit is replaced at once.
    pub(crate) async fn ready_for(&self, memory_mb: u64) {
        if self.poisoned.get() {
            while self.in_flight.get() > 0 {
                self.drained.notified().await;
            }
        }
        let replace = match &*self.isolate.borrow() {
            None => true,
            Some(e) => {
                self.poisoned.get() || (e.memory_mb != memory_mb && self.in_flight.get() == 0)
            }
        };
        if !replace {
            return;
        }
        self.gate.set_isolate(None);
        self.isolate.borrow_mut().take();
        self.poisoned.set(false);
        self.gate.buffers_exceeded.store(false, Ordering::Release);
        match IsolateState::new(memory_mb, self.sizes, self.gate.buffers_exceeded.clone()) {
            Ok(mut engine) => {
                self.heap.store(engine.memory_used(), Ordering::Relaxed);
                self.gate
                    .set_isolate(Some(engine.isolate.thread_safe_handle()));
                *self.isolate.borrow_mut() = Some(engine);
                self.init_error.borrow_mut().take();
            }
            Err(e) => {
                tracing::error!("cannot create a V8 isolate: {e}");
                *self.init_error.borrow_mut() = Some(e);
            }
        }
    }
}
