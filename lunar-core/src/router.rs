//! Path matching and building behind the JS `router` API.
//!
//! Matching removes one trailing `/` from path and pattern, splits both on `/` discarding
//! empty segments, lets a final `*` pattern segment stand for one or more further path
//! segments, captures `:name` segments and compares the others byte for byte. Nothing is
//! URL-decoded.

use std::collections::BTreeMap;

/// Whether `path` matches `pattern`.
#[must_use]
pub fn matches(path: &str, pattern: &str) -> bool {
    params(path, pattern).is_some()
}

/// The parameters `pattern` captures from `path`, or `None` when it does not match.
///
/// A `:name` segment captures the path segment under `name` (a repeated name keeps the last
/// capture); the wildcard tail is not captured.
#[must_use]
pub fn params(path: &str, pattern: &str) -> Option<BTreeMap<String, String>> {
    let path_segs = segments(path);
    let mut pat_segs = segments(pattern);
    if pat_segs.last() == Some(&"*") {
        pat_segs.pop();
        if path_segs.len() <= pat_segs.len() {
            return None;
        }
    } else if path_segs.len() != pat_segs.len() {
        return None;
    }
    let mut captured = BTreeMap::new();
    for (pat, seg) in pat_segs.iter().zip(&path_segs) {
        if let Some(name) = pat.strip_prefix(':') {
            captured.insert(name.to_owned(), (*seg).to_owned());
        } else if pat != seg {
            return None;
        }
    }
    Some(captured)
}

