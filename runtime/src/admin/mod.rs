//! Operating a running host: the admin HTTP API, hot apply of a new plan, the apply history,
//! graceful drain, and the client the CLI uses to talk to the API.

pub mod api;
mod apply;
pub mod client;
mod drain;
mod history;
pub(crate) mod http;
mod rebind;
pub mod signals;

pub(crate) use apply::apply;
pub use apply::{ApplyError, ApplySource};
pub use drain::DrainReport;
pub(crate) use drain::drain;
pub use history::ApplyCounts;
pub(crate) use history::History;

/// The default grace period of a drain, in seconds: calls get this long to end on their own
/// before the SBC ends them. It fits inside the 30 s that Kubernetes (and most service
/// managers) allow between SIGTERM and SIGKILL, leaving time for the BYEs.
pub const DEFAULT_DRAIN_SECS: u64 = 20;
