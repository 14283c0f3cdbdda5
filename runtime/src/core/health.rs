//! OPTIONS keepalive of server peers' proxies, with hysteresis.
//!
//! A proxy is marked down after `down_after` consecutive pings without an answer and up again
//! after `up_after` consecutive answers, so one lost datagram neither takes a proxy out of
//! rotation nor does one lucky answer put a flapping one back. Any response counts as an answer:
//! a 404 or 405 to OPTIONS still proves the proxy processes SIP. New calls skip down proxies
//! (see `targets::proxy_order`); established calls are not touched.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sbcctl_compiler::plan::{PeerId, PeerKind, Plan};
use sbcctl_sip::TxnId;
use sbcctl_transport::TransportKind;

/// Health of one proxy address, for status and metrics.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ProxyHealth {
    pub peer: String,
    pub address: SocketAddr,
    pub up: bool,
    /// False when the peer has no keepalive: the proxy is then always considered up.
    pub monitored: bool,
}

struct ProxyState {
    peer_name: String,
    interface: Arc<str>,
    kind: TransportKind,
    up: bool,
    failures: u32,
    successes: u32,
    interval: Duration,
    down_after: u32,
    up_after: u32,
    next_ping: Instant,
    in_flight: bool,
}

/// A ping to send now.
pub struct Ping {
    pub peer: PeerId,
    pub address: SocketAddr,
    pub interface: Arc<str>,
    pub kind: TransportKind,
}

#[derive(Default)]
pub struct Health {
    proxies: HashMap<(PeerId, SocketAddr), ProxyState>,
    pings: HashMap<TxnId, (PeerId, SocketAddr)>,
}

impl Health {
    pub fn new(plan: &Plan, now: Instant) -> Health {
        let mut proxies = HashMap::new();
        for (i, peer) in plan.peers.iter().enumerate() {
            let PeerKind::Server(server) = &peer.kind else {
                continue;
            };
            let keepalive = server.keepalive;
            if keepalive.options_interval_secs == 0 {
                continue;
            }
            let Some(iface) = plan.interface(server.interface) else {
                continue;
            };
            for proxy in &server.proxies {
                proxies.insert(
                    (PeerId(i as u32), proxy.address),
                    ProxyState {
                        peer_name: peer.name.clone(),
                        interface: Arc::from(iface.name.as_str()),
                        kind: crate::listeners::kind(iface.transport),
                        up: true,
                        failures: 0,
                        successes: 0,
                        interval: Duration::from_secs(keepalive.options_interval_secs),
                        down_after: keepalive.down_after.max(1),
                        up_after: keepalive.up_after.max(1),
                        next_ping: now,
                        in_flight: false,
                    },
                );
            }
        }
        Health {
            proxies,
            pings: HashMap::new(),
        }
    }

    /// Unmonitored proxies are always up.
    pub fn is_up(&self, peer: PeerId, address: SocketAddr, _now: Instant) -> bool {
        self.proxies.get(&(peer, address)).is_none_or(|p| p.up)
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.proxies
            .values()
            .filter(|p| !p.in_flight)
            .map(|p| p.next_ping)
            .min()
    }

    /// The pings due at `now`; each is rescheduled one interval later.
    pub fn due(&mut self, now: Instant) -> Vec<Ping> {
        let mut out = Vec::new();
        for ((peer, address), p) in &mut self.proxies {
            if p.in_flight || p.next_ping > now {
                continue;
            }
            p.in_flight = true;
            p.next_ping = now + p.interval;
            out.push(Ping {
                peer: *peer,
                address: *address,
                interface: p.interface.clone(),
                kind: p.kind,
            });
        }
        out
    }

    /// The OPTIONS of a ping went out as client transaction `txn`.
    pub fn sent(&mut self, txn: TxnId, peer: PeerId, address: SocketAddr) {
        self.pings.insert(txn, (peer, address));
    }

    /// A ping could not even be sent.
    pub fn send_failed(
        &mut self,
        peer: PeerId,
        address: SocketAddr,
    ) -> Option<(String, SocketAddr, bool)> {
        self.record(peer, address, false)
    }

    pub fn is_ping(&self, txn: TxnId) -> bool {
        self.pings.contains_key(&txn)
    }

    /// The outcome of a ping; returns the peer name and the new state when the state flipped.
    pub fn on_result(&mut self, txn: TxnId, answered: bool) -> Option<(String, SocketAddr, bool)> {
        let (peer, address) = self.pings.remove(&txn)?;
        self.record(peer, address, answered)
    }

    fn record(
        &mut self,
        peer: PeerId,
        address: SocketAddr,
        answered: bool,
    ) -> Option<(String, SocketAddr, bool)> {
        let p = self.proxies.get_mut(&(peer, address))?;
        p.in_flight = false;
        let was = p.up;
        if answered {
            p.failures = 0;
            p.successes = p.successes.saturating_add(1);
            if !p.up && p.successes >= p.up_after {
                p.up = true;
            }
        } else {
            p.successes = 0;
            p.failures = p.failures.saturating_add(1);
            if p.up && p.failures >= p.down_after {
                p.up = false;
            }
        }
        (was != p.up).then(|| (p.peer_name.clone(), address, p.up))
    }

    /// Every proxy of every server peer with its state.
    pub fn snapshot(&self, plan: &Plan) -> Vec<ProxyHealth> {
        let mut out = Vec::new();
        for (i, peer) in plan.peers.iter().enumerate() {
            let PeerKind::Server(server) = &peer.kind else {
                continue;
            };
            for proxy in &server.proxies {
                let state = self.proxies.get(&(PeerId(i as u32), proxy.address));
                out.push(ProxyHealth {
                    peer: peer.name.clone(),
                    address: proxy.address,
                    up: state.is_none_or(|s| s.up),
                    monitored: state.is_some(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(down_after: u32, up_after: u32) -> (Health, PeerId, SocketAddr) {
        let peer = PeerId(0);
        let address: SocketAddr = "127.0.0.1:5090".parse().unwrap();
        let mut h = Health::default();
        h.proxies.insert(
            (peer, address),
            ProxyState {
                peer_name: "pbx".into(),
                interface: Arc::from("lan"),
                kind: TransportKind::Udp,
                up: true,
                failures: 0,
                successes: 0,
                interval: Duration::from_secs(5),
                down_after,
                up_after,
                next_ping: Instant::now(),
                in_flight: false,
            },
        );
        (h, peer, address)
    }

    #[test]
    fn hysteresis_marks_down_then_up() {
        let (mut h, peer, addr) = state(2, 3);
        let now = Instant::now();
        assert_eq!(h.send_failed(peer, addr), None, "one failure is tolerated");
        assert!(h.is_up(peer, addr, now));
        assert_eq!(h.send_failed(peer, addr), Some(("pbx".into(), addr, false)));
        assert!(!h.is_up(peer, addr, now));
        for n in 0..2 {
            h.sent(TxnId(n), peer, addr);
            assert_eq!(h.on_result(TxnId(n), true), None);
        }
        h.sent(TxnId(9), peer, addr);
        assert_eq!(
            h.on_result(TxnId(9), true),
            Some(("pbx".into(), addr, true))
        );
        assert!(h.is_up(peer, addr, now));
    }

    #[test]
    fn due_pings_are_rescheduled_and_not_doubled() {
        let (mut h, _, _) = state(1, 1);
        let now = Instant::now();
        assert_eq!(h.due(now).len(), 1);
        assert_eq!(h.due(now).len(), 0, "a ping in flight is not sent again");
        assert!(h.next_deadline().is_none());
    }
}
