//! The SIP core: one task that owns the transaction layer and the registrars and answers what
//! arrives from the transports.
//!
//! Everything protocol-shaped happens in sans-IO pieces (`sbcctl-sip` transactions, the
//! `sbcctl-registrar` state); this loop only feeds them messages and instants, sends what they
//! produce, and sleeps until the earliest deadline.

pub(crate) mod apply;
mod calls;
mod cdr_record;
mod dest;
mod dispatch;
pub(crate) mod drain;
mod echo;
mod forward;
mod health;
mod keepalive;
mod register;
mod reply;
mod route_call;
mod sources;
mod targets;
mod via;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use sbcctl_compiler::plan::{PeerId, PeerKind, Plan, Registration};
use sbcctl_compiler::route_table::RouteTable;
use sbcctl_registrar::bindings::FlowRef;
use sbcctl_sip::{Event, Message, TransactionLayer, TxnConfig, parse_bytes};
use sbcctl_transport::{Inbound, TransportEvent, Transports};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

pub use dest::Dest;
pub use health::ProxyHealth;
pub use register::RegisterCounts;

use crate::cdr::CdrSink;
use crate::manipulate::Manipulator;
use crate::media::{MediaEngine, MediaEvent};
use crate::ratelimit::RateLimiter;
use crate::status::{CoreStatus, UsersStatus};

/// Requests from the host to the core.
pub enum Command {
    Status(oneshot::Sender<CoreStatus>),
    Stop,
    /// Switch to a new plan (hot apply, see `apply.rs`).
    Apply(Box<apply::CoreApply>),
    /// End every call still up (graceful shutdown after the grace period, see `drain.rs`).
    EndCalls(oneshot::Sender<usize>),
}

/// Counters kept by the core (exported by status and, later, metrics).
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Counters {
    pub messages_in: u64,
    pub messages_out: u64,
    pub parse_errors: u64,
    pub dropped_unanswerable: u64,
    pub rate_limited: u64,
    pub send_failures: u64,
    pub register: RegisterCounts,
    pub calls: CallCounts,
}

/// Call counts for status and metrics.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct CallCounts {
    pub started: u64,
    pub answered: u64,
    pub failed: u64,
}

/// The registrar of a users peer.
#[derive(Clone, Copy, Debug)]
enum Registrar {
    Local(usize),
    Forward(usize),
}

pub struct SipCore {
    /// The plan this core runs; every new transaction reads it.
    plan: Arc<Plan>,
    routes: Option<RouteTable>,
    sources: sources::Sources,
    transports: Transports,
    txn: TransactionLayer<Dest>,
    /// Users peers in local mode.
    registrars: Vec<register::UsersRegistrar>,
    /// Users peers in forward mode.
    forwarders: Vec<forward::Forwarder>,
    /// Which users peer answers REGISTERs arriving on an interface.
    registrar_by_interface: HashMap<String, Registrar>,
    /// The registrar of each users peer, for calls routed to its registered users.
    registrar_by_peer: HashMap<PeerId, Registrar>,
    /// Each interface's bound address: what Via and Contact say on that interface.
    bound: HashMap<String, SocketAddr>,
    calls: calls::CallTable,
    media: MediaEngine,
    media_events: Option<mpsc::UnboundedReceiver<MediaEvent>>,
    manipulator: Option<Manipulator>,
    cdr: Option<CdrSink>,
    health: health::Health,
    limiter: RateLimiter,
    rng: StdRng,
    counters: Counters,
    /// This instance's name, for registrars created by a hot apply.
    node: String,
    /// Metrics, capture and message logs shared with the host (see `capture::Observer`).
    observer: Arc<crate::capture::Observer>,
}

