//! `http.*` and `fetch` through the host's
//! [`HttpClient`](lunar_core::http_client::HttpClient). The prelude builds the request
//! (argument checks, body encoding). `httpSend` merges the `query` option into the URL,
//! sends, and resolves the whole response as JSON text; `fetchOpen` resolves the head and
//! registers the body, which `fetchRead` streams a chunk at a time. A request body given
//! as a stream is opened with `fetchUpload`, handed to `fetchOpen`, and written with
//! `fetchWrite` and `fetchWriteEnd` while the request is sent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use lunar_core::http_client::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
use lunar_core::usage::CallKind;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::net::{canonical_name, parse_url};
use crate::state::{OpValue, UploadMsg, on_host};

use super::{HTTP_FAILED, arg_data, arg_i64, arg_string, exec_state, return_op, throw_error};

/// What the prelude asks for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
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

/// Starts an outbound call of op `name`: counts it, and runs `call` with the host's client
/// and the request of argument 0 (the spec JSON) and 1 (the body) on the host runtime.
/// Failures reject with `failure(fetch, ..)`'s message.
fn start_call<'s, F, Fut>(
    scope: &mut v8::PinScope<'s, '_>,
    args: &v8::FunctionCallbackArguments<'s>,
    rv: &mut v8::ReturnValue<'s, v8::Value>,
    fetch: bool,
    call: F,
) where
    F: FnOnce(Arc<dyn HttpClient>, OutboundRequest) -> Fut + Send + 'static,
    Fut: Future<Output = Result<OpValue, OutboundError>> + Send,
{
    let Some(st) = exec_state(scope) else { return };
    let spec = arg_string(scope, args, 0);
    let body = arg_data(scope, args, 1);
    st.host.usage.count(CallKind::Http);
    let client = st.host.http.clone();
    let rt = st.host_rt.clone();
    return_op(scope, &st, rv, async move {
        let fail = move |e: OutboundError| failure(fetch, &e);
        let spec: Spec = serde_json::from_str(&spec).map_err(|e| format!("{HTTP_FAILED}{e}"))?;
        let Some(client) = client else {
            return Err(fail(OutboundError::Request(
                "outbound HTTP is not configured".into(),
            )));
        };
        let req = request(spec, body).map_err(fail)?;
        match on_host(rt.as_ref(), async move { call(client, req).await }).await {
            Some(r) => r.map_err(fail),
            None => Err(fail(OutboundError::Request(
                "the host task was dropped".into(),
            ))),
        }
    });
}

/// The request `spec` asks for, its `query` merged into the URL.
fn request(spec: Spec, body: Vec<u8>) -> Result<OutboundRequest, OutboundError> {
    let url = match &spec.query {
        Some(pairs) => merge_query(&spec.url, pairs)?,
        None => spec.url,
    };
    let mut req = OutboundRequest::new(spec.method, url);
    req.headers = spec.headers;
    req.body = body;
    req.timeout = spec
        .timeout_ms
        .filter(|&ms| ms > 0)
        .map(Duration::from_millis);
    req.follow_redirects = spec.follow;
    Ok(req)
}

/// `ops.httpSend(specJson, body)` → `Promise<string>` (the response as JSON, for `http.*`);
/// rejects with the full message (`HTTP request failed: ...`).
pub(super) fn send<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    start_call(scope, &args, &mut rv, false, |client, req| async move {
        Ok(OpValue::Str(http_json(client.send(req).await?)))
    });
}

/// `ops.fetchOpen(specJson, body, uploadId)` → `Promise<[headJson, bodyId]>`: `fetch`
/// sends and resolves once the response's head arrived; its body is read with
/// `fetchRead`. With an `uploadId` (from `fetchUpload`) the request body is that stream's.
/// Rejects with `fetch failed: ...`.
pub(super) fn fetch_open<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let upload = match u64::try_from(arg_i64(scope, &args, 2)) {
        Ok(id) if id > 0 => match st.take_upload_body(id) {
            Some(body) => Some(body),
            None => return throw_error(scope, "the request body stream is closed"),
        },
        _ => None,
    };
    start_call(scope, &args, &mut rv, true, |client, req| async move {
        let r = match upload {
            Some(body) => client.send_upload(req, Box::new(body)).await?,
            None => client.send_streamed(req).await?,
        };
        let body = Arc::new(tokio::sync::Mutex::new(r.body));
        Ok(OpValue::Stream(fetch_head_json(r.head), body))
    });
}

/// `ops.fetchUpload()` → id of a new streamed request body, for `fetchOpen`.
pub(super) fn fetch_upload<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    #[allow(clippy::cast_precision_loss)] // ids stay far below 2^53
    rv.set_double(st.add_upload() as f64);
}

/// `ops.fetchWrite(uploadId, bytes)` → `Promise<undefined>`, resolved once the chunk is
/// queued for sending (so a fast stream waits for the network); rejects when the request
/// no longer reads its body (it failed or was answered).
pub(super) fn fetch_write<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let id = u64::try_from(arg_i64(scope, &args, 0)).unwrap_or(0);
    let Some(tx) = st.upload_sender(id, false) else {
        return throw_error(scope, "the request body stream is closed");
    };
    let chunk = arg_data(scope, &args, 1);
    return_op(scope, &st, &mut rv, async move {
        tx.send(UploadMsg::Chunk(chunk))
            .await
            .map(|()| OpValue::Undefined)
            .map_err(|_| "the request no longer reads its body".to_owned())
    });
}

/// `ops.fetchWriteEnd(uploadId, error?)` → `Promise<undefined>`: the body is complete, or,
/// with an error message, failed (and its request with it).
pub(super) fn fetch_write_end<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let id = u64::try_from(arg_i64(scope, &args, 0)).unwrap_or(0);
    let last = if args.get(1).is_undefined() {
        UploadMsg::End
    } else {
        UploadMsg::Fail(arg_string(scope, &args, 1))
    };
    let Some(tx) = st.upload_sender(id, true) else {
        return;
    };
    return_op(scope, &st, &mut rv, async move {
        // A request that stopped reading has its outcome already; nothing to tell it.
        let _ = tx.send(last).await;
        Ok(OpValue::Undefined)
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

/// Everything `Response` needs but the body (which `fetchRead` streams).
fn fetch_head_json(resp: OutboundResponse) -> String {
    json!({
        "status": resp.status,
        "statusText": resp.status_text,
        "url": resp.url,
        "redirected": resp.redirected,
        "headers": resp.headers,
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
