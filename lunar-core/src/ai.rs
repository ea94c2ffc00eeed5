//! The AI provider clients behind `ai.chat`: OpenAI and Anthropic
//! chat calls over the host's [`HttpClient`](crate::http_client::HttpClient), each call
//! tracked as an [`AiRequest`].
//!
//! The JavaScript-side argument checks (`provider is required ...`, `messages cannot be
//! empty`, ...) happen before [`chat`] is called; everything from the provider lookup
//! on is here, and every call to [`chat`] writes exactly one tracking row.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize, Serializer};

use crate::http_client::OutboundRequest;
use crate::ids::new_id;
use crate::mask::mask_json_text;
use crate::model::{AiRequest, CallStatus};
use crate::runtime::Host;

/// Total timeout of one provider call.
pub const AI_TIMEOUT: Duration = Duration::from_secs(30);

/// Default OpenAI base URL.
pub const OPENAI_DEFAULT_BASE: &str = "https://api.openai.com/v1";
/// Default Anthropic base URL.
pub const ANTHROPIC_DEFAULT_BASE: &str = "https://api.anthropic.com";
/// The `anthropic-version` header value sent.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The detail of `HTTP request failed: ...` when the host has no outbound client.
pub(crate) const HTTP_NOT_CONFIGURED: &str = "outbound HTTP is not configured";

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant`, ...
    pub role: String,
    /// The text.
    pub content: String,
}

impl ChatMessage {
    /// A message.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// An `ai.chat` call that passed the JavaScript-side checks.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// `openai` or `anthropic` (anything else fails, tracked).
    pub provider: String,
    /// Model name, passed through.
    pub model: String,
    /// The conversation (already filtered: non-empty roles and contents).
    pub messages: Vec<ChatMessage>,
    /// Completion limit (the caller defaults absent/0 to 1024).
    pub max_tokens: u32,
    /// Sampling temperature, sent only when finite and > 0.
    pub temperature: Option<f64>,
    /// Base-URL override; wins over the `*_ENDPOINT` env variables. Empty = absent.
    pub endpoint: Option<String>,
}

/// A successful chat reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatResponse {
    /// The reply text.
    pub content: String,
    /// The model the provider reports.
    pub model: String,
    /// Prompt tokens.
    pub input_tokens: i64,
    /// Completion tokens.
    pub output_tokens: i64,
}

/// What one call got as far as building and sending, for its tracking row.
#[derive(Debug, Default)]
struct Trace {
    endpoint: String,
    request_json: String,
    response_body: Option<String>,
}

/// Calls the requested provider and tracks the call.
///
/// # Errors
///
/// The exact JavaScript `Error` message: `unsupported provider: X (use openai or
/// anthropic)`, `OPENAI_API_KEY not set in function environment`,
/// `ANTHROPIC_API_KEY not set in function environment`, `HTTP request failed: <detail>`,
/// `failed to parse response: <detail>`, `OpenAI API error: <message>`,
/// `anthropic API error: <message>`, `no response from OpenAI`,
/// `no response from Anthropic`.
pub async fn chat(host: &Host, req: ChatRequest) -> Result<ChatResponse, String> {
    host.usage.count(crate::usage::CallKind::Ai);
    let mut trace = Trace::default();
    let started = Instant::now();
    let result = call_provider(host, &req, &mut trace).await;
    let duration_ms = crate::clock::elapsed_ms(started);
    track(host, &req, trace, &result, duration_ms).await;
    result
}

async fn call_provider(
    host: &Host,
    req: &ChatRequest,
    trace: &mut Trace,
) -> Result<ChatResponse, String> {
    match req.provider.as_str() {
        "openai" => call_openai(host, req, trace).await,
        "anthropic" => call_anthropic(host, req, trace).await,
        other => Err(format!(
            "unsupported provider: {other} (use openai or anthropic)"
        )),
    }
}

/// A non-empty value from the function's env snapshot.
fn env_value(host: &Host, key: &str) -> Option<String> {
    host.env.get(key).filter(|v| !v.is_empty())
}

/// `endpoint` option > env variable > default, then + `path`.
fn full_url(host: &Host, req: &ChatRequest, env_key: &str, default: &str, path: &str) -> String {
    let base = req
        .endpoint
        .clone()
        .filter(|e| !e.is_empty())
        .or_else(|| env_value(host, env_key))
        .unwrap_or_else(|| default.to_owned());
    format!("{base}{path}")
}

/// Only finite positive temperatures are sent.
fn sent_temperature(t: Option<f64>) -> Option<f64> {
    t.filter(|t| t.is_finite() && *t > 0.0)
}

/// Writes a temperature the way JavaScript's `JSON.stringify` would: integral values
/// without a fraction (`1`, not `1.0`).
fn serialize_temperature<S: Serializer>(t: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match *t {
        #[allow(clippy::cast_possible_truncation)]
        Some(v) if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 => {
            s.serialize_i64(v as i64)
        }
        Some(v) => s.serialize_f64(v),
        None => s.serialize_none(),
    }
}

#[derive(Serialize)]
struct OpenAiBody<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    max_tokens: u32,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_temperature"
    )]
    temperature: Option<f64>,
}