impl SipCore {
    /// `bound` holds each interface's bound address (the plan may ask for port 0).
    pub fn new(
        plan: Arc<Plan>,
        bound: &HashMap<String, SocketAddr>,
        transports: Transports,
        node: &str,
        txn: TxnConfig,
        now: Instant,
    ) -> SipCore {
        let mut rng = StdRng::from_os_rng();
        let mut registrars = Vec::new();
        let mut forwarders = Vec::new();
        let mut registrar_by_interface = HashMap::new();
        let mut registrar_by_peer = HashMap::new();
        let mut local_index: HashMap<PeerId, usize> = HashMap::new();
        for (peer_index, peer) in plan.peers.iter().enumerate() {
            let PeerKind::Users(users) = &peer.kind else {
                continue;
            };
            let Some(interface) = plan.interface(users.interface) else {
                continue;
            };
            match &users.registration {
                Registration::Local(local) => {
                    let mut secret = [0u8; 32];
                    rng.fill_bytes(&mut secret);
                    registrar_by_interface
                        .entry(interface.name.clone())
                        .or_insert(Registrar::Local(registrars.len()));
                    local_index.insert(PeerId(peer_index as u32), registrars.len());
                    registrar_by_peer.insert(
                        PeerId(peer_index as u32),
                        Registrar::Local(registrars.len()),
                    );
                    registrars.push(register::UsersRegistrar::new(
                        &peer.name, local, node, secret, now,
                    ));
                }
                Registration::Forward { server } => {
                    let Some(PeerKind::Server(server)) = plan.peer(*server).map(|p| &p.kind) else {
                        continue;
                    };
                    let Some(up_iface) = plan.interface(server.interface) else {
                        continue;
                    };
                    let Some(proxy) = server.proxies.iter().min_by_key(|p| p.priority) else {
                        continue;
                    };
                    let Some(sbc_addr) = bound.get(&up_iface.name).copied() else {
                        continue;
                    };
                    registrar_by_interface
                        .entry(interface.name.clone())
                        .or_insert(Registrar::Forward(forwarders.len()));
                    registrar_by_peer.insert(
                        PeerId(peer_index as u32),
                        Registrar::Forward(forwarders.len()),
                    );
                    forwarders.push(forward::Forwarder::new(
                        &peer.name,
                        Arc::from(up_iface.name.as_str()),
                        crate::listeners::kind(up_iface.transport),
                        proxy.address,
                        sbc_addr,
                    ));
                }
                Registration::None => {}
            }
        }
        let limiter = RateLimiter::new(plan.limits.requests_per_ip_per_s, 100_000);
        let sources = sources::Sources::new(&plan, |peer| local_index.get(&peer).copied());
        // The compiler checked every regex; a plan edited by hand may still carry a bad one.
        let routes = match RouteTable::build(&plan) {
            Ok(t) => Some(t),
            Err(e) => {
                warn!(error = %e, "route table cannot be built: new calls get 500");
                None
            }
        };
        let manipulator = match Manipulator::new(plan.clone()) {
            Ok(m) => Some(m),
            Err(e) => {
                warn!(error = %e, "manipulation table cannot be built: manipulations are off");
                None
            }
        };
        let cdr = match CdrSink::new(&plan.cdr) {
            Ok(sink) => Some(sink),
            Err(e) => {
                warn!(error = %e, "CDR output cannot be opened: no CDRs will be written");
                None
            }
        };
        let (media_tx, media_rx) = mpsc::unbounded_channel();
        let media = MediaEngine::new(&plan, media_tx);
        let health = health::Health::new(&plan, now);
        let mut call_rng = StdRng::from_rng(&mut rng);
        let fill: sbcctl_b2bua::Fill = Box::new(move |buf: &mut [u8]| call_rng.fill_bytes(buf));
        SipCore {
            registrar_by_peer,
            bound: bound.clone(),
            // 8 × T1 (4 s by default): a proxy that does not even send 100 Trying by then is
            // skipped for the next one of its set.
            calls: calls::CallTable::new(sbcctl_b2bua::Calls::new(fill), txn.t1 * 8),
            media,
            media_events: Some(media_rx),
            manipulator,
            cdr,
            health,
            plan,
            routes,
            sources,
            transports,
            txn: TransactionLayer::new(txn),
            registrars,
            forwarders,
            registrar_by_interface,
            limiter,
            rng,
            counters: Counters::default(),
            node: node.to_owned(),
            observer: Arc::new(crate::capture::Observer::detached()),
        }
    }

