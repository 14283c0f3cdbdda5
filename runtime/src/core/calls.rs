//! Calls in the SIP core: the glue between the transaction layer, the sans-IO B2BUA
//! (`sbcctl-b2bua`), the media engine and the built-in echo peer.
//!
//! The B2BUA decides what to send on which leg; this module decides *how*: which server
//! transaction a response answers, which client transaction a request starts and where it goes
//! (the flow of the caller, a proxy, a registered flow, or the echo endpoint answered in
//! process), and it rewrites every SDP body through the media engine so that media is anchored
//! on the SBC. A call keeps the plan it started with until it ends (a hot apply only changes
//! new calls).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use sbcctl_b2bua::{CallId, Calls, EndCause, Output, Side};
use sbcctl_compiler::plan::{PeerId, Plan};
use sbcctl_sip::{Headers, Message, Method, Request, SipUri, TxnId};
use tracing::{debug, info, warn};

use super::SipCore;
use super::dest::Dest;
use super::reply::reply;
use super::targets::Target;
use crate::media::MediaReject;

/// How long an ended call's routing is kept to absorb late responses (64 × T1).
const LINGER: Duration = Duration::from_secs(32);

/// What the core keeps per call beside the B2BUA's dialog state.
pub(super) struct CallCtx {
    /// The flow of the caller: every request and response of the A leg goes there.
    pub a: Dest,
    pub plan: Arc<Plan>,
    pub source: PeerId,
    pub dest_peer: Option<PeerId>,
    pub route: Option<String>,
    pub targets: Vec<Target>,
    /// The SBC's Contact on the B leg (the echo endpoint answers with a Contact of its own).
    pub b_contact: SipUri,
    /// Server transactions waiting for the B2BUA's response, by leg, CSeq number and method.
    pub server_txns: HashMap<(Side, u32, Method), TxnId>,
    /// The caller's INVITE transaction, answered by the glue itself when the B leg never starts.
    pub a_txn: TxnId,
    pub b_started: bool,
    /// The B target the last request from the B side came from (the answering fork).
    pub b_target: usize,
    /// INVITEs sent to a proxy that has not answered anything yet, by target, with when.
    pub unheard: HashMap<usize, Instant>,
    /// Serial failover (a proxy set) rather than parallel forking.
    pub serial: bool,
    pub started: SystemTime,
    pub started_at: Instant,
    pub answered: Option<(SystemTime, Instant)>,
    pub ended_at: Option<Instant>,
    /// The last SDP rewrite: the same body sent to several forks or failover targets, or a
    /// repeated answer, must not renegotiate twice.
    pub sdp_memo: Option<(Side, bool, Bytes, Bytes)>,
    pub from_user: String,
    pub to_user: String,
    pub caller_call_id: String,
}

/// A 2xx to an INVITE sent over UDP, retransmitted until its ACK arrives (RFC 3261
/// §13.3.1.4; RFC 6026 leaves this to the transaction user).
pub(super) struct Pending2xx {
    txn: TxnId,
    response: sbcctl_sip::Response,
    next: Instant,
    interval: Duration,
    give_up: Instant,
}

/// All calls of the core.
pub(super) struct CallTable {
    pub calls: Calls,
    /// Unacknowledged 2xx responses by call and leg.
    pub pending_2xx: HashMap<(CallId, Side), Pending2xx>,
    /// How long a proxy may stay silent (not even 100 Trying) before the next one of its set
    /// gets the call; far shorter than Timer B, which is for the last proxy.
    pub silence: Duration,
    /// Ended calls in the order they ended (their routing is dropped `LINGER` later). Kept in
    /// time order so that the core's loop never scans every call.
    ended: VecDeque<(Instant, CallId)>,
    /// INVITEs sent to one proxy of a set, in the order sent; checked against `unheard` when due.
    sent: VecDeque<(Instant, CallId, usize)>,
    pub ctx: HashMap<CallId, CallCtx>,
    /// Client transactions the B2BUA started: which call, leg and target they belong to.
    pub txns: HashMap<TxnId, (CallId, Side, usize)>,
}

impl CallTable {
    pub fn new(calls: Calls, silence: Duration) -> CallTable {
        CallTable {
            silence,
            ended: VecDeque::new(),
            sent: VecDeque::new(),
            calls,
            ctx: HashMap::new(),
            txns: HashMap::new(),
            pending_2xx: HashMap::new(),
        }
    }

