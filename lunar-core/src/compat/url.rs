//! Go `net/url` semantics for `url.parse`, `url.encode` and `url.decode`.
//!
//! A port of `url.Parse`, `url.ParseQuery`, `url.QueryEscape` and `url.QueryUnescape`
//! from Go's `net/url/url.go`, with Go's error texts. Decoded bytes that are not valid
//! UTF-8 become U+FFFD (Go would keep the raw bytes in its string).

use std::collections::BTreeMap;

pub(crate) use super::quote::go_quote;

/// A URL parsed with Go's `url.Parse`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedUrl {
    /// Scheme, lower-cased (`""` when none).
    pub scheme: String,
    /// Opaque part of a rootless URL such as `mailto:a@b` (not exposed by `url.parse`).
    pub opaque: String,
    /// Host including the port, percent-decoded.
    pub host: String,
    /// Path, percent-decoded.
    pub path: String,
    /// Raw (still encoded) query string, without `?`.
    pub raw_query: String,
    /// Fragment, percent-decoded.
    pub fragment: String,
    /// Query parameters as by `url.ParseQuery` (keys sorted; values in order; malformed
    /// pairs dropped).
    pub query: BTreeMap<String, Vec<String>>,
    /// User name, only when non-empty.
    pub username: Option<String>,
    /// Password, only when non-empty.
    pub password: Option<String>,
}

/// Which URL component is being decoded (Go's `encoding` modes that matter here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Path.
    Path,
    /// User name or password.
    UserPassword,
    /// Query key or value (`+` is a space).
    QueryComponent,
    /// Fragment.
    Fragment,
    /// Host name.
    Host,
    /// IPv6 zone identifier.
    Zone,
}

/// RFC 3986 `sub-delims`: `!$&'()*+,;=`.
fn is_sub_delim(c: u8) -> bool {
    matches!(
        c,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// Go's `shouldEscape` for the modes used by `unescape` validation.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone)
        && (is_sub_delim(c) || matches!(c, b':' | b'[' | b']' | b'<' | b'>' | b'"'))
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => return c == b'?',
            Mode::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
            Mode::QueryComponent => return true,
            Mode::Fragment => return false,
            Mode::Host | Mode::Zone => {}
        },
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

/// Value of an ASCII hex digit.
fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Go's `unescape`: validates and decodes `%XX` (and `+` in query components).
fn unescape(s: &[u8], mode: Mode) -> Result<String, String> {
    let escape_error = |seq: &[u8]| format!("invalid URL escape {}", go_quote(seq));
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                if i + 2 >= s.len()
                    || !s[i + 1].is_ascii_hexdigit()
                    || !s[i + 2].is_ascii_hexdigit()
                {
                    let end = (i + 3).min(s.len());
                    return Err(escape_error(&s[i..end]));
                }
                let seq = &s[i..i + 3];
                if mode == Mode::Host && unhex(s[i + 1]) < 8 && seq != b"%25" {
                    return Err(escape_error(seq));
                }
                if mode == Mode::Zone {
                    let v = (unhex(s[i + 1]) << 4) | unhex(s[i + 2]);
                    if seq != b"%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return Err(escape_error(seq));
                    }
                }
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(format!(
                        "invalid character {} in host name",
                        go_quote(&s[i..=i])
                    ));
                }
                i += 1;
            }
        }
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                out.push((unhex(s[i + 1]) << 4) | unhex(s[i + 2]));
                i += 3;
            }
            b'+' if mode == Mode::QueryComponent => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `url.QueryEscape`: space → `+`, `A-Za-z0-9-_.~` kept, other bytes `%XX` (uppercase).
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b' ' => out.push('+'),
            _ if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `url.QueryUnescape`: `+` → space, `%XX` decoded (invalid UTF-8 → U+FFFD).
///
/// A malformed escape fails with `invalid URL escape "<seq>"` (`<seq>` is `%` and up to
/// two following bytes, quoted like Go's `strconv.Quote`).
pub fn query_unescape(s: &str) -> Result<String, String> {
    unescape(s.as_bytes(), Mode::QueryComponent)
}

