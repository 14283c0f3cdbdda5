//! A hot apply inside the SIP core: the tables that new requests read are replaced by the new
//! plan's, while what lives on is carried over.
//!
//! What changes at once: routes, manipulations, source classification, the rate limit, the
//! registrars' users and expiry bounds, proxy sets and their keepalive, the CDR output. What is
//! kept: every established call (it holds the `Arc<Plan>` it started with), every transaction,
//! and the bindings of each users peer that still exists in local mode, matched by name. A
//! forward-mode peer keeps its mapping only when its upstream is unchanged, since the upstream
//! registrar holds the other half of it. Everything that could fail (regexes, the CDR file) is
//! built by the host before the command is sent, so this step cannot fail halfway.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use rand::RngCore;
use sbcctl_compiler::plan::{LocalRegistrar, PeerId, PeerKind, Plan, Registration};
use sbcctl_compiler::route_table::RouteTable;
use sbcctl_registrar::bindings::RegistrarPolicy;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tracing::info;

use super::{Registrar, SipCore, forward, health, register, sources};
use crate::cdr::CdrSink;
use crate::manipulate::Manipulator;
use crate::ratelimit::RateLimiter;

/// Everything the core needs to switch plans, already validated and built.
pub struct CoreApply {
    pub plan: Arc<Plan>,
    /// The bound address of every interface of the new plan.
    pub bound: HashMap<String, SocketAddr>,
    pub routes: RouteTable,
    pub manipulator: Manipulator,
    /// `Some` when the plan's `cdr` output changed (already opened).
    pub cdr: Option<Option<CdrSink>>,
    pub reply: oneshot::Sender<CoreApplied>,
}

/// What the switch kept and dropped, for the apply report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CoreApplied {
    /// Bindings (and forward-mode entries) carried over to the new plan.
    pub bindings_kept: usize,
    /// Bindings dropped with a users peer that is gone, changed mode, or changed upstream.
    pub bindings_dropped: usize,
    /// Calls that go on under the plan they started with.
    pub calls_kept: usize,
}

impl SipCore {
    /// Hands the core the host's observer (metrics, capture, message logs), which outlives
    /// every plan.
    pub(crate) fn with_observer(mut self, observer: Arc<crate::capture::Observer>) -> SipCore {
        self.observer = observer;
        self
    }

    /// Switches to a new plan; replies with what was kept.
    pub(super) fn apply_plan(&mut self, now: Instant, req: CoreApply) {
        let CoreApply {
            plan,
            bound,
            routes,
            manipulator,
            cdr,
            reply,
        } = req;
        let old = self.plan.clone();
        let mut report = CoreApplied {
            calls_kept: self.calls.active(),
            ..CoreApplied::default()
        };
        let mut old_local: HashMap<String, register::UsersRegistrar> = self
            .registrars
            .drain(..)
            .map(|r| (r.peer_name.clone(), r))
            .collect();
        let mut old_forward: HashMap<String, forward::Forwarder> = self
            .forwarders
            .drain(..)
            .map(|f| (f.peer_name.clone(), f))
            .collect();
        let mut registrar_by_interface = HashMap::new();
        let mut registrar_by_peer = HashMap::new();
        let mut local_index: HashMap<PeerId, usize> = HashMap::new();
        for (i, peer) in plan.peers.iter().enumerate() {
            let id = PeerId(i as u32);
            let PeerKind::Users(users) = &peer.kind else {
                continue;
            };
            let Some(interface) = plan.interface(users.interface) else {
                continue;
            };
            let entry = match &users.registration {
                Registration::Local(local) => {
                    let r = self.carry_registrar(
                        &old,
                        &peer.name,
                        local,
                        old_local.remove(&peer.name),
                        now,
                    );
                    report.bindings_kept += r.bindings.total();
                    local_index.insert(id, self.registrars.len());
                    self.registrars.push(r);
                    Registrar::Local(self.registrars.len() - 1)
                }
                Registration::Forward { .. } => {
                    let kept = old_forward
                        .remove(&peer.name)
                        .filter(|_| same_upstream(&old, &plan, &peer.name, &self.bound, &bound));
                    let f = match kept {
                        Some(f) => f,
                        None => match forwarder(&plan, users, &peer.name, &bound) {
                            Some(f) => f,
                            None => continue,
                        },
                    };
                    report.bindings_kept += f.entries();
                    self.forwarders.push(f);
                    Registrar::Forward(self.forwarders.len() - 1)
                }
                Registration::None => continue,
            };
            registrar_by_interface
                .entry(interface.name.clone())
                .or_insert(entry);
            registrar_by_peer.insert(id, entry);
        }
        for (name, r) in old_local {
            info!(peer = %name, bindings = r.bindings.total(), "apply: registrar removed with its bindings");
            report.bindings_dropped += r.bindings.total();
        }
        for (name, f) in old_forward {
            info!(peer = %name, entries = f.entries(), "apply: forward mapping dropped");
            report.bindings_dropped += f.entries();
        }
        self.registrar_by_interface = registrar_by_interface;
        self.registrar_by_peer = registrar_by_peer;
        self.sources = sources::Sources::new(&plan, |peer| local_index.get(&peer).copied());
        if old.limits.requests_per_ip_per_s != plan.limits.requests_per_ip_per_s {
            self.limiter = RateLimiter::new(plan.limits.requests_per_ip_per_s, 100_000);
        }
        if server_peers(&old) != server_peers(&plan) {
            self.health = health::Health::new(&plan, now);
        }
        if let Some(cdr) = cdr {
            self.cdr = cdr;
        }
        self.routes = Some(routes);
        self.manipulator = Some(manipulator);
        self.bound = bound;
        self.plan = plan;
        let _ = reply.send(report);
    }

