//! `email.send`: the prelude parses the options and makes the TypeError
//! checks; this op calls [`lunar_core::email::send`] with the execution's host (which
//! tracks the send).

use std::collections::BTreeMap;

use lunar_core::email::{EmailMessage, scheduled_at_from_unix};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::OpValue;

use super::options_op;

/// Options as normalised by the prelude (empty strings mean absent).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    from: String,
    to: Vec<String>,
    subject: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    html: String,
    #[serde(default)]
    reply_to: String,
    #[serde(default)]
    cc: Vec<String>,
    #[serde(default)]
    bcc: Vec<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    tags: Vec<(String, String)>,
    /// Unix seconds (a number) or the provider's text.
    #[serde(default)]
    scheduled_at: Value,
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl Options {
    fn into_message(self) -> EmailMessage {
        #[allow(clippy::cast_possible_truncation)]
        let scheduled_at = match self.scheduled_at {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
                .map(scheduled_at_from_unix),
            Value::String(s) => non_empty(s),
            _ => None,
        };
        EmailMessage {
            from: self.from,
            to: self.to,
            subject: self.subject,
            text: non_empty(self.text),
            html: non_empty(self.html),
            reply_to: non_empty(self.reply_to),
            cc: self.cc,
            bcc: self.bcc,
            headers: self.headers,
            tags: self.tags,
            scheduled_at,
        }
    }
}

/// `ops.emailSend(optionsJson)` → `Promise<string>` (the provider's id); rejects with the
/// e-mail client's message.
pub(super) fn send<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    options_op(scope, &args, &mut rv, |host, o: Options| async move {
        let id = lunar_core::email::send(&host, o.into_message()).await?;
        Ok(OpValue::Str(json!({ "id": id }).to_string()))
    });
}
