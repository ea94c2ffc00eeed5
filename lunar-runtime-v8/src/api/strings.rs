//! `strings.*` over [`gostrings`](lunar_core::compat::strings); the trivial ones
//! (`join`, `hasPrefix`, `hasSuffix`, `contains`) live in the prelude.

use lunar_core::compat::strings as gostrings;

use super::{arg_i64, arg_string, return_string, throw_range_error};

macro_rules! unary {
    ($name:ident, $f:path) => {
        pub(super) fn $name<'s>(
            scope: &mut v8::PinScope<'s, '_>,
            args: v8::FunctionCallbackArguments<'s>,
            mut rv: v8::ReturnValue<'s, v8::Value>,
        ) {
            let s = arg_string(scope, &args, 0);
            let out = $f(&s);
            return_string(scope, &mut rv, &out);
        }
    };
}

unary!(trim, gostrings::trim);
unary!(trim_left, gostrings::trim_left);
unary!(trim_right, gostrings::trim_right);
unary!(to_lower, gostrings::to_lower);
unary!(to_upper, gostrings::to_upper);

/// `ops.strSplit(s, sep)` → array of strings.
pub(super) fn split<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    let sep = arg_string(scope, &args, 1);
    let parts = gostrings::split(&s, &sep);
    let mut elems = Vec::with_capacity(parts.len());
    for p in &parts {
        let Some(v) = v8::String::new(scope, p) else {
            throw_range_error(scope, "Invalid string length");
            return;
        };
        elems.push(v.into());
    }
    let arr = v8::Array::new_with_elements(scope, &elems);
    rv.set(arr.into());
}

/// `ops.strReplace(s, old, new, n)`.
pub(super) fn replace<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    let old = arg_string(scope, &args, 1);
    let new = arg_string(scope, &args, 2);
    let n = arg_i64(scope, &args, 3);
    return_string(scope, &mut rv, &gostrings::replace(&s, &old, &new, n));
}

/// `ops.strRepeat(s, n)`; a negative count is a `RangeError`.
pub(super) fn repeat<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    let n = arg_i64(scope, &args, 1);
    match gostrings::repeat(&s, n) {
        Ok(out) => return_string(scope, &mut rv, &out),
        Err(e) => throw_range_error(scope, &e),
    }
}