/// Fills `pattern` in: every `/`-separated segment that is exactly `:name` with `name` in
/// `params` becomes the value, inserted verbatim; all other segments (unknown placeholders,
/// `:idx` for `id`, `:id.json`) stay. An empty map leaves the pattern unchanged.
#[must_use]
pub fn build(pattern: &str, params: &BTreeMap<String, String>) -> String {
    if params.is_empty() {
        return pattern.to_owned();
    }
    pattern
        .split('/')
        .map(|seg| {
            seg.strip_prefix(':')
                .and_then(|name| params.get(name))
                .map_or(seg, String::as_str)
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `router.path`: `{base_path}/fn/{function_id}` followed by the built pattern.
///
/// `base_path` is the path of the configured base URL (the mount prefix), `""` without one;
/// one trailing `/` is removed from it.
#[must_use]
pub fn path(
    base_path: &str,
    function_id: &str,
    pattern: &str,
    params: &BTreeMap<String, String>,
) -> String {
    let base = base_path.strip_suffix('/').unwrap_or(base_path);
    format!("{base}/fn/{function_id}{}", build(pattern, params))
}

/// `router.url`: the base URL with one trailing `/` removed, then `/fn/{function_id}` and the
/// built pattern. Without a configured base URL, callers pass the base path (so the result
/// equals [`path`]).
#[must_use]
pub fn url(
    base_url: &str,
    function_id: &str,
    pattern: &str,
    params: &BTreeMap<String, String>,
) -> String {
    let base = base_url.strip_suffix('/').unwrap_or(base_url);
    format!("{base}/fn/{function_id}{}", build(pattern, params))
}

/// Rules 1 and 2: one trailing `/` removed (empty becomes `/`), split on `/`, empty
/// segments discarded.
fn segments(s: &str) -> Vec<&str> {
    let trimmed = s.strip_suffix('/').unwrap_or(s);
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    trimmed.split('/').filter(|seg| !seg.is_empty()).collect()
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

    #[test]
    fn segments_discard_empties() {
        assert_eq!(segments("///a///b///"), vec!["a", "b"]);
        assert_eq!(segments("/"), Vec::<&str>::new());
        assert_eq!(segments(""), Vec::<&str>::new());
        assert_eq!(segments("a/b/"), vec!["a", "b"]);
    }

    #[test]
    fn exact_and_slash_variants_match() {
        assert!(matches("/users", "/users"));
        assert!(matches("/users/", "/users"));
        assert!(matches("/users", "/users/"));
        assert!(matches("///a///b///", "/a/b"));
        assert!(matches("/a/b", "///a///b///"));
        assert!(matches("/", "/"));
        assert!(matches("", "/"));
        assert!(matches("/", ""));
        assert!(!matches("/users", "/posts"));
        assert!(!matches("/users/1", "/users"));
        assert!(!matches("/users", "/users/1"));
    }

    #[test]
    fn matching_is_case_sensitive_and_not_decoded() {
        assert!(!matches("/Users", "/users"));
        assert!(!matches("/a%20b", "/a b"));
        assert!(matches("/a%20b", "/a%20b"));
    }

    #[test]
    fn wildcard_needs_strictly_more_segments() {
        assert!(!matches("/files", "/files/*"));
        assert!(matches("/files/a", "/files/*"));
        assert!(matches("/files/a/b/c", "/files/*"));
        assert!(!matches("/", "/*"));
        assert!(matches("/x", "/*"));
        assert!(matches("/x/y", "/*"));
        assert!(!matches("/other/a", "/files/*"));
    }

    #[test]
    fn star_elsewhere_is_literal() {
        assert!(!matches("/a/b", "/*/b"));
        assert!(matches("/*/b", "/*/b"));
        assert!(!matches("/files/a", "/files/*x"));
    }

    #[test]
    fn params_capture_named_segments() {
        assert_eq!(
            params("/users/42/posts/7", "/users/:id/posts/:post"),
            Some(map(&[("id", "42"), ("post", "7")]))
        );
        assert_eq!(params("/users", "/users"), Some(BTreeMap::new()));
        assert_eq!(params("/users", "/posts"), None);
        assert_eq!(params("/users/42", "/users/:id/x"), None);
        // Any content, no decoding.
        assert_eq!(
            params("/u/a%2Fb:c", "/u/:id"),
            Some(map(&[("id", "a%2Fb:c")]))
        );
    }

    #[test]
    fn params_with_wildcard_tail_do_not_capture_it() {
        assert_eq!(
            params("/files/9/a/b", "/files/:id/*"),
            Some(map(&[("id", "9")]))
        );
        assert_eq!(params("/files/9", "/files/:id/*"), None);
    }

    #[test]
    fn repeated_name_keeps_last() {
        assert_eq!(params("/1/2", "/:x/:x"), Some(map(&[("x", "2")])));
    }

    #[test]
    fn build_replaces_whole_segments_only() {
        let p = map(&[("id", "42")]);
        assert_eq!(build("/users/:id", &p), "/users/42");
        assert_eq!(build("/users/:idx", &p), "/users/:idx");
        assert_eq!(build("/users/:id.json", &p), "/users/:id.json");
        assert_eq!(build("/users/:id/:other", &p), "/users/42/:other");
        assert_eq!(build("/a/:id/b/:id/", &p), "/a/42/b/42/");
        assert_eq!(build("//:id//", &p), "//42//");
    }

    #[test]
    fn build_inserts_values_verbatim() {
        let p = map(&[("q", "a b/c?d")]);
        assert_eq!(build("/s/:q", &p), "/s/a b/c?d");
        assert_eq!(build("/s/:q", &map(&[("q", "")])), "/s/");
    }

    #[test]
    fn build_without_params_is_unchanged() {
        assert_eq!(build("/users/:id", &BTreeMap::new()), "/users/:id");
        assert_eq!(build("", &BTreeMap::new()), "");
    }

    #[test]
    fn path_and_url() {
        let p = map(&[("id", "7")]);
        assert_eq!(path("", "fid", "/users/:id", &p), "/fn/fid/users/7");
        assert_eq!(
            path("/lunar", "fid", "/users/:id", &p),
            "/lunar/fn/fid/users/7"
        );
        assert_eq!(
            path("/lunar/", "fid", "/", &BTreeMap::new()),
            "/lunar/fn/fid/"
        );
        assert_eq!(path("/", "fid", "", &BTreeMap::new()), "/fn/fid");
        assert_eq!(
            url("https://example.com/lunar/", "fid", "/users/:id", &p),
            "https://example.com/lunar/fn/fid/users/7"
        );
        assert_eq!(
            url("https://example.com/lunar", "fid", "/x/:idx", &p),
            "https://example.com/lunar/fn/fid/x/:idx"
        );
        // Only one trailing slash is removed.
        assert_eq!(
            url("https://example.com//", "fid", "/a", &BTreeMap::new()),
            "https://example.com//fn/fid/a"
        );
        // Without a base URL the url equals the path.
        assert_eq!(url("", "fid", "/a", &p), path("", "fid", "/a", &p));
    }
}
