//! Path and query decoding for the API routes and `/fn` calls.

use std::collections::BTreeMap;

use lunar_core::model::PageRequest;
use percent_encoding::percent_decode_str;

/// Percent-decodes a path; invalid UTF-8 becomes U+FFFD, invalid escapes stay as sent.
pub(crate) fn decode_path(raw: &str) -> String {
    if !raw.contains('%') {
        return raw.to_owned();
    }
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

/// Unescapes one query component: `+` is a space, `%XX` a byte; `None` for a bad escape.
fn unescape_component(s: &str) -> Option<String> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16))?;
                let lo = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16))?;
                // Both digits are below 16, so the value fits a byte.
                out.push(u8::try_from(hi * 16 + lo).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Calls `f(key, value)` for each well-formed pair of a query string, in order (Go's
/// `url.ParseQuery`: pairs split at `&`; a pair holding `;` or a bad escape is dropped).
pub(crate) fn for_each_pair(query: &str, mut f: impl FnMut(String, String)) {
    for pair in query.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (unescape_component(k), unescape_component(v)) else {
            continue;
        };
        f(k, v);
    }
}

/// The first value of each key.
pub(crate) fn first_values(query: Option<&str>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    if let Some(q) = query {
        for_each_pair(q, |k, v| {
            map.entry(k).or_insert(v);
        });
    }
    map
}

/// Pagination from `limit` and `offset` (first values), normalised.
pub(crate) fn page(query: Option<&str>) -> PageRequest {
    let mut limit = None;
    let mut offset = None;
    if let Some(q) = query {
        for_each_pair(q, |k, v| match k.as_str() {
            "limit" if limit.is_none() => limit = Some(v),
            "offset" if offset.is_none() => offset = Some(v),
            _ => {}
        });
    }
    PageRequest::from_query(limit.as_deref(), offset.as_deref())
}

/// The canonical form of a header name (`content-type` → `Content-Type`).
pub(crate) fn canonical_header_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c.to_ascii_lowercase());
        }
        upper = c == '-';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_rules() {
        let m = first_values(Some("a=1&a=2&b=x+y%21&bad=%zz&c&semi=1;2&=e&%41=%42"));
        assert_eq!(m.get("a").map(String::as_str), Some("1"));
        assert_eq!(m.get("b").map(String::as_str), Some("x y!"));
        assert!(!m.contains_key("bad"));
        assert_eq!(m.get("c").map(String::as_str), Some(""));
        assert!(!m.contains_key("semi"));
        assert_eq!(m.get("").map(String::as_str), Some("e"));
        assert_eq!(m.get("A").map(String::as_str), Some("B"));
    }

    #[test]
    fn canonical_names() {
        assert_eq!(canonical_header_name("content-type"), "Content-Type");
        assert_eq!(canonical_header_name("x-api-key"), "X-Api-Key");
        assert_eq!(canonical_header_name("X-TRIGGER"), "X-Trigger");
        assert_eq!(canonical_header_name("etag"), "Etag");
    }

    #[test]
    fn paths() {
        assert_eq!(decode_path("/a%20b/%2e%2e"), "/a b/..");
        assert_eq!(decode_path("/a%zz"), "/a%zz");
        assert_eq!(decode_path("/a%ff"), "/a\u{fffd}");
    }
}
