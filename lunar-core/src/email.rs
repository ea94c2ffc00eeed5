//! The Resend client behind `email.send`: one POST to `emails` over
//! the host's [`HttpClient`](crate::http_client::HttpClient), each call tracked as an
//! [`EmailRequest`].
//!
//! The JavaScript-side checks (`to is required`, `subject is required`, ...) happen
//! before [`send`] is called; every call to [`send`] writes exactly one tracking row.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ai::{HTTP_NOT_CONFIGURED, request_failed};
use crate::http_client::OutboundRequest;
use crate::ids::new_id;
use crate::mask::mask_json_text;
use crate::model::{CallStatus, EmailRequest};
use crate::runtime::Host;

/// Total timeout of one send.
pub const EMAIL_TIMEOUT: Duration = Duration::from_secs(60);

/// Default Resend base URL.
pub const RESEND_DEFAULT_BASE: &str = "https://api.resend.com/";

/// The `User-Agent` sent to Resend.
const USER_AGENT: &str = concat!("lunar/", env!("CARGO_PKG_VERSION"));

/// One message that passed the JavaScript-side checks of `email.send`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailMessage {
    /// Sender.
    pub from: String,
    /// Recipients (non-empty).
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// Plain-text part.
    pub text: Option<String>,
    /// HTML part.
    pub html: Option<String>,
    /// `Reply-To` address.
    pub reply_to: Option<String>,
    /// Carbon-copy recipients.
    pub cc: Vec<String>,
    /// Blind-copy recipients.
    pub bcc: Vec<String>,
    /// Extra e-mail headers.
    pub headers: BTreeMap<String, String>,
    /// Tags as `(name, value)` pairs.
    pub tags: Vec<(String, String)>,
    /// Delivery time, already in the provider's format (see [`scheduled_at_from_unix`]).
    pub scheduled_at: Option<String>,
}

/// Formats Unix seconds as UTC `YYYY-MM-DDTHH:MM:SSZ` (`1735732800` →
/// `2025-01-01T12:00:00Z`).
///
/// Seconds beyond the representable range saturate to the earliest or latest
/// representable time.
///
/// ```
/// use lunar_core::email::scheduled_at_from_unix;
///
/// assert_eq!(scheduled_at_from_unix(1_735_732_800), "2025-01-01T12:00:00Z");
/// ```
#[must_use]
pub fn scheduled_at_from_unix(secs: i64) -> String {
    let time = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(if secs < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    });
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Resolves the reference `emails` against `base` (RFC 3986 §5.2, for this one
/// relative-path reference): the base's query and fragment are dropped, its last path
/// segment is replaced, dot segments are removed, and a base with an authority but no
/// path gets `/emails`.
fn emails_endpoint(base: &str) -> String {
    let base = base
        .find(['?', '#'])
        .map_or(base, |end| base.get(..end).unwrap_or(base));
    let (prefix, path) = match base.find("://") {
        Some(scheme_end) => {
            let authority_start = scheme_end + 3;
            let path_start = base
                .get(authority_start..)
                .and_then(|rest| rest.find('/'))
                .map_or(base.len(), |i| authority_start + i);
            base.split_at(path_start)
        }
        None => ("", base),
    };
    if prefix.is_empty() {
        // No authority: plain merge, nothing to normalise (the client rejects it).
        let dir = path.rfind('/').map_or("", |i| &path[..=i]);
        return format!("{dir}emails");
    }
    if path.is_empty() {
        return format!("{prefix}/emails");
    }
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    let mut segments: Vec<&str> = Vec::new();
    for segment in dir.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    // `dir` ends with `/`, so its last segment is empty and stands for `emails`.
    segments.pop();
    segments.push("emails");
    format!("{prefix}/{}", segments.join("/"))
}

/// A Resend tag.
#[derive(Serialize)]
struct Tag<'a> {
    name: &'a str,
    value: &'a str,
}

fn tags(msg: &EmailMessage) -> Vec<Tag<'_>> {
    msg.tags
        .iter()
        .map(|(name, value)| Tag { name, value })
        .collect()
}

fn non_empty(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|v| !v.is_empty())
}

/// The body sent to Resend, fields in the provider client's order.
#[derive(Serialize)]
struct WireBody<'a> {
    from: &'a str,
    to: &'a [String],
    subject: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    bcc: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    cc: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<Tag<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduled_at: Option<&'a str>,
}

