//! sled store for Lunar.
