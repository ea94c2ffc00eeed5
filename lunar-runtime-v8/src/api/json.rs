//! `json.decode` error texts: Go's scanner message for invalid input.

use lunar_core::compat::json as gojson;

use super::{arg_string, return_string};

/// `ops.jsonError(str)` → Go's error message, or `null` when Go would accept the text.
pub(super) fn error<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    match gojson::check(&s) {
        Ok(()) => rv.set_null(),
        Err(e) => return_string(scope, &mut rv, &e),
    }
}
