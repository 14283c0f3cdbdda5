//! Outbound INVITEs ("forks") and the choice among their final responses.
//!
//! A B2BUA that sends its INVITE to several targets behaves towards the caller like a forking
//! proxy (RFC 3261 §16.7): provisionals are relayed, the first 2xx wins and the other forks
//! are cancelled, a 6xx ends the search, and when every fork failed the best final response
//! is chosen. Each fork is its own client transaction (own branch) with the same B Call-ID
//! and From tag, so the callee side sees one call attempt per target.

use std::time::Instant;

use sbcctl_sip::{Headers, Method, NameAddr, Request, Response, SipUri};

use super::timers::T1;
use super::{Call, Output, copy_content, tag_of};
use crate::leg::{Leg, Side};

/// Stray 2xx dialogs remembered per fork (to re-ACK their retransmissions).
const MAX_DROPPED: usize = 8;

/// Where a fork stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ForkState {
    /// INVITE sent, no final response yet.
    Trying,
    /// We cancelled it and still wait for its final response.
    Cancelled,
    /// Final failure (or the fork was lost, counted as 408).
    Failed(u16),
    /// Its 2xx won: its dialog is the B leg.
    Answered,
}

/// One outbound INVITE.
#[derive(Clone, Debug)]
pub(super) struct Fork {
    /// Index in the routing's target list.
    pub target: usize,
    /// This fork's dialog with its target (early, then confirmed if it wins).
    pub leg: Leg,
    pub uri: SipUri,
    pub invite: Request,
    pub branch: String,
    pub cseq: u32,
    pub state: ForkState,
    /// Some response (even 100) came back: a CANCEL may be sent (RFC 3261 §9.1).
    pub heard: bool,
    /// A provisional above 100 came back: the callee was reached, no failover past it.
    pub provisional: bool,
    /// The CANCEL waits for the first provisional response.
    pub cancel_deferred: bool,
    /// When a cancelled fork that never answers is given up (RFC 3261 §9.1: 64*T1).
    pub give_up_at: Option<Instant>,
    /// Last RSeq of a reliable provisional we PRACKed (RFC 3262 §4).
    pub rseq: Option<u32>,
    /// 2xx dialogs of this fork we did not keep, with the ACK sent for them.
    pub dropped: Vec<(String, Request)>,
}

impl Fork {
    /// Still owes a final response.
    pub fn is_open(&self) -> bool {
        matches!(self.state, ForkState::Trying | ForkState::Cancelled)
    }

    /// The final code it ended with, for the best-response choice.
    pub fn failure(&self) -> Option<u16> {
        match self.state {
            ForkState::Failed(c) => Some(c),
            _ => None,
        }
    }

    /// CANCEL of this fork's INVITE: same Request-URI, branch, Call-ID, From, To and CSeq
    /// number as the INVITE (RFC 3261 §9.1).
    fn cancel_request(&self) -> Request {
        let mut cancel = self.leg.build(Method::Cancel, self.cseq, &self.branch, 70);
        cancel.set_uri(&self.uri);
        if let Some(to) = self.invite.headers.get("To") {
            cancel.headers.set("To", to.raw_value().clone());
        }
        cancel
    }
}

/// Orders final failures as RFC 3261 §16.7 step 6 does: any 6xx first, then the lowest
/// class; within a class the more telling codes first (busy, unavailable, not found, …) and
/// the ones that only say "no answer here" (challenges to the SBC, 503, timeouts, our own
/// cancellations) last. Ties go to the lower code, so the choice never depends on arrival
/// order.
fn rank(code: u16) -> (u16, usize, u16) {
    const TELLING: &[u16] = &[486, 600, 603, 480, 404, 604, 410, 484, 403, 488, 606];
    const WEAK: &[u16] = &[401, 407, 503, 500, 408, 487];
    let class = match code / 100 {
        6 => 0,
        c => c,
    };
    if let Some(i) = TELLING.iter().position(|c| *c == code) {
        (class, 0, u16::try_from(i).unwrap_or(u16::MAX))
    } else if let Some(i) = WEAK.iter().position(|c| *c == code) {
        (class, 2, u16::try_from(i).unwrap_or(u16::MAX))
    } else {
        (class, 1, code)
    }
}

/// The best of the forks' final failures.
pub(super) fn best_final(codes: impl Iterator<Item = u16>) -> Option<u16> {
    codes.min_by_key(|c| rank(*c))
}

