//! The native side of `URLPattern` (the `urlpattern` crate, which implements the URL
//! Pattern standard): parsing a pattern into per-component regular expressions that the
//! prelude compiles with V8's `RegExp`, and turning a match input into components.

use urlpattern::UrlPatternOptions;
use urlpattern::quirks::{self, StringOrInit};

use super::{arg_string, return_string, throw_type_error};

/// The pattern or match input of argument 0 (JSON: a string or a `URLPatternInit`) and
/// the base URL of argument 1 (a string, or absent).
fn input_args(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
) -> Result<(StringOrInit, Option<String>), String> {
    let json = arg_string(scope, args, 0);
    let input: StringOrInit = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    let base = if args.get(1).is_string() {
        Some(arg_string(scope, args, 1))
    } else {
        None
    };
    Ok((input, base))
}

/// `ops.urlPatternParse(inputJson, baseURL, ignoreCase)` → JSON text of the components
/// (`patternString`, `regexpString`, `groupNameList`) and `hasRegexpGroups`; throws a
/// `TypeError` for an invalid pattern.
pub(super) fn parse<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let ignore_case = args.get(2).is_true();
    let parsed = input_args(scope, &args).and_then(|(input, base)| {
        let init = quirks::process_construct_pattern_input(input, base.as_deref())
            .map_err(|e| e.to_string())?;
        let pattern = quirks::parse_pattern(init, UrlPatternOptions { ignore_case })
            .map_err(|e| e.to_string())?;
        serde_json::to_string(&pattern).map_err(|e| e.to_string())
    });
    match parsed {
        Ok(json) => return_string(scope, &mut rv, &json),
        Err(e) => throw_type_error(scope, &format!("Failed to construct 'URLPattern': {e}")),
    }
}

/// `ops.urlPatternInput(inputJson, baseURL)` → JSON text of `[components, inputs]` for
/// `test`/`exec`, or `null` when the input is not a URL (it then matches nothing);
/// throws a `TypeError` for a base URL given with a `URLPatternInit`.
pub(super) fn input<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let processed = input_args(scope, &args).and_then(|(input, base)| {
        let Some((match_input, inputs)) =
            quirks::process_match_input(input, base.as_deref()).map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let Some(components) = quirks::parse_match_input(match_input) else {
            return Ok(None);
        };
        let inputs = match inputs {
            (i, Some(base)) => serde_json::json!([i, base]),
            (i, None) => serde_json::json!([i]),
        };
        Ok(Some(serde_json::json!([components, inputs]).to_string()))
    });
    match processed {
        Ok(Some(json)) => return_string(scope, &mut rv, &json),
        Ok(None) => rv.set_null(),
        Err(e) => throw_type_error(
            scope,
            &format!("Failed to execute 'exec' on 'URLPattern': {e}"),
        ),
    }
}
