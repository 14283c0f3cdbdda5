//! The public handle: bind interfaces, send, inspect and close flows.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use crate::registry::{Interface, Shared};
use crate::{
    BindError, FlowId, FlowInfo, ListenerConfig, SendError, TransportEvent, TransportKind,
};

/// Owns the root cancellation: when the last [`Transports`] clone is
/// dropped, every listener and connection task stops.
#[derive(Debug)]
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.root.cancel();
    }
}

/// All transports of the process. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Transports {
    owner: Arc<Owner>,
}

impl Transports {
    /// Every inbound message and flow change is sent on `events`. The
    /// channel is the backpressure point: readers wait while it is full.
    pub fn new(events: mpsc::Sender<TransportEvent>) -> Self {
        Self {
            owner: Arc::new(Owner {
                shared: Arc::new(Shared::new(events)),
            }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.owner.shared
    }

    /// Binds an interface and starts serving it. Must be called inside a
    /// tokio runtime.
    pub async fn bind(&self, config: ListenerConfig) -> Result<ListenerHandle, BindError> {
        let shared = self.shared();
        let kind = config.kind;
        let missing = |what| BindError::MissingConfig {
            interface: config.name.clone(),
            kind: kind.lower(),
            what,
        };
        if kind.is_secure() && config.tls.is_none() {
            return Err(missing("a TLS certificate"));
        }
        if kind.is_websocket() && config.ws.is_none() {
            return Err(missing("WebSocket settings"));
        }
        if shared.interface(&config.name).is_some() {
            return Err(BindError::Duplicate {
                interface: config.name.clone(),
            });
        }
        let io_err = |e| BindError::io(&config.name, kind, config.listen, e);
        let accept = shared.root.child();
        let iface = match kind {
            TransportKind::Udp => {
                let socket = Arc::new(bind_udp(config.listen).map_err(io_err)?);
                let local = socket.local_addr().map_err(io_err)?;
                let iface = Arc::new(Interface::new(config, local, accept, Some(socket.clone())));
                tokio::spawn(crate::udp::run(shared.clone(), iface.clone(), socket));
                iface
            }
            _ => {
                let listener = TcpListener::bind(config.listen).await.map_err(io_err)?;
                let local = listener.local_addr().map_err(io_err)?;
                let mut config = config;
                if kind == TransportKind::Wss {
                    // RFC 7118 runs over HTTP/1.1 upgrades.
                    if let Some(tls) = &config.tls
                        && tls.alpn_protocols.is_empty()
                    {
                        let mut tls = (**tls).clone();
                        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
                        config.tls = Some(Arc::new(tls));
                    }
                }
                let iface = Arc::new(Interface::new(config, local, accept, None));
                if kind.is_websocket() {
                    tokio::spawn(crate::ws::accept_loop(
                        shared.clone(),
                        iface.clone(),
                        listener,
                    ));
                } else {
                    tokio::spawn(crate::stream::accept_loop(
                        shared.clone(),
                        iface.clone(),
                        listener,
                    ));
                }
                iface
            }
        };
        tracing::info!(interface = %iface.name, kind = %kind, local = %iface.local, "listening");
        match shared.interfaces.lock() {
            Ok(mut map) => map.insert(iface.name.clone(), iface.clone()),
            Err(poisoned) => poisoned
                .into_inner()
                .insert(iface.name.clone(), iface.clone()),
        };
        Ok(ListenerHandle {
            shared: shared.clone(),
            iface,
        })
    }

    /// Sends one SIP message over exactly this flow. Never waits: a full
    /// queue is reported as [`SendError::QueueFull`].
    pub fn send(&self, flow: FlowId, data: Bytes) -> Result<(), SendError> {
        self.shared().send(flow, data)
    }

    /// Sends to `remote` from interface `interface`: a datagram for UDP; for
    /// TCP and TLS over an existing flow to that address, or a new outbound
    /// connection. Returns the flow used. Two concurrent first sends to the
    /// same address may open two connections; both work.
    pub async fn send_to(
        &self,
        interface: &str,
        kind: TransportKind,
        remote: SocketAddr,
        data: Bytes,
    ) -> Result<FlowId, SendError> {
        let shared = self.shared();
        let iface = shared
            .interface(interface)
            .ok_or_else(|| SendError::UnknownInterface(interface.to_owned()))?;
        if iface.config.kind != kind {
            return Err(SendError::WrongKind {
                interface: interface.to_owned(),
                actual: iface.config.kind,
                requested: kind,
            });
        }
        let flow = match shared.touch_remote(&iface.name, kind, remote) {
            Some(flow) => flow,
            None => match (&iface.udp, kind) {
                (Some(socket), TransportKind::Udp) => {
                    crate::udp::open(shared, &iface, socket, remote).await
                }
                _ => crate::stream::connect(shared, &iface, remote).await?,
            },
        };
        shared.send(flow, data)?;
        Ok(flow)
    }

    /// The flow's description, if it is live.
    pub fn flow(&self, flow: FlowId) -> Option<FlowInfo> {
        self.shared().flow(flow)
    }

    /// All live flows, ordered by id.
    pub fn flows(&self) -> Vec<FlowInfo> {
        self.shared().snapshot()
    }

    /// Live flows per (interface, kind), for metrics and status.
    pub fn flow_counts(&self) -> BTreeMap<(Arc<str>, TransportKind), usize> {
        self.shared().counts()
    }

    /// Closes a flow; its `FlowClosed` event follows. False if unknown.
    pub fn close(&self, flow: FlowId) -> bool {
        self.shared().close(flow)
    }

    /// Stops every listener and closes every flow (also done on drop of
    /// the last clone).
    pub fn shutdown(&self) {
        self.shared().root.cancel();
    }
}

/// A bound interface.
#[derive(Debug, Clone)]
pub struct ListenerHandle {
    shared: Arc<Shared>,
    iface: Arc<Interface>,
}

impl ListenerHandle {
    /// The bound address (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.iface.local
    }

    pub fn name(&self) -> &str {
        &self.iface.name
    }

    pub fn kind(&self) -> TransportKind {
        self.iface.config.kind
    }

    /// Stops accepting new connections (for UDP: stops receiving and
    /// closes its flows). Established connections continue until
    /// [`Self::close_all`]. The name can then be bound again, and
    /// `send_to` no longer uses this interface.
    pub fn shutdown(&self) {
        self.iface.accept.cancel();
        self.shared.remove_interface(&self.iface);
    }

    /// Closes every flow of this interface.
    pub fn close_all(&self) {
        self.shared.close_interface(&self.iface.name);
    }
}

/// Socket buffers asked for on UDP SIP listeners. The kernel's default receive buffer (about
/// 200 KiB) overflows in the bursts of a few thousand calls per second, and every datagram it
/// drops costs a retransmission 500 ms later; the kernel caps the request at `net.core.rmem_max`.
const UDP_BUFFER: usize = 4 << 20;

fn bind_udp(addr: std::net::SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Best effort: a smaller buffer than asked is still a working listener.
    let _ = socket.set_recv_buffer_size(UDP_BUFFER);
    let _ = socket.set_send_buffer_size(UDP_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}