impl Call {
    /// Builds and sends the INVITE of a new fork to target `target` with CSeq `cseq`.
    pub(super) fn open_fork(
        &mut self,
        target: usize,
        cseq: u32,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> bool {
        let Some(uri) = self.targets.get(target).cloned() else {
            return false;
        };
        let mut leg = self.b.clone();
        leg.remote_uri = NameAddr::new(uri.clone());
        leg.remote_target = uri.clone();
        leg.remote_tag = None;
        leg.local_cseq = cseq;
        let branch = sbcctl_sip::new_branch(&mut *fill);
        let mut invite = leg.build(Method::Invite, cseq, &branch, self.b_max_forwards);
        if copy_content(
            &self.a_invite.headers,
            self.a_invite.body(),
            &mut invite.headers,
        ) {
            invite.set_body(self.a_invite.body().clone());
        }
        self.send(out, Side::B, target, invite.clone());
        self.b.local_cseq = self.b.local_cseq.max(cseq);
        self.forks.push(Fork {
            target,
            leg,
            uri,
            invite,
            branch,
            cseq,
            state: ForkState::Trying,
            heard: false,
            provisional: false,
            cancel_deferred: false,
            give_up_at: None,
            rseq: None,
            dropped: Vec::new(),
        });
        true
    }

    /// Cancels fork `i` if it still waits for a final response. Before any response the
    /// CANCEL is held until one arrives: a CANCEL that overtakes its INVITE would be answered
    /// 481 and the INVITE would then ring on (RFC 3261 §9.1).
    pub(super) fn cancel_fork(&mut self, now: Instant, i: usize, out: &mut Vec<Output>) {
        let Some(f) = self.forks.get_mut(i) else {
            return;
        };
        if f.state != ForkState::Trying {
            return;
        }
        f.state = ForkState::Cancelled;
        f.give_up_at = Some(now + 64 * T1);
        if f.heard {
            self.send_cancel(i, out);
        } else {
            f.cancel_deferred = true;
        }
    }

    /// Sends the CANCEL of fork `i`'s INVITE.
    pub(super) fn send_cancel(&self, i: usize, out: &mut Vec<Output>) {
        if let Some(f) = self.forks.get(i) {
            self.send(out, Side::B, f.target, f.cancel_request());
        }
    }

    /// Cancels every fork but `keep`.
    pub(super) fn cancel_forks(
        &mut self,
        now: Instant,
        keep: Option<usize>,
        out: &mut Vec<Output>,
    ) {
        for i in 0..self.forks.len() {
            if Some(i) != keep {
                self.cancel_fork(now, i, out);
            }
        }
    }

    /// Sends a CANCEL held back until the fork's first response.
    pub(super) fn release_cancel(&mut self, i: usize, out: &mut Vec<Output>) {
        let Some(f) = self.forks.get_mut(i) else {
            return;
        };
        f.heard = true;
        if f.cancel_deferred {
            f.cancel_deferred = false;
            self.send_cancel(i, out);
        }
    }

    /// A 2xx that lost (another fork won, the call ended, or a second dialog of the winning
    /// fork): ACK it and end it with BYE (RFC 3261 §13.2.2.4, §15). A retransmission of a
    /// 2xx already dropped only gets its ACK again.
    pub(super) fn drop_answer(
        &mut self,
        i: usize,
        resp: &Response,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        let Some(f) = self.forks.get_mut(i) else {
            return;
        };
        let tag = tag_of(&resp.headers, false).unwrap_or_default();
        if let Some((_, ack)) = f.dropped.iter().find(|(t, _)| *t == tag) {
            let (target, ack) = (f.target, ack.clone());
            self.send(out, Side::B, target, ack);
            return;
        }
        let mut leg = f.leg.clone();
        leg.remote_tag = Some(tag.clone());
        if let Some(uri) = contact_of(&resp.headers) {
            leg.remote_target = uri;
        }
        let ack_branch = format!("{}-ack{}", f.branch, f.dropped.len());
        let ack = leg.build(Method::Ack, f.cseq, &ack_branch, 70);
        let seq = leg.next_cseq();
        let bye_branch = sbcctl_sip::new_branch(&mut *fill);
        let bye = leg.build(Method::Bye, seq, &bye_branch, 70);
        // A handful of stray dialogs is plenty; beyond that a retransmission costs one more
        // BYE rather than memory.
        if f.dropped.len() < MAX_DROPPED {
            f.dropped.push((tag, ack.clone()));
        }
        let target = f.target;
        self.send(out, Side::B, target, ack);
        self.send(out, Side::B, target, bye);
    }

    /// The fork a B-side message belongs to: by the glue's target index, and for requests
    /// (which carry the callee's tag in From) by dialog tag first.
    pub(super) fn fork_of(&self, target: usize, tag: Option<&str>) -> Option<usize> {
        if let Some(tag) = tag
            && let Some(i) = self
                .forks
                .iter()
                .position(|f| f.leg.remote_tag.as_deref() == Some(tag))
        {
            return Some(i);
        }
        self.forks.iter().rposition(|f| f.target == target)
    }
}

/// The first Contact URI of a message (the peer's remote target, RFC 3261 §12.1.2).
pub(super) fn contact_of(headers: &Headers) -> Option<SipUri> {
    headers
        .contacts()
        .ok()
        .and_then(|c| c.into_iter().next())
        .and_then(|c| match c {
            sbcctl_sip::Contact::Addr(a) => Some(a.uri),
            _ => None,
        })
}
