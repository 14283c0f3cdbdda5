//! Sans-IO back-to-back user agent (B2BUA) for sbcctl.
//!
//! A call is an inbound leg (A: the SBC is the UAS) and an outbound leg
//! (B: the SBC is the UAC), each its own dialog (RFC 3261 §12) with its own
//! Call-ID, tags, CSeq, Via and Contact. Only bodies and a few end-to-end
//! headers cross between legs, so topology hiding is total.
//!
//! The glue owns transports and the transaction layer. For every message it
//! receives it asks [`Calls::classify`]; a new INVITE is routed by the glue
//! and started with [`Calls::start`]; other messages go to
//! [`Calls::handle`]; timeouts and transport errors to [`Calls::leg_lost`].
//! Each call returns [`Output`]s: requests and responses to send on a leg
//! and CDR events. No clock is read: the caller passes `now`.
//!
//! Decisions documented here:
//! - the 2xx of the B INVITE is ACKed by the B2BUA at once; the caller's
//!   ACK is absorbed (RFC 3261 §13.2.2.4 ACKs are hop by hop);
//! - 100rel is terminated per leg by not relaying Supported/Require:
//!   the B leg never asks for reliable provisionals;
//! - in-dialog requests other than BYE/ACK/CANCEL (re-INVITE, UPDATE,
//!   INFO, OPTIONS, …) are relayed with the other leg's own CSeq,
//!   and their final response relayed back;
//! - REFER (call transfer) is refused with 501 on the leg that sent it and
//!   never relayed: blind transfer is a later capability.

mod call;
mod causes;
mod endpoint;
mod leg;

pub use call::{Call, CallId, Output, Reject, Routing};
pub use causes::{EndCause, map_failure};
pub use endpoint::{Calls, Classified, Fill};
pub use leg::{LegAddr, Side};
