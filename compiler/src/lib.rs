//! The sbcctl compiler: spec (YAML) -> diagnostics -> immutable plan.
//!
//! Pure: reads the spec and the files it names, never opens a socket.

pub mod plan;
