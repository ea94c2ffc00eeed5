//! Native ops behind the JS prelude: one module per API namespace. The `ops` object is
//! built once, in the startup snapshot (its callbacks are external references), and
//! captured by the prelude there; each context deserialises its own copy.
// Op signatures (arguments by value) are fixed by V8.
#![allow(clippy::needless_pass_by_value)]

use std::sync::LazyLock;

use lunar_core::runtime::{EnvHandle, Host, KvHandle};
use serde::de::DeserializeOwned;

use crate::buffers::{BufferBudget, charged_store};
use crate::state::{self, ExecState, OpValue, on_host};

mod ai;
mod base64;
mod compression;
mod crypto;
mod email;
mod env;
mod host;
mod http;
mod json;
mod kv;
mod log;
mod random;
mod router;
mod slots;
mod store;
mod strings;
mod subtle;
mod text;
mod time;
mod url;
mod urlpattern;

/// Declares the op table (callbacks must be fn items, hence a macro).
macro_rules! op_table {
    ($($name:literal => $op:path),* $(,)?) => {
        /// Every op: the name the prelude uses and its V8 callback, computed once so the
        /// snapshot and every isolate see the same addresses.
        fn op_table() -> &'static [(&'static str, v8::FunctionCallback)] {
            static OPS: LazyLock<Vec<(&'static str, v8::FunctionCallback)>> =
                LazyLock::new(|| vec![$(($name, v8::MapFnTo::map_fn_to($op))),*]);
            &OPS
        }
    };
}

op_table!(
    "log" => log::log,
    "kvGet" => kv::get,
    "kvSet" => store::set::<KvHandle>,
    "kvDelete" => store::delete::<KvHandle>,
    "envGet" => env::get,
    "envSet" => store::set::<EnvHandle>,
    "envDelete" => store::delete::<EnvHandle>,
    "now" => time::now,
    "sleep" => time::sleep,
    "timerStart" => time::timer_start,
    "timerClear" => time::timer_clear,
    "perfNow" => time::perf_now,
    "perfOrigin" => time::perf_origin,
    "utf8Encode" => text::utf8_encode,
    "textEncodingName" => text::encoding_name,
    "textDecode" => text::decode,
    "textStreamOpen" => text::stream_open,
    "textStreamDecode" => text::stream_decode,
    "timeFormat" => time::format,
    "timeParse" => time::parse,
    "jsonError" => json::error,
    "b64Encode" => base64::encode,
    "b64Decode" => base64::decode,
    "atob" => base64::atob,
    "btoa" => base64::btoa,
    "digest" => crypto::digest,
    "hmac" => crypto::hmac,
    "uuid" => crypto::uuid,
    "compressOpen" => compression::open,
    "compressPush" => compression::push,
    "subtle" => subtle::subtle,
    "randomBytes" => crypto::random_bytes,
    "randomInt" => random::int,
    "randomFloat" => random::float,
    "randomString" => random::string,
    "randomB64" => random::b64,
    "randomHex" => random::hex,
    "randomId" => random::id,
    "strTrim" => strings::trim,
    "strTrimLeft" => strings::trim_left,
    "strTrimRight" => strings::trim_right,
    "strSplit" => strings::split,
    "strReplace" => strings::replace,
    "strLower" => strings::to_lower,
    "strUpper" => strings::to_upper,
    "strRepeat" => strings::repeat,
    "urlParse" => url::parse,
    "urlEncode" => url::encode,
    "urlDecode" => url::decode,
    "whatwgParse" => url::whatwg_parse,
    "whatwgSet" => url::whatwg_set,
    "formParse" => url::form_parse,
    "urlPatternParse" => urlpattern::parse,
    "urlPatternInput" => urlpattern::input,
    "formSerialize" => url::form_serialize,
    "routerMatch" => router::matches,
    "routerParams" => router::params,
    "routerPath" => router::path,
    "routerUrl" => router::url,
    "httpSend" => http::send,
    "fetchOpen" => http::fetch_open,
    "fetchRead" => http::fetch_read,
    "fetchUpload" => http::fetch_upload,
    "fetchWrite" => http::fetch_write,
    "fetchWriteEnd" => http::fetch_write_end,
    "fetchClose" => http::fetch_close,
    "aiChat" => ai::chat,
    "emailSend" => email::send,
    "hostCall" => host::call,
);

