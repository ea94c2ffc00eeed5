//! `env.get/set/delete` (SPEC §5.3): `get` reads the execution's snapshot synchronously;
//! `set`/`delete` persist through the [`EnvHandle`] asynchronously.
//!
//! [`EnvHandle`]: lunar_core::runtime::EnvHandle

use crate::state::{OpValue, on_host};

use super::{arg_string, exec_state};

fn failed(e: impl std::fmt::Display) -> String {
    format!("env operation failed: {e}")
}

/// `ops.envGet(key)` → `string | null`.
pub(super) fn get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let key = arg_string(scope, &args, 0);
    match st.host.env.get(&key) {
        Some(v) => {
            if let Some(s) = v8::String::new(scope, &v) {
                rv.set(s.into());
            }
        }
        None => rv.set_null(),
    }
}

/// `ops.envSet(key, value)` → `Promise<void>`.
pub(super) fn set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let key = arg_string(scope, &args, 0);
    let value = arg_string(scope, &args, 1);
    let env = st.host.env.clone();
    let rt = st.host_rt.clone();
    let p = st.start_op(scope, async move {
        match on_host(rt.as_ref(), async move { env.set(&key, &value).await }).await {
            Some(Ok(())) => Ok(OpValue::True),
            Some(Err(e)) => Err(failed(e)),
            None => Err(failed("the host task was dropped")),
        }
    });
    if let Some(p) = p {
        rv.set(p.into());
    }
}

/// `ops.envDelete(key)` → `Promise<void>`.
pub(super) fn delete<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let key = arg_string(scope, &args, 0);
    let env = st.host.env.clone();
    let rt = st.host_rt.clone();
    let p = st.start_op(scope, async move {
        match on_host(rt.as_ref(), async move { env.delete(&key).await }).await {
            Some(Ok(())) => Ok(OpValue::True),
            Some(Err(e)) => Err(failed(e)),
            None => Err(failed("the host task was dropped")),
        }
    });
    if let Some(p) = p {
        rv.set(p.into());
    }
}
