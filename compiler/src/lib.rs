//! The sbcctl compiler: spec (YAML) -> diagnostics -> immutable plan.
//!
//! Pure: reads the spec and the files it names, never opens a socket.
//!
//! ```text
//! source (text + spans) -> spec (serde types) -> check (all passes) -> lower -> plan
//! ```

pub mod check;
mod compile;
pub mod diag;
pub mod diff;
mod lower;
pub mod plan;
pub mod route_table;
pub mod schema;
pub mod schema_doc;
pub mod source;
pub mod spec;
pub mod values;

pub use compile::{Options, Output, compile, compile_file};
