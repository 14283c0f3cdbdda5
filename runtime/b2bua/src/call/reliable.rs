//! Reliable provisional responses (RFC 3262), terminated on each leg.
//!
//! B leg: the B2BUA never asks for 100rel, but a callee that insists (`Require: 100rel` with
//! `RSeq`) gets its PRACK from the B2BUA, whose 200 is absorbed.
//!
//! A leg: when the caller's INVITE requires 100rel, provisionals above 100 go out with
//! `Require: 100rel` and an `RSeq`, one at a time (§3: no second reliable provisional before
//! the first is PRACKed; later ones wait in a short queue), retransmitted with T1 doubling.
//! The caller's PRACK is answered here and never relayed. After 64*T1 without a PRACK the
//! retransmissions stop but the call goes on: §3 suggests rejecting the INVITE with a 5xx,
//! but a lost PRACK is no reason to lose a call the callee may be about to answer.
//! A caller that only lists 100rel in Supported gets plain provisionals.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sbcctl_sip::{Method, Request, Response};

use super::timers::T1;
use super::{Call, Output, has_option};
use crate::leg::Side;

/// Reliable provisionals waiting for a PRACK beyond this many are dropped, oldest first:
/// a callee that sends a burst of 18x only needs its latest state to reach the caller.
const QUEUE: usize = 4;

/// The caller's side of RFC 3262.
#[derive(Clone, Debug)]
pub(super) struct Reliable {
    /// The caller's INVITE said `Require: 100rel`.
    required: bool,
    /// Next RSeq; 0 until the first reliable provisional draws a random start.
    next_rseq: u32,
    pending: Option<Pending>,
    queue: VecDeque<Response>,
}

/// A reliable provisional sent and not PRACKed yet.
#[derive(Clone, Debug)]
struct Pending {
    rseq: u32,
    response: Response,
    started: Instant,
    /// Next retransmission; `None` once given up.
    next: Option<Instant>,
    interval: Duration,
}

impl Reliable {
    pub fn new(required: bool) -> Reliable {
        Reliable {
            required,
            next_rseq: 0,
            pending: None,
            queue: VecDeque::new(),
        }
    }

    pub fn is_required(&self) -> bool {
        self.required
    }

    /// The final response went out: nothing reliable is pending any more.
    pub fn finish(&mut self) {
        self.pending = None;
        self.queue.clear();
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.pending.as_ref().and_then(|p| p.next)
    }
}

/// `RAck: response-num CSeq-num Method` (RFC 3262 §7.2).
fn rack(req: &Request) -> Option<(u32, u32, String)> {
    let v = req.headers.get("RAck")?.value_str()?;
    let mut it = v.split_ascii_whitespace();
    let rseq = it.next()?.parse().ok()?;
    let cseq = it.next()?.parse().ok()?;
    let method = it.next()?.to_owned();
    Some((rseq, cseq, method))
}

impl Call {
    /// Sends a provisional response to the caller, reliably when it required 100rel.
    pub(super) fn a_provisional(
        &mut self,
        now: Instant,
        response: Response,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        if !self.rel.required || response.code() <= 100 {
            self.reply(out, Side::A, response);
        } else if self.rel.pending.is_some() {
            if self.rel.queue.len() == QUEUE {
                self.rel.queue.pop_front();
            }
            self.rel.queue.push_back(response);
        } else {
            self.send_reliable(now, response, out, fill);
        }
    }

    fn send_reliable(
        &mut self,
        now: Instant,
        mut response: Response,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        if self.rel.next_rseq == 0 {
            // §3: the first RSeq is random in 1..2^31-1, so RSeq spaces of successive
            // INVITEs cannot be confused.
            let mut b = [0u8; 4];
            fill(&mut b);
            self.rel.next_rseq = u32::from_be_bytes(b) % 0x7fff_fffe + 1;
        }
        let rseq = self.rel.next_rseq;
        self.rel.next_rseq = rseq.wrapping_add(1).max(1);
        response.headers.append("Require", "100rel");
        response.headers.append("RSeq", rseq.to_string());
        self.rel.pending = Some(Pending {
            rseq,
            response: response.clone(),
            started: now,
            next: Some(now + T1),
            interval: T1,
        });
        self.reply(out, Side::A, response);
    }

    /// The caller's PRACK: 200 when it acknowledges the pending reliable provisional, 481
    /// otherwise (§3); the next queued provisional then goes out.
    pub(super) fn on_prack(
        &mut self,
        now: Instant,
        req: &Request,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        let matches = match (rack(req), &self.rel.pending) {
            (Some((rseq, cseq, method)), Some(p)) => {
                p.rseq == rseq && cseq == self.a_cseq && method == "INVITE"
            }
            _ => false,
        };
        if !matches {
            let r = Response::for_request(req, 481, "Call/Transaction Does Not Exist");
            self.reply(out, Side::A, r);
            return;
        }
        self.reply(out, Side::A, Response::for_request(req, 200, "OK"));
        self.rel.pending = None;
        if self.proceeding()
            && let Some(next) = self.rel.queue.pop_front()
        {
            self.send_reliable(now, next, out, fill);
        }
    }

    /// Retransmits the pending reliable provisional (T1, 2*T1, 4*T1, … until 64*T1).
    pub(super) fn reliable_timeout(&mut self, now: Instant, out: &mut Vec<Output>) {
        let Some(p) = &mut self.rel.pending else {
            return;
        };
        if p.next.is_none_or(|t| t > now) {
            return;
        }
        if now >= p.started + 64 * T1 {
            p.next = None;
            return;
        }
        p.interval = p.interval.saturating_mul(2);
        p.next = Some(now + p.interval);
        let r = p.response.clone();
        self.reply(out, Side::A, r);
    }

    /// A provisional from fork `i`: PRACKs it when it is reliable. False when it is a
    /// retransmission or out of order, which §4 says must not be processed further.
    pub(super) fn prack_b(&mut self, i: usize, resp: &Response, out: &mut Vec<Output>) -> bool {
        if !has_option(&resp.headers, "Require", "100rel") {
            return true;
        }
        let Some(rseq) = resp
            .headers
            .get("RSeq")
            .and_then(|h| h.value_str())
            .and_then(|v| v.trim().parse::<u32>().ok())
        else {
            // Reliable without RSeq is malformed: relay it as a plain provisional.
            return true;
        };
        let Some(f) = self.forks.get_mut(i) else {
            return false;
        };
        if f.rseq.is_some_and(|last| rseq != last.wrapping_add(1)) {
            return false;
        }
        f.rseq = Some(rseq);
        let seq = f.leg.next_cseq();
        let branch = format!("{}-prack{seq}", f.branch);
        let mut prack = f.leg.build(Method::Prack, seq, &branch, 70);
        prack
            .headers
            .append("RAck", format!("{rseq} {} INVITE", f.cseq));
        let target = f.target;
        self.send(out, Side::B, target, prack);
        true
    }
}
