//! `base64.encode/decode/decodeBytes` over [`codec`](lunar_core::compat::codec).

use lunar_core::compat::codec;

use super::{arg_data, arg_string, new_uint8_array, return_string, throw_error};

/// `ops.b64Encode(data)` → standard padded base64.
pub(super) fn encode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let data = arg_data(scope, &args, 0);
    return_string(scope, &mut rv, &codec::b64_encode(&data));
}

/// `ops.b64Decode(str)` → `Uint8Array`; throws Go's `illegal base64 data at input byte N`.
pub(super) fn decode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    match codec::b64_decode_strict(&s) {
        Ok(bytes) => {
            if let Some(a) = new_uint8_array(scope, bytes) {
                rv.set(a.into());
            }
        }
        Err(e) => throw_error(scope, &e),
    }
}

/// `ops.atob(s)` → Latin-1 string, or `null` (`InvalidCharacterError`).
pub(super) fn atob<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    match codec::forgiving_b64_decode(&s) {
        Some(bytes) => {
            let text: String = bytes.into_iter().map(char::from).collect();
            return_string(scope, &mut rv, &text);
        }
        None => rv.set_null(),
    }
}

/// `ops.btoa(s)` → base64, or `null` when a character is above U+00FF.
pub(super) fn btoa<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    match codec::btoa_latin1(&s) {
        Some(out) => return_string(scope, &mut rv, &out),
        None => rv.set_null(),
    }
}