/// Go's `url.ParseQuery`, ignoring its error: malformed pairs (bad escapes, `;`) are dropped.
pub fn parse_query(query: &str) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (Ok(key), Ok(value)) = (query_unescape(key), query_unescape(value)) else {
            continue;
        };
        map.entry(key).or_default().push(value);
    }
    map
}

/// Go's `getScheme`: splits a leading `scheme:`.
fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok(("", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".to_owned());
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go's `validOptionalPort`: empty, or `:` followed by digits only.
fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
        None => port.is_empty(),
    }
}

/// Go's `parseHost`: validates the port and decodes the host.
fn parse_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".to_owned());
        };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!(
                "invalid port {} after host",
                go_quote(colon_port.as_bytes())
            ));
        }
        if let Some(zone) = host[..i].find("%25") {
            let h1 = unescape(&host.as_bytes()[..zone], Mode::Host)?;
            let h2 = unescape(&host.as_bytes()[zone..i], Mode::Zone)?;
            let h3 = unescape(&host.as_bytes()[i..], Mode::Host)?;
            return Ok(h1 + &h2 + &h3);
        }
    } else if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!(
                "invalid port {} after host",
                go_quote(colon_port.as_bytes())
            ));
        }
    }
    unescape(host.as_bytes(), Mode::Host)
}

/// Go's `validUserinfo`.
fn valid_userinfo(s: &str) -> bool {
    s.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || is_sub_delim(b)
            || matches!(b, b'-' | b'.' | b'_' | b':' | b'~' | b'%' | b'@')
    })
}

/// Go's `parseAuthority`: `[userinfo@]host[:port]`.
fn parse_authority(authority: &str, url: &mut ParsedUrl) -> Result<(), String> {
    let at = authority.rfind('@');
    url.host = parse_host(at.map_or(authority, |i| &authority[i + 1..]))?;
    let Some(i) = at else {
        return Ok(());
    };
    let userinfo = &authority[..i];
    if !valid_userinfo(userinfo) {
        return Err("net/url: invalid userinfo".to_owned());
    }
    let (user, pass) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    let user = unescape(user.as_bytes(), Mode::UserPassword)?;
    let pass = pass
        .map(|p| unescape(p.as_bytes(), Mode::UserPassword))
        .transpose()?;
    url.username = Some(user).filter(|u| !u.is_empty());
    url.password = pass.filter(|p| !p.is_empty());
    Ok(())
}

/// Go's internal `parse(rawURL, viaRequest=false)` (everything but the fragment).
fn parse_no_fragment(raw: &str) -> Result<ParsedUrl, String> {
    if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err("net/url: invalid control character in URL".to_owned());
    }
    let mut url = ParsedUrl::default();
    if raw == "*" {
        url.path = "*".to_owned();
        return Ok(url);
    }
    let (scheme, mut rest) = get_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        rest = r;
        url.raw_query = q.to_owned();
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            // Rootless paths are opaque (RFC 3986).
            url.opaque = rest.to_owned();
            return Ok(url);
        }
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".to_owned());
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority = &rest[2..];
        let (authority, path) = match authority.find('/') {
            Some(i) => authority.split_at(i),
            None => (authority, ""),
        };
        parse_authority(authority, &mut url)?;
        rest = path;
    }
    url.path = unescape(rest.as_bytes(), Mode::Path)?;
    Ok(url)
}

