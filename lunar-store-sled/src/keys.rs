//! Key encodings. Every composite key is built so that byte order is the order the API
//! lists in:
//!
//! * strings inside a key are length-prefixed (`u32` big-endian length, then the bytes), so
//!   a prefix names exactly one function or execution whatever bytes its id contains;
//! * timestamps and numbers are `i64` with the sign bit flipped, big-endian, so negative
//!   values sort before positive ones;
//! * sequence numbers are `u64` big-endian.

use crate::error::{SledError, SledResult};

/// A length-prefixed string: the prefix of every key that belongs to `s`.
pub(crate) fn prefix(s: &str) -> Vec<u8> {
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(4 + s.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    out
}

/// An `i64` encoded so that byte order is numeric order.
pub(crate) fn int(v: i64) -> [u8; 8] {
    (v.cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

/// Reads back [`int`].
#[cfg(test)]
fn read_int(b: &[u8], tree: &'static str) -> SledResult<i64> {
    let raw: [u8; 8] = b.try_into().map_err(|_| SledError::BadKey(tree))?;
    Ok((u64::from_be_bytes(raw) ^ (1 << 63)).cast_signed())
}

/// `prefix(a) ++ rest...`.
pub(crate) fn join(a: &str, rest: &[&[u8]]) -> Vec<u8> {
    let mut out = prefix(a);
    for part in rest {
        out.extend_from_slice(part);
    }
    out
}

/// `functions_by_created`: `int(created_at) ++ id`; iterated in reverse for
/// `created_at` desc, `id` desc.
pub(crate) fn function_order(created_at: i64, id: &str) -> Vec<u8> {
    let mut out = int(created_at).to_vec();
    out.extend_from_slice(id.as_bytes());
    out
}

/// `versions`: `prefix(function_id) ++ int(number)`.
pub(crate) fn version(function_id: &str, number: i64) -> Vec<u8> {
    join(function_id, &[&int(number)])
}

/// `executions_by_function`: `prefix(function_id) ++ int(created_at) ++ execution_id`.
pub(crate) fn execution_order(function_id: &str, created_at: i64, id: &str) -> Vec<u8> {
    join(function_id, &[&int(created_at), id.as_bytes()])
}

/// `executions_by_version`: `prefix(version_id) ++ execution_id`.
pub(crate) fn execution_version(version_id: &str, id: &str) -> Vec<u8> {
    join(version_id, &[id.as_bytes()])
}

/// `executions_pending`: `int(created_at) ++ execution_id`.
pub(crate) fn pending(created_at: i64, id: &str) -> Vec<u8> {
    let mut out = int(created_at).to_vec();
    out.extend_from_slice(id.as_bytes());
    out
}

/// `logs`, `ai_requests`, `email_requests`:
/// `prefix(execution_id) ++ int(created_at) ++ seq` (insertion order within a second).
pub(crate) fn row(execution_id: &str, created_at: i64, seq: u64) -> Vec<u8> {
    join(execution_id, &[&int(created_at), &seq.to_be_bytes()])
}

/// `kv`, `env`: `prefix(function_id) ++ key`.
pub(crate) fn entry(function_id: &str, key: &str) -> Vec<u8> {
    join(function_id, &[key.as_bytes()])
}

/// `claims`: `prefix(job) ++ int(scheduled_at)`.
pub(crate) fn claim(job: &str, scheduled_at: i64) -> Vec<u8> {
    join(job, &[&int(scheduled_at)])
}

/// `claims_by_time`: `int(claimed_at) ++ claim key`.
pub(crate) fn claim_time(claimed_at: i64, claim_key: &[u8]) -> Vec<u8> {
    let mut out = int(claimed_at).to_vec();
    out.extend_from_slice(claim_key);
    out
}

/// The bytes after `skip`, as UTF-8 text (an id or a user key stored in a key).
pub(crate) fn tail(key: &[u8], skip: usize, tree: &'static str) -> SledResult<String> {
    let rest = key.get(skip..).ok_or(SledError::BadKey(tree))?;
    String::from_utf8(rest.to_vec()).map_err(|_| SledError::BadKey(tree))
}

/// The number of a version id `ver_{function_id}_v{n}` of `function_id`, if it is one.
pub(crate) fn version_number(function_id: &str, version_id: &str) -> Option<i64> {
    let n: i64 = version_id
        .strip_prefix("ver_")?
        .strip_prefix(function_id)?
        .strip_prefix("_v")?
        .parse()
        .ok()?;
    (lunar_core::ids::version_id(function_id, n) == version_id).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_order_is_numeric_order() {
        let values = [i64::MIN, -5, -1, 0, 1, 1_700_000_000, i64::MAX];
        for w in values.windows(2) {
            assert!(int(w[0]) < int(w[1]), "{} < {}", w[0], w[1]);
        }
        for v in values {
            assert_eq!(read_int(&int(v), "t").ok(), Some(v));
        }
    }

    #[test]
    fn prefixes_do_not_overlap() {
        assert!(!entry("ab", "c").starts_with(&prefix("a")));
        assert!(entry("a", "bc").starts_with(&prefix("a")));
    }

    #[test]
    fn version_ids_parse_only_for_their_function() {
        assert_eq!(version_number("abc", "ver_abc_v12"), Some(12));
        assert_eq!(version_number("abc", "ver_abd_v12"), None);
        assert_eq!(version_number("abc", "ver_abc_v012"), None);
        assert_eq!(version_number("abc", "ver_abc_v+1"), None);
        assert_eq!(version_number("ab", "ver_abc_v1"), None);
    }
}