/// The ops' callbacks as external references: the snapshot creator and every isolate
/// get this list, so functions serialised into the snapshot find their callbacks.
pub(crate) fn external_references() -> Vec<v8::ExternalReference> {
    op_table()
        .iter()
        .map(|(_, f)| v8::ExternalReference { function: *f })
        .collect()
}

/// Sets `globalThis.__lunar_ops` to an object holding every op, for the prelude to
/// capture (and delete) when it is evaluated into the snapshot.
pub(crate) fn install_ops(scope: &mut v8::PinScope<'_, '_>) -> Option<()> {
    let ops = v8::Object::new(scope);
    for (name, callback) in op_table() {
        let f = v8::Function::new_raw(scope, *callback)?;
        let key = v8::String::new(scope, name)?;
        ops.set(scope, key.into(), f.into())?;
    }
    let key = v8::String::new(scope, "__lunar_ops")?;
    let global = scope.get_current_context().global(scope);
    global.set(scope, key.into(), ops.into())?;
    Some(())
}

/// The execution state, or throws.
pub(crate) fn exec_state(scope: &mut v8::PinScope<'_, '_>) -> Option<std::rc::Rc<ExecState>> {
    let st = state::current(scope);
    if st.is_none() {
        throw_error(scope, "the execution has ended");
    }
    st
}

/// The prefix of outbound HTTP failures (`ai.chat`, `email.send`, `http.*`).
pub(crate) const HTTP_FAILED: &str = "HTTP request failed: ";

/// Starts async op `fut` (see [`ExecState::start_op`]) and returns its promise.
pub(crate) fn return_op<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    st: &ExecState,
    rv: &mut v8::ReturnValue<'s, v8::Value>,
    fut: impl Future<Output = Result<OpValue, String>> + 'static,
) {
    if let Some(p) = st.start_op(scope, fut) {
        rv.set(p.into());
    }
}

/// Starts an async op running `call` on the host runtime (see [`on_host`]) and returns its
/// promise, which settles with `call`'s result; a dropped host task rejects it with
/// `"{prefix}the host task was dropped"`.
pub(crate) fn host_op<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    st: &ExecState,
    rv: &mut v8::ReturnValue<'s, v8::Value>,
    prefix: &'static str,
    call: impl Future<Output = Result<OpValue, String>> + Send + 'static,
) {
    let rt = st.host_rt.clone();
    return_op(scope, st, rv, async move {
        on_host(rt.as_ref(), call)
            .await
            .unwrap_or_else(|| Err(format!("{prefix}the host task was dropped")))
    });
}

/// Starts an async op (see [`host_op`]) calling `call` with the host services and the
/// options JSON of argument 0 parsed as `O` (a parse error rejects with its message); a
/// dropped host task rejects as a failed HTTP request.
pub(crate) fn options_op<'s, O, F>(
    scope: &mut v8::PinScope<'s, '_>,
    args: &v8::FunctionCallbackArguments<'s>,
    rv: &mut v8::ReturnValue<'s, v8::Value>,
    call: impl FnOnce(Host, O) -> F + Send + 'static,
) where
    O: DeserializeOwned,
    F: Future<Output = Result<OpValue, String>> + Send,
{
    let Some(st) = exec_state(scope) else { return };
    let options = arg_string(scope, args, 0);
    let host = st.host.clone();
    host_op(scope, &st, rv, HTTP_FAILED, async move {
        let o: O = serde_json::from_str(&options).map_err(|e| e.to_string())?;
        call(host, o).await
    });
}

/// Throws an `Error`.
pub(crate) fn throw_error(scope: &mut v8::PinScope<'_, '_>, message: &str) {
    let msg = v8::String::new(scope, message).unwrap_or_else(|| v8::String::empty(scope));
    let e = v8::Exception::error(scope, msg);
    scope.throw_exception(e);
}

/// Throws a `RangeError`.
pub(crate) fn throw_range_error(scope: &mut v8::PinScope<'_, '_>, message: &str) {
    let msg = v8::String::new(scope, message).unwrap_or_else(|| v8::String::empty(scope));
    let e = v8::Exception::range_error(scope, msg);
    scope.throw_exception(e);
}

