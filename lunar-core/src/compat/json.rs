//! JSON validation with Go `encoding/json` scanner error messages.
//!
//! A port of the byte-level state machine in Go's `encoding/json/scanner.go`
//! (`checkValid`), including its end-of-input behaviour: at the end, Go feeds one space
//! through the scanner, so an unfinished number or literal reports
//! `invalid character ' ' …` rather than `unexpected end of JSON input`.

/// Go's `maxNestingDepth`.
const MAX_NESTING_DEPTH: usize = 10_000;

/// What the scanner is inside of (Go's `parseObjectKey` etc.).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parse {
    /// Parsing an object key (before the colon).
    ObjectKey,
    /// Parsing an object value (after the colon).
    ObjectValue,
    /// Parsing an array element.
    ArrayValue,
}

/// The scanner's step function (Go's `state*` functions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// After `[`.
    BeginValueOrEmpty,
    /// Expecting a value.
    BeginValue,
    /// After `{`.
    BeginStringOrEmpty,
    /// Expecting an object key.
    BeginString,
    /// After a complete value.
    EndValue,
    /// After the complete top-level value.
    EndTop,
    /// Inside a string.
    InString,
    /// After a backslash in a string.
    InStringEsc,
    /// After `\u` followed by this many hex digits (0-3).
    InStringEscU(u8),
    /// After a leading `-`.
    Neg,
    /// In the integer part after a non-zero digit.
    One,
    /// After a leading `0` (or the integer part).
    Zero,
    /// After the decimal point.
    Dot,
    /// In the fraction digits.
    Dot0,
    /// After `e`/`E`.
    E,
    /// After the exponent sign.
    ESign,
    /// In the exponent digits.
    E0,
    /// Inside a literal; the remaining bytes to match and the literal's name.
    Literal(&'static [u8], &'static str),
}

/// Go's `quoteChar`: a byte in single quotes, escaped like `strconv.Quote(string(rune(c)))`
/// (so C1 controls, NO-BREAK SPACE and SOFT HYPHEN as `\u00XX`).
fn quote_char(c: u8) -> String {
    let mut out = String::from("'");
    super::quote::push_escaped(&mut out, char::from(c), '\'');
    out.push('\'');
    out
}

/// Go's scanner `isSpace`.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// The byte-level scanner.
#[derive(Debug)]
struct Scanner {
    /// Current step function.
    state: State,
    /// Stack of enclosing containers.
    stack: Vec<Parse>,
    /// Whether the top-level value is complete.
    end_top: bool,
}

impl Scanner {
    /// Builds the `invalid character` error.
    fn error(c: u8, context: &str) -> String {
        format!("invalid character {} {context}", quote_char(c))
    }

    /// Go's `pushParseState`.
    fn push(&mut self, c: u8, p: Parse, next: State) -> Result<(), String> {
        self.stack.push(p);
        if self.stack.len() > MAX_NESTING_DEPTH {
            return Err(Self::error(c, "exceeded max depth"));
        }
        self.state = next;
        Ok(())
    }

    /// Go's `popParseState`.
    fn pop(&mut self) {
        self.stack.pop();
        self.state = State::EndValue;
        if self.stack.is_empty() {
            self.end_top = true;
        }
    }

    /// Go's `stateBeginValue`.
    fn begin_value(&mut self, c: u8) -> Result<(), String> {
        if is_space(c) {
            return Ok(());
        }
        self.state = match c {
            b'{' => return self.push(c, Parse::ObjectKey, State::BeginStringOrEmpty),
            b'[' => return self.push(c, Parse::ArrayValue, State::BeginValueOrEmpty),
            b'"' => State::InString,
            b'-' => State::Neg,
            b'0' => State::Zero,
            b't' => State::Literal(b"rue", "true"),
            b'f' => State::Literal(b"alse", "false"),
            b'n' => State::Literal(b"ull", "null"),
            b'1'..=b'9' => State::One,
            _ => return Err(Self::error(c, "looking for beginning of value")),
        };
        Ok(())
    }

    /// Go's `stateEndValue`.
    fn end_value(&mut self, c: u8) -> Result<(), String> {
        let Some(&top) = self.stack.last() else {
            self.end_top = true;
            self.state = State::EndTop;
            return self.end_top_step(c);
        };
        if is_space(c) {
            self.state = State::EndValue;
            return Ok(());
        }
        match top {
            Parse::ObjectKey => {
                if c == b':' {
                    if let Some(last) = self.stack.last_mut() {
                        *last = Parse::ObjectValue;
                    }
                    self.state = State::BeginValue;
                    return Ok(());
                }
                Err(Self::error(c, "after object key"))
            }
            Parse::ObjectValue => match c {
                b',' => {
                    if let Some(last) = self.stack.last_mut() {
                        *last = Parse::ObjectKey;
                    }
                    self.state = State::BeginString;
                    Ok(())
                }
                b'}' => {
                    self.pop();
                    Ok(())
                }
                _ => Err(Self::error(c, "after object key:value pair")),
            },
            Parse::ArrayValue => match c {
                b',' => {
                    self.state = State::BeginValue;
                    Ok(())
                }
                b']' => {
                    self.pop();
                    Ok(())
                }
                _ => Err(Self::error(c, "after array element")),
            },
        }
    }

