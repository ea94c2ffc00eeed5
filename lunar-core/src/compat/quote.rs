//! Go's `strconv.Quote` and `unicode.IsPrint`: one implementation for every error text
//! that quotes user input (cron expressions, URLs, JSON characters).

use std::fmt::Write as _;

/// Go's `unicode.IsPrint`, without Unicode tables: everything except controls, non-ASCII
/// spaces, the common format characters, private use and noncharacters (ASCII space is
/// printable).
#[must_use]
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c,
        '\u{ad}'
        | '\u{600}'..='\u{605}'
        | '\u{61c}'
        | '\u{6dd}'
        | '\u{70f}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{e000}'..='\u{f8ff}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{fffe}'
        | '\u{ffff}'
        | '\u{e0001}'
        | '\u{e0020}'..='\u{e007f}'
        | '\u{f0000}'..
    )
}

/// Appends `c` escaped as inside a Go quoted literal delimited by `delim` (`"` or `'`).
pub(crate) fn push_escaped(out: &mut String, c: char, delim: char) {
    match c {
        _ if c == delim => {
            out.push('\\');
            out.push(c);
        }
        '\\' => out.push_str("\\\\"),
        _ if is_print(c) => out.push(c),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        _ if u32::from(c) < 0x20 || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        _ if u32::from(c) < 0x1_0000 => {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        }
        _ => {
            let _ = write!(out, "\\U{:08x}", u32::from(c));
        }
    }
}

/// Go's `strconv.Quote` over bytes: double-quoted, Go escapes, invalid UTF-8 as `\xNN`.
#[must_use]
pub(crate) fn go_quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut out, c, '"');
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::{go_quote, is_print};

    #[test]
    fn quotes_like_strconv() {
        assert_eq!(go_quote(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote(b"\x07\x08\x0c\n\r\t\x0b"), r#""\a\b\f\n\r\t\v""#);
        assert_eq!(go_quote(b"\x01\x7f"), r#""\x01\x7f""#);
        assert_eq!(
            go_quote("é ü\u{a0}\u{ad}".as_bytes()),
            r#""é ü\u00a0\u00ad""#
        );
        assert_eq!(
            go_quote("\u{e000}\u{f0000}".as_bytes()),
            r#""\ue000\U000f0000""#
        );
        assert_eq!(go_quote(b"\xff'"), r#""\xff'""#);
        assert!(is_print(' ') && !is_print('\u{2028}') && !is_print('\u{200b}'));
    }
}
