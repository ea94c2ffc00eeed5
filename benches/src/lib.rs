//! Support code for the Lunar benchmarks.
