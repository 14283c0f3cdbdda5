//! REGISTER for a users peer in forward mode: relayed to the server peer's registrar, which
//! authenticates (its 401/407 challenges pass through to the browser unchanged) and keeps the
//! binding; the SBC keeps the mapping from the Contact it gave the upstream to the browser's
//! flow.
//!
//! Contact rewriting is used (each browser Contact becomes `sip:TOKEN@<SBC address on the
//! server's interface>`): every registrar can route to it, whereas Path (RFC 3327) needs the
//! upstream's support. The Request-URI, From, To, Call-ID, CSeq and Authorization are relayed
//! as sent, because the browser's digest answer covers the Request-URI. The browser's Via and
//! any Route/Path/Record-Route stay on the browser side (topology hiding). When a browser's
//! connection closes, its entries are dropped here at once; the upstream binding then lapses at
//! its expiry (an un-REGISTER would need the browser's credentials).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use rand::RngCore;
use rand::rngs::StdRng;
use sbcctl_registrar::bindings::{ContactSet, FlowRef};
use sbcctl_registrar::forward::{ForwardConfig, ForwardRegister, ForwardTable, UpstreamContact};
use sbcctl_sip::{Contact, Request, Response, TxnId, new_branch};
use sbcctl_transport::TransportKind;
use tracing::debug;

use super::dest::Dest;
use super::register::contact_set;
use super::reply::{add, reply};

/// Headers of the upstream's final response that the browser needs.
const RELAYED: &[&str] = &[
    "WWW-Authenticate",
    "Proxy-Authenticate",
    "Min-Expires",
    "Retry-After",
    "Date",
];

/// One REGISTER waiting for the upstream's final answer.
pub struct Pending {
    server_txn: TxnId,
    request: Request,
    aor: String,
    call_id: String,
}

pub struct Forwarder {
    pub peer_name: String,
    upstream: Dest,
    sbc_host: String,
    table: ForwardTable,
    pending: HashMap<TxnId, Pending>,
}

impl Forwarder {
    /// `sbc_addr` is the SBC's bound address on the server peer's interface.
    pub fn new(
        peer_name: &str,
        interface: Arc<str>,
        kind: TransportKind,
        upstream: SocketAddr,
        sbc_addr: SocketAddr,
    ) -> Self {
        let sbc_host = sbc_addr.to_string();
        let mut config = ForwardConfig::new(sbc_host.clone());
        if kind != TransportKind::Udp {
            config.transport = Some(kind.via_token().to_ascii_lowercase());
        }
        Forwarder {
            peer_name: peer_name.to_owned(),
            upstream: Dest::peer(interface, kind, upstream),
            sbc_host,
            table: ForwardTable::new(config),
            pending: HashMap::new(),
        }
    }

