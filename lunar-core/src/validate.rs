//! Request bodies of the REST API and their validation.
//!
//! Each `validate` returns [`Error::InvalidInput`] naming the field, whose `Display` is the
//! exact API message (`name: name cannot be empty`).

use std::collections::BTreeMap;

use serde::Deserialize;

pub use crate::limits::LimitCeilings;
use crate::model::{CronStatus, FunctionLimits, FunctionUpdate, Isolation, NewFunction, Timestamp};
use crate::{Error, Result};

/// Longest name (trimmed, bytes).
pub const MAX_NAME_BYTES: usize = 100;
/// Longest description (bytes).
pub const MAX_DESCRIPTION_BYTES: usize = 500;
/// Longest code (bytes).
pub const MAX_CODE_BYTES: usize = 1_048_576;
/// Most environment variables per function.
pub const MAX_ENV_VARS: usize = 100;
/// Longest environment variable key.
pub const MAX_ENV_KEY_BYTES: usize = 100;
/// Longest environment variable value.
pub const MAX_ENV_VALUE_BYTES: usize = 10_000;
/// Allowed retention periods.
pub const RETENTION_DAYS: [i64; 4] = [7, 15, 30, 365];

/// `POST /api/functions` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateFunctionRequest {
    /// Name (required).
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Code of version 1 (required).
    #[serde(default)]
    pub code: String,
    /// `warm` / `fresh`; absent means `warm`.
    #[serde(default)]
    pub isolation: Option<String>,
}

impl CreateFunctionRequest {
    /// Validates name, description, code and isolation, in that order.
    pub fn validate(&self) -> Result<()> {
        self.checked().map(|_| ())
    }

    /// Validates and turns the request into a [`NewFunction`].
    pub fn into_new_function(self, id: String, now: Timestamp) -> Result<NewFunction> {
        let isolation = self.checked()?;
        Ok(NewFunction {
            id,
            name: self.name,
            description: self.description,
            code: self.code,
            isolation,
            now,
        })
    }

    /// Validates and returns the isolation mode to store.
    fn checked(&self) -> Result<Isolation> {
        validate_name(&self.name)?;
        if let Some(d) = &self.description {
            validate_description(d)?;
        }
        validate_code(&self.code)?;
        Ok(parse_isolation(self.isolation.as_deref())?.unwrap_or_default())
    }
}

/// Per-function limit overrides as sent (integers; ranges checked by validation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct LimitsRequest {
    /// Timeout in seconds.
    #[serde(default)]
    pub timeout_seconds: Option<i64>,
    /// Heap in MiB.
    #[serde(default)]
    pub memory_mb: Option<i64>,
    /// Request body cap.
    #[serde(default)]
    pub max_request_body_bytes: Option<i64>,
    /// Response body cap.
    #[serde(default)]
    pub max_response_body_bytes: Option<i64>,
    /// Log entry cap.
    #[serde(default)]
    pub max_log_entries: Option<i64>,
    /// Executions in flight at once.
    #[serde(default)]
    pub max_concurrency: Option<i64>,
    /// CPU time per execution in ms.
    #[serde(default)]
    pub cpu_time_ms: Option<i64>,
}

