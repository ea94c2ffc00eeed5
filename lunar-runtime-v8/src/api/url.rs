//! `url.parse/encode/decode` (Go `net/url`, via [`gourl`](lunar_core::compat::url)) and the native
//! side of the WHATWG `URL` / `URLSearchParams` classes (the `url` crate).

use std::collections::BTreeMap;

use lunar_core::compat::url as gourl;
use serde::Serialize;

use super::{arg_string, flat_pairs, return_string, throw_error};

/// `url.parse`'s result, in the spec's key order.
#[derive(Serialize)]
struct Parsed<'a> {
    scheme: &'a str,
    host: &'a str,
    path: &'a str,
    fragment: &'a str,
    query: BTreeMap<&'a str, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
}

/// `ops.urlParse(s)` → JSON text of the parsed URL; throws Go's error.
pub(super) fn parse<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    let u = match gourl::parse(&s) {
        Ok(u) => u,
        Err(e) => return throw_error(scope, &e),
    };
    let query = u
        .query
        .iter()
        .map(|(k, vs)| {
            let v = if vs.len() == 1 {
                serde_json::Value::String(vs[0].clone())
            } else {
                serde_json::Value::from(vs.clone())
            };
            (k.as_str(), v)
        })
        .collect();
    let parsed = Parsed {
        scheme: &u.scheme,
        host: &u.host,
        path: &u.path,
        fragment: &u.fragment,
        query,
        username: u.username.as_deref(),
        password: u.password.as_deref(),
    };
    let json = serde_json::to_string(&parsed).unwrap_or_else(|_| "{}".to_owned());
    return_string(scope, &mut rv, &json);
}

/// `ops.urlEncode(s)` (Go `QueryEscape`).
pub(super) fn encode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    return_string(scope, &mut rv, &gourl::query_escape(&s));
}

/// `ops.urlDecode(s)` (Go `QueryUnescape`); throws `invalid URL escape "%zz"`.
pub(super) fn decode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    match gourl::query_unescape(&s) {
        Ok(out) => return_string(scope, &mut rv, &out),
        Err(e) => throw_error(scope, &e),
    }
}

/// The components the JS `URL` class caches, in its order.
fn components<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    u: &url::Url,
) -> Option<v8::Local<'s, v8::Value>> {
    use url::quirks as q;
    let parts = [
        q::href(u).to_owned(),
        q::origin(u),
        q::protocol(u).to_owned(),
        q::username(u).to_owned(),
        q::password(u).to_owned(),
        q::host(u).to_owned(),
        q::hostname(u).to_owned(),
        q::port(u).to_owned(),
        q::pathname(u).to_owned(),
        q::search(u).to_owned(),
        q::hash(u).to_owned(),
    ];
    let mut elems = Vec::with_capacity(parts.len());
    for p in &parts {
        elems.push(v8::String::new(scope, p)?.into());
    }
    Some(v8::Array::new_with_elements(scope, &elems).into())
}

/// `ops.whatwgParse(input, base?)` → component array, or `null` when invalid.
pub(super) fn whatwg_parse<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let input = arg_string(scope, &args, 0);
    let parsed = if args.get(1).is_null_or_undefined() {
        url::Url::parse(&input)
    } else {
        let base = arg_string(scope, &args, 1);
        url::Url::parse(&base).and_then(|b| b.join(&input))
    };
    match parsed.ok().and_then(|u| components(scope, &u)) {
        Some(v) => rv.set(v),
        None => rv.set_null(),
    }
}

/// `ops.whatwgSet(href, component, value)` → the new component array (unchanged when the
/// setter refuses the value), or `null` for an invalid `href` assignment.
pub(super) fn whatwg_set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    use url::quirks as q;
    let href = arg_string(scope, &args, 0);
    let which = arg_string(scope, &args, 1);
    let value = arg_string(scope, &args, 2);
    let Ok(mut u) = url::Url::parse(&href) else {
        rv.set_null();
        return;
    };
    let ok = match which.as_str() {
        "href" => q::set_href(&mut u, &value).is_ok(),
        "protocol" => {
            let _ = q::set_protocol(&mut u, &value);
            true
        }
        "username" => {
            let _ = q::set_username(&mut u, &value);
            true
        }
        "password" => {
            let _ = q::set_password(&mut u, &value);
            true
        }
        "host" => {
            let _ = q::set_host(&mut u, &value);
            true
        }
        "hostname" => {
            let _ = q::set_hostname(&mut u, &value);
            true
        }
        "port" => {
            let _ = q::set_port(&mut u, &value);
            true
        }
        "pathname" => {
            q::set_pathname(&mut u, &value);
            true
        }
        "search" => {
            q::set_search(&mut u, &value);
            true
        }
        "hash" => {
            q::set_hash(&mut u, &value);
            true
        }
        _ => true,
    };
    match ok.then(|| components(scope, &u)).flatten() {
        Some(v) => rv.set(v),
        None => rv.set_null(),
    }
}

/// `ops.formParse(s)` → `[[name, value], ...]` (application/x-www-form-urlencoded).
pub(super) fn form_parse<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_string(scope, &args, 0);
    let mut pairs = Vec::new();
    for (k, v) in url::form_urlencoded::parse(s.as_bytes()) {
        let (Some(k), Some(v)) = (v8::String::new(scope, &k), v8::String::new(scope, &v)) else {
            continue;
        };
        pairs.push(v8::Array::new_with_elements(scope, &[k.into(), v.into()]).into());
    }
    let arr = v8::Array::new_with_elements(scope, &pairs);
    rv.set(arr.into());
}

/// `ops.formSerialize([name, value, name, value, ...])` → the encoded query text.
pub(super) fn form_serialize<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in flat_pairs(scope, args.get(0)) {
        ser.append_pair(&k, &v);
    }
    return_string(scope, &mut rv, &ser.finish());
}