    /// When the oldest ended call's routing may be dropped.
    pub fn next_sweep(&self) -> Option<Instant> {
        let sweep = self.ended.front().map(|(t, _)| *t + LINGER);
        let resend = self.pending_2xx.values().map(|p| p.next).min();
        let silent = self.sent.front().map(|(t, _, _)| *t + self.silence);
        sweep.into_iter().chain(resend).chain(silent).min()
    }

    /// Calls not ended yet.
    pub fn active(&self) -> usize {
        self.ctx.values().filter(|c| c.ended_at.is_none()).count()
    }
}

pub(super) fn is_sdp(headers: &Headers, body: &Bytes) -> bool {
    if body.is_empty() {
        return false;
    }
    match headers.get("Content-Type").and_then(|h| h.value_str()) {
        Some(ct) => ct
            .trim()
            .to_ascii_lowercase()
            .starts_with("application/sdp"),
        // RFC 3261 §20.15 makes Content-Type mandatory with a body; a body without one that
        // looks like SDP is treated as SDP rather than relayed unanchored.
        None => body.starts_with(b"v=0"),
    }
}

impl SipCore {
    /// Feeds a request of a known call to the B2BUA.
    pub(super) fn in_call_request(
        &mut self,
        now: Instant,
        txn: Option<TxnId>,
        call: CallId,
        side: Side,
        req: Request,
        from: &Dest,
    ) {
        if *req.method() == Method::Ack {
            self.calls.pending_2xx.remove(&(call, side));
        }
        let Some(ctx) = self.calls.ctx.get_mut(&call) else {
            return;
        };
        let target = match side {
            Side::A => 0,
            Side::B => ctx
                .targets
                .iter()
                .position(|t| {
                    matches!(t, Target::Net(d)
                        if (d.flow.is_some() && d.flow == from.flow) || d.remote == from.remote)
                })
                .unwrap_or(0),
        };
        if side == Side::B {
            ctx.b_target = target;
        }
        if let (Some(txn), Ok(cseq)) = (txn, req.headers.cseq()) {
            ctx.server_txns
                .insert((side, cseq.seq, req.method().clone()), txn);
        }
        let outs = self
            .calls
            .calls
            .handle(now, call, side, target, &Message::Request(req));
        self.process_outputs(now, outs, txn);
    }

    /// Feeds the response of one of the calls' client transactions; gives the response back
    /// when `txn` is not a call's.
    pub(super) fn call_response_or_back(
        &mut self,
        now: Instant,
        txn: TxnId,
        response: sbcctl_sip::Response,
    ) -> Option<sbcctl_sip::Response> {
        let Some(&(call, side, target)) = self.calls.txns.get(&txn) else {
            return Some(response);
        };
        if side == Side::B
            && let Some(ctx) = self.calls.ctx.get_mut(&call)
        {
            ctx.unheard.remove(&target);
        }
        let outs = self
            .calls
            .calls
            .handle(now, call, side, target, &Message::Response(response));
        self.process_outputs(now, outs, None);
        None
    }

    /// A client transaction of a call timed out or its transport failed; false when `txn` is
    /// not a call's.
    pub(super) fn call_txn_failed(&mut self, now: Instant, txn: TxnId) -> bool {
        let Some(&(call, side, target)) = self.calls.txns.get(&txn) else {
            return false;
        };
        debug!(
            call = call.0,
            ?side,
            target,
            "call leg lost (timeout or transport error)"
        );
        let outs = self.calls.calls.leg_lost(now, call, side, target);
        self.process_outputs(now, outs, None);
        true
    }

    /// A connection closed: every call with a leg over it loses that leg, so the other side
    /// gets a BYE (or a final response) at once rather than after a media timeout.
    pub(super) fn calls_flow_closed(&mut self, now: Instant, flow: sbcctl_transport::FlowId) {
        let mut lost = Vec::new();
        for (id, ctx) in &self.calls.ctx {
            if ctx.ended_at.is_some() {
                continue;
            }
            if ctx.a.flow == Some(flow) {
                lost.push((*id, Side::A, 0));
            }
            for (i, t) in ctx.targets.iter().enumerate() {
                if matches!(t, Target::Net(d) if d.flow == Some(flow)) {
                    lost.push((*id, Side::B, i));
                }
            }
        }
        for (call, side, target) in lost {
            info!(call = call.0, ?side, "connection of a call leg closed");
            let outs = self.calls.calls.leg_lost(now, call, side, target);
            self.process_outputs(now, outs, None);
        }
    }

    /// Ends a call from the SBC's side (media timeout, media failure, shutdown).
    pub(super) fn terminate_call(&mut self, now: Instant, call: CallId, code: u16, reason: &str) {
        let outs = self.calls.calls.terminate(now, call, code, reason);
        self.process_outputs(now, outs, None);
    }

