//! Where a message goes: an existing flow, or a peer address a flow will be opened to.

use std::net::SocketAddr;
use std::sync::Arc;

use sbcctl_transport::{FlowId, Inbound, TransportKind};

/// The destination type of the transaction layer. Responses always return over the flow the
/// request came on (RFC 3261 §18.2.2 with RFC 3581 `rport`, RFC 7118 §5): for UDP the flow is
/// the (interface, source address) pair, so this is the symmetric-response rule NATed clients
/// need; for TCP, TLS, WS and WSS it is the very connection. Requests the SBC originates toward
/// a server peer name the interface and address; the transport opens or reuses a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dest {
    /// `None` for an outbound destination whose flow the transport picks at send time.
    pub flow: Option<FlowId>,
    pub kind: TransportKind,
    pub interface: Arc<str>,
    pub remote: SocketAddr,
}

impl Dest {
    pub fn of(inbound: &Inbound) -> Dest {
        Dest {
            flow: Some(inbound.flow),
            kind: inbound.kind,
            interface: inbound.interface.clone(),
            remote: inbound.remote,
        }
    }

    pub fn peer(interface: Arc<str>, kind: TransportKind, remote: SocketAddr) -> Dest {
        Dest {
            flow: None,
            kind,
            interface,
            remote,
        }
    }
}
