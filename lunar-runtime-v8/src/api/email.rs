//! `email.send` (SPEC §5.10): the prelude parses the options and makes the TypeError
//! checks; this op calls [`lunar_core::email::send`] with the execution's host (which
//! tracks the send).

use std::collections::BTreeMap;

use lunar_core::email::{EmailMessage, scheduled_at_from_unix};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::{OpValue, on_host};

use super::{arg_string, exec_state};

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
    let Some(st) = exec_state(scope) else { return };
    let options = arg_string(scope, &args, 0);
    let host = st.host.clone();
    let rt = st.host_rt.clone();
    let p = st.start_op(scope, async move {
        let o: Options = serde_json::from_str(&options).map_err(|e| e.to_string())?;
        let msg = o.into_message();
        match on_host(rt.as_ref(), async move {
            lunar_core::email::send(&host, msg).await
        })
        .await
        {
            Some(Ok(id)) => Ok(OpValue::Str(json!({ "id": id }).to_string())),
            Some(Err(e)) => Err(e),
            None => Err("HTTP request failed: the host task was dropped".to_owned()),
        }
    });
    if let Some(p) = p {
        rv.set(p.into());
    }
}
