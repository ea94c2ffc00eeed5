//! The text of a failed execution's `error_message`: the message, the
//! code around the failing line, and a tip for well-known mistakes.
//!
//! ```text
//! Error at line 3: TypeError: Cannot read properties of null (reading 'id')
//!
//! [CODE]
//!     1 | function handler(ctx, event) {
//!     2 |   const user = null;
//! >   3 |   return { body: user.id };
//!                          ^
//!     4 | }
//! [/CODE]
//!
//! [TIP] You're accessing a property of undefined or null
//!   • ...
//! ```
//!
//! Clients split the text on `[CODE]` and `[/CODE]`: part 0 is the description,
//! part 1 the code, part 2 the tip.

use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::RegexSet;

/// Lines of context shown before and after the failing line.
const CONTEXT_LINES: usize = 2;

/// Minimum width of the line-number column.
const MIN_NUMBER_WIDTH: usize = 3;

/// A hint for a well-known kind of error, appended to the error text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    /// The category name, e.g. `nil_index`.
    pub category: &'static str,
    /// The headline, shown after `[TIP] `.
    pub headline: &'static str,
    /// The bullets, each shown on its own line after `  • `.
    pub bullets: &'static [&'static str],
}

/// The tip table: a regex on the message and the tip it selects. The first matching
/// row wins.
static TIP_TABLE: [(&str, Tip); 11] = [
    (
        r"Cannot (read|set) properties of (undefined|null)|Cannot convert undefined or null to object|Cannot destructure",
        Tip {
            category: "nil_index",
            headline: "You're accessing a property of undefined or null",
            bullets: &[
                "a call returned null or undefined (kv.get returns null for a missing key)",
                "a variable or field was never set",
                "a Promise used without `await`",
                "check first: `if (value == null)` or `value?.field`",
            ],
        },
    ),
    (
        r"is not a function|is not a constructor",
        Tip {
            category: "nil_call",
            headline: "You're calling a function that doesn't exist",
            bullets: &[
                "check the spelling (case-sensitive)",
                "define it before calling",
                "available APIs: log, console, kv, env, http, fetch, json, base64, crypto, time, url, strings, random, router, ai, email",
            ],
        },
    ),
    (
        r"is not defined",
        Tip {
            category: "not_defined",
            headline: "You're using a variable that is not defined",
            bullets: &[
                "check the spelling",
                "declare it with let/const",
                "Lunar's APIs are globals (kv, env, http, ...)",
            ],
        },
    ),
    (
        r"is not valid JSON|Unexpected end of JSON input|in JSON at position|unexpected end of JSON input|invalid character '.*' (looking for|after|in )",
        Tip {
            category: "json_parse",
            headline: "The text is not valid JSON",
            bullets: &[
                "event.body may be empty or not JSON (check Content-Type)",
                "wrap JSON.parse/json.decode in try/catch and answer 400",
            ],
        },
    ),
    (
        r"^SyntaxError",
        Tip {
            category: "syntax_error",
            headline: "JavaScript syntax error",
            bullets: &[
                "a missing comma, bracket, brace, parenthesis or quote near the marked line",
                "`await` only inside `async` functions",
                "multi-line strings need template literals",
            ],
        },
    ),
    (
        r"must be .+, got ",
        Tip {
            category: "bad_argument",
            headline: "Wrong type passed to a function",
            bullets: &[
                "convert explicitly: String(x), Number(x), JSON.stringify(obj)",
                "kv and env store strings: JSON-encode objects",
                "validate event.body/event.query first",
            ],
        },
    ),
    (
        r"handler function not found",
        Tip {
            category: "no_handler",
            headline: "Your code must export a 'handler' function",
            bullets: &[
                "define `function handler(ctx, event) { ... }` (async allowed) at top level",
                "or `export default` / `export function handler`",
                "the name must be exactly `handler`",
            ],
        },
    ),
    (
        r"handler did not return an object|handler returned an invalid|handler returned a body",
        Tip {
            category: "bad_return",
            headline: "The handler must return an object (the HTTP response)",
            bullets: &[
                "`return { statusCode: 200, headers: {...}, body: \"...\" }`",
                "statusCode optional (200); body a string, number, bytes or JSON-serialisable value",
                "every code path must return",
            ],
        },
    ),
    (
        r"execution timed out",
        Tip {
            category: "timeout",
            headline: "The function ran longer than its time limit",
            bullets: &[
                "loops that never end, promises that never settle",
                "slow upstream calls: pass a shorter `timeoutMs`",
                "the limit is EXECUTION_TIMEOUT or the function's `limits.timeout_seconds`",
            ],
        },
    ),
    (
        r"memory limit exceeded",
        Tip {
            category: "memory",
            headline: "The function used more memory than allowed",
            bullets: &[
                "avoid building huge strings/arrays",
                "process data in smaller pieces",
            ],
        },
    ),
    (
        r"Maximum call stack size exceeded",
        Tip {
            category: "stack_overflow",
            headline: "Too much recursion",
            bullets: &[
                "a function calls itself without a stopping case",
                "rewrite deep recursion as a loop",
            ],
        },
    ),
];

