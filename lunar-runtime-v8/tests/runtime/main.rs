//! Integration tests of the V8 runtime (one crate: V8 is linked once).

mod code_cache;
mod fixtures;
mod harness;
mod host;
mod hostile;
mod limits;
mod net;
mod queue;
mod streams;
mod subtle;
mod usage;
mod warm;
mod webapi;
