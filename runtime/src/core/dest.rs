//! Where a message goes back to: the flow it came on.

use std::net::SocketAddr;
use std::sync::Arc;

use sbcctl_transport::{FlowId, Inbound, TransportKind};

/// The destination type of the transaction layer. Responses always return over the flow the
/// request came on (RFC 3261 §18.2.2 with RFC 3581 `rport`, RFC 7118 §5): for UDP the flow is
/// the (interface, source address) pair, so this is the symmetric-response rule NATed clients
/// need; for TCP, TLS, WS and WSS it is the very connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dest {
    pub flow: FlowId,
    pub kind: TransportKind,
    pub interface: Arc<str>,
    pub remote: SocketAddr,
}

impl Dest {
    pub fn of(inbound: &Inbound) -> Dest {
        Dest {
            flow: inbound.flow,
            kind: inbound.kind,
            interface: inbound.interface.clone(),
            remote: inbound.remote,
        }
    }
}