    /// Ends every call with BYE or a final response (graceful shutdown after the grace period).
    pub fn end_all_calls(&mut self, now: Instant) {
        let live: Vec<CallId> = self
            .calls
            .ctx
            .iter()
            .filter(|(_, c)| c.ended_at.is_none())
            .map(|(id, _)| *id)
            .collect();
        for id in live {
            self.terminate_call(now, id, 503, "Service Unavailable (shutting down)");
        }
        self.flush();
    }

    /// Moves calls on from proxies that stayed silent (serial failover, RFC 3263 §4.3 style):
    /// the INVITE transaction stays to absorb a late answer, which the B2BUA then handles as a
    /// lost fork's.
    pub(super) fn skip_silent_targets(&mut self, now: Instant) {
        let silence = self.calls.silence;
        let mut silent = Vec::new();
        while let Some(&(sent, id, target)) = self.calls.sent.front() {
            if now.saturating_duration_since(sent) < silence {
                break;
            }
            self.calls.sent.pop_front();
            // Still unheard, and this very INVITE (not a later one to the same target)?
            if let Some(ctx) = self.calls.ctx.get_mut(&id)
                && ctx.ended_at.is_none()
                && ctx.unheard.get(&target) == Some(&sent)
            {
                ctx.unheard.remove(&target);
                silent.push((id, target));
            }
        }
        for (call, target) in silent {
            info!(
                call = call.0,
                target, "proxy silent: trying the next one of its set"
            );
            let outs = self.calls.calls.leg_lost(now, call, Side::B, target);
            self.process_outputs(now, outs, None);
        }
    }

    /// Drops the routing of calls that ended long enough ago.
    pub(super) fn sweep_calls(&mut self, now: Instant) {
        // Client transactions of a dropped call go with their own `Terminated` events.
        while let Some(&(at, id)) = self.calls.ended.front() {
            if now.saturating_duration_since(at) < LINGER {
                break;
            }
            self.calls.ended.pop_front();
            self.calls.ctx.remove(&id);
        }
    }

