//! `ai.chat`: the prelude parses the options and makes the TypeError checks;
//! this op calls [`lunar_core::ai::chat`] with the execution's host (which tracks the call).

use lunar_core::ai::{ChatMessage, ChatRequest};
use serde::Deserialize;
use serde_json::json;

use crate::state::OpValue;

use super::options_op;

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

impl Options {
    fn into_request(self) -> ChatRequest {
        ChatRequest {
            provider: self.provider,
            model: self.model,
            messages: self
                .messages
                .into_iter()
                .map(|(role, content)| ChatMessage::new(role, content))
                .collect(),
            max_tokens: self.max_tokens,
            temperature: self.temperature,
            endpoint: self.endpoint.filter(|e| !e.is_empty()),
        }
    }
}

/// `ops.aiChat(optionsJson)` → `Promise<string>` (the result as JSON); rejects with the
/// provider client's message.
pub(super) fn chat<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    options_op(scope, &args, &mut rv, |host, o: Options| async move {
        let r = lunar_core::ai::chat(&host, o.into_request()).await?;
        Ok(OpValue::Str(
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
        ))
    });
}
