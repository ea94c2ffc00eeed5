//! The handler's value to a [`FunctionResponse`]: the prelude's `normalize`
//! does the JS-side mapping; here the result is read, base64 bodies decoded and the size
//! limit applied.

use std::collections::BTreeMap;

use base64::Engine as _;
use lunar_core::runtime::{FunctionResponse, HeaderValues, ResponseBody, RunError, RunErrorKind};

use crate::api;
use crate::errors;

fn get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    obj: v8::Local<'s, v8::Object>,
    key: &str,
) -> Option<v8::Local<'s, v8::Value>> {
    let k = v8::String::new(scope, key)?;
    obj.get(scope, k.into())
}

/// What normalising a handler's value gave.
pub(crate) enum Normalized {
    /// The response.
    Response(FunctionResponse),
    /// The value is a `Response` whose body is a stream: this promise reads it and
    /// resolves to a value to normalise again.
    Pending(v8::Global<v8::Promise>),
}

/// Normalises `value` and builds the response.
pub(crate) fn normalize(
    scope: &mut v8::PinScope<'_, '_>,
    internals: Option<&v8::Global<v8::Object>>,
    value: v8::Local<'_, v8::Value>,
    max_body: u64,
) -> Result<Normalized, RunError> {
    let out = {
        v8::tc_scope!(let tc, scope);
        let internals_obj = internals.map(|g| v8::Local::new(tc, g));
        let f = internals_obj
            .and_then(|o| get(tc, o, "normalize"))
            .and_then(|f| v8::Local::<v8::Function>::try_from(f).ok())
            .ok_or_else(|| RunError::new(RunErrorKind::Internal, "normalize is missing"))?;
        let recv = v8::undefined(tc).into();
        match f.call(tc, recv, &[value]) {
            Some(v) => v,
            None => {
                if tc.has_terminated() {
                    return Err(RunError::new(
                        RunErrorKind::Internal,
                        "execution terminated",
                    ));
                }
                let e = tc.exception().unwrap_or_else(|| v8::undefined(tc).into());
                let m = tc.message();
                return Err(errors::from_exception(tc, internals, e, m));
            }
        }
    };
    let out = v8::Local::<v8::Object>::try_from(out)
        .map_err(|_| RunError::new(RunErrorKind::Internal, "normalize returned no object"))?;
    if let Some(e) = get(scope, out, "error").filter(|v| v.is_string()) {
        return Err(RunError::script(e.to_rust_string_lossy(scope)));
    }
    if let Some(p) =
        get(scope, out, "pending").and_then(|v| v8::Local::<v8::Promise>::try_from(v).ok())
    {
        return Ok(Normalized::Pending(v8::Global::new(scope, p)));
    }
    let status = get(scope, out, "status")
        .and_then(|v| v.uint32_value(scope))
        .and_then(|v| u16::try_from(v).ok())
        .unwrap_or(200);
    let mut headers = BTreeMap::new();
    if let Some(list) =
        get(scope, out, "headers").and_then(|v| v8::Local::<v8::Array>::try_from(v).ok())
    {
        for i in 0..list.length() {
            let Some(pair) = list
                .get_index(scope, i)
                .and_then(|v| v8::Local::<v8::Array>::try_from(v).ok())
            else {
                continue;
            };
            let name = pair
                .get_index(scope, 0)
                .map(|v| v.to_rust_string_lossy(scope))
                .unwrap_or_default();
            let Some(value) = pair.get_index(scope, 1) else {
                continue;
            };
            let value = if let Ok(arr) = v8::Local::<v8::Array>::try_from(value) {
                let mut vs = Vec::new();
                for j in 0..arr.length() {
                    if let Some(x) = arr.get_index(scope, j) {
                        vs.push(x.to_rust_string_lossy(scope));
                    }
                }
                HeaderValues::Many(vs)
            } else {
                HeaderValues::One(value.to_rust_string_lossy(scope))
            };
            headers.insert(name, value);
        }
    }
    let body_value = get(scope, out, "body");
    let b64 = get(scope, out, "b64").is_some_and(|v| v.is_true());
    let mut body = match body_value {
        Some(v) if v.is_string() => ResponseBody::Text(v.to_rust_string_lossy(scope)),
        Some(v) => match api::arg_bytes(v) {
            Some(bytes) => ResponseBody::Bytes(bytes),
            None => ResponseBody::Text(String::new()),
        },
        None => ResponseBody::Text(String::new()),
    };
    if b64 {
        let text = match &body {
            ResponseBody::Text(t) => t.clone(),
            ResponseBody::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        };
        let bytes = decode_base64(&text).map_err(|e| {
            RunError::script(format!(
                "handler returned a body that is not valid base64: {e}"
            ))
        })?;
        body = ResponseBody::Bytes(bytes);
    }
    if body.len() as u64 > max_body {
        return Err(RunError::script(format!(
            "response body exceeds the limit of {max_body} bytes"
        )));
    }
    Ok(Normalized::Response(FunctionResponse {
        status_code: status,
        headers,
        body,
    }))
}

/// Strict standard base64 with padding, `\r`/`\n` ignored; Go's error text.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let cleaned: Vec<u8> = text
        .bytes()
        .filter(|b| *b != b'\r' && *b != b'\n')
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(&cleaned)
        .map_err(|e| {
            let at = match e {
                base64::DecodeError::InvalidByte(at, _)
                | base64::DecodeError::InvalidLastSymbol(at, _) => at,
                base64::DecodeError::InvalidLength(len) => len - len % 4,
                base64::DecodeError::InvalidPadding => cleaned.len(),
            };
            format!("illegal base64 data at input byte {at}")
        })
}