impl LimitsRequest {
    /// Checks each member against `[min, ceiling]` and converts.
    pub fn validate(&self, ceilings: &LimitCeilings) -> Result<FunctionLimits> {
        fn check(name: &str, v: Option<i64>, min: u64, max: u64) -> Result<Option<u64>> {
            match v {
                None => Ok(None),
                Some(v) => match u64::try_from(v) {
                    Ok(u) if (min..=max).contains(&u) => Ok(Some(u)),
                    _ => Err(Error::invalid(
                        "limits",
                        format!("{name} must be between {min} and {max}"),
                    )),
                },
            }
        }
        Ok(FunctionLimits {
            timeout_seconds: check(
                "timeout_seconds",
                self.timeout_seconds,
                1,
                ceilings.timeout_seconds,
            )?,
            memory_mb: check("memory_mb", self.memory_mb, 16, ceilings.memory_mb)?,
            max_request_body_bytes: check(
                "max_request_body_bytes",
                self.max_request_body_bytes,
                1,
                ceilings.max_request_body_bytes,
            )?,
            max_response_body_bytes: check(
                "max_response_body_bytes",
                self.max_response_body_bytes,
                1,
                ceilings.max_response_body_bytes,
            )?,
            max_log_entries: check(
                "max_log_entries",
                self.max_log_entries,
                0,
                ceilings.max_log_entries,
            )?,
            max_concurrency: check(
                "max_concurrency",
                self.max_concurrency,
                1,
                ceilings.max_concurrency,
            )?,
            cpu_time_ms: check("cpu_time_ms", self.cpu_time_ms, 1, ceilings.cpu_time_ms)?,
        })
    }
}

/// `PUT /api/functions/{id}` body; JSON `null` means "not provided".
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UpdateFunctionRequest {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New code (creates a version).
    #[serde(default)]
    pub code: Option<String>,
    /// Disabled flag.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Retention.
    #[serde(default)]
    pub retention_days: Option<i64>,
    /// Schedule (`""` clears).
    #[serde(default)]
    pub cron_schedule: Option<String>,
    /// `active` / `paused`.
    #[serde(default)]
    pub cron_status: Option<String>,
    /// Save responses.
    #[serde(default)]
    pub save_response: Option<bool>,
    /// Limit overrides (replace the whole set).
    #[serde(default)]
    pub limits: Option<LimitsRequest>,
    /// `warm` / `fresh`.
    #[serde(default)]
    pub isolation: Option<String>,
}

impl UpdateFunctionRequest {
    /// True when a field touching the schedule was given (the scheduler must refresh).
    #[must_use]
    pub fn touches_schedule(&self) -> bool {
        self.cron_schedule.is_some() || self.cron_status.is_some() || self.disabled.is_some()
    }

    /// Validates in the order presence, name, description, code, retention_days,
    /// cron_schedule, cron_status, limits, isolation, and converts to a [`FunctionUpdate`].
    pub fn validate(&self, ceilings: &LimitCeilings, now: Timestamp) -> Result<FunctionUpdate> {
        let none = self.name.is_none()
            && self.description.is_none()
            && self.code.is_none()
            && self.disabled.is_none()
            && self.retention_days.is_none()
            && self.cron_schedule.is_none()
            && self.cron_status.is_none()
            && self.save_response.is_none()
            && self.limits.is_none()
            && self.isolation.is_none();
        if none {
            return Err(Error::invalid(
                "request",
                "at least one field must be provided for update",
            ));
        }
        if let Some(n) = &self.name {
            validate_name(n)?;
        }
        if let Some(d) = &self.description {
            validate_description(d)?;
        }
        if let Some(c) = &self.code {
            validate_code(c)?;
        }
        if let Some(r) = self.retention_days {
            validate_retention_days(r)?;
        }
        if let Some(s) = &self.cron_schedule {
            validate_cron_schedule(s)?;
        }
        let cron_status = match &self.cron_status {
            Some(s) => Some(CronStatus::parse(s).ok_or_else(|| {
                Error::invalid("cron_status", "cron_status must be one of: [active paused]")
            })?),
            None => None,
        };
        let limits = match &self.limits {
            Some(l) => Some(l.validate(ceilings)?),
            None => None,
        };
        let isolation = parse_isolation(self.isolation.as_deref())?;
        Ok(FunctionUpdate {
            name: self.name.clone(),
            description: self.description.clone(),
            code: self.code.clone(),
            disabled: self.disabled,
            retention_days: self.retention_days,
            cron_schedule: self.cron_schedule.clone(),
            cron_status,
            save_response: self.save_response,
            limits,
            isolation,
            now,
        })
    }
}

