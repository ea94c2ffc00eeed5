//! Integration tests of `PostgresStore` on a real server (`LUNAR_TEST_POSTGRES_URL`), each
//! test in its own schema, dropped when the test ends.
//!
//! Without the URL every test prints a skip line and passes, unless `LUNAR_REQUIRE_POSTGRES=1`
//! (set by `.ci/run`), which turns the missing URL into a failure.

#[path = "../common/schema.rs"]
mod common_schema;
mod conformance;
mod cron_nodes;
mod nodes;
mod schema;
mod support;
