//! The JSON bodies of the admin API, shared by the server and by the client the CLI uses.
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /healthz` (no token) | `200 ok` while the process serves HTTP |
//! | `GET /readyz` | `200 ready`; `503` while draining or when the SIP core is gone |
//! | `GET /plan` | the running plan, canonical JSON (its `hash` inside) |
//! | `POST /plan` (a compiled plan; optional `If-Match: "<running hash>"`) | `200` [`ApplyReport`]; `400` not a plan; `409` refused, nothing changed; `412` another plan runs; `503` draining |
//! | `GET /status` | [`crate::HostStatus`] |
//! | `GET /metrics` | Prometheus text format 0.0.4 |
//!
//! Every error is `{"error": "<message>"}` with the status code above.

use serde::{Deserialize, Serialize};

pub use crate::core::apply::CoreApplied;

/// What a successful `POST /plan` did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApplyReport {
    /// `applied`, or `unchanged` when the plan was already running.
    pub result: ApplyResult,
    pub previous_hash: String,
    pub hash: String,
    /// Items added, changed and removed (the compiler's plan diff).
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub interfaces: InterfaceChanges,
    /// What the SIP core carried over.
    pub core: CoreApplied,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ApplyResult {
    Applied,
    Unchanged,
}

/// Listeners touched by an apply, by interface name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct InterfaceChanges {
    /// Bound for the first time.
    pub added: Vec<String>,
    /// Closed and bound again with new settings; their connections go on until they close.
    pub rebound: Vec<String>,
    /// No longer accepting; their connections are closed after the drain period.
    pub removed: Vec<String>,
    /// Untouched.
    pub unchanged: Vec<String>,
}

/// One entry of the apply history in `GET /status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApplyRecord {
    /// RFC 3339 UTC.
    pub at: String,
    /// `start`, `admin` (POST /plan) or `reload` (SIGHUP).
    pub source: String,
    /// `applied`, `unchanged` or `refused`.
    pub result: String,
    pub hash: String,
    pub previous_hash: String,
    /// The refusal's reason, or a summary of the changes.
    pub message: String,
}

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    pub error: String,
}
