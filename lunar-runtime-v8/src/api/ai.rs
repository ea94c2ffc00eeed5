//! `ai.chat` (SPEC §5.9): the prelude parses the options and makes the TypeError checks;
//! this op calls [`lunar_core::ai::chat`] with the execution's host (which tracks the call).

use lunar_core::ai::{ChatMessage, ChatRequest};
use serde::Deserialize;
use serde_json::json;

use crate::state::{OpValue, on_host};

use super::{arg_string, exec_state};

/// Options as normalised by the prelude.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    provider: String,
    model: String,
    messages: Vec<(String, String)>,
    max_tokens: u32,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    endpoint: Option<String>,
}

/// `ops.aiChat(optionsJson)` → `Promise<string>` (the result as JSON); rejects with the
/// provider client's message.
pub(super) fn chat<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(st) = exec_state(scope) else { return };
    let options = arg_string(scope, &args, 0);
    let host = st.host.clone();
    let rt = st.host_rt.clone();
    let p = st.start_op(scope, async move {
        let o: Options = serde_json::from_str(&options).map_err(|e| e.to_string())?;
        let req = ChatRequest {
            provider: o.provider,
            model: o.model,
            messages: o
                .messages
                .into_iter()
                .map(|(role, content)| ChatMessage::new(role, content))
                .collect(),
            max_tokens: o.max_tokens,
            temperature: o.temperature,
            endpoint: o.endpoint.filter(|e| !e.is_empty()),
        };
        match on_host(rt.as_ref(), async move {
            lunar_core::ai::chat(&host, req).await
        })
        .await
        {
            Some(Ok(r)) => Ok(OpValue::Str(
                json!({
                    "content": r.content,
                    "model": r.model,
                    "usage": {
                        "inputTokens": r.input_tokens,
                        "outputTokens": r.output_tokens,
                        "input_tokens": r.input_tokens,
                        "output_tokens": r.output_tokens,
                    },
                })
                .to_string(),
            )),
            Some(Err(e)) => Err(e),
            None => Err("HTTP request failed: the host task was dropped".to_owned()),
        }
    });
    if let Some(p) = p {
        rv.set(p.into());
    }
}