    /// Go's `stateEndTop`.
    fn end_top_step(&mut self, c: u8) -> Result<(), String> {
        if is_space(c) {
            Ok(())
        } else {
            Err(Self::error(c, "after top-level value"))
        }
    }

    /// Feeds one byte.
    fn step(&mut self, c: u8) -> Result<(), String> {
        match self.state {
            State::BeginValueOrEmpty => {
                if is_space(c) {
                    return Ok(());
                }
                if c == b']' {
                    return self.end_value(c);
                }
                self.begin_value(c)
            }
            State::BeginValue => self.begin_value(c),
            State::BeginStringOrEmpty => {
                if is_space(c) {
                    return Ok(());
                }
                if c == b'}' {
                    if let Some(last) = self.stack.last_mut() {
                        *last = Parse::ObjectValue;
                    }
                    return self.end_value(c);
                }
                self.begin_string(c)
            }
            State::BeginString => self.begin_string(c),
            State::EndValue => self.end_value(c),
            State::EndTop => self.end_top_step(c),
            State::InString => {
                match c {
                    b'"' => self.state = State::EndValue,
                    b'\\' => self.state = State::InStringEsc,
                    0x00..=0x1f => return Err(Self::error(c, "in string literal")),
                    _ => {}
                }
                Ok(())
            }
            State::InStringEsc => {
                self.state = match c {
                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => State::InString,
                    b'u' => State::InStringEscU(0),
                    _ => return Err(Self::error(c, "in string escape code")),
                };
                Ok(())
            }
            State::InStringEscU(n) => {
                if !c.is_ascii_hexdigit() {
                    return Err(Self::error(c, r"in \u hexadecimal character escape"));
                }
                self.state = if n == 3 {
                    State::InString
                } else {
                    State::InStringEscU(n + 1)
                };
                Ok(())
            }
            State::Neg => {
                self.state = match c {
                    b'0' => State::Zero,
                    b'1'..=b'9' => State::One,
                    _ => return Err(Self::error(c, "in numeric literal")),
                };
                Ok(())
            }
            State::One => {
                if c.is_ascii_digit() {
                    return Ok(());
                }
                self.zero(c)
            }
            State::Zero => self.zero(c),
            State::Dot => {
                if c.is_ascii_digit() {
                    self.state = State::Dot0;
                    return Ok(());
                }
                Err(Self::error(c, "after decimal point in numeric literal"))
            }
            State::Dot0 => {
                if c.is_ascii_digit() {
                    return Ok(());
                }
                if c == b'e' || c == b'E' {
                    self.state = State::E;
                    return Ok(());
                }
                self.end_value(c)
            }
            State::E => {
                if c == b'+' || c == b'-' {
                    self.state = State::ESign;
                    return Ok(());
                }
                self.e_sign(c)
            }
            State::ESign => self.e_sign(c),
            State::E0 => {
                if c.is_ascii_digit() {
                    return Ok(());
                }
                self.end_value(c)
            }
            State::Literal(rest, name) => match rest.split_first() {
                Some((&want, tail)) if c == want => {
                    self.state = if tail.is_empty() {
                        State::EndValue
                    } else {
                        State::Literal(tail, name)
                    };
                    Ok(())
                }
                Some((&want, _)) => Err(Self::error(
                    c,
                    &format!("in literal {name} (expecting {})", quote_char(want)),
                )),
                None => self.end_value(c),
            },
        }
    }

    /// Go's `stateBeginString`.
    fn begin_string(&mut self, c: u8) -> Result<(), String> {
        if is_space(c) {
            return Ok(());
        }
        if c == b'"' {
            self.state = State::InString;
            return Ok(());
        }
        Err(Self::error(c, "looking for beginning of object key string"))
    }

    /// Go's `state0`: after the integer part.
    fn zero(&mut self, c: u8) -> Result<(), String> {
        match c {
            b'.' => {
                self.state = State::Dot;
                Ok(())
            }
            b'e' | b'E' => {
                self.state = State::E;
                Ok(())
            }
            _ => self.end_value(c),
        }
    }

    /// Go's `stateESign`: expecting the first exponent digit.
    fn e_sign(&mut self, c: u8) -> Result<(), String> {
        if c.is_ascii_digit() {
            self.state = State::E0;
            return Ok(());
        }
        Err(Self::error(c, "in exponent of numeric literal"))
    }
}

