//! `ops.subtle(op, params, key, data, extra)`: the native half of `crypto.subtle`
//! (see [`crate::webcrypto`]). Failures throw an `Error` whose message is
//! `"<DOMException name>: <message>"`; the prelude turns it into that exception.

use crate::webcrypto::{self, CryptoError, Exported, KeyData, Params};

use super::{arg_bytes, arg_string, new_uint8_array, return_string, throw_error};

/// What an operation gives back to JS.
enum Out {
    Bytes(Vec<u8>),
    Bool(bool),
    Text(String),
    Keys(Vec<KeyData>),
}

/// Runs one operation. `key`, `data` and `extra` are byte arguments 2–4 (`extra`: the
/// signature for `verify`, the peer's public key for `deriveBits`).
fn run(
    op: &str,
    p: &Params,
    key: &[u8],
    data: &[u8],
    extra: &[u8],
    n: Option<u32>,
) -> Result<Out, CryptoError> {
    Ok(match op {
        "digest" => Out::Bytes(webcrypto::digest(p, data)?),
        "sign" => Out::Bytes(webcrypto::sign(p, key, data)?),
        "verify" => Out::Bool(webcrypto::verify(p, key, extra, data)?),
        "encrypt" => Out::Bytes(webcrypto::cipher(p, key, data, true)?),
        "decrypt" => Out::Bytes(webcrypto::cipher(p, key, data, false)?),
        "deriveBits" => Out::Bytes(webcrypto::derive_bits(p, key, extra, n)?),
        "generate" => Out::Keys(webcrypto::generate(p)?),
        "import" => {
            let format = String::from_utf8_lossy(extra);
            Out::Keys(vec![webcrypto::import(p, &format, data)?])
        }
        "export" => {
            let (format, kind) = String::from_utf8_lossy(extra)
                .split_once(':')
                .map(|(f, k)| (f.to_owned(), k.to_owned()))
                .unwrap_or_default();
            match webcrypto::export(p, &format, &kind, key)? {
                Exported::Bytes(b) => Out::Bytes(b),
                Exported::Jwk(j) => Out::Text(j.to_string()),
            }
        }
        other => {
            return Err(CryptoError {
                name: "NotSupportedError",
                message: format!("unknown operation {other}"),
            });
        }
    })
}

/// `ops.subtle(op, paramsJson, key, data, extra, length)`: a `Uint8Array`, a boolean, a
/// JWK's JSON text, or for generate/import an array of `[type, material, metaJson]`.
pub(super) fn subtle<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let op = arg_string(scope, &args, 0);
    let params = arg_string(scope, &args, 1);
    let key = arg_bytes(args.get(2)).unwrap_or_default();
    let data = arg_bytes(args.get(3)).unwrap_or_default();
    let extra = arg_bytes(args.get(4)).unwrap_or_default();
    let length = args.get(5);
    let n = if length.is_number() {
        length.uint32_value(scope)
    } else {
        None
    };
    let p: Params = match serde_json::from_str(&params) {
        Ok(p) => p,
        Err(e) => return throw_error(scope, &format!("TypeError: {e}")),
    };
    match run(&op, &p, &key, &data, &extra, n) {
        Ok(Out::Bytes(b)) => {
            if let Some(a) = new_uint8_array(scope, b) {
                rv.set(a.into());
            }
        }
        Ok(Out::Bool(b)) => rv.set_bool(b),
        Ok(Out::Text(t)) => return_string(scope, &mut rv, &t),
        Ok(Out::Keys(keys)) => {
            let mut items = Vec::with_capacity(keys.len());
            for k in keys {
                let (Some(kind), Some(material), Some(meta)) = (
                    v8::String::new(scope, k.kind),
                    new_uint8_array(scope, k.material),
                    v8::String::new(scope, &k.meta.to_string()),
                ) else {
                    return;
                };
                let triple = v8::Array::new_with_elements(
                    scope,
                    &[kind.into(), material.into(), meta.into()],
                );
                items.push(triple.into());
            }
            rv.set(v8::Array::new_with_elements(scope, &items).into());
        }
        Err(e) => throw_error(scope, &format!("{}: {}", e.name, e.message)),
    }
}
