//! SQL stores for Lunar.