    /// Carries out what the B2BUA asked for. `origin` is the server transaction of the request
    /// that produced these outputs, if any (it is answered directly when a relay is refused).
    pub(super) fn process_outputs(
        &mut self,
        now: Instant,
        outs: Vec<Output>,
        origin: Option<TxnId>,
    ) {
        let mut queue: VecDeque<Output> = outs.into();
        while let Some(out) = queue.pop_front() {
            match out {
                Output::Request {
                    call,
                    side,
                    target,
                    request,
                } => self.send_call_request(now, call, side, target, request, origin, &mut queue),
                Output::Response {
                    call,
                    side,
                    response,
                } => self.send_call_response(now, call, side, response, &mut queue),
                Output::Answered { call, at } => {
                    if let Some(ctx) = self.calls.ctx.get_mut(&call) {
                        ctx.answered = Some((SystemTime::now(), at));
                        self.counters.calls.answered += 1;
                    }
                }
                Output::Ended { call, at, cause } => self.call_ended(call, at, cause),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn send_call_request(
        &mut self,
        now: Instant,
        call: CallId,
        side: Side,
        target: usize,
        mut request: Request,
        origin: Option<TxnId>,
        queue: &mut VecDeque<Output>,
    ) {
        let method = request.method().clone();
        if is_sdp(&request.headers, request.body()) {
            match self.rewrite_sdp(call, side.other(), false, request.body().clone()) {
                Ok(body) => request.set_body(body),
                Err(rej) => {
                    self.offer_refused(now, call, side, &method, rej, origin, queue);
                    return;
                }
            }
        }
        let Some(ctx) = self.calls.ctx.get_mut(&call) else {
            return;
        };
        if side == Side::B && method == Method::Invite {
            ctx.b_started = true;
            if ctx.serial && ctx.targets.len() > 1 {
                ctx.unheard.insert(target, now);
                self.calls.sent.push_back((now, call, target));
            }
        }
        let peer = match side {
            Side::A => Some(ctx.source),
            Side::B => ctx.dest_peer,
        };
        // Peer ids index the plan a call started with; after a hot apply the new plan's rules
        // (and ids) are for new calls only.
        let same_plan = Arc::ptr_eq(&ctx.plan, &self.plan);
        if let (Some(m), Some(peer), true) = (&self.manipulator, peer, same_plan)
            && !matches!(method, Method::Ack | Method::Cancel)
        {
            let applied = m.apply(sbcctl_compiler::plan::Direction::Egress, peer, &mut request);
            if !applied.is_empty() {
                debug!(call = call.0, rules = ?applied, "egress manipulations applied");
            }
        }
        let dest = match side {
            Side::A => Some(Target::Net(ctx.a.clone())),
            Side::B => ctx.targets.get(target).cloned(),
        };
        let b_contact = ctx.b_contact.clone();
        match dest {
            None => warn!(
                call = call.0,
                target, "request for an unknown target dropped"
            ),
            Some(Target::Echo) => {
                let answer = if matches!(method, Method::Invite | Method::Update)
                    && !request.body().is_empty()
                {
                    Some(
                        self.media
                            .echo_answer(call.0, request.body())
                            .map_err(|r| (r.code, r.reason)),
                    )
                } else {
                    None
                };
                if let Some(resp) = super::echo::respond(&request, call.0, &b_contact, answer) {
                    let outs = self.calls.calls.handle(
                        now,
                        call,
                        Side::B,
                        target,
                        &Message::Response(resp),
                    );
                    queue.extend(outs);
                }
            }
            Some(Target::Net(dest)) => {
                if method == Method::Ack {
                    self.txn.send_stateless(dest, &Message::Request(request));
                    return;
                }
                let reliable = dest.kind.is_reliable();
                match self.txn.send_request(now, request, dest, reliable) {
                    Ok(txn) => {
                        self.calls.txns.insert(txn, (call, side, target));
                    }
                    Err(e) => {
                        warn!(call = call.0, error = %e, "call request refused by the transaction layer");
                        queue.extend(self.calls.calls.leg_lost(now, call, side, target));
                    }
                }
            }
        }
    }

    fn send_call_response(
        &mut self,
        now: Instant,
        call: CallId,
        side: Side,
        mut response: sbcctl_sip::Response,
        queue: &mut VecDeque<Output>,
    ) {
        if is_sdp(&response.headers, response.body()) {
            match self.rewrite_sdp(call, side.other(), true, response.body().clone()) {
                Ok(body) => response.set_body(body),
                Err(rej) => {
                    info!(call = call.0, code = rej.code, reason = %rej.reason, "answer refused by the media engine");
                    queue.extend(self.calls.calls.terminate(now, call, rej.code, &rej.reason));
                    return;
                }
            }
        }
        let Ok(cseq) = response.headers.cseq() else {
            return;
        };
        let Some(ctx) = self.calls.ctx.get_mut(&call) else {
            return;
        };
        let key = (side, cseq.seq, cseq.method);
        let txn = if response.code() >= 200 {
            ctx.server_txns.remove(&key)
        } else {
            ctx.server_txns.get(&key).copied()
        };
        let Some(txn) = txn else {
            debug!(
                call = call.0,
                code = response.code(),
                "response without a waiting transaction dropped"
            );
            return;
        };
        if let Err(e) = self.txn.send_response(now, txn, &response) {
            debug!(call = call.0, error = %e, "call response refused by the transaction layer");
            return;
        }
        let unreliable = match side {
            Side::A => !ctx.a.kind.is_reliable(),
            Side::B => ctx
                .targets
                .get(ctx.b_target)
                .is_some_and(|t| matches!(t, Target::Net(d) if !d.kind.is_reliable())),
        };
        if response.is_success() && key.2 == Method::Invite && unreliable {
            let t1 = self.txn.config().t1;
            self.calls.pending_2xx.insert(
                (call, side),
                Pending2xx {
                    txn,
                    response,
                    next: now + t1,
                    interval: t1,
                    give_up: now + t1 * 64,
                },
            );
        }
    }

    /// Retransmits unacknowledged 2xx responses; a call whose 2xx is never acknowledged is
    /// ended (RFC 3261 §13.3.1.4).
    pub(super) fn resend_2xx(&mut self, now: Instant) {
        let t2 = self.txn.config().t2;
        let mut lost = Vec::new();
        for ((call, side), p) in &mut self.calls.pending_2xx {
            if p.next > now {
                continue;
            }
            if now >= p.give_up {
                lost.push((*call, *side));
                continue;
            }
            let _ = self.txn.send_response(now, p.txn, &p.response);
            p.interval = (p.interval * 2).min(t2);
            p.next = now + p.interval;
        }
        for (call, side) in lost {
            self.calls.pending_2xx.remove(&(call, side));
            info!(
                call = call.0,
                ?side,
                "2xx never acknowledged: ending the call"
            );
            let target = match side {
                Side::A => 0,
                Side::B => self.calls.ctx.get(&call).map_or(0, |c| c.b_target),
            };
            let outs = self.calls.calls.leg_lost(now, call, side, target);
            self.process_outputs(now, outs, None);
        }
    }

    /// An offer the media engine cannot take (no common codec, no port left): the new call is
    /// refused to the caller, a relayed re-offer is refused to whoever sent it.
    #[allow(clippy::too_many_arguments)]
    fn offer_refused(
        &mut self,
        now: Instant,
        call: CallId,
        side: Side,
        method: &Method,
        rej: MediaReject,
        origin: Option<TxnId>,
        queue: &mut VecDeque<Output>,
    ) {
        info!(call = call.0, code = rej.code, reason = %rej.reason, "offer refused by the media engine");
        let Some(ctx) = self.calls.ctx.get(&call) else {
            return;
        };
        if side == Side::B && *method == Method::Invite && !ctx.b_started {
            let a_txn = ctx.a_txn;
            if let Some(invite) = self.txn.server_request(a_txn).cloned() {
                let resp = reply(&invite, rej.code, &rej.reason, &mut self.rng);
                let _ = self.txn.send_response(now, a_txn, &resp);
            }
            self.calls.calls.abandon(call);
            self.call_ended(call, now, EndCause::Failed(rej.code));
            return;
        }
        if let Some(origin) = origin
            && let Some(req) = self.txn.server_request(origin).cloned()
        {
            let resp = reply(&req, rej.code, &rej.reason, &mut self.rng);
            let _ = self.txn.send_response(now, origin, &resp);
            return;
        }
        queue.extend(self.calls.calls.terminate(now, call, rej.code, &rej.reason));
    }

    fn rewrite_sdp(
        &mut self,
        call: CallId,
        from: Side,
        is_response: bool,
        body: Bytes,
    ) -> Result<Bytes, MediaReject> {
        if let Some(ctx) = self.calls.ctx.get(&call)
            && let Some((s, r, input, output)) = &ctx.sdp_memo
            && *s == from
            && *r == is_response
            && *input == body
        {
            return Ok(output.clone());
        }
        let out = self.media.on_sdp(call.0, from, is_response, &body)?;
        if let Some(ctx) = self.calls.ctx.get_mut(&call) {
            ctx.sdp_memo = Some((from, is_response, body, out.clone()));
        }
        Ok(out)
    }

    fn call_ended(&mut self, call: CallId, at: Instant, cause: EndCause) {
        self.media.close(call.0);
        let Some(ctx) = self.calls.ctx.get_mut(&call) else {
            return;
        };
        if ctx.ended_at.is_some() {
            return;
        }
        ctx.ended_at = Some(at);
        ctx.unheard.clear();
        self.calls.ended.push_back((Instant::now().max(at), call));
        self.calls.pending_2xx.remove(&(call, Side::A));
        self.calls.pending_2xx.remove(&(call, Side::B));
        let ctx = &self.calls.ctx[&call];
        let (code, result) = outcome(&cause, ctx.answered.is_some());
        match result {
            "answered" => {}
            _ => self.counters.calls.failed += 1,
        }
        info!(
            call = call.0,
            route = ctx.route.as_deref().unwrap_or("-"),
            code,
            result,
            secs = ctx
                .answered
                .map_or(0.0, |(_, t)| at.saturating_duration_since(t).as_secs_f64()),
            "call ended"
        );
        self.observer.call_ended(
            ctx.route.as_deref().unwrap_or("-"),
            result,
            ctx.answered
                .map(|(_, t)| t.saturating_duration_since(ctx.started_at)),
        );
        if let Some(sink) = &self.cdr {
            sink.write(&super::cdr_record::record(
                call, ctx, at, &cause, code, result,
            ));
        }
    }
}

/// The result code and class of a call for logs and CDRs.
pub(super) fn outcome(cause: &EndCause, answered: bool) -> (u16, &'static str) {
    match cause {
        EndCause::HangUp(_) => (200, "answered"),
        EndCause::Cancelled => (487, "cancelled"),
        EndCause::Failed(486 | 600) => (486, "busy"),
        EndCause::Failed(404 | 604) => (404, "not-found"),
        EndCause::Failed(c) => (*c, "failed"),
        EndCause::LegLost(_) if answered => (200, "answered"),
        EndCause::LegLost(_) => (408, "failed"),
        #[allow(unreachable_patterns)]
        _ if answered => (200, "answered"),
        #[allow(unreachable_patterns)]
        _ => (500, "failed"),
    }
}