#[derive(Serialize)]
struct AnthropicBody<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    messages: Vec<&'a ChatMessage>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_temperature"
    )]
    temperature: Option<f64>,
}

/// `{"message": ...}` of a provider error object.
#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct OpenAiReply {
    #[serde(default)]
    choices: Option<Vec<OpenAiChoice>>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<OpenAiUsage>,
    #[serde(default)]
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct OpenAiChoice {
    #[serde(default)]
    message: Option<OpenAiMessage>,
}

#[derive(Deserialize)]
struct OpenAiMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct OpenAiUsage {
    #[serde(default)]
    prompt_tokens: Option<i64>,
    #[serde(default)]
    completion_tokens: Option<i64>,
}

#[derive(Deserialize)]
struct AnthropicReply {
    #[serde(default)]
    content: Option<Vec<AnthropicBlock>>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
    #[serde(default)]
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct AnthropicBlock {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct AnthropicUsage {
    #[serde(default)]
    input_tokens: Option<i64>,
    #[serde(default)]
    output_tokens: Option<i64>,
}

async fn call_openai(
    host: &Host,
    req: &ChatRequest,
    trace: &mut Trace,
) -> Result<ChatResponse, String> {
    let key = env_value(host, "OPENAI_API_KEY")
        .ok_or_else(|| "OPENAI_API_KEY not set in function environment".to_owned())?;
    let body = OpenAiBody {
        model: &req.model,
        messages: &req.messages,
        max_tokens: req.max_tokens,
        temperature: sent_temperature(req.temperature),
    };
    let url = full_url(
        host,
        req,
        "OPENAI_ENDPOINT",
        OPENAI_DEFAULT_BASE,
        "/chat/completions",
    );
    let headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Authorization".to_owned(), format!("Bearer {key}")),
    ];
    let raw = post_json(host, url, headers, &body, trace).await?;
    let reply: OpenAiReply =
        serde_json::from_slice(&raw).map_err(|e| format!("failed to parse response: {e}"))?;
    if let Some(error) = reply.error {
        return Err(format!(
            "OpenAI API error: {}",
            error.message.unwrap_or_default()
        ));
    }
    let mut choices = reply.choices.unwrap_or_default();
    if choices.is_empty() {
        return Err("no response from OpenAI".to_owned());
    }
    let first = choices.swap_remove(0);
    let usage = reply.usage;
    Ok(ChatResponse {
        content: first.message.and_then(|m| m.content).unwrap_or_default(),
        model: reply.model.unwrap_or_default(),
        input_tokens: usage.as_ref().and_then(|u| u.prompt_tokens).unwrap_or(0),
        output_tokens: usage
            .as_ref()
            .and_then(|u| u.completion_tokens)
            .unwrap_or(0),
    })
}

async fn call_anthropic(
    host: &Host,
    req: &ChatRequest,
    trace: &mut Trace,
) -> Result<ChatResponse, String> {
    let key = env_value(host, "ANTHROPIC_API_KEY")
        .ok_or_else(|| "ANTHROPIC_API_KEY not set in function environment".to_owned())?;
    let (system, messages): (Vec<&ChatMessage>, Vec<&ChatMessage>) =
        req.messages.iter().partition(|m| m.role == "system");
    let body = AnthropicBody {
        model: &req.model,
        max_tokens: req.max_tokens,
        system: system.last().map(|m| m.content.as_str()),
        messages,
        temperature: sent_temperature(req.temperature),
    };
    let url = full_url(
        host,
        req,
        "ANTHROPIC_ENDPOINT",
        ANTHROPIC_DEFAULT_BASE,
        "/v1/messages",
    );
    let headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("x-api-key".to_owned(), key),
        ("anthropic-version".to_owned(), ANTHROPIC_VERSION.to_owned()),
    ];
    let raw = post_json(host, url, headers, &body, trace).await?;
    let reply: AnthropicReply =
        serde_json::from_slice(&raw).map_err(|e| format!("failed to parse response: {e}"))?;
    if let Some(error) = reply.error {
        return Err(format!(
            "anthropic API error: {}",
            error.message.unwrap_or_default()
        ));
    }
    let blocks = reply.content.unwrap_or_default();
    if blocks.is_empty() {
        return Err("no response from Anthropic".to_owned());
    }
    let content: String = blocks
        .into_iter()
        .filter(|b| b.kind.as_deref() == Some("text"))
        .filter_map(|b| b.text)
        .collect();
    let usage = reply.usage;
    Ok(ChatResponse {
        content,
        model: reply.model.unwrap_or_default(),
        input_tokens: usage.as_ref().and_then(|u| u.input_tokens).unwrap_or(0),
        output_tokens: usage.as_ref().and_then(|u| u.output_tokens).unwrap_or(0),
    })
}

