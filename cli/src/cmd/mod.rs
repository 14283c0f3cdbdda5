//! One module per subcommand.

pub mod compile;
pub mod diff;
pub mod explain;
pub mod run;
pub mod schema;
pub mod validate;
