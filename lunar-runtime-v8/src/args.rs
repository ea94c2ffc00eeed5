//! The handler's `ctx` and `event` objects, built directly as V8 objects for each
//! execution (no JSON round trip).

use std::collections::BTreeMap;

use lunar_core::runtime::{Ctx, Event};

fn key<'s>(scope: &mut v8::PinScope<'s, '_>, name: &str) -> Option<v8::Local<'s, v8::String>> {
    v8::String::new_from_one_byte(scope, name.as_bytes(), v8::NewStringType::Internalized)
}

fn set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    obj: v8::Local<'s, v8::Object>,
    name: &str,
    value: v8::Local<'s, v8::Value>,
) -> Option<()> {
    let k = key(scope, name)?;
    obj.create_data_property(scope, k.into(), value)?;
    Some(())
}

fn set_str<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    obj: v8::Local<'s, v8::Object>,
    name: &str,
    value: &str,
) -> Option<()> {
    let v = v8::String::new(scope, value)?;
    set(scope, obj, name, v.into())
}

fn map<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    entries: &BTreeMap<String, String>,
) -> Option<v8::Local<'s, v8::Object>> {
    let obj = v8::Object::new(scope);
    for (k, v) in entries {
        let k = v8::String::new(scope, k)?;
        let v = v8::String::new(scope, v)?;
        obj.create_data_property(scope, k.into(), v.into())?;
    }
    Some(obj)
}

/// `ctx`: `executionId`, `functionId`, `functionName`, `startedAt`, `version`, `trigger`,
/// and `baseUrl` when one is configured.
pub(crate) fn ctx<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    c: &Ctx,
) -> Option<v8::Local<'s, v8::Object>> {
    let obj = v8::Object::new(scope);
    set_str(scope, obj, "executionId", &c.execution_id)?;
    set_str(scope, obj, "functionId", &c.function_id)?;
    set_str(scope, obj, "functionName", &c.function_name)?;
    #[allow(clippy::cast_precision_loss)] // Unix seconds
    let started = v8::Number::new(scope, c.started_at as f64);
    set(scope, obj, "startedAt", started.into())?;
    set_str(scope, obj, "version", &c.version)?;
    set_str(scope, obj, "trigger", c.trigger.as_str())?;
    if let Some(base) = &c.base_url {
        set_str(scope, obj, "baseUrl", base)?;
    }
    Some(obj)
}

/// `event`: `method`, `path`, `relativePath`, `headers`, `body`, `query`.
pub(crate) fn event<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    e: &Event,
) -> Option<v8::Local<'s, v8::Object>> {
    let obj = v8::Object::new(scope);
    set_str(scope, obj, "method", &e.method)?;
    set_str(scope, obj, "path", &e.path)?;
    set_str(scope, obj, "relativePath", &e.relative_path)?;
    let headers = map(scope, &e.headers)?;
    set(scope, obj, "headers", headers.into())?;
    set_str(scope, obj, "body", &e.body)?;
    let query = map(scope, &e.query)?;
    set(scope, obj, "query", query.into())?;
    Some(obj)
}
