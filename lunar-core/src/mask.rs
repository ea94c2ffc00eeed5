//! Masking of obvious secrets in what Lunar stores.
//!
//! What a function sees is never masked; what is stored (the event copy in
//! `event_json`, AI and e-mail request/response copies, log messages) goes through
//! these functions first. The replacement is always [`REDACTED`], and all keyword
//! matching is ASCII case-insensitive.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// The text that replaces every masked value.
pub const REDACTED: &str = "[REDACTED]";

/// A header is sensitive when its lower-cased name contains any of these.
const HEADER_KEYWORDS: [&str; 10] = [
    "authorization",
    "cookie",
    "x-api-key",
    "x-auth-token",
    "proxy-authorization",
    "token",
    "key",
    "secret",
    "password",
    "auth",
];

/// A query parameter is sensitive when its lower-cased key contains any of these.
const QUERY_KEYWORDS: [&str; 8] = [
    "api_key",
    "apikey",
    "access_token",
    "token",
    "secret",
    "password",
    "auth",
    "key",
];

/// A JSON member is sensitive when its lower-cased key equals one of these, or
/// starts with one of them followed by `_` or `-`.
const JSON_KEYWORDS: [&str; 13] = [
    "password",
    "secret",
    "api_key",
    "apikey",
    "access_token",
    "private_key",
    "client_secret",
    "token",
    "auth",
    "authorization",
    "bearer",
    "credential",
    "credentials",
];

/// The log-message rules, applied in this order.
///
/// `\s` of the specification is spelled `[\t\n\f\r ]`, and every pattern runs with
/// Unicode disabled (`(?-u)`), so `(?i)` folds ASCII letters only (no Kelvin sign
/// for `k`, no long s for `s`). The classes are all ASCII, so the patterns can only
/// match valid UTF-8.
const LOG_PATTERNS: [&str; 6] = [
    // 1. JWT
    r"(?-u)eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*",
    // 2. Bearer tokens
    r"(?i-u)bearer[\t\n\f\r ]+[A-Za-z0-9_.-]+",
    // 3. API keys
    r"(?i-u)(api[_-]?key|apikey|key)[\t\n\f\r :=]+[A-Za-z0-9_-]{15,}",
    // 4. tokens, secrets, passwords
    r"(?i-u)(token|secret|password)[\t\n\f\r :=]+[A-Za-z0-9_-]{10,}",
    // 5. AWS access key ids
    r"(?-u)AKIA[0-9A-Z]{16}",
    // 6. base64 secrets
    r"(?i-u)(secret|token|password)[\t\n\f\r :=]+[A-Za-z0-9+/]{40,}={0,2}",
];

static LOG_RULES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    LOG_PATTERNS
        .iter()
        .map(|pattern| Regex::new(pattern).expect("log masking patterns are valid"))
        .collect()
});

/// Masks sensitive HTTP headers: the value of every header whose lower-cased name
/// contains a sensitive keyword (`authorization`, `cookie`, `token`, `key`, `secret`,
/// `password`, `auth`, ...) becomes [`REDACTED`]; names are kept.
///
/// ```
/// use std::collections::BTreeMap;
/// use lunar_core::mask::mask_headers;
///
/// let headers = BTreeMap::from([
///     ("Authorization".to_owned(), "Bearer abc".to_owned()),
///     ("Accept".to_owned(), "*/*".to_owned()),
/// ]);
/// let masked = mask_headers(&headers);
/// assert_eq!(masked["Authorization"], "[REDACTED]");
/// assert_eq!(masked["Accept"], "*/*");
/// ```
#[must_use]
pub fn mask_headers(headers: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    mask_by_name(headers, &HEADER_KEYWORDS)
}

/// Masks sensitive query parameters: the value of every parameter whose lower-cased
/// key contains a sensitive keyword (`api_key`, `apikey`, `access_token`, `token`,
/// `secret`, `password`, `auth`, `key`) becomes [`REDACTED`]; keys are kept.
///
/// `limit`, `id` and `user_id` stay; `monkey` is masked (it contains `key`).
#[must_use]
pub fn mask_query(query: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    mask_by_name(query, &QUERY_KEYWORDS)
}

