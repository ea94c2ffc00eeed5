//! Process-wide V8 initialisation and the startup snapshot holding the JS prelude.

use std::sync::{Once, OnceLock};

use crate::{api, prelude};

/// Stack size of the threads that own an isolate. V8's own limit (`--stack-size`) stays
/// well below it, so deep recursion ends in a catchable `RangeError`.
pub(crate) const THREAD_STACK_BYTES: usize = 16 * 1024 * 1024;

/// V8's JavaScript stack limit in KiB (a quarter of the thread stack).
const V8_STACK_KIB: usize = 4096;

static INIT: Once = Once::new();
static SNAPSHOT: OnceLock<Result<&'static [u8], String>> = OnceLock::new();

/// Initialises V8 once per process.
pub(crate) fn init_v8() {
    INIT.call_once(|| {
        // `--stack-size` in KiB. `WebAssembly`, `SharedArrayBuffer` and `Atomics.wait`
        // are removed from the global by the prelude.
        v8::V8::set_flags_from_string(&format!("--stack-size={V8_STACK_KIB}"));
        v8::V8::initialize_platform(v8::new_default_platform(0, false).make_shared());
        v8::V8::initialize();
    });
}

/// Sets the process-wide time zone of `Date` (ICU's default zone); isolates created
/// afterwards pick it up (see `IsolateState::new`).
pub(crate) fn set_time_zone(tz: &str) -> Result<(), String> {
    init_v8();
    if v8::icu::set_default_time_zone(tz) {
        Ok(())
    } else {
        Err(format!("unknown time zone: {tz}"))
    }
}

/// The startup snapshot (built once per process, on a thread of its own).
pub(crate) fn snapshot() -> Result<&'static [u8], String> {
    SNAPSHOT
        .get_or_init(|| {
            init_v8();
            std::thread::Builder::new()
                .name("lunar-v8-snapshot".into())
                .stack_size(THREAD_STACK_BYTES)
                .spawn(build_snapshot)
                .map_err(|e| format!("cannot spawn the snapshot thread: {e}"))?
                .join()
                .map_err(|_| "the snapshot thread panicked".to_owned())?
                .map(|blob| &*Box::leak(blob.into_boxed_slice()))
        })
        .clone()
}

fn build_snapshot() -> Result<Vec<u8>, String> {
    let mut creator = v8::Isolate::snapshot_creator(Some(api::external_references().into()), None);
    let mut failure = None;
    {
        v8::scope!(let scope, &mut creator);
        let context = v8::Context::new(scope, Default::default());
        let scope = &mut v8::ContextScope::new(scope, context);
        if api::install_ops(scope).is_none() {
            failure = Some("cannot install the native ops".to_owned());
        }
        for (name, source) in prelude::SOURCES {
            if failure.is_some() {
                break;
            }
            if let Err(e) = eval_prelude(scope, name, source) {
                failure = Some(e);
                break;
            }
        }
        scope.set_default_context(context);
    }
    let blob = creator
        .create_blob(v8::FunctionCodeHandling::Keep)
        .ok_or_else(|| "V8 could not create the startup snapshot".to_owned())?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(blob.to_vec())
}

fn eval_prelude(scope: &mut v8::PinScope<'_, '_>, name: &str, source: &str) -> Result<(), String> {
    v8::tc_scope!(let tc, scope);
    let code = v8::String::new(tc, source).ok_or("prelude source too long")?;
    let resource = v8::String::new(tc, name).ok_or("bad prelude name")?;
    let origin = v8::ScriptOrigin::new(
        tc,
        resource.into(),
        0,
        0,
        false,
        0,
        None,
        false,
        false,
        false,
        None,
    );
    let result = v8::Script::compile(tc, code, Some(&origin)).and_then(|s| s.run(tc));
    if result.is_none() {
        let msg = tc
            .exception()
            .map(|e| e.to_rust_string_lossy(tc))
            .unwrap_or_default();
        let line = tc
            .message()
            .and_then(|m| m.get_line_number(tc))
            .unwrap_or(0);
        return Err(format!("prelude {name}:{line}: {msg}"));
    }
    Ok(())
}
