//! Support code for the Lunar examples.
