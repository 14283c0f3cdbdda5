//! From the plan's interfaces to the transport layer's listener configurations.

use std::path::PathBuf;
use std::time::Duration;

use sbcctl_compiler::plan::{Interface, Plan, TlsVersion, Transport};
use sbcctl_transport::tls::{self, TlsError};
use sbcctl_transport::{Limits, ListenerConfig, TransportKind, WsConfig};

/// Why an interface cannot be set up (before anything is bound).
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    #[error("interface `{interface}`: {source}")]
    Tls {
        interface: String,
        #[source]
        source: Box<TlsError>,
    },
    #[error("interface `{interface}`: transport {transport} needs a TLS reference in the plan")]
    MissingTls {
        interface: String,
        transport: &'static str,
    },
}

pub fn kind(transport: Transport) -> TransportKind {
    match transport {
        Transport::Udp => TransportKind::Udp,
        Transport::Tcp => TransportKind::Tcp,
        Transport::Tls => TransportKind::Tls,
        Transport::Ws => TransportKind::Ws,
        Transport::Wss => TransportKind::Wss,
    }
}

/// The listener configuration of one interface; loads its certificate (an unreadable or
/// unparsable file is an error naming the interface and the file).
pub fn config(plan: &Plan, iface: &Interface) -> Result<ListenerConfig, ListenerError> {
    let mut config = ListenerConfig::new(iface.name.clone(), kind(iface.transport), iface.listen);
    let l = &iface.limits;
    config.limits = Limits {
        max_message_bytes: l.max_message_bytes as usize,
        max_connections_per_ip: l.max_connections_per_ip as usize,
        max_connections: l.max_connections as usize,
        idle_timeout: Duration::from_secs(l.idle_timeout_secs.max(1)),
        ping_interval: (l.keepalive_interval_secs > 0)
            .then(|| Duration::from_secs(l.keepalive_interval_secs)),
        ..Limits::default()
    };
    if iface.transport.needs_tls() {
        let tls_ref = iface
            .tls
            .and_then(|id| plan.tls_config(id))
            .ok_or_else(|| ListenerError::MissingTls {
                interface: iface.name.clone(),
                transport: iface.transport.as_str(),
            })?;
        let min = match tls_ref.min_version {
            TlsVersion::V1_2 => tls::TlsVersion::Tls12,
            TlsVersion::V1_3 => tls::TlsVersion::Tls13,
        };
        let server = tls::server_config_from_pem(tls_ref.cert.as_ref(), tls_ref.key.as_ref(), min)
            .map_err(|source| ListenerError::Tls {
                interface: iface.name.clone(),
                source: Box::new(source),
            })?;
        config.tls = Some(server);
    }
    if let Some(ws) = &iface.websocket {
        config.ws = Some(WsConfig {
            path: ws.path.clone(),
            allowed_origins: if ws.allowed_origins.is_empty() {
                vec!["*".to_owned()]
            } else {
                ws.allowed_origins.clone()
            },
            require_origin: ws.require_origin,
            static_dir: ws.static_dir.as_ref().map(PathBuf::from),
        });
    }
    Ok(config)
}
