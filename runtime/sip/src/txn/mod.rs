//! RFC 3261 §17 transactions as sans-IO state machines.
//!
//! [`TransactionLayer`] owns every client and server transaction, matches
//! incoming messages to them (§17.1.3, §17.2.3, with the RFC 2543 fallback
//! for branches without the magic cookie) and runs timers A–K (plus L and M
//! from RFC 6026). The caller feeds it messages and instants and drains
//! [`Transmit`]s and [`Event`]s; it never reads a clock or does I/O.
//!
//! Choices worth knowing:
//! - INVITE server transactions send `100 Trying` after
//!   [`TxnConfig::trying_delay`] (200 ms by default, RFC 3261 §17.2.1) unless
//!   the TU answers first; `Some(Duration::ZERO)` sends it at once, `None`
//!   leaves it to the TU.
//! - 2xx responses to INVITE follow RFC 6026: the server transaction enters
//!   Accepted (Timer L) and absorbs INVITE retransmissions while the TU
//!   retransmits the 2xx; the client transaction enters Accepted (Timer M)
//!   and passes every 2xx to the TU, which sends the ACK (§13.2.2.4).
//! - ACKs for 2xx never match a transaction (they carry a new branch) and
//!   come out as [`Event::Ack`].

mod client;
mod key;
mod layer;
mod server;

pub use layer::TransactionLayer;

use std::time::Duration;

use bytes::Bytes;

use crate::message::{Request, Response};
use crate::views::HeaderError;

/// Timer values (RFC 3261 §17.1.1.1, Table 4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnConfig {
    /// RTT estimate; default 500 ms.
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE
    /// responses; default 4 s.
    pub t2: Duration,
    /// Maximum time a message stays in the network; default 5 s.
    pub t4: Duration,
    /// Timer D (ACK retransmission window over unreliable transports); at
    /// least 32 s.
    pub timer_d: Duration,
    /// When an INVITE server transaction sends `100 Trying` by itself.
    pub trying_delay: Option<Duration>,
    /// Timer C (RFC 3261 §16.6 item 11, §16.8): how long an INVITE client
    /// transaction waits in Proceeding for a final response, reset by every
    /// provisional. When it fires the TU gets [`Event::Timeout`] and should
    /// CANCEL; the transaction then waits 64·T1 more for the final response
    /// (the 487 it must ACK) before it ends. `None` waits for ever, as a
    /// plain UAC would (§17.1.1.2).
    pub timer_c: Option<Duration>,
}

impl Default for TxnConfig {
    fn default() -> TxnConfig {
        TxnConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
            trying_delay: Some(Duration::from_millis(200)),
            timer_c: Some(Duration::from_secs(181)),
        }
    }
}

impl TxnConfig {
    /// Timers B, F, H, J, L, M: 64·T1.
    pub fn timeout(&self) -> Duration {
        self.t1.saturating_mul(64)
    }
}

/// Identifies one transaction in a [`TransactionLayer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxnId(pub u64);

/// Bytes to send to a destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit<A> {
    pub to: A,
    pub bytes: Bytes,
}

/// What the transaction layer tells the transaction user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<A> {
    /// A new request (a new server transaction); answer it with
    /// [`TransactionLayer::send_response`].
    Request {
        txn: TxnId,
        request: Request,
        from: A,
    },
    /// An ACK that matched no transaction: the ACK for a 2xx, which belongs
    /// to the dialog (RFC 3261 §13.3.1.4, §17.2.3).
    Ack { request: Request, from: A },
    /// A response for a client transaction, retransmissions excluded
    /// (except 2xx to INVITE, which the TU must ACK each time).
    Response { txn: TxnId, response: Response },
    /// A response matching no client transaction (§18.1.2).
    StrayResponse { response: Response, from: A },
    /// Timer B, F or H fired (§17.1.1.2, §17.1.2.2, §17.2.1): the
    /// transaction ends. For an INVITE client transaction in Proceeding it
    /// is Timer C instead: send a CANCEL; the transaction stays to absorb
    /// the final response (see [`TxnConfig::timer_c`]).
    Timeout { txn: TxnId },
    /// The transport reported a failure for this transaction (§17.1.4,
    /// §17.2.4).
    TransportError { txn: TxnId },
    /// The transaction is gone; its id will not be used again.
    Terminated { txn: TxnId },
}

/// Refusals of the caller's inputs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxnError {
    #[error("no such transaction")]
    UnknownTransaction,
    #[error("response not allowed in the transaction's state: {0}")]
    InvalidState(&'static str),
    #[error("request cannot start a transaction: {0}")]
    BadRequest(HeaderError),
    #[error("the top Via branch must start with z9hG4bK to start a client transaction")]
    NotRfc3261Branch,
    #[error("ACK is not a transaction; send it with TransactionLayer::send_stateless")]
    AckIsNotATransaction,
    #[error("a transaction with this branch and method already exists")]
    Duplicate,
}