    /// Runs until `Command::Stop` or until both channels close.
    pub async fn run(
        mut self,
        mut events: mpsc::Receiver<TransportEvent>,
        mut commands: mpsc::Receiver<Command>,
    ) {
        let mut media_events = self
            .media_events
            .take()
            .unwrap_or_else(|| mpsc::unbounded_channel().1);
        loop {
            let deadline = self.next_deadline();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(ev) => {
                        self.on_transport(Instant::now(), ev);
                        // Drain what is already queued before looking at timers again: cheaper
                        // under load and keeps per-flow order.
                        for _ in 0..256 {
                            match events.try_recv() {
                                Ok(ev) => self.on_transport(Instant::now(), ev),
                                Err(_) => break,
                            }
                        }
                    }
                    None => break,
                },
                cmd = commands.recv() => match cmd {
                    Some(Command::Status(reply)) => { let _ = reply.send(self.status(Instant::now())); }
                    Some(Command::Apply(req)) => self.apply_plan(Instant::now(), *req),
                    Some(Command::EndCalls(reply)) => self.end_calls_for_drain(Instant::now(), reply),
                    Some(Command::Stop) | None => {
                        // Calls still up get a BYE (or a final response) rather than silence.
                        self.end_all_calls(Instant::now());
                        break;
                    }
                },
                Some(ev) = media_events.recv() => self.on_media_event(Instant::now(), ev),
                () = sleep => self.on_timer(Instant::now()),
            }
            self.flush();
        }
    }

    fn next_deadline(&mut self) -> Option<Instant> {
        let expiry = self
            .registrars
            .iter()
            .filter_map(|r| r.bindings.next_expiry())
            .min();
        [
            self.txn.poll_timeout(),
            expiry,
            self.calls.calls.poll_timeout(),
            self.health.next_deadline(),
            self.calls.next_sweep(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn on_media_event(&mut self, now: Instant, event: MediaEvent) {
        match event {
            MediaEvent::Timeout { call } => {
                tracing::info!(call, "media timeout: ending the call");
                self.terminate_call(now, sbcctl_b2bua::CallId(call), 408, "Media Timeout");
            }
        }
    }

    fn on_timer(&mut self, now: Instant) {
        self.txn.handle_timeout(now);
        self.drain_events(now);
        let outs = self.calls.calls.handle_timeout(now);
        self.process_outputs(now, outs, None);
        self.resend_2xx(now);
        self.skip_silent_targets(now);
        self.sweep_calls(now);
        self.send_pings(now);
        self.drain_events(now);
        for r in &mut self.registrars {
            if let Ok(gone) = r.bindings.expire(now) {
                for b in gone {
                    debug!(peer = %r.peer_name, aor = %b.aor, contact = %b.contact, "binding expired");
                }
            }
        }
    }

    fn on_transport(&mut self, now: Instant, event: TransportEvent) {
        match event {
            TransportEvent::Message(inbound) => self.on_message(now, inbound),
            TransportEvent::FlowOpened(_) => {}
            TransportEvent::FlowClosed(info) => {
                self.calls_flow_closed(now, info.flow);
                for f in &mut self.forwarders {
                    f.flow_closed(FlowRef(info.flow.0));
                }
                for r in &mut self.registrars {
                    let n = r.flow_closed(FlowRef(info.flow.0));
                    if n > 0 {
                        debug!(peer = %r.peer_name, flow = info.flow.0, remote = %info.remote, removed = n, "flow closed: bindings removed");
                    }
                }
            }
        }
    }

    fn on_message(&mut self, now: Instant, inbound: Inbound) {
        self.counters.messages_in += 1;
        let from = Dest::of(&inbound);
        let reliable = inbound.kind.is_reliable();
        let message = match parse_bytes(inbound.data) {
            Ok(m) => m,
            Err(e) => {
                self.counters.parse_errors += 1;
                match e.response_400() {
                    Some(resp) => {
                        debug!(remote = %from.remote, reason = %e.reason_phrase(), "malformed request answered");
                        self.send(&from, resp.to_bytes());
                    }
                    None => {
                        self.counters.dropped_unanswerable += 1;
                        debug!(remote = %from.remote, reason = %e.reason_phrase(), "malformed message dropped");
                    }
                }
                return;
            }
        };
        let message = match message {
            Message::Request(mut req) => {
                if !self.limiter.allow(now, from.remote.ip()) {
                    self.counters.rate_limited += 1;
                    if req.method() != &sbcctl_sip::Method::Ack {
                        let mut resp = reply::reply(
                            &req,
                            503,
                            "Service Unavailable (rate limit)",
                            &mut self.rng,
                        );
                        reply::add(&mut resp, "Retry-After", "1");
                        self.send(&from, resp.to_bytes());
                    }
                    return;
                }
                if let Err(e) = via::stamp_received(&mut req, from.remote) {
                    let resp =
                        reply::reply(&req, 400, &format!("Bad Request ({e})"), &mut self.rng);
                    self.send(&from, resp.to_bytes());
                    return;
                }
                Message::Request(req)
            }
            response => response,
        };
        self.txn.handle_incoming(now, message, from, reliable);
        self.drain_events(now);
    }

    fn drain_events(&mut self, now: Instant) {
        while let Some(event) = self.txn.poll_event() {
            match event {
                Event::Request { txn, request, from } => {
                    let msg = Message::Request(request);
                    let is_register = matches!(&msg, Message::Request(r) if *r.method() == sbcctl_sip::Method::Register);
                    let class = if is_register {
                        sbcctl_b2bua::Classified::Unknown
                    } else {
                        self.calls.calls.classify(&msg)
                    };
                    let Message::Request(request) = msg else {
                        continue;
                    };
                    match class {
                        sbcctl_b2bua::Classified::InCall(call, side) => {
                            self.in_call_request(now, Some(txn), call, side, request, &from);
                            continue;
                        }
                        sbcctl_b2bua::Classified::Loop => {
                            let resp = reply::reply(&request, 482, "Loop Detected", &mut self.rng);
                            let _ = self.txn.send_response(now, txn, &resp);
                            continue;
                        }
                        _ => {}
                    }
                    if let Some(resp) = self.on_request(now, txn, &request, &from)
                        && let Err(e) = self.txn.send_response(now, txn, &resp)
                    {
                        warn!(error = %e, "response refused by the transaction layer");
                    }
                }
                Event::Ack { request, from } => {
                    if let sbcctl_b2bua::Classified::InCall(call, side) = self
                        .calls
                        .calls
                        .classify(&Message::Request(request.clone()))
                    {
                        self.in_call_request(now, None, call, side, request, &from);
                    }
                }
                Event::StrayResponse { .. } => {}
                Event::Response { txn, response } if self.health.is_ping(txn) => {
                    let _ = response;
                    self.ping_result(txn, true);
                }
                Event::Response { txn, response } => {
                    let Some(response) = self.call_response_or_back(now, txn, response) else {
                        continue;
                    };
                    let waiting = self.forwarders.iter_mut().find(|f| f.is_waiting_for(txn));
                    if let Some(f) = waiting
                        && let Some((server, resp)) =
                            f.on_response(now, txn, &response, &mut self.rng)
                    {
                        self.answer(now, server, &resp);
                    }
                }
                Event::Timeout { txn } | Event::TransportError { txn }
                    if self.health.is_ping(txn) =>
                {
                    self.observer.transaction_timeout();
                    self.ping_result(txn, false);
                }
                Event::Timeout { txn } | Event::TransportError { txn }
                    if self.call_txn_failed(now, txn) =>
                {
                    self.observer.transaction_timeout();
                }
                Event::Timeout { txn } => {
                    self.observer.transaction_timeout();
                    self.upstream_failed(
                        now,
                        txn,
                        408,
                        "Request Timeout (the registrar did not answer)",
                    );
                }
                Event::TransportError { txn } => self.upstream_failed(
                    now,
                    txn,
                    503,
                    "Service Unavailable (the registrar cannot be reached)",
                ),
                Event::Terminated { txn } => {
                    self.calls.txns.remove(&txn);
                }
            }
        }
    }

    fn answer(&mut self, now: Instant, server: sbcctl_sip::TxnId, resp: &sbcctl_sip::Response) {
        if let Err(e) = self.txn.send_response(now, server, resp) {
            debug!(error = %e, "answer refused by the transaction layer");
        }
    }

    fn upstream_failed(&mut self, now: Instant, txn: sbcctl_sip::TxnId, code: u16, reason: &str) {
        let failed = self.forwarders.iter_mut().find(|f| f.is_waiting_for(txn));
        if let Some(f) = failed
            && let Some((server, resp)) = f.on_failure(txn, code, reason, &mut self.rng)
        {
            warn!(peer = %f.peer_name, code, "forwarded REGISTER failed");
            self.answer(now, server, &resp);
        }
    }

    /// Sends everything the transaction layer queued.
    fn flush(&mut self) {
        while let Some(t) = self.txn.poll_transmit() {
            self.send(&t.to, t.bytes);
        }
    }

    fn send(&mut self, to: &Dest, bytes: bytes::Bytes) {
        self.observer.outbound(&to.interface, to.remote, &bytes);
        let Some(flow) = to.flow else {
            // Outbound to a peer address: opening a flow may wait (a TCP connect), so it runs
            // beside the core; a failure shows up as the transaction's timeout.
            let (transports, to) = (self.transports.clone(), to.clone());
            self.counters.messages_out += 1;
            tokio::spawn(async move {
                if let Err(e) = transports
                    .send_to(&to.interface, to.kind, to.remote, bytes)
                    .await
                {
                    debug!(interface = %to.interface, remote = %to.remote, error = %e, "send to peer failed");
                }
            });
            return;
        };
        match self.transports.send(flow, bytes) {
            Ok(()) => self.counters.messages_out += 1,
            Err(e) => {
                self.counters.send_failures += 1;
                debug!(flow = flow.0, remote = %to.remote, error = %e, "send failed");
            }
        }
    }

    fn status(&self, _now: Instant) -> CoreStatus {
        let (client_txns, server_txns) = self.txn.counts();
        CoreStatus {
            counters: self.counters,
            active_calls: self.calls.active(),
            proxies: self.health.snapshot(&self.plan),
            media: self.media.stats(),
            client_transactions: client_txns,
            server_transactions: server_txns,
            users: self
                .registrars
                .iter()
                .map(|r| UsersStatus {
                    peer: r.peer_name.clone(),
                    aors: r.bindings.aors(),
                    bindings: r.bindings.total(),
                })
                .chain(self.forwarders.iter().map(|f| UsersStatus {
                    peer: f.peer_name.clone(),
                    aors: 0,
                    bindings: f.entries(),
                }))
                .collect(),
        }
    }
}
