//! How a call ends: the SBC terminates it, a leg is lost, or the session dies; and what
//! happens to requests still relayed when it does.

use std::time::Instant;

use sbcctl_sip::{Method, Response};

use super::fork::ForkState;
use super::{Call, Output, State};
use crate::causes::EndCause;
use crate::leg::Side;

impl Call {
    /// Ends the call from the SBC's side: before the answer, CANCEL the forks and give A
    /// `code`; after it, BYE on both legs.
    pub(crate) fn terminate(
        &mut self,
        now: Instant,
        code: u16,
        reason: &str,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> Vec<Output> {
        let mut out = Vec::new();
        match self.state {
            State::Calling | State::Early => {
                let r = self.a_response(code, reason, None);
                self.a_final(&mut out, r);
                self.cancel_forks(now, None, &mut out);
                self.end(now, EndCause::Terminated(code), &mut out);
            }
            State::Confirmed => {
                self.hang_up_both(now, EndCause::Terminated(code), &mut out, fill);
            }
            State::Ending | State::Terminated => {}
        }
        out
    }

    /// A transaction of the call on `side` (for B: towards `target`) timed out or its
    /// transport failed.
    pub(crate) fn on_leg_lost(
        &mut self,
        now: Instant,
        side: Side,
        target: usize,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> Vec<Output> {
        let mut out = Vec::new();
        let fork = match side {
            Side::B => self.fork_of(target, None),
            Side::A => None,
        };
        let winner = fork.is_some() && fork == self.winner;
        match (self.state, side) {
            (State::Calling | State::Early, Side::B) => {
                let Some(i) = fork else {
                    return out;
                };
                // An early fork still has an INVITE transaction at its target: end it too.
                if let Some(f) = self.forks.get(i)
                    && f.state == ForkState::Trying
                    && f.heard
                {
                    self.send_cancel(i, &mut out);
                }
                // A lost fork counts as a 408 from it (RFC 3261 §16.7 step 6 / §8.1.3.1).
                self.fork_failed(now, i, 408, &mut out, fill);
            }
            (State::Calling | State::Early, Side::A) => {
                let r = self.a_response(408, "Request Timeout", None);
                self.a_final(&mut out, r);
                self.cancel_forks(now, None, &mut out);
                self.end(now, EndCause::LegLost(Side::A), &mut out);
            }
            (State::Confirmed, Side::B) if !winner => self.fork_lost(fork),
            (State::Confirmed, _) => {
                self.answer_relays(Some(side), &mut out);
                self.bye(side.other(), &mut out, fill);
                self.end(now, EndCause::LegLost(side), &mut out);
            }
            (State::Ending, Side::B) => self.fork_lost(fork),
            _ => {}
        }
        out
    }

    /// A fork that no longer matters to the call (it lost, or the call ended) is gone.
    fn fork_lost(&mut self, fork: Option<usize>) {
        if let Some(f) = fork.and_then(|i| self.forks.get_mut(i))
            && f.is_open()
        {
            f.state = ForkState::Failed(408);
        }
        self.settle();
    }

    /// BYE on both legs of an answered call (SBC termination, session expiry, no ACK).
    pub(super) fn hang_up_both(
        &mut self,
        now: Instant,
        cause: EndCause,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        self.answer_relays(None, out);
        for side in [Side::A, Side::B] {
            self.bye(side, out, fill);
        }
        self.end(now, cause, out);
    }

    /// Sends a BYE on a leg's dialog.
    pub(super) fn bye(
        &mut self,
        side: Side,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        let seq = self.leg_mut(side).next_cseq();
        let branch = sbcctl_sip::new_branch(&mut *fill);
        let bye = self.leg(side).build(Method::Bye, seq, &branch, 70);
        self.send(out, side, self.target_of(side), bye);
    }

    /// Gives every relayed request still waiting a final response on its own leg before the
    /// dialogs go: 408 when the leg it was relayed to was lost, 487 when the call ends under
    /// it (RFC 3261 §15.1.2). Nothing is sent back onto the lost leg itself.
    pub(super) fn answer_relays(&mut self, lost: Option<Side>, out: &mut Vec<Output>) {
        let mut relays: Vec<_> = self.relays.drain().collect();
        relays.sort_by_key(|((side, seq), _)| (*side == Side::B, *seq));
        for ((sent_on, _), relay) in relays {
            let origin_side = sent_on.other();
            if Some(origin_side) == lost {
                continue;
            }
            let (code, reason) = if Some(sent_on) == lost {
                (408, "Request Timeout")
            } else {
                (487, "Request Terminated")
            };
            let mut r = Response::for_request(&relay.origin, code, reason);
            r.set_to_tag_if_absent(&self.leg(origin_side).local_tag);
            self.reply(out, origin_side, r);
        }
    }
}
