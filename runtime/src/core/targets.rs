//! Where a routed call goes: the outbound targets of a route's destination and the SBC's own
//! address on each interface (what the B2BUA writes into Via and Contact).
//!
//! A server peer's proxy set is tried in priority order, and within one priority in a weighted
//! random order (RFC 2782 style), skipping proxies the OPTIONS keepalive marked down unless all
//! of them are. The registered bindings of a users peer are forked to in parallel, each over the
//! flow its REGISTER arrived on (RFC 5626 / RFC 7118 §5).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use rand::Rng;
use rand::rngs::StdRng;
use sbcctl_b2bua::LegAddr;
use sbcctl_compiler::plan::{PeerId, PeerKind, Plan, Proxy, ServerPeer};
use sbcctl_sip::{Host, SipUri, Transport};
use sbcctl_transport::{FlowId, TransportKind};

use super::dest::Dest;
use super::health::Health;

/// One outbound destination of a call.
#[derive(Clone, Debug)]
pub enum Target {
    /// A SIP peer on the network.
    Net(Dest),
    /// The built-in echo endpoint: the core answers the B leg itself.
    Echo,
}

/// The resolved outbound side of a call.
pub struct Resolved {
    pub interface: Arc<str>,
    pub uris: Vec<SipUri>,
    pub targets: Vec<Target>,
    pub parallel: bool,
    pub failover_on: Vec<u16>,
}

/// Why a destination has nowhere to send the call.
pub struct Unreachable {
    pub code: u16,
    pub reason: &'static str,
}

/// The SBC's address on an interface, as the B2BUA puts it in Via and Contact.
pub fn leg_addr(plan: &Plan, bound: &HashMap<String, SocketAddr>, iface: &str) -> Option<LegAddr> {
    let interface = plan.interfaces.iter().find(|i| i.name == iface)?;
    let addr = *bound.get(iface)?;
    let kind = crate::listeners::kind(interface.transport);
    let host = host_of(addr.ip());
    let mut contact = SipUri::sip(Some("sbc"), host.clone(), Some(addr.port()));
    if kind != TransportKind::Udp {
        contact
            .params
            .set("transport", Some(&kind.via_token().to_ascii_lowercase()));
    }
    Some(LegAddr {
        contact,
        via_host: host,
        via_port: Some(addr.port()),
        transport: match kind {
            TransportKind::Udp => Transport::Udp,
            TransportKind::Tcp => Transport::Tcp,
            TransportKind::Tls => Transport::Tls,
            TransportKind::Ws => Transport::Ws,
            TransportKind::Wss => Transport::Wss,
        },
    })
}

pub fn host_of(ip: IpAddr) -> Host {
    match ip {
        IpAddr::V4(v4) => Host::Ipv4(v4),
        IpAddr::V6(v6) => Host::Ipv6(v6),
    }
}

/// The proxies of a server peer in the order to try them.
pub fn proxy_order(
    peer: PeerId,
    server: &ServerPeer,
    health: &Health,
    now: Instant,
    rng: &mut StdRng,
) -> Vec<Proxy> {
    let mut up: Vec<Proxy> = server
        .proxies
        .iter()
        .copied()
        .filter(|p| health.is_up(peer, p.address, now))
        .collect();
    if up.is_empty() {
        // Every proxy looks down: trying them is better than refusing the call outright,
        // the keepalive may be behind.
        up = server.proxies.clone();
    }
    up.sort_by_key(|p| p.priority);
    let mut ordered = Vec::with_capacity(up.len());
    for group in up.chunk_by(|a, b| a.priority == b.priority) {
        let mut group: Vec<Proxy> = group.to_vec();
        while !group.is_empty() {
            let total: u32 = group.iter().map(|p| u32::from(p.weight.max(1))).sum();
            let mut pick = rng.random_range(0..total);
            let mut index = 0;
            for (i, p) in group.iter().enumerate() {
                let w = u32::from(p.weight.max(1));
                if pick < w {
                    index = i;
                    break;
                }
                pick -= w;
            }
            ordered.push(group.remove(index));
        }
    }
    ordered
}

