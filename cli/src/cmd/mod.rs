//! One module per subcommand.

pub mod apply;
pub mod compile;
pub mod diff;
pub mod explain;
pub mod run;
pub mod schema;
pub mod status;
pub mod validate;
