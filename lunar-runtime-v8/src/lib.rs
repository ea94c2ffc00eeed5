//! V8 runtime for Lunar.