/// Throws a `TypeError`.
pub(crate) fn throw_type_error(scope: &mut v8::PinScope<'_, '_>, message: &str) {
    let msg = v8::String::new(scope, message).unwrap_or_else(|| v8::String::empty(scope));
    let e = v8::Exception::type_error(scope, msg);
    scope.throw_exception(e);
}

/// Sets a string return value.
pub(crate) fn return_string(
    scope: &mut v8::PinScope<'_, '_>,
    rv: &mut v8::ReturnValue<'_, v8::Value>,
    s: &str,
) {
    match v8::String::new(scope, s) {
        Some(v) => rv.set(v.into()),
        None => throw_range_error(scope, "Invalid string length"),
    }
}

/// Argument `i` as an integer (the prelude has validated it).
pub(crate) fn arg_i64(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    i: i32,
) -> i64 {
    let n = args.get(i).number_value(scope).unwrap_or(0.0);
    #[allow(clippy::cast_possible_truncation)]
    if n.is_finite() { n.trunc() as i64 } else { 0 }
}

/// A string argument's UTF-8 bytes, or the bytes of a binary argument.
pub(crate) fn arg_data(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    i: i32,
) -> Vec<u8> {
    let v = args.get(i);
    if v.is_string() {
        return v.to_rust_string_lossy(scope).into_bytes();
    }
    arg_bytes(v).unwrap_or_default()
}

/// Argument `i` as a Rust string (lone surrogates become U+FFFD).
pub(crate) fn arg_string(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    i: i32,
) -> String {
    args.get(i).to_rust_string_lossy(scope)
}

/// The pairs of a flat `[name, value, name, value, ...]` array of strings (a trailing odd
/// element is ignored; a non-array gives none).
pub(crate) fn flat_pairs<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    v: v8::Local<'s, v8::Value>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(arr) = v8::Local::<v8::Array>::try_from(v) {
        let mut i = 0;
        while i + 1 < arr.length() {
            let k = arr
                .get_index(scope, i)
                .map(|v| v.to_rust_string_lossy(scope))
                .unwrap_or_default();
            let v = arr
                .get_index(scope, i + 1)
                .map(|v| v.to_rust_string_lossy(scope))
                .unwrap_or_default();
            out.push((k, v));
            i += 2;
        }
    }
    out
}

/// The bytes of a Uint8Array/ArrayBuffer/view argument.
pub(crate) fn arg_bytes(value: v8::Local<'_, v8::Value>) -> Option<Vec<u8>> {
    if let Ok(view) = v8::Local::<v8::ArrayBufferView>::try_from(value) {
        let mut buf = vec![0; view.byte_length()];
        view.copy_contents(&mut buf);
        return Some(buf);
    }
    if let Ok(ab) = v8::Local::<v8::ArrayBuffer>::try_from(value) {
        let len = ab.byte_length();
        let mut buf = vec![0; len];
        if let Some(data) = ab.data() {
            // SAFETY: `data` points at `len` initialised bytes owned by the live buffer,
            // and no JS runs while we copy.
            #[allow(unsafe_code)]
            unsafe {
                std::ptr::copy_nonoverlapping(data.as_ptr().cast::<u8>(), buf.as_mut_ptr(), len);
            }
        }
        return Some(buf);
    }
    None
}

/// A new Uint8Array holding `bytes`, charged to the isolate's buffer budget; past the
/// memory limit it throws a `RangeError` (as V8 does for `new ArrayBuffer`) and gives `None`.
pub(crate) fn new_uint8_array<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    bytes: Vec<u8>,
) -> Option<v8::Local<'s, v8::Uint8Array>> {
    let len = bytes.len();
    let budget = scope.get_slot::<std::sync::Arc<BufferBudget>>().cloned();
    let store = match budget {
        Some(budget) => {
            let Some(store) = charged_store(&budget, bytes) else {
                throw_range_error(scope, "Array buffer allocation failed");
                return None;
            };
            store.make_shared()
        }
        // The snapshot builder's isolate has no budget.
        None => v8::ArrayBuffer::new_backing_store_from_vec(bytes).make_shared(),
    };
    let ab = v8::ArrayBuffer::with_backing_store(scope, &store);
    v8::Uint8Array::new(scope, ab, 0, len)
}
