//! Starting a call: from a routed INVITE to the B2BUA's first outputs.

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use sbcctl_b2bua::{Routing, Side};
use sbcctl_compiler::plan::{Destination, PeerId, PeerKind, Plan, Route};
use sbcctl_sip::{Request, Response, SipUri, TxnId};
use tracing::{debug, info};

use super::calls::CallCtx;
use super::dest::Dest;
use super::reply::reply;
use super::targets::{self, BindingTarget, Resolved, Target, Unreachable};
use super::{Registrar, SipCore};
use crate::media::{CallLegs, LegMedia};

/// The media side of a peer: its realm and profile.
fn leg_media(plan: &Plan, peer: PeerId) -> Option<LegMedia> {
    match &plan.peer(peer)?.kind {
        PeerKind::Users(u) => Some(LegMedia {
            realm: u.realm,
            profile: Some(u.profile),
        }),
        PeerKind::Server(s) => Some(LegMedia {
            realm: s.realm,
            profile: Some(s.profile),
        }),
        PeerKind::Echo(_) => None,
    }
}

impl SipCore {
    /// Starts the call a route sends somewhere; returns the answer to give at once when the
    /// call cannot start (no target, no media for the source), `None` when it runs.
    pub(super) fn start_call(
        &mut self,
        now: Instant,
        txn: TxnId,
        invite: &Request,
        from: &Dest,
        source: PeerId,
        route: &Route,
    ) -> Option<Response> {
        let plan = self.plan.clone();
        let user = invite
            .uri()
            .ok()
            .and_then(|u| u.user.clone())
            .unwrap_or_default();
        let Some(a_media) = leg_media(&plan, source) else {
            return Some(reply(
                invite,
                500,
                "Server Internal Error (source has no media realm)",
                &mut self.rng,
            ));
        };
        let dest_peer = match route.to {
            Destination::Peer(p) | Destination::Registered(p) => p,
            Destination::Reject { code, ref reason } => {
                return Some(reply(invite, code, reason, &mut self.rng));
            }
        };
        let resolved = match plan.peer(dest_peer).map(|p| &p.kind) {
            Some(PeerKind::Echo(echo)) => {
                let legs = CallLegs::Echo {
                    a: a_media,
                    echo_profile: echo.profile,
                };
                Ok((self.echo_resolved(from, &user), Some(legs)))
            }
            Some(PeerKind::Server(_)) => {
                targets::server_targets(&plan, dest_peer, &user, &self.health, now, &mut self.rng)
                    .map(|r| (r, relay_legs(&plan, a_media, dest_peer)))
            }
            Some(PeerKind::Users(_)) => {
                let bindings = self.bindings_of(dest_peer, &user, now);
                targets::binding_targets(&plan, dest_peer, bindings)
                    .map(|r| (r, relay_legs(&plan, a_media, dest_peer)))
            }
            None => Err(Unreachable {
                code: 500,
                reason: "Server Internal Error (route names no peer)",
            }),
        };
        let (resolved, legs) = match resolved {
            Ok(r) => r,
            Err(u) => {
                info!(route = %route.name, code = u.code, "call not routed: {}", u.reason);
                return Some(reply(invite, u.code, u.reason, &mut self.rng));
            }
        };
        let Some(legs) = legs else {
            return Some(reply(
                invite,
                500,
                "Server Internal Error (peer has no media realm)",
                &mut self.rng,
            ));
        };
        let (Some(a_addr), Some(b_addr)) = (
            targets::leg_addr(&plan, &self.bound, &from.interface),
            targets::leg_addr(&plan, &self.bound, &resolved.interface),
        ) else {
            return Some(reply(
                invite,
                500,
                "Server Internal Error (interface not bound)",
                &mut self.rng,
            ));
        };
        let b_contact = b_addr.contact.clone();
        let parallel = resolved.parallel;
        let routing = Routing {
            a_addr,
            b_addr,
            targets: resolved.uris,
            parallel: resolved.parallel,
            failover_on: resolved.failover_on,
        };
        let (id, outs) = match self.calls.calls.start(now, invite, routing) {
            Ok(started) => started,
            Err(rej) => return Some(reply(invite, rej.code, rej.reason, &mut self.rng)),
        };
        self.media.open(id.0, legs);
        self.counters.calls.started += 1;
        let h = &invite.headers;
        let mut server_txns = HashMap::new();
        if let Ok(cseq) = h.cseq() {
            server_txns.insert((Side::A, cseq.seq, cseq.method), txn);
        }
        debug!(call = id.0, route = %route.name, targets = resolved.targets.len(), "call started");
        self.calls.ctx.insert(
            id,
            CallCtx {
                a: from.clone(),
                plan: plan.clone(),
                source,
                dest_peer: Some(dest_peer),
                route: Some(route.name.clone()),
                targets: resolved.targets,
                b_contact,
                server_txns,
                a_txn: txn,
                b_started: false,
                b_target: 0,
                unheard: HashMap::new(),
                serial: !parallel,
                started: SystemTime::now(),
                started_at: now,
                answered: None,
                ended_at: None,
                sdp_memo: None,
                from_user: h.from().ok().and_then(|f| f.uri.user).unwrap_or_default(),
                to_user: user,
                caller_call_id: h.call_id().unwrap_or_default(),
            },
        );
        self.process_outputs(now, outs, Some(txn));
        None
    }

    /// The echo endpoint lives on the caller's own interface.
    fn echo_resolved(&self, from: &Dest, user: &str) -> Resolved {
        let host = self
            .bound
            .get(&*from.interface)
            .map(|a| targets::host_of(a.ip()))
            .unwrap_or(sbcctl_sip::Host::Domain("echo.invalid".into()));
        Resolved {
            interface: from.interface.clone(),
            uris: vec![SipUri::sip(
                Some(if user.is_empty() { "echo" } else { user }),
                host,
                None,
            )],
            targets: vec![Target::Echo],
            parallel: false,
            failover_on: Vec::new(),
        }
    }

    /// The live bindings of `user` at a users peer in local mode.
    fn bindings_of(&self, peer: PeerId, user: &str, now: Instant) -> Vec<BindingTarget> {
        let i = match self.registrar_of_peer(peer) {
            Some(Registrar::Local(i)) => i,
            Some(Registrar::Forward(f)) => {
                let Some(f) = self.forwarders.get(f) else {
                    return Vec::new();
                };
                return f
                    .lookup(user, now)
                    .into_iter()
                    .filter_map(|(contact, flow)| {
                        Some(BindingTarget {
                            contact: SipUri::parse(&contact).ok()?,
                            flow: flow.map(|f| f.0),
                            received: None,
                        })
                    })
                    .collect();
            }
            None => return Vec::new(),
        };
        let Some(r) = self.registrars.get(i) else {
            return Vec::new();
        };
        r.lookup(user, now)
            .into_iter()
            .filter_map(|b| {
                Some(BindingTarget {
                    contact: SipUri::parse(&b.contact).ok()?,
                    flow: b.flow.map(|f| f.0),
                    received: b.received,
                })
            })
            .collect()
    }

    fn registrar_of_peer(&self, peer: PeerId) -> Option<Registrar> {
        self.registrar_by_peer.get(&peer).copied()
    }
}

fn relay_legs(plan: &Plan, a: LegMedia, dest: PeerId) -> Option<CallLegs> {
    Some(CallLegs::Relay {
        a,
        b: leg_media(plan, dest)?,
    })
}
