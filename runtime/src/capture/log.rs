//! Logging full SIP messages for the interfaces and peers that ask for it (`log_messages` in the
//! spec), at `info` under the target `sbcctl::sip_message`.
//!
//! The peer of a message is found as the core finds the source of a request: a server peer by
//! its interface and one of its proxies' IP addresses, a users peer by its interface. When no
//! interface and no peer asks, the check is one boolean.

use std::net::{IpAddr, SocketAddr};

use sbcctl_compiler::plan::{PeerKind, Plan};

#[derive(Debug, Default)]
pub struct LogFilter {
    /// Interfaces with `log_messages`.
    interfaces: Vec<String>,
    /// (interface, proxy IP, peer) of every server peer, each with its own `log_messages`.
    servers: Vec<(String, IpAddr, String, bool)>,
    /// (interface, peer, log) of every users peer.
    users: Vec<(String, String, bool)>,
    any: bool,
}

impl LogFilter {
    pub fn new(plan: &Plan) -> LogFilter {
        let mut f = LogFilter {
            interfaces: plan
                .interfaces
                .iter()
                .filter(|i| i.log_messages)
                .map(|i| i.name.clone())
                .collect(),
            ..LogFilter::default()
        };
        for peer in &plan.peers {
            match &peer.kind {
                PeerKind::Server(s) => {
                    if let Some(iface) = plan.interface(s.interface) {
                        for p in &s.proxies {
                            f.servers.push((
                                iface.name.clone(),
                                p.address.ip(),
                                peer.name.clone(),
                                peer.log_messages,
                            ));
                        }
                    }
                }
                PeerKind::Users(u) => {
                    if let Some(iface) = plan.interface(u.interface) {
                        f.users
                            .push((iface.name.clone(), peer.name.clone(), peer.log_messages));
                    }
                }
                PeerKind::Echo(_) => {}
            }
        }
        f.any = !f.interfaces.is_empty()
            || f.servers.iter().any(|s| s.3)
            || f.users.iter().any(|u| u.2);
        f
    }

    /// The peer (or `-`) to name in the log line when a message on `interface` with `remote`
    /// should be logged; `None` when it should not.
    pub fn wants(&self, interface: &str, remote: SocketAddr) -> Option<&str> {
        if !self.any {
            return None;
        }
        let peer = self
            .servers
            .iter()
            .find(|(i, ip, _, _)| i == interface && *ip == remote.ip())
            .map(|(_, _, name, log)| (name.as_str(), *log))
            .or_else(|| {
                self.users
                    .iter()
                    .find(|(i, _, _)| i == interface)
                    .map(|(_, name, log)| (name.as_str(), *log))
            });
        let by_interface = self.interfaces.iter().any(|i| i == interface);
        match peer {
            Some((name, log)) if log || by_interface => Some(name),
            None if by_interface => Some("-"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(
        servers: &[(&str, &str, &str, bool)],
        users: &[(&str, &str, bool)],
        ifaces: &[&str],
    ) -> LogFilter {
        let mut f = LogFilter {
            interfaces: ifaces.iter().map(|s| s.to_string()).collect(),
            servers: servers
                .iter()
                .map(|(i, ip, p, l)| {
                    (
                        i.to_string(),
                        ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
                        p.to_string(),
                        *l,
                    )
                })
                .collect(),
            users: users
                .iter()
                .map(|(i, p, l)| (i.to_string(), p.to_string(), *l))
                .collect(),
            any: false,
        };
        f.any = !f.interfaces.is_empty()
            || f.servers.iter().any(|s| s.3)
            || f.users.iter().any(|u| u.2);
        f
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    #[test]
    fn only_the_peer_that_asks_is_logged() {
        let f = filter(
            &[("lan", "10.0.0.2", "pbx", true)],
            &[("lan", "phones", false)],
            &[],
        );
        assert_eq!(f.wants("lan", addr("10.0.0.2:5060")), Some("pbx"));
        assert_eq!(
            f.wants("lan", addr("10.0.0.9:5060")),
            None,
            "a phone, whose peer does not log"
        );
        assert_eq!(
            f.wants("wan", addr("10.0.0.2:5060")),
            None,
            "another interface"
        );
    }

    #[test]
    fn an_interface_logs_everything_on_it() {
        let f = filter(&[], &[], &["lan"]);
        assert_eq!(f.wants("lan", addr("192.0.2.1:1")), Some("-"));
        assert_eq!(f.wants("wan", addr("192.0.2.1:1")), None);
        assert_eq!(
            filter(&[], &[], &[]).wants("lan", addr("192.0.2.1:1")),
            None
        );
    }
}