static TIP_PATTERNS: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(TIP_TABLE.iter().map(|(pattern, _)| pattern))
        .expect("tip patterns are valid regexes")
});

/// Returns the tip of the first category whose pattern matches `message`, if any.
///
/// ```
/// use lunar_core::errfmt::tip_for;
///
/// let tip = tip_for("ReferenceError: foo is not defined").unwrap();
/// assert_eq!(tip.category, "not_defined");
/// assert!(tip_for("something else").is_none());
/// ```
#[must_use]
pub fn tip_for(message: &str) -> Option<&'static Tip> {
    let index = TIP_PATTERNS.matches(message).iter().next()?;
    TIP_TABLE.get(index).map(|(_, tip)| tip)
}

/// Formats a runtime or compile error as the execution's `error_message`.
///
/// `line` and `column` are 1-based positions in `code`; `0` counts as unknown.
///
/// * Line within the source: `Error at line N: <message>`, a blank line, then the
///   code block between `[CODE]` and `[/CODE]`: up to two lines before and after
///   the failing line, each as marker (`> ` for the failing line, two spaces
///   otherwise) + line number right-aligned in width max(3, digits) + ` | ` + the
///   source line; with a column, a caret line under the failing line.
/// * Line beyond the source: `Error at line N: <message>` only.
/// * No line: `Error: <message>`.
///
/// A tip (see [`tip_for`]) follows as `\n\n[TIP] <headline>` and one
/// `\n  • <bullet>` per bullet.
///
/// ```
/// use lunar_core::errfmt::format_run_error;
///
/// let text = format_run_error("let a = 1;\nboom();", "Error: boom", Some(2), Some(1));
/// assert_eq!(
///     text,
///     "Error at line 2: Error: boom\n\n[CODE]\n    1 | let a = 1;\n>   2 | boom();\n        ^\n[/CODE]"
/// );
/// ```
#[must_use]
pub fn format_run_error(
    code: &str,
    message: &str,
    line: Option<u32>,
    column: Option<u32>,
) -> String {
    let line = line
        .filter(|&n| n > 0)
        .and_then(|n| usize::try_from(n).ok());
    let column = column
        .filter(|&n| n > 0)
        .and_then(|n| usize::try_from(n).ok());

    let mut out = String::new();
    match line {
        Some(number) => {
            let _ = write!(out, "Error at line {number}: {message}");
            let lines: Vec<&str> = code.split('\n').collect();
            if number <= lines.len() {
                out.push_str("\n\n[CODE]\n");
                out.push_str(&code_block(&lines, number, column));
                out.push_str("\n[/CODE]");
            }
        }
        None => {
            let _ = write!(out, "Error: {message}");
        }
    }

    if let Some(tip) = tip_for(message) {
        let _ = write!(out, "\n\n[TIP] {}", tip.headline);
        for bullet in tip.bullets {
            let _ = write!(out, "\n  • {bullet}");
        }
    }
    out
}

