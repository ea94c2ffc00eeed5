//! `http.*` and `fetch`: one async op sending through the host's
//! [`HttpClient`](lunar_core::http_client::HttpClient). The prelude builds the request
//! (argument checks, body encoding); the op merges the `query` option into the URL, sends,
//! and resolves the response as JSON text for the prelude to unpack.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use lunar_core::http_client::{OutboundError, OutboundRequest, OutboundResponse};
use lunar_core::usage::CallKind;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::net::{canonical_name, parse_url};
use crate::state::{OpValue, on_host};

use super::{HTTP_FAILED, arg_data, arg_i64, arg_string, exec_state, return_op, throw_error};

/// What the prelude asks for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    /// `http` (Error messages, first header values, text body) or `fetch`.
    mode: String,
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    /// Pairs appended to the URL's query, which is then re-encoded with sorted keys.
    #[serde(default)]
    query: Option<Vec<(String, String)>>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default = "yes")]
    follow: bool,
}

fn yes() -> bool {
    true
}

/// `ops.httpSend(specJson, body)` → `Promise<string>` (the response as JSON); rejects with
/// the full message (`HTTP request failed: ...`, or `fetch failed: ...` in fetch mode).
pub(super) fn send<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let spec = arg_string(scope, &args, 0);
    let body = arg_data(scope, &args, 1);
    st.host.usage.count(CallKind::Http);
    let client = st.host.http.clone();
    let rt = st.host_rt.clone();
    return_op(scope, &st, &mut rv, async move {
        let spec: Spec = serde_json::from_str(&spec).map_err(|e| format!("{HTTP_FAILED}{e}"))?;
        let fetch = spec.mode == "fetch";
        let fail = move |e: OutboundError| failure(fetch, &e);
        let Some(client) = client else {
            return Err(fail(OutboundError::Request(
                "outbound HTTP is not configured".into(),
            )));
        };
        let url = match &spec.query {
            Some(pairs) => merge_query(&spec.url, pairs).map_err(fail)?,
            None => spec.url.clone(),
        };
        let mut req = OutboundRequest::new(spec.method.clone(), url);
        req.headers = spec.headers;
        req.body = body;
        req.timeout = spec
            .timeout_ms
            .filter(|&ms| ms > 0)
            .map(Duration::from_millis);
        req.follow_redirects = spec.follow;
        match on_host(rt.as_ref(), async move { client.send(req).await }).await {
            Some(Ok(resp)) => Ok(OpValue::Str(if fetch {
                fetch_json(resp)
            } else {
                http_json(resp)
            })),
            Some(Err(e)) => Err(fail(e)),
            None => Err(fail(OutboundError::Request(
                "the host task was dropped".into(),
            ))),
        }
    });
}

/// `ops.fetchOpen(specJson, body)` → `Promise<[headJson, bodyId]>`: `fetch` sends and
/// resolves once the response's head arrived; its body is read with `fetchRead`.
pub(super) fn fetch_open<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let spec = arg_string(scope, &args, 0);
    let body = arg_data(scope, &args, 1);
    st.host.usage.count(CallKind::Http);
    let client = st.host.http.clone();
    let rt = st.host_rt.clone();
    return_op(scope, &st, &mut rv, async move {
        let fail = |e: OutboundError| failure(true, &e);
        let spec: Spec = serde_json::from_str(&spec).map_err(|e| format!("{HTTP_FAILED}{e}"))?;
        let Some(client) = client else {
            return Err(fail(OutboundError::Request(
                "outbound HTTP is not configured".into(),
            )));
        };
        let mut req = OutboundRequest::new(spec.method.clone(), spec.url.clone());
        req.headers = spec.headers;
        req.body = body;
        req.follow_redirects = spec.follow;
        match on_host(rt.as_ref(), async move { client.send_streamed(req).await }).await {
            Some(Ok(r)) => {
                let head = fetch_json(r.head);
                Ok(OpValue::Stream(
                    head,
                    Arc::new(tokio::sync::Mutex::new(r.body)),
                ))
            }
            Some(Err(e)) => Err(fail(e)),
            None => Err(fail(OutboundError::Request(
                "the host task was dropped".into(),
            ))),
        }
    });
}

