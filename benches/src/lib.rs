//! Criterion benchmarks for Lunar, one file per subject under `benches/`:
//!
//! * `stores` — the per-execution write path and a 20-row page read on each backend
//!   (`cargo bench -p lunar-benches --bench stores`; PostgreSQL when
//!   `LUNAR_TEST_POSTGRES_URL` is set).
