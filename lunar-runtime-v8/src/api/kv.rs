//! `kv.get`: an async op over the function's [`KvHandle`]; argument checks
//! live in the prelude, `set`/`delete` in [`super::store`].
//!
//! [`KvHandle`]: lunar_core::runtime::KvHandle

use lunar_core::runtime::KvHandle;

use crate::state::OpValue;

use super::store::{Store, failed, kv_over_limit};
use super::{arg_string, exec_state, host_op, throw_range_error};

/// `ops.kvGet(key)` → `Promise<string | null>`.
pub(super) fn get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let key = arg_string(scope, &args, 0);
    if let Some(m) = kv_over_limit(&st, &key, None) {
        return throw_range_error(scope, &m);
    }
    let kv = st.host.kv.clone();
    host_op(scope, &st, &mut rv, KvHandle::FAILED, async move {
        match kv.get(&key).await {
            Ok(Some(v)) => Ok(OpValue::Str(v)),
            Ok(None) => Ok(OpValue::Null),
            Err(e) => Err(failed::<KvHandle>(e)),
        }
    });
}
