//! The standalone server over real sockets with the V8 runtime: configuration, first-run
//! key, the README's curl sequence on every store, the dashboard in a real browser, and
//! (ignored by default, run by `.ci/run`) the fault suite.

mod dashboard;
mod faults;
mod pg;
mod readme;
