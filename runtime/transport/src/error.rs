//! Errors of the public API.

use std::net::SocketAddr;

use crate::{FlowId, TransportKind};

/// Binding an interface failed.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("interface `{interface}`: cannot bind {kind} {addr}: {source}")]
    Io {
        interface: String,
        kind: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("interface `{interface}`: {kind} needs {what}")]
    MissingConfig {
        interface: String,
        kind: &'static str,
        what: &'static str,
    },
    #[error("interface `{interface}` is already bound")]
    Duplicate { interface: String },
}

impl BindError {
    pub(crate) fn io(
        interface: &str,
        kind: TransportKind,
        addr: SocketAddr,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            interface: interface.to_owned(),
            kind: kind.lower(),
            addr,
            source,
        }
    }
}

/// Sending a message failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The flow is closed or never existed: a transport error in the sense
    /// of RFC 3261 §17.1.4 / §18.4.
    #[error("{0} is gone")]
    FlowGone(FlowId),
    /// The flow's bounded send queue is full (the peer reads too slowly).
    /// Nothing was queued; the caller may drop or retry later.
    #[error("{0}: send queue full")]
    QueueFull(FlowId),
    /// The message exceeds the interface's `max_message_bytes`.
    #[error("message of {len} bytes exceeds the limit of {limit}")]
    TooLarge { len: usize, limit: usize },
    #[error("no interface `{0}`")]
    UnknownInterface(String),
    #[error("interface `{interface}` is {actual}, not {requested}")]
    WrongKind {
        interface: String,
        actual: TransportKind,
        requested: TransportKind,
    },
    /// `send_to` cannot open a connection of this kind (WS/WSS are opened
    /// by browsers only, outbound TLS needs a client configuration).
    #[error("cannot open an outbound {0} connection")]
    Unsupported(TransportKind),
    /// Connecting to the remote failed.
    #[error("cannot connect to {remote}: {source}")]
    Connect {
        remote: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The UDP socket refused the datagram.
    #[error("cannot send to {remote}: {source}")]
    Io {
        remote: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

impl SendError {
    /// True for errors the SIP layer treats as a transport error
    /// (RFC 3261 §17.1.4): the destination cannot be reached.
    pub fn is_transport_error(&self) -> bool {
        matches!(
            self,
            Self::FlowGone(_) | Self::Connect { .. } | Self::Io { .. }
        )
    }
}
