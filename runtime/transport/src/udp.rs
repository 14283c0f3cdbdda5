//! UDP listener (RFC 3261 §18.1.1, §18.2.1).
//!
//! Each datagram is one SIP message. A UDP "flow" is an (interface, remote
//! address) pair, so that the SIP layer can address UDP peers and WebSocket
//! connections uniformly; it is opened by the first datagram (or by
//! `send_to`) and expires after `idle_timeout` without inbound traffic.
//! At most `max_connections` UDP flows exist per interface; datagrams from
//! further new addresses are dropped until older flows expire.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::net::UdpSocket;

use crate::cancel::Cancel;
use crate::registry::{Interface, Shared, Sink};
use crate::{FlowId, FlowInfo, Inbound, TransportEvent, TransportKind};

/// Largest UDP payload (IPv4); the receive buffer never needs more.
const MAX_DATAGRAM: usize = 65_535;

pub(crate) async fn run(shared: Arc<Shared>, iface: Arc<Interface>, socket: Arc<UdpSocket>) {
    let limits = iface.config.limits.clone();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let sweep_every = (limits.idle_timeout / 4).max(Duration::from_millis(50));
    let mut sweep = tokio::time::interval(sweep_every);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = iface.accept.cancelled() => break,
            _ = sweep.tick() => expire(&shared, &iface, limits.idle_timeout).await,
            received = socket.recv_from(&mut buf) => {
                let (len, remote) = match received {
                    Ok(r) => r,
                    Err(e) => {
                        // ICMP errors surface here on some platforms; the
                        // socket itself stays usable.
                        tracing::debug!(interface = %iface.name, error = %e, "udp receive error");
                        continue;
                    }
                };
                let Some(data) = buf.get(..len) else { continue };
                if len > limits.max_message_bytes {
                    tracing::info!(interface = %iface.name, %remote, len, limit = limits.max_message_bytes, "udp datagram over the size limit dropped");
                    continue;
                }
                if data.iter().all(|b| matches!(b, b'\r' | b'\n' | 0)) {
                    continue; // keepalive (RFC 5626 §4.4.1 uses STUN; CRLF is common too)
                }
                let data = Bytes::copy_from_slice(data);
                let flow = match shared.touch_remote(&iface.name, TransportKind::Udp, remote) {
                    Some(flow) => flow,
                    None if shared.count(&iface.name, TransportKind::Udp) >= limits.max_connections => {
                        // Bounded state under a flood of (possibly spoofed)
                        // source addresses: new peers wait for expiry.
                        tracing::debug!(interface = %iface.name, %remote, "udp flow limit reached; datagram dropped");
                        continue;
                    }
                    None => open(&shared, &iface, &socket, remote).await,
                };
                let inbound = Inbound {
                    flow,
                    interface: iface.name.clone(),
                    kind: TransportKind::Udp,
                    local: iface.local,
                    remote,
                    data,
                };
                if shared.events.send(TransportEvent::Message(inbound)).await.is_err() {
                    break;
                }
            }
        }
    }
    for info in shared.idle_flows(&iface.name, Instant::now() + Duration::from_secs(1)) {
        shared.closed(info).await;
    }
}

/// Opens the UDP flow for `remote`.
pub(crate) async fn open(
    shared: &Shared,
    iface: &Interface,
    socket: &Arc<UdpSocket>,
    remote: std::net::SocketAddr,
) -> FlowId {
    let flow = FlowId::next();
    let info = FlowInfo {
        flow,
        interface: iface.name.clone(),
        kind: TransportKind::Udp,
        local: iface.local,
        remote,
    };
    let cancel: Cancel = shared.root.child();
    shared.open(info, Sink::Udp(socket.clone()), cancel).await;
    flow
}

async fn expire(shared: &Shared, iface: &Interface, idle: Duration) {
    let Some(cutoff) = Instant::now().checked_sub(idle) else {
        return;
    };
    for info in shared.idle_flows(&iface.name, cutoff) {
        shared.closed(info).await;
    }
}