fn mask_by_name(map: &BTreeMap<String, String>, keywords: &[&str]) -> BTreeMap<String, String> {
    map.iter()
        .map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            let value = if keywords.iter().any(|keyword| lower.contains(keyword)) {
                REDACTED.to_owned()
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect()
}

/// Masks a JSON text (an event body, or an AI / e-mail request or response copy).
///
/// When `text` parses as JSON, sensitive members are replaced (see
/// [`mask_json_value`]) and the result is re-serialised compactly with object keys
/// sorted. Empty, non-JSON or invalid text is returned unchanged.
///
/// ```
/// use lunar_core::mask::mask_json_text;
///
/// assert_eq!(
///     mask_json_text(r#"{ "user": "ann", "password": "hunter2" }"#),
///     r#"{"password":"[REDACTED]","user":"ann"}"#,
/// );
/// assert_eq!(mask_json_text("not json"), "not json");
/// ```
#[must_use]
pub fn mask_json_text(text: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(text) else {
        return text.to_owned();
    };
    mask_json_value(&mut value);
    // Keys are sorted explicitly: serde_json keeps insertion order when any crate in
    // the host's build enables its `preserve_order` feature.
    serde_json::to_string(&SortedKeys(&value)).unwrap_or_else(|_| text.to_owned())
}

/// Masks a JSON value in place, walking objects and arrays recursively.
///
/// A member is replaced by the string [`REDACTED`] (its whole value, even an object
/// or array) when its lower-cased key equals one of `password`, `secret`, `api_key`,
/// `apikey`, `access_token`, `private_key`, `client_secret`, `token`, `auth`,
/// `authorization`, `bearer`, `credential`, `credentials`, or starts with one of
/// them followed by `_` or `-`. So `auth_token`, `token_type` and `password-hint`
/// are masked, while `completion_tokens`, `max_tokens`, `refresh_token` and
/// `username` are not.
pub fn mask_json_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if is_sensitive_json_key(key) {
                    *member = Value::String(REDACTED.to_owned());
                } else {
                    mask_json_value(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json_value),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

fn is_sensitive_json_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    JSON_KEYWORDS.iter().any(|keyword| {
        lower
            .strip_prefix(keyword)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('_') || rest.starts_with('-'))
    })
}

/// Serialises a [`Value`] with the members of every object in key order, whatever
/// the map implementation of `serde_json` in this build.
struct SortedKeys<'a>(&'a Value);

impl Serialize for SortedKeys<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                members.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut out = serializer.serialize_map(Some(members.len()))?;
                for (key, member) in members {
                    out.serialize_entry(key, &SortedKeys(member))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&SortedKeys(item))?;
                }
                out.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

