//! The `set`/`delete` ops shared by `kv` and `env`: each persists through
//! the execution's [`KvHandle`] or [`EnvHandle`] asynchronously.

use std::future::Future;

use lunar_core::runtime::{EnvHandle, KvHandle};

use crate::state::{ExecState, OpValue};

use super::{arg_string, exec_state, host_op, throw_range_error};

/// A host store with `set`/`delete`.
pub(super) trait Store: Clone + Send + Sync + 'static {
    /// What every failure's message starts with.
    const FAILED: &'static str;

    /// The execution's handle.
    fn of(st: &ExecState) -> &Self;

    /// The `RangeError` message when `key` (or `value`) is over the execution's limits.
    fn over_limit(_st: &ExecState, _key: &str, _value: Option<&str>) -> Option<String> {
        None
    }

    /// Stores `value` under `key`.
    fn set(&self, key: &str, value: &str) -> impl Future<Output = lunar_core::Result<()>> + Send;

    /// Removes `key`.
    fn delete(&self, key: &str) -> impl Future<Output = lunar_core::Result<()>> + Send;
}

impl Store for KvHandle {
    const FAILED: &'static str = "kv operation failed: ";

    fn of(st: &ExecState) -> &Self {
        &st.host.kv
    }

    fn over_limit(st: &ExecState, key: &str, value: Option<&str>) -> Option<String> {
        kv_over_limit(st, key, value)
    }

    fn set(&self, key: &str, value: &str) -> impl Future<Output = lunar_core::Result<()>> + Send {
        KvHandle::set(self, key, value)
    }

    fn delete(&self, key: &str) -> impl Future<Output = lunar_core::Result<()>> + Send {
        KvHandle::delete(self, key)
    }
}

impl Store for EnvHandle {
    const FAILED: &'static str = "env operation failed: ";

    fn of(st: &ExecState) -> &Self {
        &st.host.env
    }

    fn set(&self, key: &str, value: &str) -> impl Future<Output = lunar_core::Result<()>> + Send {
        EnvHandle::set(self, key, value)
    }

    fn delete(&self, key: &str) -> impl Future<Output = lunar_core::Result<()>> + Send {
        EnvHandle::delete(self, key)
    }
}

/// The `RangeError` message of a KV key (or value) over the execution's limits (the
/// handle checks again when it is called).
pub(super) fn kv_over_limit(st: &ExecState, key: &str, value: Option<&str>) -> Option<String> {
    st.host.kv.over_limit(key, value)
}

/// A failure of store `S`'s operation, as JS sees it.
pub(super) fn failed<S: Store>(e: impl std::fmt::Display) -> String {
    format!("{}{e}", S::FAILED)
}

/// `ops.kvSet(key, value)` / `ops.envSet(key, value)` → `Promise<void>`.
pub(super) fn set<'s, S: Store>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let key = arg_string(scope, &args, 0);
    let value = arg_string(scope, &args, 1);
    if let Some(m) = S::over_limit(&st, &key, Some(&value)) {
        return throw_range_error(scope, &m);
    }
    let store = S::of(&st).clone();
    host_op(scope, &st, &mut rv, S::FAILED, async move {
        let r = store.set(&key, &value).await;
        r.map(|()| OpValue::True).map_err(failed::<S>)
    });
}

/// `ops.kvDelete(key)` / `ops.envDelete(key)` → `Promise<void>`.
pub(super) fn delete<'s, S: Store>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let key = arg_string(scope, &args, 0);
    if let Some(m) = S::over_limit(&st, &key, None) {
        return throw_range_error(scope, &m);
    }
    let store = S::of(&st).clone();
    host_op(scope, &st, &mut rv, S::FAILED, async move {
        let r = store.delete(&key).await;
        r.map(|()| OpValue::True).map_err(failed::<S>)
    });
}
