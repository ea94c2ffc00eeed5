//! `router.*` over [`lunar_core::router`].

use std::collections::BTreeMap;

use lunar_core::router as core;

use crate::state::ExecState;

use super::{arg_string, exec_state, flat_pairs, return_string};

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

/// A link built from the configured base, the function id, `pattern` (argument 0) and the
/// params (argument 1, a flat `[name, value, ...]` array of strings).
fn link<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: &v8::FunctionCallbackArguments<'s>,
    rv: &mut v8::ReturnValue<'s, v8::Value>,
    build: impl FnOnce(&ExecState, &str, &BTreeMap<String, String>) -> String,
) {
    let Some(st) = exec_state(scope) else { return };
    let pattern = arg_string(scope, args, 0);
    let params = flat_pairs(scope, args.get(1)).into_iter().collect();
    let out = build(&st, &pattern, &params);
    return_string(scope, rv, &out);
}

/// `ops.routerPath(pattern, params)`.
pub(super) fn path<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    link(scope, &args, &mut rv, |st, pattern, params| {
        let base = base_path(st.base_url.as_deref());
        core::path(&base, &st.function_id, pattern, params)
    });
}

/// `ops.routerUrl(pattern, params)`.
pub(super) fn url<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    link(scope, &args, &mut rv, |st, pattern, params| {
        let base = st.base_url.clone().unwrap_or_else(|| base_path(None));
        core::url(&base, &st.function_id, pattern, params)
    });
}