/// `ops.fetchRead(bodyId)` → `Promise<Uint8Array | null>`: the body's next chunk, or
/// `null` at its end; rejects with `fetch failed: ...`.
pub(super) fn fetch_read<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let id = u64::try_from(arg_i64(scope, &args, 0)).unwrap_or(0);
    let Some(body) = st.body(id) else {
        return throw_error(scope, "the response body is closed");
    };
    let rt = st.host_rt.clone();
    return_op(scope, &st, &mut rv, async move {
        let next = on_host(
            rt.as_ref(),
            async move { body.lock().await.next_chunk().await },
        )
        .await;
        match next {
            Some(Some(Ok(chunk))) => Ok(OpValue::Bytes(chunk)),
            Some(None) => Ok(OpValue::Null),
            Some(Some(Err(e))) => Err(failure(true, &e)),
            None => Err(failure(
                true,
                &OutboundError::Request("the host task was dropped".into()),
            )),
        }
    });
}

/// `ops.fetchClose(bodyId)`: drops the body (closing its connection).
pub(super) fn fetch_close<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let id = u64::try_from(arg_i64(scope, &args, 0)).unwrap_or(0);
    st.close_body(id);
}

/// The rejection message of a failed call.
fn failure(fetch: bool, e: &OutboundError) -> String {
    if fetch {
        return format!("fetch failed: {e}");
    }
    match e {
        OutboundError::InvalidUrl(d) => format!("failed to parse URL: {d}"),
        OutboundError::InvalidRequest(d) => format!("failed to create request: {d}"),
        OutboundError::Body(d) => format!("failed to read response body: {d}"),
        other => format!("{HTTP_FAILED}{other}"),
    }
}

/// `{statusCode, headers: {Canonical-Name: first value}, body}` for `http`.
fn http_json(resp: OutboundResponse) -> String {
    let mut headers = serde_json::Map::new();
    for (name, value) in resp.headers {
        headers
            .entry(canonical_name(&name))
            .or_insert(Value::String(value));
    }
    json!({
        "statusCode": resp.status,
        "headers": headers,
        "body": String::from_utf8_lossy(&resp.body),
    })
    .to_string()
}

/// Everything `Response` needs; a body that is not UTF-8 travels as base64.
fn fetch_json(resp: OutboundResponse) -> String {
    let (text, b64) = match String::from_utf8(resp.body) {
        Ok(s) => (Value::String(s), Value::Null),
        Err(e) => (
            Value::Null,
            Value::String(base64::engine::general_purpose::STANDARD.encode(e.as_bytes())),
        ),
    };
    json!({
        "status": resp.status,
        "statusText": resp.status_text,
        "url": resp.url,
        "redirected": resp.redirected,
        "headers": resp.headers,
        "body": text,
        "bodyB64": b64,
    })
    .to_string()
}

/// Appends `pairs` to the URL's query and re-encodes the whole query with sorted keys
/// (Go's `url.Values.Encode`: form encoding, space as `+`).
fn merge_query(raw: &str, pairs: &[(String, String)]) -> Result<String, OutboundError> {
    let mut url = parse_url(raw)?;
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(q) = url.query() {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            values
                .entry(k.into_owned())
                .or_default()
                .push(v.into_owned());
        }
    }
    for (k, v) in pairs {
        values.entry(k.clone()).or_default().push(v.clone());
    }
    let mut out = String::new();
    for (k, vs) in &values {
        for v in vs {
            if !out.is_empty() {
                out.push('&');
            }
            query_escape(&mut out, k);
            out.push('=');
            query_escape(&mut out, v);
        }
    }
    url.set_query((!out.is_empty()).then_some(out.as_str()));
    Ok(url.into())
}

/// Go's `url.QueryEscape`.
fn query_escape(out: &mut String, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push_str(&format!("{b:02X}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_merged_sorted_and_form_encoded() {
        let pairs = vec![
            ("b".to_owned(), "x y".to_owned()),
            ("a".to_owned(), "1&2".to_owned()),
            ("z".to_owned(), "2".to_owned()),
        ];
        assert_eq!(
            merge_query("http://h/p?z=1&c=%20", &pairs).unwrap(),
            "http://h/p?a=1%262&b=x+y&c=+&z=1&z=2"
        );
    }
}
