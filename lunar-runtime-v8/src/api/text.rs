//! UTF-8 encode/decode behind `TextEncoder` / `TextDecoder`.

use super::{arg_bytes, new_uint8_array};

/// `ops.utf8Encode(string)` → `Uint8Array`.
pub(super) fn utf8_encode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = args.get(0).to_rust_string_lossy(scope);
    if let Some(a) = new_uint8_array(scope, s.into_bytes()) {
        rv.set(a.into());
    }
}

/// `ops.utf8Decode(bytes, fatal, ignoreBOM)` → string, or `null` when `fatal` and invalid.
pub(super) fn utf8_decode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let bytes = arg_bytes(args.get(0)).unwrap_or_default();
    let fatal = args.get(1).boolean_value(scope);
    let ignore_bom = args.get(2).boolean_value(scope);
    let mut b: &[u8] = &bytes;
    if !ignore_bom && b.starts_with(&[0xef, 0xbb, 0xbf]) {
        b = &b[3..];
    }
    let text = if fatal {
        match std::str::from_utf8(b) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => {
                rv.set_null();
                return;
            }
        }
    } else {
        String::from_utf8_lossy(b)
    };
    if let Some(s) = v8::String::new(scope, &text) {
        rv.set(s.into());
    }
}
