//! Responses to the outbound INVITEs: relaying provisionals, choosing the answer, failing
//! over to the next target, and choosing the caller's final response when every fork failed.

use std::time::Instant;

use sbcctl_sip::Response;

use super::fork::{ForkState, best_final, contact_of};
use super::timers::{AckWait, T1};
use super::{Call, Output, State, tag_of};
use crate::causes::{EndCause, map_failure};
use crate::leg::Side;

impl Call {
    /// A response of fork `i` to its INVITE.
    pub(super) fn on_fork_response(
        &mut self,
        now: Instant,
        i: usize,
        resp: &Response,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        let code = resp.code();
        let Some(f) = self.forks.get_mut(i) else {
            return;
        };
        if f.is_open() && (101..300).contains(&code) {
            // The early (then confirmed) dialog of this fork: RFC 3261 §12.1.2.
            if let Some(tag) = tag_of(&resp.headers, false) {
                f.leg.remote_tag = Some(tag);
            }
            if let Some(uri) = contact_of(&resp.headers) {
                f.leg.remote_target = uri;
            }
        }
        if code < 200 {
            self.release_cancel(i, out);
        } else {
            f.cancel_deferred = false;
        }
        match code {
            100 => {}
            101..=199 => self.fork_provisional(now, i, resp, out, fill),
            200..=299 => self.fork_answered(now, i, resp, out, fill),
            _ => self.fork_failed(now, i, code, out, fill),
        }
    }

    fn fork_provisional(
        &mut self,
        now: Instant,
        i: usize,
        resp: &Response,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        if !self.prack_b(i, resp, out) {
            return;
        }
        let Some(f) = self.forks.get_mut(i) else {
            return;
        };
        f.provisional = true;
        let trying = f.state == ForkState::Trying;
        if !self.proceeding() || !trying {
            return;
        }
        self.state = State::Early;
        let reason = String::from_utf8_lossy(resp.reason()).into_owned();
        let mut r = self.a_response(resp.code(), &reason, Some(resp));
        if self.rel.is_required() && self.a_invite.body().is_empty() {
            // Late offer towards a caller that wants reliable provisionals: a body here
            // would be taken as the offer and answered in a PRACK that goes nowhere (the B
            // leg is not reliable). The offer reaches the caller in the 2xx.
            r.headers.remove("Content-Type");
            r.set_body(bytes::Bytes::new());
        }
        self.a_provisional(now, r, out, fill);
    }

    fn fork_answered(
        &mut self,
        now: Instant,
        i: usize,
        resp: &Response,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        let Some(f) = self.forks.get(i) else {
            return;
        };
        if f.state == ForkState::Answered {
            let tag = tag_of(&resp.headers, false);
            if tag.is_some() && tag == self.b.remote_tag {
                self.ack_again(Side::B, f.cseq, out);
            } else {
                // A second dialog from behind the winning target (a forking proxy there).
                self.drop_answer(i, resp, out, fill);
            }
            return;
        }
        if self.winner.is_some() || !self.proceeding() {
            // Another fork won, or the call ended meanwhile (RFC 3261 §9.1: ACK, then BYE).
            self.drop_answer(i, resp, out, fill);
            if let Some(f) = self.forks.get_mut(i)
                && f.is_open()
            {
                f.state = ForkState::Failed(487);
            }
            self.settle();
            return;
        }
        let Some(f) = self.forks.get_mut(i) else {
            return;
        };
        f.state = ForkState::Answered;
        let cseq = f.cseq;
        self.b = f.leg.clone();
        self.winner = Some(i);
        self.state = State::Confirmed;
        // RFC 3261 §13.3.1.4: an offerless INVITE gets the offer in the 2xx; the answer comes
        // in the caller's ACK, so B's ACK waits for it.
        if self.a_invite.body().is_empty() && !resp.body().is_empty() {
            self.ack_wait = Some(AckWait {
                to: Side::B,
                cseq,
                origin_cseq: self.a_cseq,
                deadline: now + 64 * T1,
            });
        } else {
            let ack = self.ack_for(Side::B, cseq);
            self.ack_sent(Side::B, cseq, ack, out);
        }
        self.session.b_refreshed(now, resp);
        let mut r = self.a_response(resp.code(), "OK", Some(resp));
        let a_headers = self.a_invite.headers.clone();
        self.session.a_refreshed(now, &a_headers, &mut r);
        self.rel.finish();
        self.reply(out, Side::A, r);
        out.push(Output::Answered {
            call: self.id,
            at: now,
        });
        self.cancel_forks(now, Some(i), out);
    }

    /// Fork `i` failed with `code` (or was lost: 408).
    pub(super) fn fork_failed(
        &mut self,
        now: Instant,
        i: usize,
        code: u16,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        let Some(f) = self.forks.get_mut(i) else {
            return;
        };
        let was_trying = f.state == ForkState::Trying;
        let reached = f.provisional;
        if f.is_open() {
            f.state = ForkState::Failed(code);
        }
        if !was_trying || !self.proceeding() {
            self.settle();
            return;
        }
        if code >= 600 {
            // RFC 3261 §16.7 step 5: a global failure ends the search.
            self.cancel_forks(now, None, out);
            self.fail(now, code, out);
            return;
        }
        // Serial failover (proxy sets): only while the target did not reach the callee —
        // after a 180 its failure is the callee's answer.
        let failover = code == 408 || code == 503 || self.failover_on.contains(&code);
        if !self.parallel && failover && !reached && self.next_serial(out, fill) {
            return;
        }
        if self.forks.iter().any(|f| f.is_open()) {
            return;
        }
        let best = best_final(self.forks.iter().filter_map(|f| f.failure())).unwrap_or(code);
        self.fail(now, best, out);
    }

    /// Gives the caller the mapped final failure and ends the call.
    fn fail(&mut self, now: Instant, code: u16, out: &mut Vec<Output>) {
        let (c, reason) = map_failure(code);
        let r = self.a_response(c, reason, None);
        self.a_final(out, r);
        self.end(now, EndCause::Failed(c), out);
    }

    /// Sends the INVITE to the next target of a serial list, with a new CSeq and branch in
    /// the same B dialog identity. False when no target is left.
    fn next_serial(&mut self, out: &mut Vec<Output>, fill: &mut dyn FnMut(&mut [u8])) -> bool {
        let next = self.forks.iter().map(|f| f.target + 1).max().unwrap_or(0);
        if next >= self.targets.len() {
            return false;
        }
        let cseq = self
            .forks
            .iter()
            .map(|f| f.leg.local_cseq)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        self.state = State::Calling;
        self.open_fork(next, cseq, out, fill)
    }
}
