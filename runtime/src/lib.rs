//! The sbcctl runtime: loads a plan and runs it.
//!
//! [`Host`] binds the plan's interfaces through `sbcctl-transport` and runs the SIP core, which
//! drives the sans-IO pieces (`sbcctl-sip` transactions, `sbcctl-registrar`) from one task.
//! [`Host::apply`] swaps in a new plan without dropping calls, [`Host::drain`] shuts down
//! gracefully, and [`admin`] serves (and is a client of) the admin HTTP API.

pub mod admin;
mod capture;
pub mod cdr;
mod core;
mod host;
mod listeners;
pub mod manipulate;
pub mod media;
mod metrics;
mod ratelimit;
mod status;

pub use admin::{ApplyError, ApplySource, DrainReport};
pub use host::{Host, HostOptions, StartError};
pub use listeners::ListenerError;
pub use status::{CoreStatus, HostStatus, InterfaceStatus, StatusHandle, UsersStatus};
