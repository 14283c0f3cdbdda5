//! What the transport layer reports to the runtime.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

use crate::{FlowId, TransportKind};

/// One whole SIP message received on a flow.
///
/// `remote` and `kind` are what the SIP layer needs to stamp Via
/// `received`/`rport` (RFC 3261 §18.2.1, RFC 3581) and to send the response
/// back over the same flow (RFC 3261 §18.2.2, RFC 7118 §5).
#[derive(Debug, Clone)]
pub struct Inbound {
    pub flow: FlowId,
    pub interface: Arc<str>,
    pub kind: TransportKind,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub data: Bytes,
}

/// Description of a flow, as in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowInfo {
    pub flow: FlowId,
    pub interface: Arc<str>,
    pub kind: TransportKind,
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

/// Events sent on the channel given to [`crate::Transports::new`].
///
/// For every flow, `FlowOpened` comes before its first `Message` and
/// `FlowClosed` comes last. A UDP flow is one (interface, remote) pair: it
/// opens with its first datagram and closes after `idle_timeout` without
/// traffic (or at shutdown).
#[derive(Debug, Clone)]
pub enum TransportEvent {
    FlowOpened(FlowInfo),
    Message(Inbound),
    FlowClosed(FlowInfo),
}