/// `PUT /api/functions/{id}/env` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EnvVarsRequest {
    /// The complete new set (required).
    #[serde(default)]
    pub env_vars: Option<BTreeMap<String, String>>,
}

impl EnvVarsRequest {
    /// Validates nil, count, then each entry in ascending key order (key, then value), and
    /// returns the map.
    pub fn validate(self) -> Result<BTreeMap<String, String>> {
        let vars = self
            .env_vars
            .ok_or_else(|| Error::invalid("env_vars", "env_vars cannot be nil"))?;
        if vars.len() > MAX_ENV_VARS {
            return Err(Error::invalid(
                "env_vars",
                format!("cannot have more than {MAX_ENV_VARS} environment variables"),
            ));
        }
        for (k, v) in &vars {
            validate_env_key(k)?;
            validate_env_value(v)?;
        }
        Ok(vars)
    }
}

/// `PUT /api/functions/{id}/kv/{key}` body: the value to store.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KvSetRequest {
    /// The new value (required, a string).
    #[serde(default)]
    pub value: Option<serde_json::Value>,
}

impl KvSetRequest {
    /// Validates `key` (from the path) then the value against the KV limits the functions
    /// themselves get, and returns the value.
    pub fn validate(self, key: &str, limits: &crate::runtime::Limits) -> Result<String> {
        validate_kv_key(key, limits)?;
        let value = match self.value {
            None | Some(serde_json::Value::Null) => {
                return Err(Error::invalid("value", "value is required"));
            }
            Some(serde_json::Value::String(s)) => s,
            Some(_) => return Err(Error::invalid("value", "value must be a string")),
        };
        if let Some(message) = kv_value_too_long(&value, limits.max_kv_value_bytes) {
            return Err(Error::invalid("value", message));
        }
        Ok(value)
    }
}

/// A KV key named by the API: not empty, at most the functions' key limit.
pub(crate) fn validate_kv_key(key: &str, limits: &crate::runtime::Limits) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid("key", "key cannot be empty"));
    }
    if let Some(message) = kv_key_too_long(key, limits.max_kv_key_bytes) {
        return Err(Error::invalid("key", message));
    }
    Ok(())
}

/// The message for a KV key longer than `max` bytes: functions get it as a `RangeError`,
/// the API as a 400 on `key`.
#[must_use]
pub(crate) fn kv_key_too_long(key: &str, max: u64) -> Option<String> {
    (key.len() as u64 > max).then(|| format!("kv key cannot be longer than {max} bytes"))
}

/// The message for a KV value longer than `max` bytes (see [`kv_key_too_long`]).
#[must_use]
pub(crate) fn kv_value_too_long(value: &str, max: u64) -> Option<String> {
    (value.len() as u64 > max).then(|| format!("kv value cannot be longer than {max} bytes"))
}

/// `window` of the metrics route: `1h`, `24h` (the default when absent) or `7d`.
pub fn parse_metrics_window(value: Option<&str>) -> Result<crate::metrics::MetricsWindow> {
    value.map_or(Ok(crate::metrics::MetricsWindow::default()), |s| {
        crate::metrics::MetricsWindow::parse(s)
            .ok_or_else(|| Error::invalid("window", "window must be one of: [1h 24h 7d]"))
    })
}

/// `name` rules.
pub(crate) fn validate_name(name: &str) -> Result<()> {
    let t = name.trim();
    if t.is_empty() {
        return Err(Error::invalid("name", "name cannot be empty"));
    }
    if t.len() > MAX_NAME_BYTES {
        return Err(Error::invalid(
            "name",
            format!("name cannot be longer than {MAX_NAME_BYTES} characters"),
        ));
    }
    Ok(())
}

/// `description` rules.
pub(crate) fn validate_description(d: &str) -> Result<()> {
    if d.len() > MAX_DESCRIPTION_BYTES {
        return Err(Error::invalid(
            "description",
            format!("description cannot be longer than {MAX_DESCRIPTION_BYTES} characters"),
        ));
    }
    Ok(())
}

