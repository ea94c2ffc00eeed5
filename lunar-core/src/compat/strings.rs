//! Go `strings` package semantics for the `strings` JS module.
//!
//! `hasPrefix`/`hasSuffix`/`contains` map directly onto `str` methods (an empty needle is
//! always found) and `join` onto `[String]::join`, so they have no helpers here.

/// Longest string `repeat` produces: V8's maximum string length (`2^29 - 24`), as bytes.
const MAX_REPEAT_BYTES: usize = (1 << 29) - 24;

/// Go's `strings.TrimSpace`: strips leading and trailing Unicode `White_Space`.
pub fn trim(s: &str) -> &str {
    s.trim_matches(char::is_whitespace)
}

/// Whether `c` is one of the bytes `trimLeft`/`trimRight` strip (`' '`, `\t`, `\n`, `\r`).
fn is_ascii_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Go's `strings.TrimLeft(s, " \t\n\r")`.
pub fn trim_left(s: &str) -> &str {
    s.trim_start_matches(is_ascii_blank)
}

/// Go's `strings.TrimRight(s, " \t\n\r")`.
pub fn trim_right(s: &str) -> &str {
    s.trim_end_matches(is_ascii_blank)
}

/// Go's `strings.Split`: `sep == ""` splits into code points (so `split("", "")` is
/// empty); otherwise every occurrence separates, giving `[""]` for an empty `s`.
pub fn split(s: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        return s.chars().map(String::from).collect();
    }
    s.split(sep).map(str::to_owned).collect()
}

/// Go's `strings.Replace`: replaces the first `n` non-overlapping occurrences of `old`
/// (`n < 0`: all). An empty `old` matches at the start and after each code point.
pub fn replace(s: &str, old: &str, new: &str, n: i64) -> String {
    if old == new || n == 0 {
        return s.to_owned();
    }
    let count = if old.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(old).count()
    };
    let limit = usize::try_from(n).map_or(count, |n| n.min(count));
    if limit == 0 {
        return s.to_owned();
    }
    if !old.is_empty() {
        return s.replacen(old, new, limit);
    }
    let mut out = String::with_capacity(s.len() + limit * new.len());
    let mut inserted = 0;
    out.push_str(new);
    inserted += 1;
    let mut chars = s.chars();
    while inserted < limit {
        let Some(c) = chars.next() else { break };
        out.push(c);
        out.push_str(new);
        inserted += 1;
    }
    out.push_str(chars.as_str());
    out
}

/// Unicode simple (one-to-one) lowercase mapping, as Go's `unicode.ToLower`.
fn simple_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        // The only character whose full lowercase mapping expands: U+0130 → "i̇";
        // its simple mapping is U+0069.
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

/// Unicode simple (one-to-one) uppercase mapping, as Go's `unicode.ToUpper`.
fn simple_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    if let (Some(u), None) = (it.next(), it.next()) {
        return u;
    }
    // Full mapping expands (SpecialCasing). Only the Greek letters with ypogegrammeni
    // have a simple uppercase other than themselves (the titlecase form); the rest
    // (ß, ŉ, ǰ, ﬀ…, titlecase ᾈ…) map to themselves.
    let cp = u32::from(c);
    let mapped = match cp {
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => cp + 8,
        0x1FB3 | 0x1FC3 | 0x1FF3 => cp + 9,
        _ => cp,
    };
    char::from_u32(mapped).unwrap_or(c)
}

/// Go's `strings.ToLower`: simple lowercase mapping of each code point.
pub fn to_lower(s: &str) -> String {
    s.chars().map(simple_lower).collect()
}

/// Go's `strings.ToUpper`: simple uppercase mapping of each code point.
pub fn to_upper(s: &str) -> String {
    s.chars().map(simple_upper).collect()
}