/// Targets for a server peer: the dialled user at each proxy address.
pub fn server_targets(
    plan: &Plan,
    peer: PeerId,
    user: &str,
    health: &Health,
    now: Instant,
    rng: &mut StdRng,
) -> Result<Resolved, Unreachable> {
    let Some(PeerKind::Server(server)) = plan.peer(peer).map(|p| &p.kind) else {
        return Err(Unreachable {
            code: 500,
            reason: "Server Internal Error (route names no server peer)",
        });
    };
    let Some(iface) = plan.interface(server.interface) else {
        return Err(Unreachable {
            code: 500,
            reason: "Server Internal Error (peer has no interface)",
        });
    };
    let kind = crate::listeners::kind(iface.transport);
    let interface: Arc<str> = Arc::from(iface.name.as_str());
    let mut uris = Vec::new();
    let mut targets = Vec::new();
    for proxy in proxy_order(peer, server, health, now, rng) {
        let mut uri = SipUri::sip(
            (!user.is_empty()).then_some(user),
            host_of(proxy.address.ip()),
            Some(proxy.address.port()),
        );
        if kind != TransportKind::Udp {
            uri.params
                .set("transport", Some(&kind.via_token().to_ascii_lowercase()));
        }
        uris.push(uri);
        targets.push(Target::Net(Dest::peer(
            interface.clone(),
            kind,
            proxy.address,
        )));
    }
    Ok(Resolved {
        interface,
        uris,
        targets,
        parallel: false,
        failover_on: server.failover_on.clone(),
    })
}

/// One registered contact to fork to.
pub struct BindingTarget {
    pub contact: SipUri,
    pub flow: Option<u64>,
    pub received: Option<SocketAddr>,
}

/// Targets for the registered bindings of a users peer: one fork per binding.
pub fn binding_targets(
    plan: &Plan,
    peer: PeerId,
    bindings: Vec<BindingTarget>,
) -> Result<Resolved, Unreachable> {
    let Some(PeerKind::Users(users)) = plan.peer(peer).map(|p| &p.kind) else {
        return Err(Unreachable {
            code: 500,
            reason: "Server Internal Error (route names no users peer)",
        });
    };
    let Some(iface) = plan.interface(users.interface) else {
        return Err(Unreachable {
            code: 500,
            reason: "Server Internal Error (peer has no interface)",
        });
    };
    if bindings.is_empty() {
        return Err(Unreachable {
            code: 480,
            reason: "Temporarily Unavailable (not registered)",
        });
    }
    let kind = crate::listeners::kind(iface.transport);
    let interface: Arc<str> = Arc::from(iface.name.as_str());
    let mut uris = Vec::new();
    let mut targets = Vec::new();
    for b in bindings {
        // Over a flow the address is only informative: the flow is what the message takes.
        let over_flow = b
            .flow
            .map(|_| SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0));
        let remote = b.received.or(over_flow).or_else(|| {
            let ip = match b.contact.host.as_ref()? {
                Host::Ipv4(v4) => IpAddr::V4(*v4),
                Host::Ipv6(v6) => IpAddr::V6(*v6),
                Host::Domain(_) => return None,
            };
            Some(SocketAddr::new(ip, b.contact.port.unwrap_or(5060)))
        });
        let Some(remote) = remote else { continue };
        targets.push(Target::Net(Dest {
            flow: b.flow.map(FlowId),
            kind,
            interface: interface.clone(),
            remote,
        }));
        uris.push(b.contact);
    }
    if targets.is_empty() {
        return Err(Unreachable {
            code: 480,
            reason: "Temporarily Unavailable (no reachable binding)",
        });
    }
    Ok(Resolved {
        interface,
        uris,
        targets,
        parallel: true,
        failover_on: Vec::new(),
    })
}
