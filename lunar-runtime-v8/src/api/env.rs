//! `env.get`: reads the execution's snapshot synchronously; `set`/`delete`
//! persist through the [`EnvHandle`] asynchronously ([`super::store`]).
//!
//! [`EnvHandle`]: lunar_core::runtime::EnvHandle

use super::{arg_string, exec_state};

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
