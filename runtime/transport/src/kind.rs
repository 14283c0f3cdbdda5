//! Flow identifiers and transport kinds.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Identifies one flow: a TCP/TLS/WS/WSS connection, or for UDP one
/// (interface, remote address) pair.
///
/// Ids are unique for the life of the process and never reused, so a stale
/// id held by the SIP layer (a registration bound to a closed WebSocket)
/// can never address a newer, unrelated connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

impl FlowId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "flow#{}", self.0)
    }
}

/// The SIP transports (RFC 3261 §18, RFC 7118 for WS/WSS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportKind {
    Udp,
    Tcp,
    Tls,
    Ws,
    Wss,
}

impl TransportKind {
    /// All kinds, in a stable order (for metrics).
    pub const ALL: [Self; 5] = [Self::Udp, Self::Tcp, Self::Tls, Self::Ws, Self::Wss];

    /// Reliable transports need no retransmission timers (RFC 3261 §17.1.1.2).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Self::Udp)
    }

    /// The token for the Via `sent-protocol` (RFC 3261 §20.42, RFC 7118 §5.2).
    pub fn via_token(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
            Self::Ws => "WS",
            Self::Wss => "WSS",
        }
    }

    /// Whether the transport runs over TLS.
    pub fn is_secure(self) -> bool {
        matches!(self, Self::Tls | Self::Wss)
    }

    /// Whether the transport is SIP over WebSocket.
    pub fn is_websocket(self) -> bool {
        matches!(self, Self::Ws | Self::Wss)
    }

    pub(crate) fn lower(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
            Self::Ws => "ws",
            Self::Wss => "wss",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_token())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_tokens_and_reliability() {
        let tokens: Vec<_> = TransportKind::ALL.iter().map(|k| k.via_token()).collect();
        assert_eq!(tokens, ["UDP", "TCP", "TLS", "WS", "WSS"]);
        assert!(!TransportKind::Udp.is_reliable());
        assert!(TransportKind::Ws.is_reliable());
    }

    #[test]
    fn flow_ids_are_not_reused() {
        let a = FlowId::next();
        let b = FlowId::next();
        assert!(b > a);
    }
}