impl<'a> WireBody<'a> {
    fn new(msg: &'a EmailMessage) -> Self {
        Self {
            from: &msg.from,
            to: &msg.to,
            subject: &msg.subject,
            bcc: &msg.bcc,
            cc: &msg.cc,
            reply_to: non_empty(msg.reply_to.as_ref()),
            html: non_empty(msg.html.as_ref()),
            text: non_empty(msg.text.as_ref()),
            tags: tags(msg),
            headers: &msg.headers,
            scheduled_at: non_empty(msg.scheduled_at.as_ref()),
        }
    }
}

/// The tracked copy of a request (masked before it is stored).
#[derive(Serialize)]
struct TrackedBody<'a> {
    from: &'a str,
    to: &'a [String],
    subject: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    cc: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    bcc: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduled_at: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<Tag<'a>>,
}

impl<'a> TrackedBody<'a> {
    fn new(msg: &'a EmailMessage) -> Self {
        Self {
            from: &msg.from,
            to: &msg.to,
            subject: &msg.subject,
            text: non_empty(msg.text.as_ref()),
            html: non_empty(msg.html.as_ref()),
            reply_to: non_empty(msg.reply_to.as_ref()),
            cc: &msg.cc,
            bcc: &msg.bcc,
            scheduled_at: non_empty(msg.scheduled_at.as_ref()),
            headers: &msg.headers,
            tags: tags(msg),
        }
    }
}

#[derive(Deserialize)]
struct SendReply {
    #[serde(default)]
    id: Option<String>,
}

/// What one send got as far as, for its tracking row.
#[derive(Debug, Default)]
struct Trace {
    request_json: String,
}

/// Sends one message through Resend and tracks the send. Resolves to the
/// provider's message id.
///
/// # Errors
///
/// The exact JavaScript `Error` message: `RESEND_API_KEY not set in function
/// environment`, `HTTP request failed: <detail>`, `[ERROR]: <provider message or HTTP
/// reason phrase>` for a non-2xx answer, or `failed to parse response: <detail>` for a
/// 2xx answer that is not JSON.
pub async fn send(host: &Host, msg: EmailMessage) -> Result<String, String> {
    host.usage.count(crate::usage::CallKind::Email);
    let mut trace = Trace::default();
    let started = Instant::now();
    let result = deliver(host, &msg, &mut trace).await;
    let duration_ms = crate::clock::elapsed_ms(started);
    track(host, &msg, trace, &result, duration_ms).await;
    result
}

async fn deliver(host: &Host, msg: &EmailMessage, trace: &mut Trace) -> Result<String, String> {
    let key = host
        .env
        .get("RESEND_API_KEY")
        .map(|k| k.trim_matches([' ', '\'']).to_owned())
        .filter(|k| !k.is_empty())
        .ok_or_else(|| "RESEND_API_KEY not set in function environment".to_owned())?;
    let base = host
        .env
        .get("RESEND_BASE_URL")
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| RESEND_DEFAULT_BASE.to_owned());
    trace.request_json =
        serde_json::to_string(&TrackedBody::new(msg)).map_err(|e| request_failed(&e))?;
    let json = serde_json::to_string(&WireBody::new(msg)).map_err(|e| request_failed(&e))?;
    let Some(http) = host.http.as_ref() else {
        return Err(request_failed(&HTTP_NOT_CONFIGURED));
    };
    let mut request = OutboundRequest::new("POST", emails_endpoint(&base));
    request.headers = vec![
        ("Authorization".to_owned(), format!("Bearer {key}")),
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Accept".to_owned(), "application/json".to_owned()),
        ("User-Agent".to_owned(), USER_AGENT.to_owned()),
    ];
    request.body = json.into_bytes();
    request.timeout = Some(EMAIL_TIMEOUT);
    let response = http.send(request).await.map_err(|e| request_failed(&e))?;
    if !(200..300).contains(&response.status) {
        let message = serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            })
            .filter(|m| !m.is_empty())
            .or_else(|| Some(response.status_text.clone()).filter(|t| !t.is_empty()))
            .unwrap_or_else(|| response.status.to_string());
        return Err(format!("[ERROR]: {message}"));
    }
    let reply: SendReply = serde_json::from_slice(&response.body)
        .map_err(|e| format!("failed to parse response: {e}"))?;
    Ok(reply.id.unwrap_or_default())
}

