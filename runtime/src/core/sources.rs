//! Which peer a new request comes from (RFC 3261 leaves this to the SBC's policy).
//!
//! Server peers are recognised by interface and source IP (one of their proxies' addresses; the
//! port is not compared, since TCP and TLS connections come from ephemeral ports and many PBXs
//! send UDP from another port than they listen on); users peers by the interface their users
//! connect to. A request matching neither is refused.

use std::net::SocketAddr;

use sbcctl_compiler::plan::{PeerId, PeerKind, Plan, Registration};

use super::dest::Dest;

/// A classified source.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub peer: PeerId,
    /// The local registrar that authenticates this source's calls (users peers that are not
    /// click-to-call); an index into the core's registrars.
    pub authenticate_with: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Sources {
    servers: Vec<(String, Vec<SocketAddr>, PeerId)>,
    users: Vec<(String, Source)>,
}

impl Sources {
    /// `registrar_index(peer)` gives the core's local registrar for a users peer, if any.
    pub fn new(plan: &Plan, registrar_index: impl Fn(PeerId) -> Option<usize>) -> Sources {
        let mut sources = Sources::default();
        for (i, peer) in plan.peers.iter().enumerate() {
            let id = PeerId(i as u32);
            match &peer.kind {
                PeerKind::Server(s) => {
                    if let Some(iface) = plan.interface(s.interface) {
                        let addrs = s.proxies.iter().map(|p| p.address).collect();
                        sources.servers.push((iface.name.clone(), addrs, id));
                    }
                }
                PeerKind::Users(u) => {
                    if let Some(iface) = plan.interface(u.interface) {
                        let local = matches!(u.registration, Registration::Local(_));
                        let authenticate_with = if u.click_to_call || !local {
                            None
                        } else {
                            registrar_index(id)
                        };
                        sources.users.push((
                            iface.name.clone(),
                            Source {
                                peer: id,
                                authenticate_with,
                            },
                        ));
                    }
                }
                PeerKind::Echo(_) => {}
            }
        }
        sources
    }

    pub fn classify(&self, from: &Dest) -> Option<Source> {
        let server = self.servers.iter().find(|(iface, addrs, _)| {
            **iface == *from.interface && addrs.iter().any(|a| a.ip() == from.remote.ip())
        });
        if let Some((_, _, peer)) = server {
            return Some(Source {
                peer: *peer,
                authenticate_with: None,
            });
        }
        self.users
            .iter()
            .find(|(iface, _)| **iface == *from.interface)
            .map(|(_, s)| *s)
    }
}
