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
//! [`Calls::handle`]; timeouts and transport errors to [`Calls::leg_lost`];
//! the SBC's own reasons to end a call to [`Calls::terminate`]. Timers are
//! polled with [`Calls::poll_timeout`] and fired with
//! [`Calls::handle_timeout`]. Each call returns [`Output`]s: requests and
//! responses to send on a leg (B requests name the target they go to) and
//! CDR events. No clock is read: the caller passes `now`.
//!
//! Decisions documented here:
//! - targets are tried one after another (serial failover on 408, 503, a
//!   lost leg or a listed code, until a target sends a provisional) or all at
//!   once (parallel forking). Forking behaves towards the caller like a
//!   forking proxy (RFC 3261 §16.7): provisionals of every fork reach the
//!   caller in one A dialog, the first 2xx wins and the others are cancelled,
//!   a later 2xx is ACKed and BYEd, a 6xx ends the search, and when all fail
//!   the best final response is chosen deterministically (6xx, then the
//!   lowest class, then the more telling code; a lost fork counts as 408);
//! - a CANCEL is only sent once the INVITE got some response (RFC 3261 §9.1);
//!   a cancelled fork that never answers is given up after 64*T1;
//! - the 2xx of the B INVITE is ACKed by the B2BUA at once; the caller's
//!   ACK is absorbed (RFC 3261 §13.2.2.4 ACKs are hop by hop). Exception: a
//!   2xx that carries the offer (late offer, also for offerless re-INVITEs)
//!   is ACKed with the answer from the other leg's ACK; without that ACK
//!   within 64*T1 both legs get a BYE. 2xx retransmission is the glue's;
//!   a retransmitted 2xx from the callee gets the same ACK again;
//! - 100rel is terminated per leg: the B leg never asks for it but PRACKs a
//!   callee that insists; a caller that requires it gets reliable
//!   provisionals, PRACKed locally, retransmitted for 64*T1 and then given up
//!   without failing the call;
//! - session timers are terminated per leg: the caller refreshes
//!   (`refresher=uac`) and its silence ends the call; the B leg is offered
//!   no timer, and is refreshed with UPDATE only if the callee insists; a
//!   body-less UPDATE is answered locally on either leg;
//! - in-dialog requests other than BYE/ACK/CANCEL/PRACK (re-INVITE, UPDATE
//!   with a body, INFO, OPTIONS, …) are relayed with the other leg's own
//!   CSeq, and their final response relayed back; when the call ends under
//!   them they get 487, or 408 when the leg they went to was lost. A CANCEL
//!   of a relayed re-INVITE cancels the copy;
//! - B-side requests are matched to the answered dialog by the callee's tag:
//!   a request from a losing fork's dialog gets 481 and cannot end the call;
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