/// Serialises `body`, records URL and JSON in `trace`, POSTs, and returns the raw body
/// (also recorded). Status codes are not inspected.
async fn post_json<B: Serialize>(
    host: &Host,
    url: String,
    headers: Vec<(String, String)>,
    body: &B,
    trace: &mut Trace,
) -> Result<Vec<u8>, String> {
    trace.endpoint.clone_from(&url);
    let json = serde_json::to_string(body).map_err(|e| request_failed(&e))?;
    trace.request_json.clone_from(&json);
    let Some(http) = host.http.as_ref() else {
        return Err(request_failed(&HTTP_NOT_CONFIGURED));
    };
    let mut request = OutboundRequest::new("POST", url);
    request.headers = headers;
    request.body = json.into_bytes();
    request.timeout = Some(AI_TIMEOUT);
    let response = http.send(request).await.map_err(|e| request_failed(&e))?;
    trace.response_body = Some(String::from_utf8_lossy(&response.body).into_owned());
    Ok(response.body)
}

/// `HTTP request failed: <detail>`; for an
/// [`OutboundError`](crate::http_client::OutboundError) the detail is its
/// `Display`, whatever the variant.
pub(crate) fn request_failed(detail: &dyn std::fmt::Display) -> String {
    format!("HTTP request failed: {detail}")
}

async fn track(
    host: &Host,
    req: &ChatRequest,
    trace: Trace,
    result: &Result<ChatResponse, String>,
    duration_ms: i64,
) {
    let Some(tracker) = host.ai.as_ref() else {
        return;
    };
    let (status, error_message, input_tokens, output_tokens) = match result {
        Ok(reply) => (
            CallStatus::Success,
            None,
            Some(reply.input_tokens),
            Some(reply.output_tokens),
        ),
        Err(message) => (CallStatus::Error, Some(message.clone()), None, None),
    };
    let row = AiRequest {
        id: new_id(),
        execution_id: host.execution_id.clone(),
        provider: req.provider.clone(),
        model: req.model.clone(),
        endpoint: trace.endpoint,
        request_json: mask_json_text(&trace.request_json),
        response_json: trace.response_body.as_deref().map(mask_json_text),
        status,
        error_message,
        input_tokens,
        output_tokens,
        duration_ms,
        created_at: host.clock.unix(),
    };
    if let Err(error) = tracker.record(&row).await {
        tracing::warn!(
            execution_id = %host.execution_id,
            %error,
            "failed to record AI request"
        );
    }
}

/// Test-only host parts shared by the `ai` and `email` unit tests: a scripted
/// [`HttpClient`](crate::http_client::HttpClient) stand-in that records requests, and
/// in-memory trackers.
#[cfg(test)]
pub(crate) mod test_support {
    use std::collections::{BTreeMap, VecDeque};
    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;
    use chrono::DateTime;

    use crate::clock::ManualClock;
    use crate::error::{Error, Result};
    use crate::http_client::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
    use crate::logger::Logger;
    use crate::model::{AiRequest, EmailRequest, Page, PageRequest};
    use crate::runtime::{EnvHandle, Host, KvHandle, Limits};
    use crate::store::{AiTracker, EmailTracker, EnvStore, KvStore};

    /// The fixed clock time of test hosts.
    pub(crate) const NOW: i64 = 1_735_732_800;

    /// Records every request and answers from a script.
    #[derive(Debug, Default)]
    pub(crate) struct ScriptedHttp {
        pub(crate) requests: Mutex<Vec<OutboundRequest>>,
        replies: Mutex<VecDeque<std::result::Result<OutboundResponse, OutboundError>>>,
    }

    impl ScriptedHttp {
        pub(crate) fn reply(&self, status: u16, status_text: &str, body: &str) {
            let response = OutboundResponse {
                status,
                status_text: status_text.to_owned(),
                body: body.as_bytes().to_vec(),
                ..OutboundResponse::default()
            };
            self.replies.lock().unwrap().push_back(Ok(response));
        }

        pub(crate) fn fail(&self, error: OutboundError) {
            self.replies.lock().unwrap().push_back(Err(error));
        }

        pub(crate) fn sent(&self) -> Vec<OutboundRequest> {
            self.requests.lock().unwrap().clone()
        }