impl State {
    /// Whether the scanner is inside a number literal.
    fn in_number(self) -> bool {
        matches!(
            self,
            State::Neg
                | State::One
                | State::Zero
                | State::Dot
                | State::Dot0
                | State::E
                | State::ESign
                | State::E0
        )
    }
}

/// Go's decode error for a number literal that overflows a float64 (`strconv.ParseFloat`
/// range error), or `None` when it fits. Underflow rounds to zero without error, as in Go.
fn number_overflow(literal: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(literal).ok()?;
    let value: f64 = text.parse().ok()?;
    value
        .is_infinite()
        .then(|| format!("json: cannot unmarshal number {text} into Go value of type float64"))
}

/// Validates `text` like Go's `json.Unmarshal` into an `interface{}`.
///
/// Returns Go's exact `SyntaxError` text on invalid input (`unexpected end of JSON input`
/// or `invalid character <c> <context>`); for syntactically valid input whose first
/// out-of-range number (e.g. `1e400`) cannot become a float64, Go's
/// `json: cannot unmarshal number <literal> into Go value of type float64`.
pub fn check(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    let mut scanner = Scanner {
        state: State::BeginValue,
        stack: Vec::new(),
        end_top: false,
    };
    let mut number_start = 0;
    let mut overflow: Option<String> = None;
    // Feeds one byte at `i`, tracking where number literals start and end.
    let mut feed = |scanner: &mut Scanner, i: usize, c: u8| -> Result<(), String> {
        let was_number = scanner.state.in_number();
        scanner.step(c)?;
        let is_number = scanner.state.in_number();
        if !was_number && is_number {
            number_start = i;
        } else if was_number && !is_number && overflow.is_none() {
            overflow = number_overflow(&bytes[number_start..i]);
        }
        Ok(())
    };
    for (i, &c) in bytes.iter().enumerate() {
        feed(&mut scanner, i, c)?;
    }
    if !scanner.end_top {
        feed(&mut scanner, bytes.len(), b' ')?;
        if !scanner.end_top {
            return Err("unexpected end of JSON input".to_owned());
        }
    }
    match overflow {
        Some(message) => Err(message),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{check, quote_char};

    fn err(s: &str) -> String {
        match check(s) {
            Ok(()) => panic!("{s:?} unexpectedly valid"),
            Err(e) => e,
        }
    }

    #[test]
    fn valid_documents() {
        for s in [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "1",
            "-12.5e+10",
            "1E5",
            "0.0e-0",
            r#""""#,
            r#""a\"\\\/\b\f\n\r\t\u00e9\uD83D""#,
            "\"é 😀\"",
            "[]",
            "{}",
            " \t\r\n[ 1 , [ ] , { } , {\"a\" : [null]} ] \n",
            r#"{"a":1,"a":2}"#,
            "  7  ",
        ] {
            assert_eq!(check(s), Ok(()), "{s:?}");
        }
    }

    #[test]
    fn unexpected_end() {
        for s in [
            "",
            " ",
            "\n\t",
            "[",
            "[1,",
            "{",
            r#"{"a""#,
            r#"{"a":"#,
            r#"{"a":1"#,
            "\"abc",
            "[1",
            "[1 ",
            "{\"a\":1,",
        ] {
            assert_eq!(err(s), "unexpected end of JSON input", "{s:?}");
        }
    }

    #[test]
    fn end_of_input_inside_tokens_reports_space() {
        assert_eq!(err("-"), "invalid character ' ' in numeric literal");
        assert_eq!(
            err("1."),
            "invalid character ' ' after decimal point in numeric literal"
        );
        assert_eq!(
            err("1e"),
            "invalid character ' ' in exponent of numeric literal"
        );
        assert_eq!(
            err("1e+"),
            "invalid character ' ' in exponent of numeric literal"
        );
        assert_eq!(
            err("tru"),
            "invalid character ' ' in literal true (expecting 'e')"
        );
        assert_eq!(
            err("[nul"),
            "invalid character ' ' in literal null (expecting 'l')"
        );
        assert_eq!(err("\"\\"), "invalid character ' ' in string escape code");
        assert_eq!(
            err("\"\\u12"),
            r"invalid character ' ' in \u hexadecimal character escape"
        );
    }

    #[test]
    fn every_context() {
        assert_eq!(
            err("x"),
            "invalid character 'x' looking for beginning of value"
        );
        assert_eq!(
            err("[1,]"),
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!(
            err("{1:2}"),
            "invalid character '1' looking for beginning of object key string"
        );
        assert_eq!(err(r#"{"a",}"#), "invalid character ',' after object key");
        assert_eq!(
            err(r#"{"a":1 "b":2}"#),
            "invalid character '\"' after object key:value pair"
        );
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(err("\"a\tb\""), r"invalid character '\t' in string literal");
        assert_eq!(
            err(r#""\x""#),
            "invalid character 'x' in string escape code"
        );
        assert_eq!(
            err(r#""\u12g4""#),
            r"invalid character 'g' in \u hexadecimal character escape"
        );
        assert_eq!(err("-a"), "invalid character 'a' in numeric literal");
        assert_eq!(
            err("1.a"),
            "invalid character 'a' after decimal point in numeric literal"
        );
        assert_eq!(
            err("1ea"),
            "invalid character 'a' in exponent of numeric literal"
        );
        assert_eq!(
            err("1e+a"),
            "invalid character 'a' in exponent of numeric literal"
        );
        assert_eq!(
            err("tx"),
            "invalid character 'x' in literal true (expecting 'r')"
        );
        assert_eq!(
            err("trx"),
            "invalid character 'x' in literal true (expecting 'u')"
        );
        assert_eq!(
            err("trux"),
            "invalid character 'x' in literal true (expecting 'e')"
        );
        assert_eq!(
            err("fx"),
            "invalid character 'x' in literal false (expecting 'a')"
        );
        assert_eq!(
            err("fax"),
            "invalid character 'x' in literal false (expecting 'l')"
        );
        assert_eq!(
            err("falx"),
            "invalid character 'x' in literal false (expecting 's')"
        );
        assert_eq!(
            err("falsx"),
            "invalid character 'x' in literal false (expecting 'e')"
        );
        assert_eq!(
            err("nx"),
            "invalid character 'x' in literal null (expecting 'u')"
        );
        assert_eq!(
            err("nux"),
            "invalid character 'x' in literal null (expecting 'l')"
        );
        assert_eq!(
            err("nulx"),
            "invalid character 'x' in literal null (expecting 'l')"
        );
        assert_eq!(err("{} x"), "invalid character 'x' after top-level value");
        assert_eq!(err("1 2"), "invalid character '2' after top-level value");
        assert_eq!(err("truex"), "invalid character 'x' after top-level value");
        assert_eq!(err("01"), "invalid character '1' after top-level value");
        assert_eq!(err("[01]"), "invalid character '1' after array element");
        assert_eq!(
            err("+1"),
            "invalid character '+' looking for beginning of value"
        );
        assert_eq!(
            err(".5"),
            "invalid character '.' looking for beginning of value"
        );
    }

    #[test]
    fn number_overflow_like_go_decoder() {
        assert_eq!(
            err("1e400"),
            "json: cannot unmarshal number 1e400 into Go value of type float64"
        );
        assert_eq!(
            err(r#"{"a":[1, -2E+999, 1e999]}"#),
            "json: cannot unmarshal number -2E+999 into Go value of type float64"
        );
        // Syntax errors win over overflow (Go checks syntax first).
        assert_eq!(
            err("[1e400,]"),
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!(check("1e-400"), Ok(()));
        assert_eq!(check("1.7976931348623157e308"), Ok(()));
        assert_eq!(check(&"9".repeat(300)), Ok(()));
        assert_eq!(check(r#"["1e400"]"#), Ok(()));
    }

    #[test]
    fn nesting_limit() {
        let ok = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(check(&ok), Ok(()));
        let deep = "[".repeat(10_001);
        assert_eq!(err(&deep), "invalid character '[' exceeded max depth");
    }

    #[test]
    fn quoting_of_characters() {
        assert_eq!(
            err("'"),
            r"invalid character '\'' looking for beginning of value"
        );
        assert_eq!(
            err(r#"{"a":1"b"#),
            r#"invalid character '"' after object key:value pair"#
        );
        assert_eq!(
            err("\n\n}"),
            "invalid character '}' looking for beginning of value"
        );
        assert_eq!(err("\"\n\""), r"invalid character '\n' in string literal");
        assert_eq!(
            err("\u{1}"),
            r"invalid character '\x01' looking for beginning of value"
        );
        assert_eq!(
            err("é"),
            "invalid character 'Ã' looking for beginning of value"
        );
        assert_eq!(
            err("\\"),
            r"invalid character '\\' looking for beginning of value"
        );
        assert_eq!(quote_char(0x7f), r"'\x7f'");
        assert_eq!(quote_char(0x07), r"'\a'");
        assert_eq!(quote_char(0x0b), r"'\v'");
        assert_eq!(quote_char(0x0d), r"'\r'");
        assert_eq!(quote_char(0x85), r"'\u0085'");
        assert_eq!(quote_char(0xa0), r"'\u00a0'");
        assert_eq!(quote_char(0xad), r"'\u00ad'");
        assert_eq!(quote_char(0xe9), "'é'");
        assert_eq!(quote_char(0xff), "'ÿ'");
        assert_eq!(quote_char(b' '), "' '");
    }
}