async fn track(
    host: &Host,
    msg: &EmailMessage,
    trace: Trace,
    result: &Result<String, String>,
    duration_ms: i64,
) {
    let Some(tracker) = host.email.as_ref() else {
        return;
    };
    let (status, response_json, error_message, email_id) = match result {
        Ok(id) => (
            CallStatus::Success,
            Some(mask_json_text(&serde_json::json!({ "id": id }).to_string())),
            None,
            Some(id.clone()),
        ),
        Err(message) => (CallStatus::Error, None, Some(message.clone()), None),
    };
    let row = EmailRequest {
        id: new_id(),
        execution_id: host.execution_id.clone(),
        from: msg.from.clone(),
        to: msg.to.clone(),
        subject: msg.subject.clone(),
        has_text: non_empty(msg.text.as_ref()).is_some(),
        has_html: non_empty(msg.html.as_ref()).is_some(),
        request_json: mask_json_text(&trace.request_json),
        response_json,
        status,
        error_message,
        email_id,
        duration_ms,
        created_at: host.clock.unix(),
    };
    if let Err(error) = tracker.record(&row).await {
        tracing::warn!(
            execution_id = %host.execution_id,
            %error,
            "failed to record e-mail request"
        );
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ai::test_support::{MemTracker, NOW, body, header, test_host};
    use crate::http_client::OutboundError;
    use crate::ids::is_xid;

    fn message() -> EmailMessage {
        EmailMessage {
            from: "a@example.com".to_owned(),
            to: vec!["b@example.com".to_owned()],
            subject: "Hi".to_owned(),
            text: Some("hello".to_owned()),
            ..EmailMessage::default()
        }
    }

    fn full_message() -> EmailMessage {
        EmailMessage {
            from: "Acme <a@example.com>".to_owned(),
            to: vec!["b@example.com".to_owned(), "c@example.com".to_owned()],
            subject: "Report".to_owned(),
            text: Some("plain".to_owned()),
            html: Some("<p>html</p>".to_owned()),
            reply_to: Some("r@example.com".to_owned()),
            cc: vec!["cc@example.com".to_owned()],
            bcc: vec!["bcc@example.com".to_owned()],
            headers: BTreeMap::from([
                ("X-Entity-Ref".to_owned(), "42".to_owned()),
                ("password".to_owned(), "hunter2".to_owned()),
            ]),
            tags: vec![("category".to_owned(), "report".to_owned())],
            scheduled_at: Some("2025-01-01T12:00:00Z".to_owned()),
        }
    }

    const KEY: (&str, &str) = ("RESEND_API_KEY", "re_123");

    #[test]
    fn scheduled_at_conversion() {
        assert_eq!(
            scheduled_at_from_unix(1_735_732_800),
            "2025-01-01T12:00:00Z"
        );
        assert_eq!(scheduled_at_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(scheduled_at_from_unix(-1), "1969-12-31T23:59:59Z");
        assert_eq!(scheduled_at_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        // Out of range saturates instead of panicking.
        assert!(!scheduled_at_from_unix(i64::MAX).is_empty());
        assert!(!scheduled_at_from_unix(i64::MIN).is_empty());
    }

    #[test]
    fn endpoint_resolution() {
        for (base, expected) in [
            ("https://api.resend.com/", "https://api.resend.com/emails"),
            ("https://api.resend.com", "https://api.resend.com/emails"),
            ("http://127.0.0.1:8025", "http://127.0.0.1:8025/emails"),
            ("https://x/api/", "https://x/api/emails"),
            ("https://x/api", "https://x/emails"),
            ("https://x/a/b/c", "https://x/a/b/emails"),
            ("https://x/a/./b/../", "https://x/a/emails"),
            ("https://x/../../", "https://x/emails"),
            ("https://x//", "https://x//emails"),
            ("https://x/api/?q=1#f", "https://x/api/emails"),
            ("https://x?q=1", "https://x/emails"),
            ("https://user@x:8443/v1/", "https://user@x:8443/v1/emails"),
            ("not a url", "emails"),
        ] {
            assert_eq!(emails_endpoint(base), expected, "{base}");
        }
    }

    #[tokio::test]
    async fn request_wire_format() {
        let (host, http, _) = test_host(&[KEY]);
        http.reply(200, "OK", r#"{"id":"em_1"}"#);
        let id = send(&host, full_message()).await.unwrap();
        assert_eq!(id, "em_1");
        let sent = http.only();
        assert_eq!(sent.method, "POST");
        assert_eq!(sent.url, "https://api.resend.com/emails");
        assert_eq!(
            sent.headers,
            vec![
                ("Authorization".to_owned(), "Bearer re_123".to_owned()),
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("Accept".to_owned(), "application/json".to_owned()),
                (
                    "User-Agent".to_owned(),
                    format!("lunar/{}", env!("CARGO_PKG_VERSION"))
                ),
            ]
        );
        assert_eq!(sent.timeout, Some(Duration::from_secs(60)));
        assert_eq!(
            body(&sent),
            concat!(
                r#"{"from":"Acme <a@example.com>","to":["b@example.com","c@example.com"],"#,
                r#""subject":"Report","bcc":["bcc@example.com"],"cc":["cc@example.com"],"#,
                r#""reply_to":"r@example.com","html":"<p>html</p>","text":"plain","#,
                r#""tags":[{"name":"category","value":"report"}],"#,
                r#""headers":{"X-Entity-Ref":"42","password":"hunter2"},"#,
                r#""scheduled_at":"2025-01-01T12:00:00Z"}"#
            )
        );
    }

    #[tokio::test]
    async fn empty_fields_are_omitted() {
        let (host, http, _) = test_host(&[KEY]);
        http.reply(200, "OK", r#"{"id":"em_1"}"#);
        let msg = EmailMessage {
            html: Some(String::new()),
            reply_to: Some(String::new()),
            scheduled_at: Some(String::new()),
            ..message()
        };
        send(&host, msg).await.unwrap();
        assert_eq!(
            body(&http.only()),
            r#"{"from":"a@example.com","to":["b@example.com"],"subject":"Hi","text":"hello"}"#
        );
    }

    #[tokio::test]
    async fn api_key_is_trimmed() {
        for raw in ["re_123", "  re_123  ", "'re_123'", " 're_123' "] {
            let (host, http, _) = test_host(&[("RESEND_API_KEY", raw)]);
            http.reply(200, "OK", r#"{"id":"x"}"#);
            send(&host, message()).await.unwrap();
            assert_eq!(
                header(&http.only(), "Authorization"),
                Some("Bearer re_123"),
                "{raw:?}"
            );
        }
    }

    #[tokio::test]
    async fn missing_api_key_is_tracked() {
        for env in [
            &[][..],
            &[("RESEND_API_KEY", "")][..],
            &[("RESEND_API_KEY", " '' ")][..],
        ] {
            let (host, http, tracker) = test_host(env);
            let err = send(&host, message()).await.unwrap_err();
            assert_eq!(err, "RESEND_API_KEY not set in function environment");
            assert!(http.sent().is_empty());
            let rows = tracker.email_rows();
            assert_eq!(rows.len(), 1);
            let row = &rows[0];
            assert_eq!(row.request_json, "");
            assert_eq!(row.response_json, None);
            assert_eq!(row.status, CallStatus::Error);
            assert_eq!(row.error_message.as_deref(), Some(err.as_str()));
            assert_eq!(row.email_id, None);
            assert_eq!(row.from, "a@example.com");
            assert!(row.has_text);
            assert!(!row.has_html);
        }
    }

    #[tokio::test]
    async fn base_url_from_env() {
        for (base, expected) in [
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000/emails"),
            ("http://mock.local/api/", "http://mock.local/api/emails"),
            ("http://mock.local/api", "http://mock.local/emails"),
            ("", "https://api.resend.com/emails"),
        ] {
            let (host, http, _) = test_host(&[KEY, ("RESEND_BASE_URL", base)]);
            http.reply(200, "OK", r#"{"id":"x"}"#);
            send(&host, message()).await.unwrap();
            assert_eq!(http.only().url, expected, "{base}");
        }
    }

    #[tokio::test]
    async fn provider_errors() {
        for (status, reason, body, expected) in [
            (
                422,
                "Unprocessable Entity",
                r#"{"statusCode":422,"name":"validation_error","message":"Invalid `to` field."}"#,
                "[ERROR]: Invalid `to` field.",
            ),
            (401, "Unauthorized", "", "[ERROR]: Unauthorized"),
            (
                500,
                "Internal Server Error",
                "oops",
                "[ERROR]: Internal Server Error",
            ),
            (403, "Forbidden", r#"{"message":""}"#, "[ERROR]: Forbidden"),
            (
                429,
                "Too Many Requests",
                r#"{"message":7}"#,
                "[ERROR]: Too Many Requests",
            ),
            (302, "Found", r#"{"message":"moved"}"#, "[ERROR]: moved"),
            (599, "", "", "[ERROR]: 599"),
        ] {
            let (host, http, tracker) = test_host(&[KEY]);
            http.reply(status, reason, body);
            let err = send(&host, message()).await.unwrap_err();
            assert_eq!(err, expected, "{status} {body}");
            let row = &tracker.email_rows()[0];
            assert_eq!(row.status, CallStatus::Error);
            assert_eq!(row.error_message.as_deref(), Some(expected));
            assert_eq!(row.response_json, None);
            assert_eq!(row.email_id, None);
            assert!(!row.request_json.is_empty());
        }
    }

    #[tokio::test]
    async fn success_body_must_be_json() {
        let (host, http, _) = test_host(&[KEY]);
        http.reply(200, "OK", "not json");
        let err = send(&host, message()).await.unwrap_err();
        assert!(err.starts_with("failed to parse response: "), "{err}");

        let (host, http, _) = test_host(&[KEY]);
        http.reply(202, "Accepted", r#"{"id":"em_2","extra":true}"#);
        assert_eq!(send(&host, message()).await.unwrap(), "em_2");
    }

    #[tokio::test]
    async fn network_failure() {
        let (host, http, tracker) = test_host(&[KEY]);
        let error = OutboundError::Request("operation timed out".to_owned());
        http.fail(error);
        let err = send(&host, message()).await.unwrap_err();
        assert_eq!(err, "HTTP request failed: operation timed out");
        assert_eq!(
            tracker.email_rows()[0].error_message.as_deref(),
            Some(err.as_str())
        );
    }

    #[tokio::test]
    async fn no_http_client() {
        let (mut host, _, tracker) = test_host(&[KEY]);
        host.http = None;
        let err = send(&host, message()).await.unwrap_err();
        assert_eq!(err, "HTTP request failed: outbound HTTP is not configured");
        assert!(!tracker.email_rows()[0].request_json.is_empty());
    }

    #[tokio::test]
    async fn success_is_tracked_and_masked() {
        let (host, http, tracker) = test_host(&[KEY]);
        http.reply(200, "OK", r#"{"id":"em_9"}"#);
        send(&host, full_message()).await.unwrap();
        let rows = tracker.email_rows();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert!(is_xid(&row.id), "{}", row.id);
        assert_eq!(row.execution_id, "exec1");
        assert_eq!(row.from, "Acme <a@example.com>");
        assert_eq!(row.to, vec!["b@example.com", "c@example.com"]);
        assert_eq!(row.subject, "Report");
        assert!(row.has_text);
        assert!(row.has_html);
        // Masked and re-serialised with sorted keys; the header named `password` is
        // redacted in the stored copy only.
        assert_eq!(
            row.request_json,
            concat!(
                r#"{"bcc":["bcc@example.com"],"cc":["cc@example.com"],"from":"Acme <a@example.com>","#,
                r#""headers":{"X-Entity-Ref":"42","password":"[REDACTED]"},"html":"<p>html</p>","#,
                r#""reply_to":"r@example.com","scheduled_at":"2025-01-01T12:00:00Z","#,
                r#""subject":"Report","tags":[{"name":"category","value":"report"}],"#,
                r#""text":"plain","to":["b@example.com","c@example.com"]}"#
            )
        );
        assert!(body(&http.only()).contains(r#""password":"hunter2""#));
        assert_eq!(row.response_json.as_deref(), Some(r#"{"id":"em_9"}"#));
        assert_eq!(row.status, CallStatus::Success);
        assert_eq!(row.error_message, None);
        assert_eq!(row.email_id.as_deref(), Some("em_9"));
        assert!(row.duration_ms >= 0);
        assert_eq!(row.created_at, NOW);
    }

    #[tokio::test]
    async fn minimal_request_is_tracked() {
        let (host, http, tracker) = test_host(&[KEY]);
        http.reply(200, "OK", r#"{"id":"em_1"}"#);
        let msg = EmailMessage {
            text: None,
            html: Some("<b>x</b>".to_owned()),
            ..message()
        };
        send(&host, msg).await.unwrap();
        let row = &tracker.email_rows()[0];
        assert_eq!(
            row.request_json,
            r#"{"from":"a@example.com","html":"<b>x</b>","subject":"Hi","to":["b@example.com"]}"#
        );
        assert!(!row.has_text);
        assert!(row.has_html);
    }

    #[tokio::test]
    async fn tracking_failures_are_ignored() {
        let (mut host, http, _) = test_host(&[KEY]);
        let broken = Arc::new(MemTracker {
            broken: true,
            ..MemTracker::default()
        });
        host.email = Some(broken.clone());
        http.reply(200, "OK", r#"{"id":"em_1"}"#);
        assert_eq!(send(&host, message()).await.unwrap(), "em_1");
        assert!(broken.email_rows().is_empty());

        host.email = None;
        assert!(send(&host, message()).await.is_err());
    }
}
