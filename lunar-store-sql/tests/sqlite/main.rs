//! Integration tests of `SqliteStore` on real database files in temporary directories.

mod conformance;
mod durability;
mod pool;
mod schema;
mod support;
