//! Thrown values to [`RunError`]s: the text comes from the prelude's
//! `formatError` (user frames only); the position from the first user frame, else from
//! the V8 message when it lies in the user's script.

use lunar_core::runtime::RunError;

/// Resource name of the user's code.
pub(crate) const USER_SCRIPT: &str = "function.js";

/// The script origin of the user's code.
pub(crate) fn origin<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    is_module: bool,
) -> v8::ScriptOrigin<'s> {
    let name = v8::String::new(scope, USER_SCRIPT).unwrap_or_else(|| v8::String::empty(scope));
    v8::ScriptOrigin::new(
        scope,
        name.into(),
        0,
        0,
        false,
        0,
        None,
        false,
        false,
        is_module,
        None,
    )
}

/// Calls `internals[name](arg)`.
pub(crate) fn call_internal<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    internals: Option<&v8::Global<v8::Object>>,
    name: &str,
    arg: v8::Local<'_, v8::Value>,
) -> Option<v8::Local<'s, v8::Value>> {
    let internals = v8::Local::new(scope, internals?);
    let key = v8::String::new(scope, name)?;
    let f = v8::Local::<v8::Function>::try_from(internals.get(scope, key.into())?).ok()?;
    v8::tc_scope!(let tc, scope);
    let recv = v8::undefined(tc).into();
    f.call(tc, recv, &[arg])
}

/// The error for a thrown (or rejected) value.
pub(crate) fn from_exception(
    scope: &mut v8::PinScope<'_, '_>,
    internals: Option<&v8::Global<v8::Object>>,
    exception: v8::Local<'_, v8::Value>,
    message: Option<v8::Local<'_, v8::Message>>,
) -> RunError {
    let mut text = None;
    let mut line = 0;
    let mut column = 0;
    if let Some(out) = call_internal(scope, internals, "formatError", exception)
        .and_then(|v| v8::Local::<v8::Array>::try_from(v).ok())
    {
        text = out
            .get_index(scope, 0)
            .map(|v| v.to_rust_string_lossy(scope));
        line = out
            .get_index(scope, 1)
            .and_then(|v| v.uint32_value(scope))
            .unwrap_or(0);
        column = out
            .get_index(scope, 2)
            .and_then(|v| v.uint32_value(scope))
            .unwrap_or(0);
    }
    let text =
        text.unwrap_or_else(|| format!("Uncaught {}", exception.to_rust_string_lossy(scope)));
    let err = RunError::script(text);
    if line > 0 {
        return err.at(line, (column > 0).then_some(column));
    }
    let message = message.unwrap_or_else(|| v8::Exception::create_message(scope, exception));
    let in_user_script = message
        .get_script_resource_name(scope)
        .is_some_and(|n| n.to_rust_string_lossy(scope) == USER_SCRIPT);
    if in_user_script && let Some(l) = message.get_line_number(scope) {
        let l = u32::try_from(l).unwrap_or(0);
        let c = u32::try_from(message.get_start_column() + 1).ok();
        if l > 0 {
            return err.at(l, c);
        }
    }
    err
}
