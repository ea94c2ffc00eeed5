//! `kv.get/set/delete` (SPEC §5.2): async ops over the function's [`KvHandle`]; argument
//! checks and size limits live in the prelude.
//!
//! [`KvHandle`]: lunar_core::runtime::KvHandle

use crate::state::{OpValue, on_host};

use super::{arg_string, exec_state};

fn failed(e: impl std::fmt::Display) -> String {
    format!("kv operation failed: {e}")
}

/// `ops.kvGet(key)` → `Promise<string | null>`.
pub(super) fn get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let key = arg_string(scope, &args, 0);
    let kv = st.host.kv.clone();
    let rt = st.host_rt.clone();
    let p = st.start_op(scope, async move {
        match on_host(rt.as_ref(), async move { kv.get(&key).await }).await {
            Some(Ok(Some(v))) => Ok(OpValue::Str(v)),
            Some(Ok(None)) => Ok(OpValue::Null),
            Some(Err(e)) => Err(failed(e)),
            None => Err(failed("the host task was dropped")),
        }
    });
    if let Some(p) = p {
        rv.set(p.into());
    }
}

/// `ops.kvSet(key, value)` → `Promise<void>`.
pub(super) fn set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let key = arg_string(scope, &args, 0);
    let value = arg_string(scope, &args, 1);
    let kv = st.host.kv.clone();
    let rt = st.host_rt.clone();
    let p = st.start_op(scope, async move {
        match on_host(rt.as_ref(), async move { kv.set(&key, &value).await }).await {
            Some(Ok(())) => Ok(OpValue::True),
            Some(Err(e)) => Err(failed(e)),
            None => Err(failed("the host task was dropped")),
        }
    });
    if let Some(p) = p {
        rv.set(p.into());
    }
}

/// `ops.kvDelete(key)` → `Promise<void>`.
pub(super) fn delete<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let key = arg_string(scope, &args, 0);
    let kv = st.host.kv.clone();
    let rt = st.host_rt.clone();
    let p = st.start_op(scope, async move {
        match on_host(rt.as_ref(), async move { kv.delete(&key).await }).await {
            Some(Ok(())) => Ok(OpValue::True),
            Some(Err(e)) => Err(failed(e)),
            None => Err(failed("the host task was dropped")),
        }
    });
    if let Some(p) = p {
        rv.set(p.into());
    }
}
