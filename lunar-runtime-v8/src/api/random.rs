//! `random.*` over [`codec`](lunar_core::compat::codec); length errors are `RangeError`s.

use lunar_core::compat::codec;

use super::{arg_i64, return_string, throw_range_error};

/// `ops.randomInt(min, max)`.
pub(super) fn int<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let min = arg_i64(scope, &args, 0);
    let max = arg_i64(scope, &args, 1);
    match codec::random_int(min, max) {
        #[allow(clippy::cast_precision_loss)]
        Ok(n) => rv.set_double(n as f64),
        Err(e) => throw_range_error(scope, &e),
    }
}

/// `ops.randomFloat()` in `[0, 1)`.
pub(super) fn float<'s>(
    _scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    rv.set_double(codec::random_float());
}

fn with_len<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: &v8::FunctionCallbackArguments<'s>,
    rv: &mut v8::ReturnValue<'s, v8::Value>,
    f: fn(i64) -> Result<String, String>,
) {
    let n = arg_i64(scope, args, 0);
    match f(n) {
        Ok(s) => return_string(scope, rv, &s),
        Err(e) => throw_range_error(scope, &e),
    }
}

/// `ops.randomString(n)`.
pub(super) fn string<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    with_len(scope, &args, &mut rv, codec::random_string);
}

/// `ops.randomB64(n)`.
pub(super) fn b64<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    with_len(scope, &args, &mut rv, codec::random_bytes_b64);
}

/// `ops.randomHex(n)`.
pub(super) fn hex<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    with_len(scope, &args, &mut rv, codec::random_hex);
}

/// `ops.randomId()` → a new xid.
pub(super) fn id<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    return_string(scope, &mut rv, &lunar_core::ids::new_id());
}
