//! Go-compatible semantics behind the function API: Lunar re-creates a Go platform, and
//! functions written for it expect Go's formatting, parsing and error texts. Pure Rust,
//! independent of any JavaScript engine (the V8 runtime calls into it).
//!
//! * [`time`]: `time.Format` / `time.ParseInLocation` with reference layouts;
//! * [`json`]: the `encoding/json` scanner's error messages;
//! * [`url`]: `net/url` parsing, query escaping and unescaping;
//! * [`strings`]: the `strings` package functions the JS `strings` module mirrors;
//! * [`codec`]: base64 (strict and forgiving), digests, HMACs, UUIDs and randomness;
//! * [`quote`]: `strconv.Quote` and `unicode.IsPrint`, shared by every error text that
//!   quotes user input.

pub mod codec;
pub mod json;
pub mod quote;
pub mod strings;
pub mod time;
pub mod url;