/// The code block lines (joined by `\n`, without the `[CODE]` markers) around the
/// 1-based `failing` line, which must be within `lines`.
fn code_block(lines: &[&str], failing: usize, column: Option<usize>) -> String {
    let first = failing.saturating_sub(CONTEXT_LINES).max(1);
    let last = failing.saturating_add(CONTEXT_LINES).min(lines.len());
    let width = last.to_string().len().max(MIN_NUMBER_WIDTH);

    let mut block = Vec::with_capacity(last - first + 2);
    for (number, source) in (first..=last).zip(lines.iter().skip(first - 1)) {
        let source = source.strip_suffix('\r').unwrap_or(source);
        let marker = if number == failing { "> " } else { "  " };
        block.push(format!("{marker}{number:>width$} | {source}"));
        if number == failing
            && let Some(column) = column
        {
            let indent = 2 + width + 3 + (column - 1);
            block.push(format!("{}^", " ".repeat(indent)));
        }
    }
    block.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "function handler(ctx, event) {\n  const user = null;\n  return { body: user.profile.id };\n}\n// end";

    const NIL_INDEX_TIP: &str = "\n\n[TIP] You're accessing a property of undefined or null\
        \n  • a call returned null or undefined (kv.get returns null for a missing key)\
        \n  • a variable or field was never set\
        \n  • a Promise used without `await`\
        \n  • check first: `if (value == null)` or `value?.field`";

    /// `n` numbered source lines, `line 1` to `line n`.
    fn numbered(n: usize) -> String {
        (1..=n)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn runtime_error_full_text() {
        let message = "TypeError: Cannot read properties of null (reading 'profile')\n    at handler (function.js:3:24)";
        let expected = String::new()
            + "Error at line 3: TypeError: Cannot read properties of null (reading 'profile')\n"
            + "    at handler (function.js:3:24)\n"
            + "\n"
            + "[CODE]\n"
            + "    1 | function handler(ctx, event) {\n"
            + "    2 |   const user = null;\n"
            + ">   3 |   return { body: user.profile.id };\n"
            + "                               ^\n"
            + "    4 | }\n"
            + "    5 | // end\n"
            + "[/CODE]"
            + NIL_INDEX_TIP;
        assert_eq!(
            format_run_error(SCRIPT, message, Some(3), Some(24)),
            expected
        );
    }

    #[test]
    fn caret_is_under_the_column() {
        let text = format_run_error(SCRIPT, "x", Some(3), Some(24));
        let lines: Vec<&str> = text.split('\n').collect();
        let failing = lines.iter().position(|l| l.starts_with("> ")).unwrap();
        let caret = lines[failing + 1];
        // Marker (2) + width (3) + " | " (3), then column - 1.
        assert_eq!(caret, format!("{}^", " ".repeat(2 + 3 + 3 + 23)));
        assert_eq!(&lines[failing][..8], ">   3 | ");
        assert_eq!(&lines[failing][8 + 23..8 + 24], "r");
    }

    #[test]
    fn caret_at_column_one() {
        let text = format_run_error("a\nb", "Error: boom", Some(1), Some(1));
        assert_eq!(
            text,
            "Error at line 1: Error: boom\n\n[CODE]\n>   1 | a\n        ^\n    2 | b\n[/CODE]"
        );
    }

    #[test]
    fn no_column_means_no_caret() {
        let text = format_run_error(SCRIPT, "Error: boom", Some(3), None);
        assert_eq!(
            text,
            "Error at line 3: Error: boom\n\n[CODE]\n    1 | function handler(ctx, event) {\n    2 |   const user = null;\n>   3 |   return { body: user.profile.id };\n    4 | }\n    5 | // end\n[/CODE]"
        );
    }

    #[test]
    fn first_line_is_clipped_before() {
        let text = format_run_error(&numbered(10), "Error: boom", Some(1), None);
        assert_eq!(
            text,
            "Error at line 1: Error: boom\n\n[CODE]\n>   1 | line 1\n    2 | line 2\n    3 | line 3\n[/CODE]"
        );
        let text = format_run_error(&numbered(10), "Error: boom", Some(2), None);
        assert_eq!(
            text,
            "Error at line 2: Error: boom\n\n[CODE]\n    1 | line 1\n>   2 | line 2\n    3 | line 3\n    4 | line 4\n[/CODE]"
        );
    }

    #[test]
    fn last_line_is_clipped_after() {
        let text = format_run_error(&numbered(10), "Error: boom", Some(10), Some(3));
        assert_eq!(
            text,
            "Error at line 10: Error: boom\n\n[CODE]\n    8 | line 8\n    9 | line 9\n>  10 | line 10\n          ^\n[/CODE]"
        );
        let text = format_run_error(&numbered(10), "Error: boom", Some(9), None);
        assert_eq!(
            text,
            "Error at line 9: Error: boom\n\n[CODE]\n    7 | line 7\n    8 | line 8\n>   9 | line 9\n   10 | line 10\n[/CODE]"
        );
    }

    #[test]
    fn single_line_source() {
        let text = format_run_error("throw 1", "Uncaught 1", Some(1), Some(1));
        assert_eq!(
            text,
            "Error at line 1: Uncaught 1\n\n[CODE]\n>   1 | throw 1\n        ^\n[/CODE]"
        );
    }

    #[test]
    fn width_grows_with_four_digit_line_numbers() {
        let code = numbered(1001);
        let text = format_run_error(&code, "Error: boom", Some(999), Some(2));
        assert_eq!(
            text,
            "Error at line 999: Error: boom\n\n[CODE]\n   997 | line 997\n   998 | line 998\n>  999 | line 999\n          ^\n  1000 | line 1000\n  1001 | line 1001\n[/CODE]"
        );
    }

    #[test]
    fn width_three_when_largest_shown_is_999() {
        let text = format_run_error(&numbered(1001), "Error: boom", Some(997), None);
        assert_eq!(
            text,
            "Error at line 997: Error: boom\n\n[CODE]\n  995 | line 995\n  996 | line 996\n> 997 | line 997\n  998 | line 998\n  999 | line 999\n[/CODE]"
        );
    }

    #[test]
    fn line_beyond_the_source() {
        assert_eq!(
            format_run_error("a\nb", "Error: boom", Some(3), Some(1)),
            "Error at line 3: Error: boom"
        );
        assert_eq!(
            format_run_error("", "Error: boom", Some(2), None),
            "Error at line 2: Error: boom"
        );
    }

    #[test]
    fn trailing_newline_counts_as_an_empty_last_line() {
        assert_eq!(
            format_run_error("a\n", "Error: boom", Some(2), None),
            "Error at line 2: Error: boom\n\n[CODE]\n    1 | a\n>   2 | \n[/CODE]"
        );
    }

    #[test]
    fn no_line() {
        assert_eq!(
            format_run_error(SCRIPT, "execution timed out after 30000 ms", None, Some(5)),
            "Error: execution timed out after 30000 ms\
             \n\n[TIP] The function ran longer than its time limit\
             \n  • loops that never end, promises that never settle\
             \n  • slow upstream calls: pass a shorter `timeoutMs`\
             \n  • the limit is EXECUTION_TIMEOUT or the function's `limits.timeout_seconds`"
        );
        assert_eq!(
            format_run_error("", "Uncaught 42", None, None),
            "Error: Uncaught 42"
        );
    }

    #[test]
    fn zero_line_or_column_counts_as_unknown() {
        assert_eq!(
            format_run_error(SCRIPT, "boom", Some(0), Some(1)),
            "Error: boom"
        );
        assert_eq!(
            format_run_error("a", "boom", Some(1), Some(0)),
            "Error at line 1: boom\n\n[CODE]\n>   1 | a\n[/CODE]"
        );
    }

    #[test]
    fn crlf_sources_lose_the_trailing_cr() {
        let code = "let a = 1;\r\nlet b = a.x.y;\r\nlet c = 3;\r\n";
        assert_eq!(
            format_run_error(code, "boom", Some(2), Some(11)),
            "Error at line 2: boom\n\n[CODE]\n    1 | let a = 1;\n>   2 | let b = a.x.y;\n                  ^\n    3 | let c = 3;\n    4 | \n[/CODE]"
        );
        // Only one trailing `\r` is removed, and inner ones are kept.
        assert_eq!(
            format_run_error("a\rb\r\r", "boom", Some(1), None),
            "Error at line 1: boom\n\n[CODE]\n>   1 | a\rb\r\n[/CODE]"
        );
    }

    #[test]
    fn line_numbers_are_right_aligned() {
        let text = format_run_error(&numbered(12), "boom", Some(9), None);
        assert_eq!(
            text,
            "Error at line 9: boom\n\n[CODE]\n    7 | line 7\n    8 | line 8\n>   9 | line 9\n   10 | line 10\n   11 | line 11\n[/CODE]"
        );
    }

    #[test]
    fn text_splits_into_three_parts_on_code_markers() {
        let text = format_run_error(
            SCRIPT,
            "TypeError: Cannot read properties of null (reading 'profile')",
            Some(3),
            Some(24),
        );
        let parts: Vec<&str> = text
            .split("[CODE]")
            .flat_map(|p| p.split("[/CODE]"))
            .collect();
        assert_eq!(parts.len(), 3);
        assert!(parts[0].starts_with("Error at line 3: TypeError"));
        assert!(parts[1].contains(">   3 | "));
        assert!(parts[2].starts_with("\n\n[TIP] "));
    }

    // ---- tips -------------------------------------------------------------------

    fn category(message: &str) -> Option<&'static str> {
        tip_for(message).map(|tip| tip.category)
    }

    #[test]
    fn every_category_matches_a_representative_message() {
        let cases = [
            (
                "TypeError: Cannot read properties of undefined (reading 'id')",
                "nil_index",
            ),
            (
                "TypeError: Cannot set properties of null (setting 'x')",
                "nil_index",
            ),
            (
                "TypeError: Cannot convert undefined or null to object",
                "nil_index",
            ),
            (
                "TypeError: Cannot destructure property 'a' of 'b' as it is undefined.",
                "nil_index",
            ),
            ("TypeError: kv.gett is not a function", "nil_call"),
            ("TypeError: Foo is not a constructor", "nil_call"),
            ("ReferenceError: foo is not defined", "not_defined"),
            (
                "SyntaxError: Unexpected token 'h', \"hello\" is not valid JSON",
                "json_parse",
            ),
            ("SyntaxError: Unexpected end of JSON input", "json_parse"),
            (
                "SyntaxError: Unexpected token } in JSON at position 5",
                "json_parse",
            ),
            ("unexpected end of JSON input", "json_parse"),
            (
                "invalid character 'h' looking for beginning of value",
                "json_parse",
            ),
            ("invalid character '}' after object key", "json_parse"),
            ("invalid character 'x' in string literal", "json_parse"),
            ("SyntaxError: Unexpected identifier 'x'", "syntax_error"),
            (
                "TypeError: key must be a string, got number",
                "bad_argument",
            ),
            (
                "handler function not found in JavaScript code",
                "no_handler",
            ),
            ("handler did not return an object", "bad_return"),
            ("handler returned an invalid statusCode: 42", "bad_return"),
            ("handler returned an invalid header: x y", "bad_return"),
            (
                "handler returned a body that is not valid base64: bad",
                "bad_return",
            ),
            ("execution timed out after 30000 ms", "timeout"),
            ("memory limit exceeded (128 MiB)", "memory"),
            (
                "RangeError: Maximum call stack size exceeded",
                "stack_overflow",
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(category(message), Some(expected), "{message}");
        }
    }

    #[test]
    fn json_parse_character_pattern_needs_a_known_suffix() {
        assert_eq!(category("invalid character 'h' somewhere"), None);
        // The quoted part may span several quotes (`.*`).
        assert_eq!(
            category("invalid character 'a' b 'c' after top-level value"),
            Some("json_parse")
        );
    }

    #[test]
    fn syntax_error_is_anchored_at_the_start() {
        assert_eq!(category("Error: SyntaxError somewhere"), None);
        assert_eq!(category("SyntaxError"), Some("syntax_error"));
        assert_eq!(category("Uncaught SyntaxError: x"), None);
        // `^` is the start of the text, not of any line.
        assert_eq!(category("Error: x\nSyntaxError: y"), None);
    }

    #[test]
    fn bad_argument_needs_text_between() {
        assert_eq!(category("must be , got x"), None);
        assert_eq!(category("must be x, got"), None);
        assert_eq!(
            category("value must be a number, got "),
            Some("bad_argument")
        );
    }

    #[test]
    fn patterns_are_case_sensitive() {
        assert_eq!(category("foo IS NOT DEFINED"), None);
        assert_eq!(category("syntaxerror: x"), None);
        assert_eq!(category("Execution timed out"), None);
    }

    #[test]
    fn no_tip_for_unmatched_messages() {
        for message in [
            "",
            "Error: boom",
            "Uncaught 42",
            "Uncaught {\"a\":1}",
            "client disconnected",
        ] {
            assert_eq!(tip_for(message), None, "{message}");
        }
        assert_eq!(
            format_run_error("a", "Error: boom", None, None),
            "Error: Error: boom"
        );
    }

    #[test]
    fn first_matching_category_wins() {
        // Matches nil_index and syntax_error: nil_index comes first.
        assert_eq!(
            category("SyntaxError: Cannot read properties of undefined (reading 'x')"),
            Some("nil_index")
        );
        // Matches nil_call and not_defined.
        assert_eq!(
            category("TypeError: x is not a function; y is not defined"),
            Some("nil_call")
        );
        // Matches json_parse and syntax_error.
        assert_eq!(
            category("SyntaxError: Unexpected end of JSON input"),
            Some("json_parse")
        );
        // Matches bad_argument and bad_return: bad_argument comes first.
        assert_eq!(
            category("handler returned an invalid statusCode: must be a number, got \"x\""),
            Some("bad_argument")
        );
    }

    #[test]
    fn tip_text_for_each_category() {
        let text = format_run_error(
            "",
            "RangeError: Maximum call stack size exceeded",
            None,
            None,
        );
        assert_eq!(
            text,
            "Error: RangeError: Maximum call stack size exceeded\n\n[TIP] Too much recursion\
             \n  • a function calls itself without a stopping case\
             \n  • rewrite deep recursion as a loop"
        );
        let text = format_run_error("", "memory limit exceeded (128 MiB)", None, None);
        assert_eq!(
            text,
            "Error: memory limit exceeded (128 MiB)\n\n[TIP] The function used more memory than allowed\
             \n  • avoid building huge strings/arrays\
             \n  • process data in smaller pieces"
        );
    }

    #[test]
    fn tip_table_is_well_formed() {
        let categories: Vec<&str> = TIP_TABLE.iter().map(|(_, tip)| tip.category).collect();
        assert_eq!(
            categories,
            [
                "nil_index",
                "nil_call",
                "not_defined",
                "json_parse",
                "syntax_error",
                "bad_argument",
                "no_handler",
                "bad_return",
                "timeout",
                "memory",
                "stack_overflow",
            ]
        );
        assert_eq!(TIP_PATTERNS.len(), TIP_TABLE.len());
        let headlines: Vec<&str> = TIP_TABLE.iter().map(|(_, tip)| tip.headline).collect();
        assert_eq!(
            headlines,
            [
                "You're accessing a property of undefined or null",
                "You're calling a function that doesn't exist",
                "You're using a variable that is not defined",
                "The text is not valid JSON",
                "JavaScript syntax error",
                "Wrong type passed to a function",
                "Your code must export a 'handler' function",
                "The handler must return an object (the HTTP response)",
                "The function ran longer than its time limit",
                "The function used more memory than allowed",
                "Too much recursion",
            ]
        );
        for (_, tip) in &TIP_TABLE {
            assert!(!tip.bullets.is_empty(), "{}", tip.category);
        }
        let nil_call = tip_for("x is not a function").unwrap();
        assert_eq!(
            nil_call.bullets[2],
            "available APIs: log, console, kv, env, http, fetch, json, base64, crypto, time, url, strings, random, router, ai, email"
        );
    }
}