/// Go's `strings.Repeat`: `n` copies of `s`.
///
/// `n < 0` fails with `strings: negative Repeat count`; a result longer than V8's maximum
/// string length fails with Go's `strings: Repeat output length overflow`.
pub fn repeat(s: &str, n: i64) -> Result<String, String> {
    let Ok(count) = usize::try_from(n) else {
        return Err("strings: negative Repeat count".to_owned());
    };
    match s.len().checked_mul(count) {
        Some(len) if len <= MAX_REPEAT_BYTES => Ok(s.repeat(count)),
        _ => Err("strings: Repeat output length overflow".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::{repeat, replace, split, to_lower, to_upper, trim, trim_left, trim_right};

    #[test]
    fn trims() {
        assert_eq!(
            trim(" \t\n\r\u{b}\u{c}\u{85}\u{a0}\u{3000}x y\u{2028} "),
            "x y"
        );
        assert_eq!(trim("\u{200b}x"), "\u{200b}x"); // ZERO WIDTH SPACE is not White_Space
        assert_eq!(trim(""), "");
        assert_eq!(trim_left(" \t\n\r\u{a0}x "), "\u{a0}x ");
        assert_eq!(trim_left("\u{b}x"), "\u{b}x");
        assert_eq!(trim_right(" x\r\n\t "), " x");
        assert_eq!(trim_right("x\u{3000}"), "x\u{3000}");
    }

    #[test]
    fn splits() {
        assert_eq!(split("", ","), vec![""]);
        assert_eq!(split("a,,b,", ","), vec!["a", "", "b", ""]);
        assert_eq!(split("a", ","), vec!["a"]);
        assert_eq!(split("aXYbXY", "XY"), vec!["a", "b", ""]);
        assert_eq!(split("aaa", "aa"), vec!["", "a"]);
        assert_eq!(split("héy😀", ""), vec!["h", "é", "y", "😀"]);
        assert!(split("", "").is_empty());
    }

    #[test]
    fn replaces() {
        assert_eq!(replace("oink oink oink", "k", "ky", 2), "oinky oinky oink");
        assert_eq!(replace("oink oink oink", "oink", "moo", -1), "moo moo moo");
        assert_eq!(replace("aaa", "a", "b", 0), "aaa");
        assert_eq!(replace("aaa", "a", "b", 10), "bbb");
        assert_eq!(replace("aaaa", "aa", "b", -1), "bb");
        assert_eq!(replace("abc", "x", "y", -1), "abc");
        assert_eq!(replace("abc", "b", "b", -1), "abc");
        assert_eq!(replace("ab", "", "-", -1), "-a-b-");
        assert_eq!(replace("ab", "", "-", 2), "-a-b");
        assert_eq!(replace("ab", "", "-", 1), "-ab");
        assert_eq!(replace("ab", "", "-", 100), "-a-b-");
        assert_eq!(replace("é😀", "", "|", -1), "|é|😀|");
        assert_eq!(replace("", "", "x", -1), "x");
        assert_eq!(replace("", "a", "x", -1), "");
    }

    #[test]
    fn case_mapping_is_simple() {
        assert_eq!(to_upper("hello, wörld ı ſ"), "HELLO, WÖRLD I S");
        assert_eq!(to_lower("HELLO, WÖRLD ΣΑΣ"), "hello, wörld σασ");
        assert_eq!(to_lower("İ"), "i");
        assert_eq!(to_upper("ß ŉ ǰ ﬀ ΐ"), "ß ŉ ǰ ﬀ ΐ");
        assert_eq!(
            to_upper("\u{1f80}\u{1f88}\u{1fb3}\u{1fbc}\u{1fc3}\u{1ff3}"),
            "\u{1f88}\u{1f88}\u{1fbc}\u{1fbc}\u{1fcc}\u{1ffc}"
        );
        assert_eq!(to_lower("\u{1f88}\u{1fbc}"), "\u{1f80}\u{1fb3}");
        assert_eq!(to_upper("ǅ"), "Ǆ");
        assert_eq!(to_lower("ǅ"), "ǆ");
        assert_eq!(to_upper(""), "");
        assert_eq!(to_upper("😀1"), "😀1");
    }

    #[test]
    fn repeats() {
        assert_eq!(repeat("ab", 3), Ok("ababab".to_owned()));
        assert_eq!(repeat("ab", 0), Ok(String::new()));
        assert_eq!(repeat("", 1 << 40), Ok(String::new()));
        assert_eq!(
            repeat("ab", -1),
            Err("strings: negative Repeat count".to_owned())
        );
        assert_eq!(
            repeat("ab", i64::MIN),
            Err("strings: negative Repeat count".to_owned())
        );
        assert_eq!(
            repeat("ab", 1 << 40),
            Err("strings: Repeat output length overflow".to_owned())
        );
        assert_eq!(
            repeat("ab", i64::MAX),
            Err("strings: Repeat output length overflow".to_owned())
        );
    }
}