/// Masks secrets in a log message.
///
/// Six rules are applied in order, each match replaced by [`REDACTED`]: JWTs,
/// `Bearer <token>`, `key: <15+ chars>` (also `api_key`, `api-key`, `apikey`),
/// `token|secret|password: <10+ chars>`, AWS access key ids (`AKIA...`), and
/// `secret|token|password: <40+ base64 chars>`. Keywords match ASCII
/// case-insensitively; the separator is any run of whitespace, `:` and `=`.
///
/// ```
/// use lunar_core::mask::mask_log_message;
///
/// assert_eq!(
///     mask_log_message("Authorization: Bearer abc123def456"),
///     "Authorization: [REDACTED]",
/// );
/// ```
#[must_use]
pub fn mask_log_message(message: &str) -> String {
    let mut masked = message.to_owned();
    for rule in LOG_RULES.iter() {
        if rule.is_match(&masked) {
            masked = rule.replace_all(&masked, REDACTED).into_owned();
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    // ---- headers ----------------------------------------------------------------

    #[test]
    fn headers_sensitive_names_are_masked_and_kept() {
        let headers = map(&[
            ("Authorization", "Bearer abc"),
            ("Cookie", "sid=1"),
            ("X-Api-Key", "k"),
            ("X-Auth-Token", "t"),
            ("Proxy-Authorization", "Basic xyz"),
            ("X-Session-Token", "t2"),
            ("X-Key-Id", "kid"),
            ("X-Client-Secret", "s"),
            ("X-Password", "p"),
            ("X-Oauth", "o"),
        ]);
        let masked = mask_headers(&headers);
        assert_eq!(masked.len(), headers.len());
        for name in headers.keys() {
            assert_eq!(masked[name], REDACTED, "{name}");
        }
    }

    #[test]
    fn headers_other_names_are_kept() {
        let headers = map(&[
            ("Content-Type", "application/json"),
            ("Accept", "*/*"),
            ("User-Agent", "curl/8"),
            ("X-Request-Id", "42"),
        ]);
        assert_eq!(mask_headers(&headers), headers);
    }

    #[test]
    fn headers_match_case_insensitively() {
        let masked = mask_headers(&map(&[("AUTHORIZATION", "x"), ("x-API-KEY", "y")]));
        assert_eq!(masked["AUTHORIZATION"], REDACTED);
        assert_eq!(masked["x-API-KEY"], REDACTED);
    }

    #[test]
    fn headers_case_folding_is_ascii_only() {
        // U+212A KELVIN SIGN is not an ASCII `k`.
        let masked = mask_headers(&map(&[("X-\u{212A}ey", "v")]));
        assert_eq!(masked["X-\u{212A}ey"], "v");
    }

    #[test]
    fn headers_empty_map() {
        assert!(mask_headers(&BTreeMap::new()).is_empty());
    }

    // ---- query ------------------------------------------------------------------

    #[test]
    fn query_spec_examples() {
        let query = map(&[
            ("limit", "10"),
            ("id", "7"),
            ("user_id", "3"),
            ("monkey", "banana"),
        ]);
        let masked = mask_query(&query);
        assert_eq!(masked["limit"], "10");
        assert_eq!(masked["id"], "7");
        assert_eq!(masked["user_id"], "3");
        assert_eq!(masked["monkey"], REDACTED);
    }

    #[test]
    fn query_sensitive_keys_are_masked() {
        let query = map(&[
            ("api_key", "a"),
            ("apikey", "b"),
            ("access_token", "c"),
            ("token", "d"),
            ("client_secret", "e"),
            ("password", "f"),
            ("oauth", "g"),
            ("Key", "h"),
            ("API_KEY", "i"),
        ]);
        let masked = mask_query(&query);
        for name in query.keys() {
            assert_eq!(masked[name], REDACTED, "{name}");
        }
    }

    #[test]
    fn query_uses_its_own_keyword_list() {
        // `cookie` is a header keyword, not a query keyword.
        let masked = mask_query(&map(&[("cookie", "c"), ("page", "2")]));
        assert_eq!(masked["cookie"], "c");
        assert_eq!(masked["page"], "2");
    }

    // ---- JSON -------------------------------------------------------------------

    #[test]
    fn json_spec_examples() {
        let text = r#"{"auth_token":"a","token_type":"bearer","password-hint":"pet",
            "completion_tokens":12,"max_tokens":100,"refresh_token":"r","username":"ann"}"#;
        assert_eq!(
            mask_json_text(text),
            r#"{"auth_token":"[REDACTED]","completion_tokens":12,"max_tokens":100,"password-hint":"[REDACTED]","refresh_token":"r","token_type":"[REDACTED]","username":"ann"}"#
        );
    }

    #[test]
    fn json_every_keyword_is_masked_on_equality() {
        for keyword in JSON_KEYWORDS {
            let text = format!(r#"{{"{keyword}":"v"}}"#);
            assert_eq!(
                mask_json_text(&text),
                format!(r#"{{"{keyword}":"[REDACTED]"}}"#),
                "{keyword}"
            );
        }
    }

    #[test]
    fn json_key_match_rules() {
        for key in [
            "Password",
            "TOKEN",
            "Api_Key",
            "secret_value",
            "bearer-token",
            "credentials_file",
            "auth_",
            "token-",
        ] {
            assert!(is_sensitive_json_key(key), "{key} should be masked");
        }
        for key in [
            "tokens",
            "my_token",
            "passwords",
            "authority",
            "author",
            "secretary",
            "api",
            "key",
            "private",
            "token.type",
            "tokenizer",
            "",
        ] {
            assert!(!is_sensitive_json_key(key), "{key} should be kept");
        }
        // ASCII-only folding: U+212A KELVIN SIGN does not fold to `k`.
        assert!(!is_sensitive_json_key("api_\u{212A}ey"));
    }

    #[test]
    fn json_whole_value_is_replaced_even_objects_and_arrays() {
        let text =
            r#"{"credentials":{"user":"a","pass":"b"},"secret":[1,2],"token":null,"auth":false}"#;
        assert_eq!(
            mask_json_text(text),
            r#"{"auth":"[REDACTED]","credentials":"[REDACTED]","secret":"[REDACTED]","token":"[REDACTED]"}"#
        );
    }

    #[test]
    fn json_nested_objects_and_arrays() {
        let text = r#"{"user":{"name":"ann","password":"x","profile":{"api_key":"k","age":3}},
            "items":[{"token":"t","id":1},[{"secret":"s"}],"plain",4],"z":{"list":[]}}"#;
        assert_eq!(
            mask_json_text(text),
            r#"{"items":[{"id":1,"token":"[REDACTED]"},[{"secret":"[REDACTED]"}],"plain",4],"user":{"name":"ann","password":"[REDACTED]","profile":{"age":3,"api_key":"[REDACTED]"}},"z":{"list":[]}}"#
        );
    }

    #[test]
    fn json_top_level_array() {
        assert_eq!(
            mask_json_text(r#"[{"b":1,"a":2,"password":"p"}, {"x": "y"}]"#),
            r#"[{"a":2,"b":1,"password":"[REDACTED]"},{"x":"y"}]"#
        );
    }

    #[test]
    fn json_output_is_compact_and_sorted() {
        let text =
            "{\n  \"zeta\": 1,\n  \"alpha\": { \"d\": true, \"c\": null },\n  \"Mid\": \"m\"\n}\n";
        assert_eq!(
            mask_json_text(text),
            r#"{"Mid":"m","alpha":{"c":null,"d":true},"zeta":1}"#
        );
    }

    #[test]
    fn json_scalars_are_reserialised() {
        assert_eq!(mask_json_text(" 42 "), "42");
        assert_eq!(mask_json_text(r#""password""#), r#""password""#);
        assert_eq!(mask_json_text("null"), "null");
        assert_eq!(mask_json_text("true"), "true");
    }

    #[test]
    fn json_strings_keep_unicode_and_escapes() {
        assert_eq!(
            mask_json_text(r#"{"msg":"h\u00e9llo \"q\"\n","emoji":"😀"}"#),
            r#"{"emoji":"😀","msg":"héllo \"q\"\n"}"#
        );
    }

    #[test]
    fn json_invalid_or_empty_text_is_unchanged() {
        for text in [
            "",
            "   ",
            "not json",
            "password=hunter2",
            r#"{"password":"x""#,
            r#"{"password":"x"} trailing"#,
            "{'password': 'x'}",
        ] {
            assert_eq!(mask_json_text(text), text);
        }
    }

    #[test]
    fn json_value_is_masked_in_place() {
        let mut value = serde_json::json!({"a": {"secret": 1}, "b": [{"auth": 2}], "c": 3});
        mask_json_value(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"a": {"secret": REDACTED}, "b": [{"auth": REDACTED}], "c": 3})
        );
    }

    // ---- log messages -----------------------------------------------------------

    #[test]
    fn log_spec_examples() {
        assert_eq!(
            mask_log_message("Authorization: Bearer abc123def456"),
            "Authorization: [REDACTED]"
        );
        assert_eq!(
            mask_log_message("Using API key: sk_live_51234567890abcdefghij"),
            "Using API [REDACTED]"
        );
        assert_eq!(
            mask_log_message("AWS credentials: AKIAIOSFODNN7EXAMPLE"),
            "AWS credentials: [REDACTED]"
        );
    }

    #[test]
    fn log_rule1_jwt() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(
            mask_log_message(&format!("got jwt {jwt} ok")),
            "got jwt [REDACTED] ok"
        );
        // All three parts may be empty after the prefixes.
        assert_eq!(mask_log_message("x eyJ.eyJ. y"), "x [REDACTED] y");
        // The prefix is case-sensitive.
        assert_eq!(mask_log_message("EYJa.EYJb.c"), "EYJa.EYJb.c");
    }

    #[test]
    fn log_rule2_bearer() {
        assert_eq!(mask_log_message("bearer a.b-c_d"), "[REDACTED]");
        assert_eq!(mask_log_message("BEARER\t\tXyZ rest"), "[REDACTED] rest");
        assert_eq!(mask_log_message("Bearer\n\r\x0Ctok"), "[REDACTED]");
        // A separator is required, and `:` is not one for this rule.
        assert_eq!(mask_log_message("Bearer:abc"), "Bearer:abc");
        assert_eq!(mask_log_message("Bearerabc"), "Bearerabc");
    }

    #[test]
    fn log_rule3_api_key() {
        let value = "abcdefghij_-12345"; // 17 characters
        for prefix in ["api_key", "API-KEY", "apikey", "ApiKey", "key", "KEY"] {
            for sep in [": ", "=", " ", " = ", "\t:"] {
                assert_eq!(
                    mask_log_message(&format!("{prefix}{sep}{value}!")),
                    "[REDACTED]!",
                    "{prefix}{sep}"
                );
            }
        }
        // Exactly 15 characters is enough; 14 is not (and no other rule matches).
        assert_eq!(mask_log_message("key=abcdefghijklmno"), "[REDACTED]");
        assert_eq!(mask_log_message("key=abcdefghijklmn"), "key=abcdefghijklmn");
        // `api key` (with a space): only `key ...` is matched.
        assert_eq!(
            mask_log_message("my api key 123456789012345"),
            "my api [REDACTED]"
        );
    }

    #[test]
    fn log_rule4_token_secret_password() {
        assert_eq!(mask_log_message("token=abcdef123456&x=1"), "[REDACTED]&x=1");
        assert_eq!(mask_log_message("Password: hunter2hunter2"), "[REDACTED]");
        assert_eq!(mask_log_message("SECRET   0123456789"), "[REDACTED]");
        assert_eq!(
            mask_log_message("access_token: abcdefghij"),
            "access_[REDACTED]"
        );
        // Nine characters are not enough.
        assert_eq!(mask_log_message("token=abcdefghi"), "token=abcdefghi");
    }

    #[test]
    fn log_rule5_aws_access_key_id() {
        assert_eq!(
            mask_log_message("id AKIAIOSFODNN7EXAMPLE."),
            "id [REDACTED]."
        );
        // Lower-case letters are not part of an access key id.
        assert_eq!(
            mask_log_message("AKIAiosfodnn7example"),
            "AKIAiosfodnn7example"
        );
        assert_eq!(mask_log_message("AKIA123"), "AKIA123");
    }

    #[test]
    fn log_rule6_base64_secret() {
        // The run before the first `+` is shorter than 10, so rule 4 does not match.
        let value = "abc+def/ghi+jkl/mno+pqr/stu+vwx/yz0+123/456+789==";
        assert_eq!(
            mask_log_message(&format!("secret: {value} end")),
            "[REDACTED] end"
        );
        assert_eq!(mask_log_message(&format!("TOKEN={value}")), "[REDACTED]");
        // At most two padding characters are consumed.
        assert_eq!(
            mask_log_message("password abcd+abcd+abcd+abcd+abcd+abcd+abcd+abcd+==="),
            "[REDACTED]="
        );
        // 39 base64 characters are not enough.
        let short = "a+b/c+d/e+f/g+h/i+j/k+l/m+n/o+p/q+r/s+t";
        assert_eq!(short.len(), 39);
        let text = format!("secret {short}");
        assert_eq!(mask_log_message(&text), text);
    }

    #[test]
    fn log_rules_apply_in_order() {
        // Rule 4 masks the leading run first; rule 6 then no longer matches.
        assert_eq!(
            mask_log_message("secret: abcdefghijkl+/mnopqrstuvwxyz0123456789ABCDEFGHIJ"),
            "[REDACTED]+/mnopqrstuvwxyz0123456789ABCDEFGHIJ"
        );
        // Several secrets in one message.
        assert_eq!(
            mask_log_message(
                "Bearer abc key=123456789012345678 AKIAIOSFODNN7EXAMPLE token=abcdefghijk"
            ),
            "[REDACTED] [REDACTED] [REDACTED] [REDACTED]"
        );
    }

    #[test]
    fn log_case_folding_is_ascii_only() {
        // U+212A KELVIN SIGN and U+017F LATIN SMALL LETTER LONG S would fold to `k`
        // and `s` under Unicode case folding.
        let kelvin = "\u{212A}ey=abcdefghijklmnopq";
        assert_eq!(mask_log_message(kelvin), kelvin);
        let long_s = "\u{17F}ecret=abcdefghijkl";
        assert_eq!(mask_log_message(long_s), long_s);
    }

    #[test]
    fn log_whitespace_is_ascii_only() {
        // U+00A0 NO-BREAK SPACE and U+000B VERTICAL TAB are not `\s`.
        let nbsp = "Bearer\u{A0}abc";
        assert_eq!(mask_log_message(nbsp), nbsp);
        let vt = "Bearer\u{B}abc";
        assert_eq!(mask_log_message(vt), vt);
    }

    #[test]
    fn log_plain_messages_are_unchanged() {
        for text in [
            "",
            "hello world",
            "user 42 logged in",
            "key: short",
            "tokens: 12",
        ] {
            assert_eq!(mask_log_message(text), text);
        }
    }
}
