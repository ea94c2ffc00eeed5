//! `host.<name>(arg)`: the embedding application's capabilities
//! ([`lunar_core::capability`]). The prelude turns the property path into the name and the
//! argument into JSON; the call runs on the host's runtime, is checked against the
//! function's grants and recorded there, and is dropped (recorded as cancelled) when the
//! execution ends first.

use crate::state::OpValue;

use super::{arg_string, exec_state, host_op};

/// `ops.hostCall(name, argJson)` → `Promise<string>` (the result as JSON); rejects with
/// the refusal or the capability's error message.
pub(super) fn call<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let name = arg_string(scope, &args, 0);
    let json = arg_string(scope, &args, 1);
    let calls = st.host.capabilities.clone();
    host_op(
        scope,
        &st,
        &mut rv,
        "host capability failed: ",
        async move {
            let Some(calls) = calls else {
                return Err(format!("host capability {name} does not exist"));
            };
            let arg = serde_json::from_str(&json).map_err(|e| e.to_string())?;
            let result = calls.call(&name, arg).await?;
            Ok(OpValue::Str(result.to_string()))
        },
    );
}
