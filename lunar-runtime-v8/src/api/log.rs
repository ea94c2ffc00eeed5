//! `log.*` / `console.*`: `ops.log(level, message)`.

use lunar_core::model::LogLevel;

use super::{arg_string, exec_state};

/// `ops.log(level, message)`: level 0 debug, 1 info, 2 warn, 3 error.
pub(super) fn log<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let level = match args.get(0).int32_value(scope).unwrap_or(1) {
        0 => LogLevel::Debug,
        2 => LogLevel::Warn,
        3 => LogLevel::Error,
        _ => LogLevel::Info,
    };
    let message = arg_string(scope, &args, 1);
    st.host.logger.log(level, &message);
}
