//! `router.*` (SPEC §5.8) over [`lunar_core::router`].

use std::collections::BTreeMap;

use lunar_core::router as core;

use super::{arg_string, exec_state, return_string};

/// Params passed from JS as a flat `[name, value, ...]` array of strings.
fn arg_params<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    v: v8::Local<'s, v8::Value>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(arr) = v8::Local::<v8::Array>::try_from(v) {
        let mut i = 0;
        while i + 1 < arr.length() {
            let k = arr
                .get_index(scope, i)
                .map(|v| v.to_rust_string_lossy(scope))
                .unwrap_or_default();
            let v = arr
                .get_index(scope, i + 1)
                .map(|v| v.to_rust_string_lossy(scope))
                .unwrap_or_default();
            out.insert(k, v);
            i += 2;
        }
    }
    out
}

/// `ops.routerMatch(path, pattern)` → boolean.
pub(super) fn matches<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let pattern = arg_string(scope, &args, 1);
    rv.set_bool(core::matches(&path, &pattern));
}

/// `ops.routerParams(path, pattern)` → JSON text of the captured params (`{}` on no match).
pub(super) fn params<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let pattern = arg_string(scope, &args, 1);
    let p = core::params(&path, &pattern).unwrap_or_default();
    let json = serde_json::to_string(&p).unwrap_or_else(|_| "{}".to_owned());
    return_string(scope, &mut rv, &json);
}

/// The path of the configured base URL (`""` without one).
fn base_path(base_url: Option<&str>) -> String {
    base_url
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.path().to_owned())
        .map(|p| if p == "/" { String::new() } else { p })
        .unwrap_or_default()
}

/// `ops.routerPath(pattern, params)`.
pub(super) fn path<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let pattern = arg_string(scope, &args, 0);
    let params = arg_params(scope, args.get(1));
    let base = base_path(st.base_url.as_deref());
    return_string(
        scope,
        &mut rv,
        &core::path(&base, &st.function_id, &pattern, &params),
    );
}

/// `ops.routerUrl(pattern, params)`.
pub(super) fn url<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let pattern = arg_string(scope, &args, 0);
    let params = arg_params(scope, args.get(1));
    let base = st.base_url.clone().unwrap_or_else(|| base_path(None));
    return_string(
        scope,
        &mut rv,
        &core::url(&base, &st.function_id, &pattern, &params),
    );
}
