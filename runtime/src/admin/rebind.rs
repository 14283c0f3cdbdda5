//! Listeners across an apply: which interfaces are added, rebound, removed or left alone, and
//! the switch itself with its rollback.
//!
//! An interface is left alone when its listener settings (transport, address, TLS material,
//! WebSocket settings, limits) are equal in both plans; `log_messages` alone does not touch the
//! listener. A rebound interface stops accepting on its old listener and starts on the new one;
//! its established connections go on with their old settings until they close, so the
//! registrations on them survive. Before anything is touched, every address that is not ours
//! yet is test-bound, so "address in use" refuses the plan with nothing changed; if a bind still
//! fails during the switch, the new listeners are closed and the old ones bound again.

use std::net::SocketAddr;
use std::time::Duration;

use sbcctl_compiler::plan::{Interface, Plan};
use sbcctl_transport::{ListenerConfig, TransportKind, Transports};

use super::api::InterfaceChanges;
use crate::host::Bound;
use crate::listeners;

/// The listener work of one apply, with every new configuration already built (certificates
/// read).
pub(crate) struct Rebind {
    pub add: Vec<ListenerConfig>,
    pub rebind: Vec<ListenerConfig>,
    pub remove: Vec<String>,
    pub unchanged: Vec<String>,
}

impl Rebind {
    /// Compares the interfaces of two plans; fails when a new listener's configuration cannot
    /// be built (an unreadable or invalid certificate).
    pub fn plan(old: &Plan, new: &Plan) -> Result<Rebind, String> {
        let mut out = Rebind {
            add: Vec::new(),
            rebind: Vec::new(),
            remove: Vec::new(),
            unchanged: Vec::new(),
        };
        for iface in &new.interfaces {
            let before = old.interfaces.iter().find(|i| i.name == iface.name);
            match before {
                Some(b) if same_listener(old, b, new, iface) => {
                    out.unchanged.push(iface.name.clone())
                }
                _ => {
                    let config = listeners::config(new, iface).map_err(|e| e.to_string())?;
                    if before.is_some() {
                        out.rebind.push(config);
                    } else {
                        out.add.push(config);
                    }
                }
            }
        }
        out.remove = old
            .interfaces
            .iter()
            .filter(|i| !new.interfaces.iter().any(|n| n.name == i.name))
            .map(|i| i.name.clone())
            .collect();
        Ok(out)
    }

    pub fn changes(&self) -> InterfaceChanges {
        InterfaceChanges {
            added: self.add.iter().map(|c| c.name.clone()).collect(),
            rebound: self.rebind.iter().map(|c| c.name.clone()).collect(),
            removed: self.remove.clone(),
            unchanged: self.unchanged.clone(),
        }
    }

    /// Switches the listeners. On success `listeners` holds the new set and the removed ones
    /// are returned (still holding their connections). On failure everything is as before.
    pub async fn commit(
        &self,
        transports: &Transports,
        listeners: &mut Vec<Bound>,
    ) -> Result<Vec<Bound>, String> {
        let leaving: Vec<&str> = self
            .rebind
            .iter()
            .map(|c| c.name.as_str())
            .chain(self.remove.iter().map(String::as_str))
            .collect();
        let freed: Vec<(TransportKind, SocketAddr)> = listeners
            .iter()
            .filter(|b| leaving.contains(&b.handle.name()))
            .map(|b| (b.handle.kind(), b.handle.local_addr()))
            .collect();
        for config in self.add.iter().chain(&self.rebind) {
            let ours = freed
                .iter()
                .any(|(kind, addr)| same_socket(*kind, *addr, config.kind, config.listen));
            if config.listen.port() != 0 && !ours {
                probe(config).await.map_err(|e| {
                    format!(
                        "interface `{}`: cannot bind {} {}: {e}",
                        config.name,
                        config.kind.via_token().to_ascii_lowercase(),
                        config.listen
                    )
                })?;
            }
        }
        let (old, kept): (Vec<Bound>, Vec<Bound>) = std::mem::take(listeners)
            .into_iter()
            .partition(|b| leaving.contains(&b.handle.name()));
        *listeners = kept;
        for b in &old {
            b.handle.shutdown();
        }
        let mut fresh = Vec::new();
        for config in self.add.iter().chain(&self.rebind) {
            match bind_retrying(transports, config, !freed.is_empty()).await {
                Ok(b) => fresh.push(b),
                Err(e) => {
                    for b in &fresh {
                        b.handle.shutdown();
                    }
                    let mut restored = Vec::new();
                    let mut lost = Vec::new();
                    for b in old {
                        match bind_retrying(transports, &b.config, true).await {
                            Ok(again) => restored.push(again),
                            Err(e) => lost.push(format!("{} ({e})", b.config.name)),
                        }
                    }
                    listeners.extend(restored);
                    let mut message = format!("interface `{}`: {e}", config.name);
                    if !lost.is_empty() {
                        message.push_str(&format!("; could not bind again: {}", lost.join(", ")));
                    }
                    return Err(message);
                }
            }
        }
        listeners.extend(fresh);
        let removed = old
            .into_iter()
            .filter(|b| self.remove.iter().any(|r| r == b.handle.name()))
            .collect();
        Ok(removed)
    }
}

/// Whether two interfaces would get the same listener (everything but `log_messages`, with TLS
/// compared by content since its index may differ between plans).
fn same_listener(old_plan: &Plan, old: &Interface, new_plan: &Plan, new: &Interface) -> bool {
    let tls = |plan: &Plan, i: &Interface| i.tls.and_then(|t| plan.tls_config(t)).cloned();
    old.transport == new.transport
        && old.listen == new.listen
        && old.websocket == new.websocket
        && old.limits == new.limits
        && tls(old_plan, old).map(|mut t| {
            t.name.clear();
            t
        }) == tls(new_plan, new).map(|mut t| {
            t.name.clear();
            t
        })
}

/// UDP and the stream transports use different port spaces.
fn same_socket(a: TransportKind, a_addr: SocketAddr, b: TransportKind, b_addr: SocketAddr) -> bool {
    (a == TransportKind::Udp) == (b == TransportKind::Udp)
        && a_addr.port() == b_addr.port()
        && (a_addr.ip() == b_addr.ip()
            || a_addr.ip().is_unspecified()
            || b_addr.ip().is_unspecified())
}

/// Test-binds an address and lets it go (the listener binds it for real a moment later).
async fn probe(config: &ListenerConfig) -> std::io::Result<()> {
    if config.kind == TransportKind::Udp {
        tokio::net::UdpSocket::bind(config.listen).await.map(drop)
    } else {
        let socket = if config.listen.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        // As the listener will: SO_REUSEADDR, so only a live listener makes this fail.
        socket.set_reuseaddr(true)?;
        socket.bind(config.listen)?;
        socket.listen(1).map(drop)
    }
}

/// Binds a listener; when the address was just released by one of our own listeners, its
/// socket may need a moment to close, so the bind is retried for up to a second.
async fn bind_retrying(
    transports: &Transports,
    config: &ListenerConfig,
    retry: bool,
) -> Result<Bound, String> {
    let attempts = if retry { 40 } else { 1 };
    let mut last = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        match transports.bind(config.clone()).await {
            Ok(handle) => {
                return Ok(Bound {
                    handle,
                    config: config.clone(),
                });
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}