        pub(crate) fn only(&self) -> OutboundRequest {
            let sent = self.sent();
            assert_eq!(sent.len(), 1, "exactly one request expected");
            sent.into_iter().next().unwrap()
        }
    }

    #[async_trait]
    impl HttpClient for ScriptedHttp {
        async fn send(
            &self,
            request: OutboundRequest,
        ) -> std::result::Result<OutboundResponse, OutboundError> {
            self.requests.lock().unwrap().push(request);
            self.replies
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| Err(OutboundError::Request("no scripted reply".to_owned())))
        }
    }

    /// KV and env stores that hold nothing (the env snapshot is given up front).
    #[derive(Debug)]
    pub(crate) struct NoStore;

    #[async_trait]
    impl KvStore for NoStore {
        async fn get(&self, _: &str, _: &str) -> Result<Option<String>> {
            Ok(None)
        }
        async fn set(&self, _: &str, _: &str, _: &str) -> Result<()> {
            Ok(())
        }
        async fn delete(&self, _: &str, _: &str) -> Result<()> {
            Ok(())
        }
        async fn delete_all(&self, _: &str) -> Result<()> {
            Ok(())
        }
        async fn list(
            &self,
            _: &str,
            _: &str,
            _: crate::model::PageRequest,
        ) -> Result<crate::model::Page<crate::model::KvEntry>> {
            Ok(crate::model::Page::empty())
        }
    }

    #[async_trait]
    impl EnvStore for NoStore {
        async fn all(&self, _: &str) -> Result<BTreeMap<String, String>> {
            Ok(BTreeMap::new())
        }
        async fn set(&self, _: &str, _: &str, _: &str) -> Result<()> {
            Ok(())
        }
        async fn delete(&self, _: &str, _: &str) -> Result<()> {
            Ok(())
        }
        async fn replace_all(&self, _: &str, _: &BTreeMap<String, String>) -> Result<()> {
            Ok(())
        }
        async fn delete_all(&self, _: &str) -> Result<()> {
            Ok(())
        }
    }

    /// In-memory trackers; `broken` makes `record` fail.
    #[derive(Debug, Default)]
    pub(crate) struct MemTracker {
        pub(crate) ai: Mutex<Vec<AiRequest>>,
        pub(crate) email: Mutex<Vec<EmailRequest>>,
        pub(crate) broken: bool,
    }

    impl MemTracker {
        pub(crate) fn ai_rows(&self) -> Vec<AiRequest> {
            self.ai.lock().unwrap().clone()
        }

        pub(crate) fn email_rows(&self) -> Vec<EmailRequest> {
            self.email.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl AiTracker for MemTracker {
        async fn record(&self, request: &AiRequest) -> Result<()> {
            if self.broken {
                return Err(Error::Internal("tracker down".to_owned()));
            }
            self.ai.lock().unwrap().push(request.clone());
            Ok(())
        }
        async fn list(&self, _: &str, _: PageRequest) -> Result<Page<AiRequest>> {
            Ok(Page::empty())
        }
        async fn delete_for_executions(&self, _: &[String]) -> Result<()> {
            Ok(())
        }
    }

    #[async_trait]
    impl EmailTracker for MemTracker {
        async fn record(&self, request: &EmailRequest) -> Result<()> {
            if self.broken {
                return Err(Error::Internal("tracker down".to_owned()));
            }
            self.email.lock().unwrap().push(request.clone());
            Ok(())
        }
        async fn list(&self, _: &str, _: PageRequest) -> Result<Page<EmailRequest>> {
            Ok(Page::empty())
        }
        async fn delete_for_executions(&self, _: &[String]) -> Result<()> {
            Ok(())
        }
    }

    /// A host with this env snapshot, a scripted client and in-memory trackers.
    pub(crate) fn test_host(env: &[(&str, &str)]) -> (Host, Arc<ScriptedHttp>, Arc<MemTracker>) {
        let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(NOW, 0).unwrap()));
        let snapshot = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut host = Host::new(
            KvHandle::new("fn1", Arc::new(NoStore)),
            EnvHandle::new("fn1", snapshot, Arc::new(NoStore)),
            Logger::new(&Limits::default(), clock.clone()),
            clock,
        );
        let http = Arc::new(ScriptedHttp::default());
        let tracker = Arc::new(MemTracker::default());
        host.http = Some(http.clone());
        host.execution_id = "exec1".to_owned();
        host.ai = Some(tracker.clone());
        host.email = Some(tracker.clone());
        (host, http, tracker)
    }

    /// A request's header value by exact name.
    pub(crate) fn header<'a>(request: &'a OutboundRequest, name: &str) -> Option<&'a str> {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A request's body as text.
    pub(crate) fn body(request: &OutboundRequest) -> String {
        String::from_utf8(request.body.clone()).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::test_support::{MemTracker, NOW, body, header, test_host};
    use super::*;
    use crate::http_client::OutboundError;
    use crate::ids::is_xid;

    fn request(provider: &str, messages: &[(&str, &str)]) -> ChatRequest {
        ChatRequest {
            provider: provider.to_owned(),
            model: "m1".to_owned(),
            messages: messages
                .iter()
                .map(|(r, c)| ChatMessage::new(*r, *c))
                .collect(),
            max_tokens: 1024,
            temperature: None,
            endpoint: None,
        }
    }

    const OPENAI_OK: &str = r#"{"id":"c1","model":"gpt-4o-2024","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"}}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#;
    const ANTHROPIC_OK: &str = r#"{"id":"m1","type":"message","model":"claude-x","content":[{"type":"text","text":"Hel"},{"type":"tool_use","id":"t","name":"n","input":{}},{"type":"text","text":"lo"}],"usage":{"input_tokens":7,"output_tokens":2}}"#;

    // ---- OpenAI wire ------------------------------------------------------------

    #[tokio::test]
    async fn openai_request_wire_format() {
        let (host, http, _) = test_host(&[("OPENAI_API_KEY", "sk-test")]);
        http.reply(200, "OK", OPENAI_OK);
        let mut req = request("openai", &[("system", "be brief"), ("user", "hi")]);
        req.max_tokens = 50;
        req.temperature = Some(0.7);
        chat(&host, req).await.unwrap();
        let sent = http.only();
        assert_eq!(sent.method, "POST");
        assert_eq!(sent.url, "https://api.openai.com/v1/chat/completions");
        assert_eq!(
            sent.headers,
            vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("Authorization".to_owned(), "Bearer sk-test".to_owned()),
            ]
        );
        assert_eq!(sent.timeout, Some(Duration::from_secs(30)));
        assert_eq!(
            body(&sent),
            r#"{"model":"m1","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"max_tokens":50,"temperature":0.7}"#
        );
    }

    #[tokio::test]
    async fn openai_reply_is_parsed() {
        let (host, http, _) = test_host(&[("OPENAI_API_KEY", "k")]);
        http.reply(200, "OK", OPENAI_OK);
        let reply = chat(&host, request("openai", &[("user", "hi")]))
            .await
            .unwrap();
        assert_eq!(
            reply,
            ChatResponse {
                content: "Hello!".to_owned(),
                model: "gpt-4o-2024".to_owned(),
                input_tokens: 9,
                output_tokens: 3,
            }
        );
    }

    #[tokio::test]
    async fn temperature_is_sent_only_when_positive() {
        for (temperature, expected) in [
            (None, r#""max_tokens":1024}"#),
            (Some(0.0), r#""max_tokens":1024}"#),
            (Some(-1.0), r#""max_tokens":1024}"#),
            (Some(f64::NAN), r#""max_tokens":1024}"#),
            (Some(1.0), r#""max_tokens":1024,"temperature":1}"#),
            (Some(0.25), r#""max_tokens":1024,"temperature":0.25}"#),
        ] {
            let (host, http, _) = test_host(&[("OPENAI_API_KEY", "k")]);
            http.reply(200, "OK", OPENAI_OK);
            let mut req = request("openai", &[("user", "hi")]);
            req.temperature = temperature;
            chat(&host, req).await.unwrap();
            let text = body(&http.only());
            assert!(text.ends_with(expected), "{temperature:?}: {text}");
        }
    }

    #[tokio::test]
    async fn status_codes_are_not_inspected() {
        let (host, http, _) = test_host(&[("OPENAI_API_KEY", "k")]);
        http.reply(500, "Internal Server Error", OPENAI_OK);
        let reply = chat(&host, request("openai", &[("user", "hi")])).await;
        assert_eq!(reply.unwrap().content, "Hello!");

        let (host, http, _) = test_host(&[("OPENAI_API_KEY", "k")]);
        http.reply(
            200,
            "OK",
            r#"{"error":{"message":"quota exceeded","type":"x"}}"#,
        );
        let reply = chat(&host, request("openai", &[("user", "hi")])).await;
        assert_eq!(reply.unwrap_err(), "OpenAI API error: quota exceeded");
    }

    #[tokio::test]
    async fn openai_errors() {
        for (body, expected) in [
            (
                r#"{"error":{"message":"Incorrect API key provided"}}"#,
                "OpenAI API error: Incorrect API key provided",
            ),
            (r#"{"choices":[],"model":"m"}"#, "no response from OpenAI"),
            (r#"{"model":"m"}"#, "no response from OpenAI"),
            (
                r#"{"error":null,"choices":null}"#,
                "no response from OpenAI",
            ),
        ] {
            let (host, http, _) = test_host(&[("OPENAI_API_KEY", "k")]);
            http.reply(401, "Unauthorized", body);
            let err = chat(&host, request("openai", &[("user", "hi")]))
                .await
                .unwrap_err();
            assert_eq!(err, expected, "{body}");
        }
    }

    #[tokio::test]
    async fn unparsable_bodies() {
        for body in [
            "",
            "<html>bad gateway</html>",
            "[1,2]",
            r#"{"choices":"x","content":"x"}"#,
        ] {
            for provider in ["openai", "anthropic"] {
                let (host, http, _) =
                    test_host(&[("OPENAI_API_KEY", "k"), ("ANTHROPIC_API_KEY", "k")]);
                http.reply(502, "Bad Gateway", body);
                let err = chat(&host, request(provider, &[("user", "hi")]))
                    .await
                    .unwrap_err();
                assert!(
                    err.starts_with("failed to parse response: ") && err.len() > 26,
                    "{provider} {body}: {err}"
                );
            }
        }
        let (host, http, _) = test_host(&[("OPENAI_API_KEY", "k")]);
        http.reply(200, "OK", "");
        let err = chat(&host, request("openai", &[("user", "hi")]))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            "failed to parse response: EOF while parsing a value at line 1 column 0"
        );
    }

    // ---- Anthropic wire ---------------------------------------------------------

    #[tokio::test]
    async fn anthropic_request_wire_format() {
        let (host, http, _) = test_host(&[("ANTHROPIC_API_KEY", "ak-test")]);
        http.reply(200, "OK", ANTHROPIC_OK);
        let mut req = request(
            "anthropic",
            &[
                ("system", "first"),
                ("user", "hi"),
                ("assistant", "hello"),
                ("system", "second"),
                ("user", "again"),
            ],
        );
        req.temperature = Some(0.5);
        req.max_tokens = 99;
        chat(&host, req).await.unwrap();
        let sent = http.only();
        assert_eq!(sent.method, "POST");
        assert_eq!(sent.url, "https://api.anthropic.com/v1/messages");
        assert_eq!(
            sent.headers,
            vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("x-api-key".to_owned(), "ak-test".to_owned()),
                ("anthropic-version".to_owned(), "2023-06-01".to_owned()),
            ]
        );
        assert_eq!(sent.timeout, Some(Duration::from_secs(30)));
        assert_eq!(
            body(&sent),
            r#"{"model":"m1","max_tokens":99,"system":"second","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"again"}],"temperature":0.5}"#
        );
    }

    #[tokio::test]
    async fn anthropic_without_system_omits_it() {
        let (host, http, _) = test_host(&[("ANTHROPIC_API_KEY", "k")]);
        http.reply(200, "OK", ANTHROPIC_OK);
        chat(&host, request("anthropic", &[("user", "hi")]))
            .await
            .unwrap();
        assert_eq!(
            body(&http.only()),
            r#"{"model":"m1","max_tokens":1024,"messages":[{"role":"user","content":"hi"}]}"#
        );
    }

    #[tokio::test]
    async fn anthropic_reply_concatenates_text_blocks() {
        let (host, http, _) = test_host(&[("ANTHROPIC_API_KEY", "k")]);
        http.reply(200, "OK", ANTHROPIC_OK);
        let reply = chat(&host, request("anthropic", &[("user", "hi")]))
            .await
            .unwrap();
        assert_eq!(
            reply,
            ChatResponse {
                content: "Hello".to_owned(),
                model: "claude-x".to_owned(),
                input_tokens: 7,
                output_tokens: 2,
            }
        );
    }

    #[tokio::test]
    async fn anthropic_errors() {
        for (body, expected) in [
            (
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
                "anthropic API error: invalid x-api-key",
            ),
            (
                r#"{"content":[],"model":"m"}"#,
                "no response from Anthropic",
            ),
            (r#"{"model":"m"}"#, "no response from Anthropic"),
        ] {
            let (host, http, _) = test_host(&[("ANTHROPIC_API_KEY", "k")]);
            http.reply(400, "Bad Request", body);
            let err = chat(&host, request("anthropic", &[("user", "hi")]))
                .await
                .unwrap_err();
            assert_eq!(err, expected, "{body}");
        }
    }

    // ---- provider, key, base URL -------------------------------------------------

    #[tokio::test]
    async fn unsupported_provider_is_tracked() {
        let (host, http, tracker) = test_host(&[("OPENAI_API_KEY", "k")]);
        let err = chat(&host, request("gemini", &[("user", "hi")]))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            "unsupported provider: gemini (use openai or anthropic)"
        );
        assert!(http.sent().is_empty());
        let rows = tracker.ai_rows();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.provider, "gemini");
        assert_eq!(row.model, "m1");
        assert_eq!(row.endpoint, "");
        assert_eq!(row.request_json, "");
        assert_eq!(row.response_json, None);
        assert_eq!(row.status, CallStatus::Error);
        assert_eq!(row.error_message.as_deref(), Some(err.as_str()));
        assert_eq!(row.input_tokens, None);
        assert_eq!(row.output_tokens, None);
    }

    #[tokio::test]
    async fn missing_api_keys() {
        for (provider, expected) in [
            ("openai", "OPENAI_API_KEY not set in function environment"),
            (
                "anthropic",
                "ANTHROPIC_API_KEY not set in function environment",
            ),
        ] {
            for env in [
                &[][..],
                &[("OPENAI_API_KEY", ""), ("ANTHROPIC_API_KEY", "")][..],
            ] {
                let (host, http, tracker) = test_host(env);
                let mut req = request(provider, &[("user", "hi")]);
                // The key check comes first, even with an endpoint.
                req.endpoint = Some("http://127.0.0.1:9".to_owned());
                let err = chat(&host, req).await.unwrap_err();
                assert_eq!(err, expected);
                assert!(http.sent().is_empty());
                let rows = tracker.ai_rows();
                assert_eq!(rows.len(), 1);
                assert_eq!(rows[0].endpoint, "");
                assert_eq!(rows[0].request_json, "");
                assert_eq!(rows[0].error_message.as_deref(), Some(expected));
            }
        }
    }

    #[tokio::test]
    async fn base_url_precedence() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Option<&'a str>, &'a str);
        let cases: [Case<'_>; 8] = [
            (
                "openai",
                &[],
                None,
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                "openai",
                &[("OPENAI_ENDPOINT", "http://env.local/v1")],
                None,
                "http://env.local/v1/chat/completions",
            ),
            (
                "openai",
                &[("OPENAI_ENDPOINT", "http://env.local/v1")],
                Some("http://opt.local/"),
                "http://opt.local//chat/completions",
            ),
            (
                "openai",
                &[("OPENAI_ENDPOINT", "")],
                Some(""),
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                "anthropic",
                &[],
                None,
                "https://api.anthropic.com/v1/messages",
            ),
            (
                "anthropic",
                &[("ANTHROPIC_ENDPOINT", "http://env.local")],
                None,
                "http://env.local/v1/messages",
            ),
            (
                "anthropic",
                &[("ANTHROPIC_ENDPOINT", "http://env.local")],
                Some("http://opt.local:8080/proxy"),
                "http://opt.local:8080/proxy/v1/messages",
            ),
            (
                // The other provider's variable is not used.
                "anthropic",
                &[("OPENAI_ENDPOINT", "http://env.local")],
                None,
                "https://api.anthropic.com/v1/messages",
            ),
        ];
        for (provider, env, endpoint, expected) in cases {
            let mut env = env.to_vec();
            env.extend([("OPENAI_API_KEY", "k"), ("ANTHROPIC_API_KEY", "k")]);
            let (host, http, tracker) = test_host(&env);
            http.reply(
                200,
                "OK",
                if provider == "openai" {
                    OPENAI_OK
                } else {
                    ANTHROPIC_OK
                },
            );
            let mut req = request(provider, &[("user", "hi")]);
            req.endpoint = endpoint.map(str::to_owned);
            chat(&host, req).await.unwrap();
            assert_eq!(http.only().url, expected);
            assert_eq!(tracker.ai_rows()[0].endpoint, expected);
        }
    }

    #[tokio::test]
    async fn http_failures() {
        for error in [
            OutboundError::Request("error sending request: connection refused".to_owned()),
            OutboundError::InvalidUrl("relative URL without a base".to_owned()),
            OutboundError::Body("response body exceeds 10485760 bytes".to_owned()),
        ] {
            let (host, http, tracker) = test_host(&[("OPENAI_API_KEY", "k")]);
            http.fail(error.clone());
            let err = chat(&host, request("openai", &[("user", "hi")]))
                .await
                .unwrap_err();
            assert_eq!(err, format!("HTTP request failed: {error}"));
            let row = &tracker.ai_rows()[0];
            assert_eq!(row.endpoint, "https://api.openai.com/v1/chat/completions");
            assert!(row.request_json.contains(r#""model":"m1""#));
            assert_eq!(row.response_json, None);
        }
    }

    #[tokio::test]
    async fn no_http_client() {
        let (mut host, _, tracker) = test_host(&[("ANTHROPIC_API_KEY", "k")]);
        host.http = None;
        let err = chat(&host, request("anthropic", &[("user", "hi")]))
            .await
            .unwrap_err();
        assert_eq!(err, "HTTP request failed: outbound HTTP is not configured");
        let row = &tracker.ai_rows()[0];
        assert_eq!(row.endpoint, "https://api.anthropic.com/v1/messages");
        assert!(!row.request_json.is_empty());
        assert_eq!(row.response_json, None);
    }

    // ---- tracking ---------------------------------------------------------------

    #[tokio::test]
    async fn success_is_tracked() {
        let (host, http, tracker) = test_host(&[("OPENAI_API_KEY", "sk-secret")]);
        http.reply(200, "OK", OPENAI_OK);
        chat(&host, request("openai", &[("user", "hi")]))
            .await
            .unwrap();
        let rows = tracker.ai_rows();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert!(is_xid(&row.id), "{}", row.id);
        assert_eq!(row.execution_id, "exec1");
        assert_eq!(row.provider, "openai");
        assert_eq!(row.model, "m1");
        assert_eq!(row.endpoint, "https://api.openai.com/v1/chat/completions");
        // Masked copies are re-serialised with sorted keys.
        assert_eq!(
            row.request_json,
            r#"{"max_tokens":1024,"messages":[{"content":"hi","role":"user"}],"model":"m1"}"#
        );
        assert_eq!(
            row.response_json.as_deref(),
            Some(mask_json_text(OPENAI_OK).as_str())
        );
        assert_eq!(row.status, CallStatus::Success);
        assert_eq!(row.error_message, None);
        assert_eq!(row.input_tokens, Some(9));
        assert_eq!(row.output_tokens, Some(3));
        assert!(row.duration_ms >= 0);
        assert_eq!(row.created_at, NOW);
        assert!(!row.request_json.contains("sk-secret"));
    }

    #[tokio::test]
    async fn provider_error_is_tracked_with_response() {
        let (host, http, tracker) = test_host(&[("ANTHROPIC_API_KEY", "k")]);
        let reply = r#"{"error":{"message":"overloaded"}}"#;
        http.reply(529, "", reply);
        let err = chat(&host, request("anthropic", &[("user", "hi")]))
            .await
            .unwrap_err();
        let row = &tracker.ai_rows()[0];
        assert_eq!(row.status, CallStatus::Error);
        assert_eq!(row.error_message.as_deref(), Some(err.as_str()));
        assert_eq!(row.response_json.as_deref(), Some(reply));
        assert_eq!(row.input_tokens, None);
    }

    #[tokio::test]
    async fn unparsable_response_is_stored_raw() {
        let (host, http, tracker) = test_host(&[("OPENAI_API_KEY", "k")]);
        http.reply(502, "Bad Gateway", "<html>bad gateway</html>");
        chat(&host, request("openai", &[("user", "hi")]))
            .await
            .unwrap_err();
        let row = &tracker.ai_rows()[0];
        assert_eq!(
            row.response_json.as_deref(),
            Some("<html>bad gateway</html>")
        );
    }

    #[tokio::test]
    async fn stored_json_is_masked() {
        let (host, http, tracker) = test_host(&[("OPENAI_API_KEY", "k")]);
        http.reply(
            200,
            "OK",
            r#"{"api_key":"leaked","choices":[{"message":{"content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#,
        );
        // Message texts are values, not members: they are stored as sent, and
        // `max_tokens` is not a secret key.
        let reply = chat(&host, request("openai", &[("user", "password: hunter2")]))
            .await
            .unwrap();
        assert_eq!(reply.content, "ok");
        let row = &tracker.ai_rows()[0];
        let response = row.response_json.as_deref().unwrap();
        assert!(response.contains(r#""api_key":"[REDACTED]""#), "{response}");
        assert!(!response.contains("leaked"));
        assert!(row.request_json.contains(r#""max_tokens":1024"#));
        // What the function sees is not masked.
        assert!(body(&http.only()).contains("password: hunter2"));
    }

    #[tokio::test]
    async fn tracking_failures_are_ignored() {
        let (mut host, http, _) = test_host(&[("OPENAI_API_KEY", "k")]);
        let broken = Arc::new(MemTracker {
            broken: true,
            ..MemTracker::default()
        });
        host.ai = Some(broken.clone());
        http.reply(200, "OK", OPENAI_OK);
        let reply = chat(&host, request("openai", &[("user", "hi")])).await;
        assert_eq!(reply.unwrap().content, "Hello!");
        assert!(broken.ai_rows().is_empty());

        host.ai = None;
        let err = chat(&host, request("nope", &[("user", "hi")])).await;
        assert!(err.is_err());
    }

    #[tokio::test]
    async fn anthropic_sends_no_authorization_header() {
        let (host, http, _) = test_host(&[("ANTHROPIC_API_KEY", "abc")]);
        http.reply(200, "OK", ANTHROPIC_OK);
        chat(&host, request("anthropic", &[("user", "hi")]))
            .await
            .unwrap();
        let sent = http.only();
        assert_eq!(header(&sent, "x-api-key"), Some("abc"));
        assert_eq!(header(&sent, "Authorization"), None);
    }
}