/// `code` rules.
pub(crate) fn validate_code(code: &str) -> Result<()> {
    if code.trim().is_empty() {
        return Err(Error::invalid("code", "code cannot be empty"));
    }
    if code.len() > MAX_CODE_BYTES {
        return Err(Error::invalid(
            "code",
            format!("code cannot be longer than {MAX_CODE_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// `retention_days` rules.
pub(crate) fn validate_retention_days(days: i64) -> Result<()> {
    if RETENTION_DAYS.contains(&days) {
        Ok(())
    } else {
        Err(Error::invalid(
            "retention_days",
            "retention_days must be one of: [7 15 30 365]",
        ))
    }
}

/// `isolation` rules: exactly `warm` or `fresh` when given.
pub(crate) fn parse_isolation(value: Option<&str>) -> Result<Option<Isolation>> {
    value
        .map(|s| {
            Isolation::parse(s).ok_or_else(|| {
                Error::invalid("isolation", "isolation must be one of: [warm fresh]")
            })
        })
        .transpose()
}

/// `cron_schedule` rules: empty clears; anything else must parse.
pub(crate) fn validate_cron_schedule(expr: &str) -> Result<()> {
    if expr.is_empty() {
        return Ok(());
    }
    crate::cron::validate(expr)
        .map_err(|e| Error::invalid("cron_schedule", format!("invalid cron expression: {e}")))
}

/// `env_var_key` rules.
pub(crate) fn validate_env_key(key: &str) -> Result<()> {
    if key.trim().is_empty() {
        return Err(Error::invalid(
            "env_var_key",
            "environment variable key cannot be empty",
        ));
    }
    if key.len() > MAX_ENV_KEY_BYTES {
        return Err(Error::invalid(
            "env_var_key",
            format!(
                "environment variable key cannot be longer than {MAX_ENV_KEY_BYTES} characters"
            ),
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::invalid(
            "env_var_key",
            "environment variable key can only contain letters, numbers, and underscores",
        ));
    }
    Ok(())
}

/// `env_var_value` rules.
pub(crate) fn validate_env_value(value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(
            "env_var_value",
            "environment variable value cannot be empty",
        ));
    }
    if value.len() > MAX_ENV_VALUE_BYTES {
        return Err(Error::invalid(
            "env_var_value",
            format!(
                "environment variable value cannot be longer than {MAX_ENV_VALUE_BYTES} characters"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<impl std::fmt::Debug>) -> String {
        r.expect_err("expected a validation error").to_string()
    }

    fn create(name: &str, desc: Option<&str>, code: &str) -> CreateFunctionRequest {
        CreateFunctionRequest {
            name: name.into(),
            description: desc.map(Into::into),
            code: code.into(),
            isolation: None,
        }
    }

    #[test]
    fn kv_set_messages() {
        let limits = crate::runtime::Limits::default();
        let set = |v: serde_json::Value| KvSetRequest { value: Some(v) };
        assert_eq!(set("x".into()).validate("k", &limits).expect("valid"), "x");
        assert_eq!(set("".into()).validate("k", &limits).expect("empty ok"), "");
        assert_eq!(
            msg(set("x".into()).validate("", &limits)),
            "key: key cannot be empty"
        );
        assert_eq!(
            msg(set("x".into()).validate(&"k".repeat(513), &limits)),
            "key: kv key cannot be longer than 512 bytes"
        );
        assert!(set("x".into()).validate(&"k".repeat(512), &limits).is_ok());
        assert_eq!(
            msg(KvSetRequest::default().validate("k", &limits)),
            "value: value is required"
        );
        assert_eq!(
            msg(set(serde_json::Value::Null).validate("k", &limits)),
            "value: value is required"
        );
        assert_eq!(
            msg(set(serde_json::json!(5)).validate("k", &limits)),
            "value: value must be a string"
        );
        assert_eq!(
            msg(set("v".repeat(1024 * 1024 + 1).into()).validate("k", &limits)),
            "value: kv value cannot be longer than 1048576 bytes"
        );
        // The key is checked before the value.
        assert_eq!(
            msg(KvSetRequest::default().validate("", &limits)),
            "key: key cannot be empty"
        );
    }

    #[test]
    fn metrics_window_values() {
        use crate::metrics::MetricsWindow;
        assert_eq!(
            parse_metrics_window(None).expect("default"),
            MetricsWindow::Day
        );
        assert_eq!(
            parse_metrics_window(Some("7d")).expect("7d"),
            MetricsWindow::Week
        );
        assert_eq!(
            msg(parse_metrics_window(Some("30d"))),
            "window: window must be one of: [1h 24h 7d]"
        );
    }

    #[test]
    fn create_messages_in_order() {
        assert_eq!(
            msg(create(" \t", None, "").validate()),
            "name: name cannot be empty"
        );
        assert_eq!(
            msg(create(&"n".repeat(101), None, "x").validate()),
            "name: name cannot be longer than 100 characters"
        );
        // Trimmed length counts: 100 bytes plus spaces is fine.
        assert!(
            create(&format!("  {}  ", "n".repeat(100)), None, "x")
                .validate()
                .is_ok()
        );
        // UTF-8 bytes, not characters: 51 × 'é' = 102 bytes.
        assert!(create(&"é".repeat(51), None, "x").validate().is_err());
        assert_eq!(
            msg(create("a", Some(&"d".repeat(501)), "").validate()),
            "description: description cannot be longer than 500 characters"
        );
        assert!(create("a", Some(""), "x").validate().is_ok());
        assert_eq!(
            msg(create("a", None, " \n ").validate()),
            "code: code cannot be empty"
        );
        assert_eq!(
            msg(create("a", None, &"x".repeat(MAX_CODE_BYTES + 1)).validate()),
            "code: code cannot be longer than 1048576 bytes"
        );
        assert!(
            create("a", None, &"x".repeat(MAX_CODE_BYTES))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn create_decodes_missing_fields_as_empty() {
        let r: CreateFunctionRequest = serde_json::from_str(r#"{"code":"x"}"#).expect("decode");
        assert_eq!(msg(r.validate()), "name: name cannot be empty");
        assert!(serde_json::from_str::<CreateFunctionRequest>(r#"{"name":1}"#).is_err());
    }

    fn new_function(json: &str) -> Result<NewFunction> {
        let r: CreateFunctionRequest = serde_json::from_str(json).expect("decode");
        r.into_new_function("id".into(), 5)
    }

    #[test]
    fn create_isolation() {
        let f = new_function(r#"{"name":"a","code":"x"}"#).expect("ok");
        assert_eq!(f.isolation, Isolation::Warm, "absent means warm");
        let f = new_function(r#"{"name":"a","code":"x","isolation":null}"#).expect("ok");
        assert_eq!(f.isolation, Isolation::Warm, "null means warm");
        let f = new_function(r#"{"name":"a","code":"x","isolation":"fresh"}"#).expect("ok");
        assert_eq!(f.isolation, Isolation::Fresh);
        let f = new_function(r#"{"name":"a","code":"x","isolation":"warm"}"#).expect("ok");
        assert_eq!(f.isolation, Isolation::Warm);
        for bad in ["", "Fresh", "cold", " warm"] {
            let body = serde_json::json!({"name": "a", "code": "x", "isolation": bad});
            assert_eq!(
                msg(new_function(&body.to_string())),
                "isolation: isolation must be one of: [warm fresh]",
                "{bad:?}"
            );
        }
        let r: CreateFunctionRequest =
            serde_json::from_str(r#"{"name":"a","code":"x","isolation":"cold"}"#).expect("decode");
        assert_eq!(
            msg(r.validate()),
            "isolation: isolation must be one of: [warm fresh]"
        );
        // Order: code before isolation.
        assert_eq!(
            msg(new_function(r#"{"name":"a","code":"","isolation":"cold"}"#)),
            "code: code cannot be empty"
        );
        assert!(
            serde_json::from_str::<CreateFunctionRequest>(r#"{"isolation":true}"#).is_err(),
            "not a string"
        );
    }

    fn update(json: &str) -> Result<FunctionUpdate> {
        let r: UpdateFunctionRequest = serde_json::from_str(json).expect("decode");
        r.validate(&LimitCeilings::default(), 5)
    }

    #[test]
    fn update_messages() {
        assert_eq!(
            msg(update("{}")),
            "request: at least one field must be provided for update"
        );
        assert_eq!(
            msg(update(r#"{"name":null,"unknown":1}"#)),
            "request: at least one field must be provided for update"
        );
        assert_eq!(msg(update(r#"{"name":""}"#)), "name: name cannot be empty");
        assert_eq!(
            msg(update(r#"{"retention_days":8}"#)),
            "retention_days: retention_days must be one of: [7 15 30 365]"
        );
        for d in RETENTION_DAYS {
            assert!(update(&format!(r#"{{"retention_days":{d}}}"#)).is_ok());
        }
        assert_eq!(
            msg(update(r#"{"cron_status":""}"#)),
            "cron_status: cron_status must be one of: [active paused]"
        );
        assert_eq!(
            msg(update(r#"{"cron_status":"Active"}"#)),
            "cron_status: cron_status must be one of: [active paused]"
        );
        assert!(
            msg(update(r#"{"cron_schedule":"* * *"}"#))
                .starts_with("cron_schedule: invalid cron expression: expected exactly 5 fields")
        );
        assert!(update(r#"{"cron_schedule":""}"#).is_ok());
        // Order: name before retention.
        assert_eq!(
            msg(update(r#"{"retention_days":8,"name":" "}"#)),
            "name: name cannot be empty"
        );
    }

    #[test]
    fn update_isolation() {
        assert_eq!(
            msg(update(r#"{"isolation":"hot"}"#)),
            "isolation: isolation must be one of: [warm fresh]"
        );
        assert_eq!(
            msg(update(r#"{"isolation":""}"#)),
            "isolation: isolation must be one of: [warm fresh]"
        );
        assert_eq!(
            msg(update(r#"{"isolation":"Warm"}"#)),
            "isolation: isolation must be one of: [warm fresh]"
        );
        assert_eq!(
            msg(update(r#"{"isolation":null}"#)),
            "request: at least one field must be provided for update"
        );
        // Isolation alone counts as a field.
        let u = update(r#"{"isolation":"fresh"}"#).expect("ok");
        assert_eq!(u.isolation, Some(Isolation::Fresh));
        assert!(!u.is_empty());
        assert_eq!(
            update(r#"{"isolation":"warm"}"#).expect("ok").isolation,
            Some(Isolation::Warm)
        );
        assert_eq!(update(r#"{"name":"n"}"#).expect("ok").isolation, None);
        // Order: limits before isolation.
        assert_eq!(
            msg(update(r#"{"isolation":"hot","limits":{"memory_mb":8}}"#)),
            "limits: memory_mb must be between 16 and 1024"
        );
    }

    #[test]
    fn update_limits() {
        assert_eq!(
            msg(update(r#"{"limits":{"timeout_seconds":0}}"#)),
            "limits: timeout_seconds must be between 1 and 900"
        );
        assert_eq!(
            msg(update(r#"{"limits":{"memory_mb":8}}"#)),
            "limits: memory_mb must be between 16 and 1024"
        );
        assert_eq!(
            msg(update(r#"{"limits":{"max_request_body_bytes":104857601}}"#)),
            "limits: max_request_body_bytes must be between 1 and 104857600"
        );
        assert_eq!(
            msg(update(r#"{"limits":{"max_response_body_bytes":-1}}"#)),
            "limits: max_response_body_bytes must be between 1 and 104857600"
        );
        assert_eq!(
            msg(update(r#"{"limits":{"max_log_entries":10001}}"#)),
            "limits: max_log_entries must be between 0 and 10000"
        );
        for bad in ["0", "-1", "10001"] {
            assert_eq!(
                msg(update(&format!(
                    r#"{{"limits":{{"max_concurrency":{bad}}}}}"#
                ))),
                "limits: max_concurrency must be between 1 and 10000"
            );
        }
        for bad in ["0", "-5", "900001"] {
            assert_eq!(
                msg(update(&format!(r#"{{"limits":{{"cpu_time_ms":{bad}}}}}"#))),
                "limits: cpu_time_ms must be between 1 and 900000"
            );
        }
        let u = update(r#"{"limits":{"max_log_entries":0,"timeout_seconds":null}}"#).expect("ok");
        assert_eq!(
            u.limits,
            Some(FunctionLimits {
                max_log_entries: Some(0),
                ..FunctionLimits::default()
            })
        );
        assert_eq!(
            update(r#"{"limits":{}}"#).expect("ok").limits,
            Some(FunctionLimits::default())
        );
        assert!(
            serde_json::from_str::<UpdateFunctionRequest>(r#"{"limits":{"memory_mb":1.5}}"#)
                .is_err()
        );
    }

    #[test]
    fn update_converts_fields() {
        let u = update(
            r#"{"description":"","cron_status":"active","disabled":true,"save_response":true}"#,
        )
        .expect("ok");
        assert_eq!(u.description.as_deref(), Some(""));
        assert_eq!(u.cron_status, Some(CronStatus::Active));
        assert_eq!(u.disabled, Some(true));
        assert_eq!(u.now, 5);
    }

    fn env(json: &str) -> Result<BTreeMap<String, String>> {
        let r: EnvVarsRequest = serde_json::from_str(json).expect("decode");
        r.validate()
    }

    #[test]
    fn env_messages() {
        assert_eq!(msg(env("{}")), "env_vars: env_vars cannot be nil");
        assert_eq!(
            msg(env(r#"{"env_vars":null}"#)),
            "env_vars: env_vars cannot be nil"
        );
        let many: BTreeMap<String, String> = (0..101)
            .map(|i| (format!("K{i}"), "v".to_owned()))
            .collect();
        let body = serde_json::json!({ "env_vars": many }).to_string();
        assert_eq!(
            msg(env(&body)),
            "env_vars: cannot have more than 100 environment variables"
        );
        assert_eq!(
            msg(env(r#"{"env_vars":{" ":"v"}}"#)),
            "env_var_key: environment variable key cannot be empty"
        );
        let long = format!(r#"{{"env_vars":{{"{}":"v"}}}}"#, "K".repeat(101));
        assert_eq!(
            msg(env(&long)),
            "env_var_key: environment variable key cannot be longer than 100 characters"
        );
        assert_eq!(
            msg(env(r#"{"env_vars":{"A-B":"v"}}"#)),
            "env_var_key: environment variable key can only contain letters, numbers, and underscores"
        );
        assert_eq!(
            msg(env(r#"{"env_vars":{"A":" "}}"#)),
            "env_var_value: environment variable value cannot be empty"
        );
        let longv = format!(r#"{{"env_vars":{{"A":"{}"}}}}"#, "v".repeat(10_001));
        assert_eq!(
            msg(env(&longv)),
            "env_var_value: environment variable value cannot be longer than 10000 characters"
        );
        // Ascending key order: "A" (bad value) is checked before "b-" (bad key).
        assert_eq!(
            msg(env(r#"{"env_vars":{"b-":"v","A":" "}}"#)),
            "env_var_value: environment variable value cannot be empty"
        );
        assert_eq!(
            env(r#"{"env_vars":{"_1":"x","9a":"y"}}"#)
                .expect("ok")
                .len(),
            2
        );
        assert!(env(r#"{"env_vars":{}}"#).expect("ok").is_empty());
    }
}
