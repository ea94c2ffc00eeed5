//! The standalone server over real sockets with the V8 runtime: configuration, first-run
//! key, the README's curl sequence on every store, and the dashboard in a real browser.

mod dashboard;
mod readme;