    /// Builds the upstream REGISTER; `Err` is the answer to give the browser instead.
    pub fn relay(
        &mut self,
        now: Instant,
        req: &Request,
        from: &Dest,
        rng: &mut StdRng,
    ) -> Result<Relayed, Response> {
        let fail = |code: u16, reason: &str, rng: &mut StdRng| reply(req, code, reason, rng);
        let to = req
            .headers
            .to()
            .map_err(|e| fail(400, &format!("Bad Request ({e})"), rng))?;
        let aor = match &to.uri.user {
            Some(user) => format!(
                "{user}@{}",
                to.uri
                    .host
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
            None => return Err(fail(404, "Not Found (no user in the To URI)", rng)),
        };
        let call_id = req
            .headers
            .call_id()
            .map_err(|e| fail(400, &format!("Bad Request ({e})"), rng))?;
        let cseq = req
            .headers
            .cseq()
            .map_err(|e| fail(400, &format!("Bad Request ({e})"), rng))?;
        let contacts = contact_set(req).map_err(|reason| fail(400, &reason, rng))?;
        let rewrite = self
            .table
            .prepare(
                now,
                rng,
                &ForwardRegister {
                    aor: &aor,
                    call_id: &call_id,
                    cseq: cseq.seq,
                    contacts: &contacts,
                    flow: from.flow.map(|f| FlowRef(f.0)),
                    flow_bound: from.kind.is_reliable(),
                    upstream_supports_path: false,
                },
            )
            .map_err(|e| fail(503, &format!("Service Unavailable ({e})"), rng))?;

        let mut up = req.clone();
        for name in ["Via", "Contact", "Route", "Record-Route", "Path"] {
            up.headers.remove(name);
        }
        let branch = new_branch(|b| rng.fill_bytes(b));
        let via = format!(
            "SIP/2.0/{} {};branch={branch};rport",
            self.upstream.kind.via_token(),
            self.sbc_host
        );
        up.headers.insert_front("Via", via);
        let hops = req.headers.max_forwards().ok().flatten().unwrap_or(70);
        up.headers
            .set("Max-Forwards", hops.saturating_sub(1).max(1).to_string());
        match &contacts {
            ContactSet::Wildcard => up.headers.append("Contact", "*"),
            _ => {
                for c in &rewrite.contacts {
                    let expires = original_expires(req, &c.original);
                    let value = match expires {
                        Some(e) => format!("<{}>;expires={e}", c.upstream),
                        None => format!("<{}>", c.upstream),
                    };
                    up.headers.append("Contact", value);
                }
            }
        }
        Ok(Relayed {
            request: up,
            dest: self.upstream.clone(),
            pending: Pending {
                server_txn: TxnId(0),
                request: req.clone(),
                aor,
                call_id,
            },
        })
    }

    /// The relayed REGISTER went out as client transaction `client` for server transaction
    /// `server`.
    pub fn started(&mut self, client: TxnId, server: TxnId, mut pending: Pending) {
        pending.server_txn = server;
        self.pending.insert(client, pending);
    }

    pub fn is_waiting_for(&self, client: TxnId) -> bool {
        self.pending.contains_key(&client)
    }

    /// The upstream answered; returns the browser's answer and its server transaction.
    pub fn on_response(
        &mut self,
        now: Instant,
        client: TxnId,
        up: &Response,
        rng: &mut StdRng,
    ) -> Option<(TxnId, Response)> {
        if up.is_provisional() {
            return None;
        }
        let pending = self.pending.remove(&client)?;
        let reason = String::from_utf8_lossy(up.reason()).into_owned();
        let mut resp = reply(&pending.request, up.code(), &reason, rng);
        for name in RELAYED {
            for h in up.headers.get_all(name) {
                add(&mut resp, name, h.raw_value().clone());
            }
        }
        if up.is_success() {
            let contacts: Vec<UpstreamContact> = up
                .headers
                .contacts()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| match c {
                    Contact::Addr(a) => Some(UpstreamContact {
                        uri: a.uri.to_string(),
                        expires: a.expires(),
                    }),
                    Contact::Star => None,
                })
                .collect();
            let expires = up.headers.expires().ok().flatten();
            let learned = self
                .table
                .learn(now, &pending.aor, &pending.call_id, &contacts, expires);
            for c in &learned.client_contacts {
                let value = match c.expires {
                    Some(e) => format!("<{}>;expires={e}", c.uri),
                    None => format!("<{}>", c.uri),
                };
                add(&mut resp, "Contact", value);
            }
            debug!(peer = %self.peer_name, aor = %pending.aor, confirmed = learned.confirmed.len(), "forwarded registration accepted upstream");
        } else if up.code() != 401 && up.code() != 407 {
            self.table.abandon(&pending.aor, &pending.call_id);
        }
        Some((pending.server_txn, resp))
    }

    /// The upstream never answered or could not be reached.
    pub fn on_failure(
        &mut self,
        client: TxnId,
        code: u16,
        reason: &str,
        rng: &mut StdRng,
    ) -> Option<(TxnId, Response)> {
        let pending = self.pending.remove(&client)?;
        self.table.abandon(&pending.aor, &pending.call_id);
        Some((
            pending.server_txn,
            reply(&pending.request, code, reason, rng),
        ))
    }

    /// A browser connection closed: its entries stop routing at once.
    pub fn flow_closed(&mut self, flow: FlowRef) -> usize {
        self.table.remove_flow(flow).len()
    }

    /// The browsers a call from the upstream reaches: the Request-URI user is the token of a
    /// rewritten Contact (what the upstream registrar was given).
    pub fn lookup(&self, token: &str, now: std::time::Instant) -> Vec<(String, Option<FlowRef>)> {
        self.table
            .get(token)
            .filter(|e| e.is_active(now))
            .map(|e| vec![(e.contact.clone(), e.flow)])
            .unwrap_or_default()
    }

    pub fn entries(&self) -> usize {
        self.table.len()
    }
}

/// The upstream REGISTER and where it goes.
pub struct Relayed {
    pub request: Request,
    pub dest: Dest,
    pub pending: Pending,
}

/// The `expires` parameter the browser put on this Contact, if any.
fn original_expires(req: &Request, uri: &str) -> Option<u32> {
    req.headers
        .contacts()
        .ok()?
        .into_iter()
        .find_map(|c| match c {
            Contact::Addr(a) if a.uri.to_string() == uri => a.expires(),
            _ => None,
        })
}
