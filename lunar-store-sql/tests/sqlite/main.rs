//! Integration tests of `SqliteStore` on real database files in temporary directories.

#[path = "../common/schema.rs"]
mod common_schema;
mod conformance;
mod durability;
mod pool;
mod schema;
mod support;
mod writer;
