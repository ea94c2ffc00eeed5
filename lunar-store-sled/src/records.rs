//! The private records stored as JSON values, and their conversion to the model types.
//!
//! Logs, AI and e-mail rows are stored in the model's own serde form
//! ([`LogEntry`](lunar_core::model::LogEntry), [`AiRequest`](lunar_core::model::AiRequest),
//! [`EmailRequest`](lunar_core::model::EmailRequest)); functions, versions and executions
//! have records of their own because what is stored differs from what is returned.

use std::collections::BTreeMap;

use lunar_core::model::{
    CronStatus, Execution, ExecutionStatus, Function, FunctionLimits, FunctionVersion, Isolation,
    Trigger,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{SledError, SledResult};

/// Encodes a record.
pub(crate) fn encode<T: Serialize>(what: &'static str, v: &T) -> SledResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|source| SledError::Encode { what, source })
}

/// Decodes a record.
pub(crate) fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> SledResult<T> {
    serde_json::from_slice(bytes).map_err(|source| SledError::Decode { what, source })
}

/// Decodes a stored UTF-8 value (KV and env values).
pub(crate) fn text(what: &'static str, bytes: &[u8]) -> SledResult<String> {
    String::from_utf8(bytes.to_vec()).map_err(|source| SledError::Utf8 { what, source })
}

/// A function as stored in `functions`.
///
/// The active version is a pointer here rather than a flag on each version, so "at most one
/// active version" holds by construction; `next_version` is `max(version) + 1`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FunctionRec {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    pub(crate) disabled: bool,
    #[serde(default)]
    pub(crate) retention_days: Option<i64>,
    #[serde(default)]
    pub(crate) cron_schedule: Option<String>,
    #[serde(default)]
    pub(crate) cron_status: Option<CronStatus>,
    pub(crate) save_response: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    #[serde(default)]
    pub(crate) limits: FunctionLimits,
    /// Absent in records written before the setting existed; an unknown spelling reads as
    /// the default too.
    #[serde(default, deserialize_with = "isolation_or_default")]
    pub(crate) isolation: Isolation,
    /// Number of the active version.
    #[serde(default)]
    pub(crate) active_version: Option<i64>,
    /// The number the next code update gets.
    pub(crate) next_version: i64,
    /// How many executions the function has (the list total).
    #[serde(default)]
    pub(crate) executions: u64,
}

impl FunctionRec {
    /// The model type (`env_vars` empty).
    pub(crate) fn to_model(&self) -> Function {
        Function {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            env_vars: BTreeMap::new(),
            disabled: self.disabled,
            retention_days: self.retention_days,
            cron_schedule: self.cron_schedule.clone(),
            cron_status: self.cron_status,
            save_response: self.save_response,
            created_at: self.created_at,
            updated_at: self.updated_at,
            limits: self.limits,
            isolation: self.isolation,
        }
    }
}

/// Decodes a stored isolation mode, reading anything but a known spelling as the default.
fn isolation_or_default<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Isolation, D::Error> {
    let stored = Option::<String>::deserialize(d)?;
    Ok(stored
        .as_deref()
        .and_then(Isolation::parse)
        .unwrap_or_default())
}

/// A version as stored in `versions` (whether it is active lives on the function).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct VersionRec {
    pub(crate) id: String,
    pub(crate) function_id: String,
    pub(crate) version: i64,
    pub(crate) code: String,
    pub(crate) created_at: i64,
    #[serde(default)]
    pub(crate) created_by: Option<String>,
}

impl VersionRec {
    /// The model type, active when `active` is this version's number.
    pub(crate) fn into_model(self, active: Option<i64>) -> FunctionVersion {
        FunctionVersion {
            is_active: active == Some(self.version),
            id: self.id,
            function_id: self.function_id,
            version: self.version,
            code: self.code,
            created_at: self.created_at,
            created_by: self.created_by,
        }
    }
}

/// An execution as stored in `executions`; the saved response lives in
/// `execution_responses` so that lists never read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ExecutionRec {
    pub(crate) id: String,
    pub(crate) function_id: String,
    pub(crate) function_version_id: String,
    pub(crate) status: ExecutionStatus,
    #[serde(default)]
    pub(crate) duration_ms: Option<i64>,
    #[serde(default)]
    pub(crate) error_message: Option<String>,
    #[serde(default)]
    pub(crate) event_json: Option<String>,
    #[serde(default)]
    pub(crate) trigger: Trigger,
    pub(crate) created_at: i64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "lunar_core::usage::stored"
    )]
    pub(crate) usage: Option<lunar_core::usage::Usage>,
}

impl ExecutionRec {
    /// The model type with the given saved response.
    pub(crate) fn into_model(self, response_json: Option<String>) -> Execution {
        Execution {
            id: self.id,
            function_id: self.function_id,
            function_version_id: self.function_version_id,
            status: self.status,
            duration_ms: self.duration_ms,
            error_message: self.error_message,
            event_json: self.event_json,
            response_json,
            trigger: self.trigger,
            created_at: self.created_at,
            usage: self.usage,
        }
    }
}

/// A schedule claim as stored in `claims`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ClaimRec {
    pub(crate) node: String,
    pub(crate) claimed_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function_rec(extra: &str) -> FunctionRec {
        let json = format!(
            r#"{{"id":"f","name":"n","disabled":false,"save_response":false,"created_at":1,"updated_at":2,"next_version":2{extra}}}"#
        );
        decode("function", json.as_bytes()).expect("decode")
    }

    #[test]
    fn isolation_of_old_and_unknown_records_reads_as_warm() {
        assert_eq!(function_rec("").isolation, Isolation::Warm, "absent");
        assert_eq!(
            function_rec(r#","isolation":null"#).isolation,
            Isolation::Warm
        );
        assert_eq!(
            function_rec(r#","isolation":"lukewarm""#).isolation,
            Isolation::Warm,
            "unknown"
        );
        let fresh = function_rec(r#","isolation":"fresh""#);
        assert_eq!(fresh.isolation, Isolation::Fresh);
        assert_eq!(fresh.to_model().isolation, Isolation::Fresh);
        // Written in its wire spelling, and read back.
        let bytes = encode("function", &fresh).expect("encode");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.contains(r#""isolation":"fresh""#), "{text}");
        let back: FunctionRec = decode("function", &bytes).expect("decode");
        assert_eq!(back.isolation, Isolation::Fresh);
    }
}
