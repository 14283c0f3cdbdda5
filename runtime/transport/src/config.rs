//! Listener configuration.
//!
//! These structs are the transport layer's own view of an interface; the
//! runtime maps the compiled plan onto them, so this crate does not depend
//! on the compiler.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::TransportKind;

/// One listening interface.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// Interface name from the plan; used in logs, errors and events.
    pub name: String,
    pub kind: TransportKind,
    /// Address to bind; port 0 picks an ephemeral port (see
    /// [`crate::ListenerHandle::local_addr`]).
    pub listen: SocketAddr,
    /// Server certificate for TLS and WSS (required for those kinds).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Client configuration for outbound TLS connections made by
    /// [`crate::Transports::send_to`] on this interface.
    pub tls_client: Option<Arc<rustls::ClientConfig>>,
    /// WebSocket settings (required for WS and WSS).
    pub ws: Option<WsConfig>,
    pub limits: Limits,
}

impl ListenerConfig {
    /// A configuration with default limits and no TLS or WebSocket settings.
    pub fn new(name: impl Into<String>, kind: TransportKind, listen: SocketAddr) -> Self {
        Self {
            name: name.into(),
            kind,
            listen,
            tls: None,
            tls_client: None,
            ws: None,
            limits: Limits::default(),
        }
    }
}

/// WebSocket settings for a WS or WSS interface (RFC 7118).
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// The HTTP path of the handshake, e.g. `/`; other paths answer 404.
    pub path: String,
    /// Origins allowed to open a WebSocket (`scheme://host[:port]`, exact
    /// match); `*` allows any.
    pub allowed_origins: Vec<String>,
    /// Refuse a handshake without an `Origin` header (browsers always send
    /// one; SIP devices often do not).
    pub require_origin: bool,
    /// Serve files from this directory for plain HTTP GETs.
    pub static_dir: Option<PathBuf>,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            path: "/".to_owned(),
            allowed_origins: vec!["*".to_owned()],
            require_origin: false,
            static_dir: None,
        }
    }
}

/// Resource limits of an interface.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest SIP message accepted (stream framing and WS reassembly); a
    /// UDP datagram is bounded by this too.
    pub max_message_bytes: usize,
    /// Concurrent connections from one IP address (stream kinds).
    pub max_connections_per_ip: usize,
    /// Concurrent connections on the interface (stream kinds).
    pub max_connections: usize,
    /// A connection with no inbound traffic for this long is closed; a UDP
    /// flow with no traffic for this long is forgotten.
    pub idle_timeout: Duration,
    /// Server-initiated WebSocket pings.
    pub ping_interval: Option<Duration>,
    /// Time allowed for the TLS and HTTP upgrade handshakes.
    pub handshake_timeout: Duration,
    /// Outbound messages queued per flow before [`crate::SendError::QueueFull`].
    pub send_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 64 * 1024,
            max_connections_per_ip: 64,
            max_connections: 20_000,
            idle_timeout: Duration::from_secs(300),
            ping_interval: Some(Duration::from_secs(30)),
            handshake_timeout: Duration::from_secs(10),
            send_queue: 64,
        }
    }
}
