//! `crypto.*`: digests, HMACs, UUIDs and OS randomness over
//! [`codec`](lunar_core::compat::codec).

use lunar_core::compat::codec;

use super::{arg_data, arg_i64, arg_string, new_uint8_array, return_string, throw_error};

/// `ops.digest(alg, data)` → lowercase hex.
pub(super) fn digest<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let alg = arg_string(scope, &args, 0);
    let data = arg_data(scope, &args, 1);
    match codec::digest_hex(&alg, &data) {
        Some(h) => return_string(scope, &mut rv, &h),
        None => throw_error(scope, &format!("unknown digest {alg}")),
    }
}

/// `ops.hmac(alg, message, key)` → lowercase hex.
pub(super) fn hmac<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let alg = arg_string(scope, &args, 0);
    let message = arg_data(scope, &args, 1);
    let key = arg_data(scope, &args, 2);
    match codec::hmac_hex(&alg, &message, &key) {
        Some(h) => return_string(scope, &mut rv, &h),
        None => throw_error(scope, &format!("unknown hmac {alg}")),
    }
}

/// `ops.uuid()` → a v4 UUID.
pub(super) fn uuid<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    return_string(scope, &mut rv, &codec::uuid_v4());
}

/// `ops.randomBytes(n)` → `Uint8Array` of `n` bytes from the OS CSPRNG.
pub(super) fn random_bytes<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let n = usize::try_from(arg_i64(scope, &args, 0))
        .unwrap_or(0)
        .min(65_536);
    let mut buf = vec![0; n];
    if let Err(e) = codec::fill_os_random(&mut buf) {
        throw_error(scope, &e);
        return;
    }
    if let Some(a) = new_uint8_array(scope, buf) {
        rv.set(a.into());
    }
}