    /// The registrar of a users peer in the new plan: the old one as it was when the peer did
    /// not change, else a new one (new users, realm, algorithms, expiry bounds) that takes over
    /// the old one's bindings.
    fn carry_registrar(
        &mut self,
        old_plan: &Plan,
        name: &str,
        local: &LocalRegistrar,
        old: Option<register::UsersRegistrar>,
        now: Instant,
    ) -> register::UsersRegistrar {
        let unchanged = old_plan
            .peer_by_name(name)
            .and_then(|p| old_plan.peer(p))
            .is_some_and(|p| matches!(&p.kind, PeerKind::Users(u) if matches!(&u.registration, Registration::Local(l) if l == local)));
        match old {
            Some(r) if unchanged => r,
            old => {
                let mut secret = [0u8; 32];
                self.rng.fill_bytes(&mut secret);
                let mut fresh = register::UsersRegistrar::new(name, local, &self.node, secret, now);
                if let Some(mut old) = old {
                    std::mem::swap(&mut fresh.bindings, &mut old.bindings);
                    fresh.bindings.set_policy(RegistrarPolicy {
                        min_expires: local.expires.min,
                        max_expires: local.expires.max,
                        default_expires: local.expires.default,
                        ..RegistrarPolicy::default()
                    });
                }
                fresh
            }
        }
    }
}

/// The forward-mode relay of a users peer, as the core builds it at start.
fn forwarder(
    plan: &Plan,
    users: &sbcctl_compiler::plan::UsersPeer,
    name: &str,
    bound: &HashMap<String, SocketAddr>,
) -> Option<forward::Forwarder> {
    let Registration::Forward { server } = &users.registration else {
        return None;
    };
    let PeerKind::Server(server) = &plan.peer(*server)?.kind else {
        return None;
    };
    let up_iface = plan.interface(server.interface)?;
    let proxy = server.proxies.iter().min_by_key(|p| p.priority)?;
    let sbc_addr = bound.get(&up_iface.name).copied()?;
    Some(forward::Forwarder::new(
        name,
        Arc::from(up_iface.name.as_str()),
        crate::listeners::kind(up_iface.transport),
        proxy.address,
        sbc_addr,
    ))
}

/// Whether a forward-mode peer relays to the same upstream, from the same SBC address, in both
/// plans (then the mapping the upstream holds is still valid).
fn same_upstream(
    old: &Plan,
    new: &Plan,
    name: &str,
    old_bound: &HashMap<String, SocketAddr>,
    new_bound: &HashMap<String, SocketAddr>,
) -> bool {
    let upstream = |plan: &Plan, bound: &HashMap<String, SocketAddr>| {
        let peer = plan.peer(plan.peer_by_name(name)?)?;
        let PeerKind::Users(users) = &peer.kind else {
            return None;
        };
        let Registration::Forward { server } = users.registration else {
            return None;
        };
        let server_peer = plan.peer(server)?;
        let PeerKind::Server(s) = &server_peer.kind else {
            return None;
        };
        let iface = plan.interface(s.interface)?;
        Some((
            server_peer.name.clone(),
            s.proxies.clone(),
            iface.transport,
            bound.get(&iface.name).copied(),
        ))
    };
    let a = upstream(old, old_bound);
    a.is_some() && a == upstream(new, new_bound)
}

/// The server peers of a plan with their interfaces by name: when these are equal, the proxy
/// health state carries over.
fn server_peers(plan: &Plan) -> Vec<(String, String, sbcctl_compiler::plan::ServerPeer)> {
    plan.peers
        .iter()
        .filter_map(|p| match &p.kind {
            PeerKind::Server(s) => Some((
                p.name.clone(),
                plan.interface(s.interface)
                    .map(|i| i.name.clone())
                    .unwrap_or_default(),
                s.clone(),
            )),
            _ => None,
        })
        .collect()
}
