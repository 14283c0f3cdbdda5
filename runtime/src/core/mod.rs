//! The SIP core: one task that owns the transaction layer and the registrars and answers what
//! arrives from the transports.
//!
//! Everything protocol-shaped happens in sans-IO pieces (`sbcctl-sip` transactions, the
//! `sbcctl-registrar` state); this loop only feeds them messages and instants, sends what they
//! produce, and sleeps until the earliest deadline.

mod dest;
mod dispatch;
mod register;
mod reply;
mod via;

use std::collections::HashMap;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use sbcctl_compiler::plan::{PeerKind, Plan, Registration};
use sbcctl_registrar::bindings::FlowRef;
use sbcctl_sip::{Event, Message, TransactionLayer, TxnConfig, parse_bytes};
use sbcctl_transport::{Inbound, TransportEvent, Transports};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

pub use dest::Dest;
pub use register::RegisterCounts;

use crate::ratelimit::RateLimiter;
use crate::status::{CoreStatus, UsersStatus};

/// Requests from the host to the core.
pub enum Command {
    Status(oneshot::Sender<CoreStatus>),
    Stop,
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
}

pub struct SipCore {
    transports: Transports,
    txn: TransactionLayer<Dest>,
    /// Users peers in local mode, by interface name.
    registrars: Vec<register::UsersRegistrar>,
    registrar_by_interface: HashMap<String, usize>,
    limiter: RateLimiter,
    rng: StdRng,
    counters: Counters,
}

impl SipCore {
    pub fn new(
        plan: &Plan,
        transports: Transports,
        node: &str,
        txn: TxnConfig,
        now: Instant,
    ) -> SipCore {
        let mut rng = StdRng::from_os_rng();
        let mut registrars = Vec::new();
        let mut registrar_by_interface = HashMap::new();
        for peer in &plan.peers {
            let PeerKind::Users(users) = &peer.kind else {
                continue;
            };
            let Registration::Local(local) = &users.registration else {
                continue;
            };
            let mut secret = [0u8; 32];
            rng.fill_bytes(&mut secret);
            if let Some(interface) = plan.interface(users.interface) {
                registrar_by_interface
                    .entry(interface.name.clone())
                    .or_insert(registrars.len());
            }
            registrars.push(register::UsersRegistrar::new(
                &peer.name, local, node, secret, now,
            ));
        }
        let limiter = RateLimiter::new(plan.limits.requests_per_ip_per_s, 100_000);
        SipCore {
            transports,
            txn: TransactionLayer::new(txn),
            registrars,
            registrar_by_interface,
            limiter,
            rng,
            counters: Counters::default(),
        }
    }

    /// Runs until `Command::Stop` or until both channels close.
    pub async fn run(
        mut self,
        mut events: mpsc::Receiver<TransportEvent>,
        mut commands: mpsc::Receiver<Command>,
    ) {
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
                    Some(Command::Stop) | None => break,
                },
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
        match (self.txn.poll_timeout(), expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn on_timer(&mut self, now: Instant) {
        self.txn.handle_timeout(now);
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
                    if let Some(resp) = self.on_request(now, &request, &from)
                        && let Err(e) = self.txn.send_response(now, txn, &resp)
                    {
                        warn!(error = %e, "response refused by the transaction layer");
                    }
                }
                Event::Ack { .. } | Event::StrayResponse { .. } => {}
                Event::Response { .. }
                | Event::Timeout { .. }
                | Event::TransportError { .. }
                | Event::Terminated { .. } => {}
            }
        }
    }

    /// Sends everything the transaction layer queued.
    fn flush(&mut self) {
        while let Some(t) = self.txn.poll_transmit() {
            self.send(&t.to, t.bytes);
        }
    }

    fn send(&mut self, to: &Dest, bytes: bytes::Bytes) {
        match self.transports.send(to.flow, bytes) {
            Ok(()) => self.counters.messages_out += 1,
            Err(e) => {
                self.counters.send_failures += 1;
                debug!(flow = to.flow.0, remote = %to.remote, error = %e, "send failed");
            }
        }
    }

    fn status(&self, _now: Instant) -> CoreStatus {
        let (client_txns, server_txns) = self.txn.counts();
        CoreStatus {
            counters: self.counters,
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
                .collect(),
        }
    }
}