/// Parses a URL like Go's `url.Parse`, then its query like `url.ParseQuery`.
///
/// Errors are Go's `*url.Error` text: `parse "<input>": <reason>` (input quoted with
/// `strconv.Quote`; like Go, the quoted input excludes the fragment unless the fragment
/// itself is malformed).
pub fn parse(s: &str) -> Result<ParsedUrl, String> {
    let (u, frag) = s.split_once('#').unwrap_or((s, ""));
    let mut url =
        parse_no_fragment(u).map_err(|e| format!("parse {}: {e}", go_quote(u.as_bytes())))?;
    if !frag.is_empty() {
        url.fragment = unescape(frag.as_bytes(), Mode::Fragment)
            .map_err(|e| format!("parse {}: {e}", go_quote(s.as_bytes())))?;
    }
    url.query = parse_query(&url.raw_query);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::{go_quote, parse, parse_query, query_escape, query_unescape};

    fn err(s: &str) -> String {
        match parse(s) {
            Ok(u) => panic!("{s:?} unexpectedly parsed: {u:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_full_url() {
        let u = parse("HTTPS://user:p%40ss@Example.com:8080/a%20b/c?x=1&y=a+b&x=2&z=%41#frag%20x")
            .expect("valid");
        assert_eq!(u.scheme, "https");
        assert_eq!(u.host, "Example.com:8080");
        assert_eq!(u.path, "/a b/c");
        assert_eq!(u.fragment, "frag x");
        assert_eq!(u.raw_query, "x=1&y=a+b&x=2&z=%41");
        assert_eq!(u.username.as_deref(), Some("user"));
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        assert_eq!(u.query["x"], vec!["1", "2"]);
        assert_eq!(u.query["y"], vec!["a b"]);
        assert_eq!(u.query["z"], vec!["A"]);
        assert_eq!(u.query.len(), 3);
    }

    #[test]
    fn user_info_only_when_non_empty() {
        let u = parse("http://user@h/").expect("valid");
        assert_eq!((u.username.as_deref(), u.password), (Some("user"), None));
        let u = parse("http://user:@h/").expect("valid");
        assert_eq!((u.username.as_deref(), u.password), (Some("user"), None));
        let u = parse("http://:pw@h/").expect("valid");
        assert_eq!((u.username, u.password.as_deref()), (None, Some("pw")));
        let u = parse("http://a@b@h/").expect("valid");
        assert_eq!((u.username.as_deref(), u.host.as_str()), (Some("a@b"), "h"));
        assert_eq!(
            err("http://us er@h/"),
            r#"parse "http://us er@h/": net/url: invalid userinfo"#
        );
    }

    #[test]
    fn relative_and_odd_forms() {
        let u = parse("foo/bar?q=1").expect("valid");
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.path.as_str()),
            ("", "", "foo/bar")
        );
        assert_eq!(u.query["q"], vec!["1"]);
        let u = parse("//host:1/p").expect("valid");
        assert_eq!((u.host.as_str(), u.path.as_str()), ("host:1", "/p"));
        let u = parse("///p").expect("valid");
        assert_eq!((u.host.as_str(), u.path.as_str()), ("", "///p"));
        let u = parse("file:///etc/hosts").expect("valid");
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.path.as_str()),
            ("file", "", "/etc/hosts")
        );
        let u = parse("mailto:a@b.c").expect("valid");
        assert_eq!(
            (u.scheme.as_str(), u.opaque.as_str(), u.path.as_str()),
            ("mailto", "a@b.c", "")
        );
        let u = parse("*").expect("valid");
        assert_eq!(u.path, "*");
        let u = parse("").expect("valid");
        assert_eq!(u, super::ParsedUrl::default());
        let u = parse("http://h/p?").expect("valid");
        assert_eq!((u.path.as_str(), u.raw_query.as_str()), ("/p", ""));
        let u = parse("http://h/p??a=1").expect("valid");
        assert_eq!(u.raw_query, "?a=1");
        assert_eq!(u.query["?a"], vec!["1"]);
        let u = parse("http://[::1%25eth0]:80/").expect("valid");
        assert_eq!(u.host, "[::1%eth0]:80");
        let u = parse("http://h:/").expect("valid");
        assert_eq!(u.host, "h:");
        let u = parse("http://h#a#b").expect("valid");
        assert_eq!(u.fragment, "a#b");
        let u = parse("http://h/%E2%82%AC").expect("valid");
        assert_eq!(u.path, "/€");
        let u = parse("http://h/%FF").expect("valid");
        assert_eq!(u.path, "/\u{fffd}");
    }

    #[test]
    fn errors() {
        assert_eq!(err("://x"), r#"parse "://x": missing protocol scheme"#);
        assert_eq!(err(":"), r#"parse ":": missing protocol scheme"#);
        assert_eq!(
            err("http://h/%zz"),
            r#"parse "http://h/%zz": invalid URL escape "%zz""#
        );
        assert_eq!(
            err("http://h/%4"),
            r#"parse "http://h/%4": invalid URL escape "%4""#
        );
        assert_eq!(
            err("http://h/a%"),
            r#"parse "http://h/a%": invalid URL escape "%""#
        );
        assert_eq!(
            err("http://h/\n"),
            r#"parse "http://h/\n": net/url: invalid control character in URL"#
        );
        assert_eq!(
            err("http://h/\u{7f}"),
            r#"parse "http://h/\x7f": net/url: invalid control character in URL"#
        );
        assert_eq!(
            err("a:b/c:d".trim_start_matches('a')),
            r#"parse ":b/c:d": missing protocol scheme"#
        );
        assert_eq!(
            err("1a:b"),
            r#"parse "1a:b": first path segment in URL cannot contain colon"#
        );
        assert_eq!(
            err(" http://x"),
            r#"parse " http://x": first path segment in URL cannot contain colon"#
        );
        assert_eq!(
            err("http://h:8a/"),
            r#"parse "http://h:8a/": invalid port ":8a" after host"#
        );
        assert_eq!(
            err("http://[::1]x/"),
            r#"parse "http://[::1]x/": invalid port "x" after host"#
        );
        assert_eq!(
            err("http://[::1/"),
            r#"parse "http://[::1/": missing ']' in host"#
        );
        assert_eq!(
            err("http://a b/"),
            r#"parse "http://a b/": invalid character " " in host name"#
        );
        assert_eq!(
            err("http://%41/"),
            r#"parse "http://%41/": invalid URL escape "%41""#
        );
        // The fragment is left out of the quoted input unless it is the malformed part.
        assert_eq!(
            err("http://h/%zz#f"),
            r#"parse "http://h/%zz": invalid URL escape "%zz""#
        );
        assert_eq!(
            err("http://h/#%zz"),
            r#"parse "http://h/#%zz": invalid URL escape "%zz""#
        );
        assert_eq!(
            err("é:/\t"),
            r#"parse "é:/\t": net/url: invalid control character in URL"#
        );
    }

    #[test]
    fn query_parsing_drops_malformed_pairs() {
        let q = parse_query("a=1&&b&c=%zz&d;e=2&=x&f=1=2&a=3");
        let got: Vec<(&str, Vec<&str>)> = q
            .iter()
            .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("", vec!["x"]),
                ("a", vec!["1", "3"]),
                ("b", vec![""]),
                ("f", vec!["1=2"])
            ]
        );
    }

    #[test]
    fn escape_and_unescape() {
        assert_eq!(
            query_escape("a b&c=d/é~-_.!*'()"),
            "a+b%26c%3Dd%2F%C3%A9~-_.%21%2A%27%28%29"
        );
        assert_eq!(query_escape(""), "");
        assert_eq!(
            query_unescape("a+b%26c%3dd%2F%C3%A9"),
            Ok("a b&c=d/é".to_owned())
        );
        assert_eq!(
            query_unescape("%zz"),
            Err(r#"invalid URL escape "%zz""#.to_owned())
        );
        assert_eq!(
            query_unescape("ab%4"),
            Err(r#"invalid URL escape "%4""#.to_owned())
        );
        assert_eq!(
            query_unescape("ab%"),
            Err(r#"invalid URL escape "%""#.to_owned())
        );
        assert_eq!(
            query_unescape("%4g%41"),
            Err(r#"invalid URL escape "%4g""#.to_owned())
        );
        assert_eq!(
            query_unescape("%é"),
            Err(r#"invalid URL escape "%é""#.to_owned())
        );
        assert_eq!(
            query_unescape("%aé"),
            Err(r#"invalid URL escape "%a\xc3""#.to_owned())
        );
        for s in ["hello world", "ü€😀", "a+b=c&d", "%%%"] {
            assert_eq!(query_unescape(&query_escape(s)).as_deref(), Ok(s));
        }
    }

    #[test]
    fn quote_matches_strconv() {
        assert_eq!(go_quote(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            go_quote("\u{7}\u{8}\u{c}\n\r\t\u{b}\u{1}".as_bytes()),
            r#""\a\b\f\n\r\t\v\x01""#
        );
        assert_eq!(go_quote("é😀".as_bytes()), "\"é😀\"");
        assert_eq!(
            go_quote("\u{a0}\u{85}\u{feff}\u{10ffff}".as_bytes()),
            r#""\u00a0\u0085\ufeff\U0010ffff""#
        );
        assert_eq!(go_quote(b"\xff"), r#""\xff""#);
    }
}
