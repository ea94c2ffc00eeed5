//! The Lunar HTTP service (filled by the lunar-http issue).
