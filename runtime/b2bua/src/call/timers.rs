//! The deadlines of a call and what happens when they pass.
//!
//! - 2xx retransmission until the ACK (RFC 3261 §13.3.1.4) is the glue's: it owns the
//!   server transaction the 2xx went out on.
//! - ACK with the answer: a 2xx that carried an offer (the reply to an offerless INVITE) is
//!   not ACKed at once; its ACK waits for the other leg's ACK, whose body is the answer. If
//!   that ACK never comes within 64*T1 the session has no answer: both legs get a BYE.
//! - A cancelled fork that never sends its final response is given up after 64*T1 (RFC 3261
//!   §9.1), so the call is not kept for ever.
//! - Reliable provisionals ([`super::reliable`]) and session timers ([`super::session`]).

use std::time::{Duration, Instant};

use sbcctl_sip::{Method, Request};

use super::fork::ForkState;
use super::{Call, Output, side_index};
use crate::causes::EndCause;
use crate::leg::Side;

/// RFC 3261 §17.1.1.1 round-trip estimate.
pub(super) const T1: Duration = Duration::from_millis(500);

/// A 2xx with an offer from leg `to`, whose ACK waits for the answer in the ACK of the
/// INVITE with CSeq `origin_cseq` on the other leg.
#[derive(Clone, Debug)]
pub(super) struct AckWait {
    pub to: Side,
    pub cseq: u32,
    pub origin_cseq: u32,
    pub deadline: Instant,
}

impl Call {
    /// The earliest deadline of this call.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let forks = self
            .forks
            .iter()
            .filter(|f| f.state == ForkState::Cancelled)
            .filter_map(|f| f.give_up_at);
        [
            self.rel.deadline(),
            self.session.deadline(),
            self.ack_wait.as_ref().map(|w| w.deadline),
        ]
        .into_iter()
        .flatten()
        .chain(forks)
        .min()
    }

    /// Runs every deadline that passed at `now`.
    pub(crate) fn on_timeout(
        &mut self,
        now: Instant,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> Vec<Output> {
        let mut out = Vec::new();
        if self.state == super::State::Terminated {
            return out;
        }
        for f in &mut self.forks {
            if f.state == ForkState::Cancelled && f.give_up_at.is_some_and(|t| t <= now) {
                f.state = ForkState::Failed(487);
            }
        }
        self.settle();
        if let Some(w) = &self.ack_wait
            && w.deadline <= now
        {
            let origin = w.to.other();
            self.hang_up_both(now, EndCause::LegLost(origin), &mut out, fill);
            return out;
        }
        self.reliable_timeout(now, &mut out);
        self.session_timeout(now, &mut out, fill);
        out
    }

    /// The ACK for the 2xx of INVITE `cseq` arrived on `side`: a held ACK on the other leg
    /// goes out with this ACK's body (the answer).
    pub(super) fn on_ack(&mut self, side: Side, ack: &Request, out: &mut Vec<Output>) {
        let Ok(cseq) = ack.headers.cseq() else {
            return;
        };
        let Some(w) = self
            .ack_wait
            .take_if(|w| w.to == side.other() && w.origin_cseq == cseq.seq)
        else {
            return;
        };
        let mut fwd = self.ack_for(w.to, w.cseq);
        if super::copy_content(&ack.headers, ack.body(), &mut fwd.headers) {
            fwd.set_body(ack.body().clone());
        }
        self.ack_sent(w.to, w.cseq, fwd, out);
    }

    /// The ACK for the 2xx of INVITE `cseq` on `side` (a new transaction, RFC 3261
    /// §13.2.2.4; its branch derives from the Call-ID space of the leg and the CSeq so that a
    /// retransmitted 2xx gets the same ACK).
    pub(super) fn ack_for(&self, side: Side, cseq: u32) -> Request {
        let leg = self.leg(side);
        let branch = format!("z9hG4bK{}-{}-ack{cseq}", leg.local_tag, side_index(side));
        leg.build(Method::Ack, cseq, &branch, 70)
    }

    /// Sends an ACK for a 2xx and remembers it for the 2xx's retransmissions.
    pub(super) fn ack_sent(&mut self, side: Side, cseq: u32, ack: Request, out: &mut Vec<Output>) {
        self.last_ack[side_index(side)] = Some((cseq, ack.clone()));
        self.send(out, side, self.target_of(side), ack);
    }

    /// A retransmitted 2xx for INVITE `cseq` on `side`: the same ACK again, if one was sent
    /// (while the answer is awaited there is none yet).
    pub(super) fn ack_again(&self, side: Side, cseq: u32, out: &mut Vec<Output>) {
        if let Some((seq, ack)) = &self.last_ack[side_index(side)]
            && *seq == cseq
        {
            self.send(out, side, self.target_of(side), ack.clone());
        }
    }
}
