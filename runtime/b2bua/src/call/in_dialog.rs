//! Messages of an established (or early) dialog: requests from either leg, and the
//! responses to requests the B2BUA sent.
//!
//! Requests other than ACK, BYE, CANCEL, PRACK, REFER and a body-less UPDATE are relayed to
//! the other leg in that leg's own dialog (own CSeq); the final response comes back through
//! [`Call::relays`].

use std::time::Instant;

use sbcctl_sip::{Method, Request, Response};

use super::timers::{AckWait, T1};
use super::{Call, Output, Relay, State, copy_content, tag_of};
use crate::causes::EndCause;
use crate::leg::{Leg, Side};

impl Call {
    /// A request received on a leg of this call. B-side requests are matched to a dialog by
    /// their From tag (the callee's tag), which is sharper than the glue's guess of a target.
    pub(crate) fn on_request(
        &mut self,
        now: Instant,
        side: Side,
        req: &Request,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> Vec<Output> {
        let mut out = Vec::new();
        let method = req.method().clone();
        if side == Side::B && !self.is_b_dialog(req) {
            // A dialog of a fork that lost, or none of ours (RFC 3261 §12.2.2).
            if method != Method::Ack {
                self.refuse(&mut out, side, req, 481, "Call/Transaction Does Not Exist");
            }
            return out;
        }
        match (self.state, &method) {
            (_, Method::Ack) => self.on_ack(side, req, &mut out),
            (State::Ending | State::Terminated, Method::Bye) => {
                self.refuse(&mut out, side, req, 200, "OK");
            }
            (State::Ending | State::Terminated, _) => {
                self.refuse(&mut out, side, req, 481, "Call/Transaction Does Not Exist");
            }
            (_, Method::Cancel) => self.on_cancel(now, side, req, &mut out),
            (_, Method::Prack) if side == Side::A => self.on_prack(now, req, &mut out, fill),
            // We never send reliable provisionals on B, so there is nothing to PRACK.
            (_, Method::Prack) => {
                self.refuse(&mut out, side, req, 481, "Call/Transaction Does Not Exist");
            }
            // Transfers are not offered yet: a clear refusal (RFC 3515 §2.4.2) leaves both
            // legs exactly as they were, and nothing about the other side leaks.
            (_, Method::Refer) => self.refuse(
                &mut out,
                side,
                req,
                501,
                "Not Implemented (call transfer is not supported)",
            ),
            (_, Method::Bye) => self.on_bye(now, side, req, &mut out, fill),
            (_, Method::Update) if req.body().is_empty() => {
                self.local_update(now, side, req, &mut out);
            }
            _ => self.relay(side, req, &mut out, fill),
        }
        out
    }

    fn refuse(&self, out: &mut Vec<Output>, side: Side, req: &Request, code: u16, reason: &str) {
        self.reply(out, side, Response::for_request(req, code, reason));
    }

    /// A B-side request belongs to the call when its From tag is the callee's tag of the
    /// answered dialog, or before the answer of some fork's early dialog.
    fn is_b_dialog(&self, req: &Request) -> bool {
        let Some(tag) = tag_of(&req.headers, true) else {
            return false;
        };
        match self.state {
            State::Calling | State::Early => self
                .forks
                .iter()
                .any(|f| f.leg.remote_tag.as_deref() == Some(tag.as_str())),
            _ => self.b.remote_tag.as_deref() == Some(tag.as_str()),
        }
    }

    /// CANCEL from A before the answer ends the call attempt; a CANCEL of a relayed
    /// re-INVITE is passed on as a CANCEL of the copy. Either way the CANCEL itself gets 200.
    fn on_cancel(&mut self, now: Instant, side: Side, req: &Request, out: &mut Vec<Output>) {
        self.refuse(out, side, req, 200, "OK");
        let Ok(cseq) = req.headers.cseq() else {
            return;
        };
        if side == Side::A && self.proceeding() && cseq.seq == self.a_cseq {
            self.cancel_call(now, out);
            return;
        }
        let relayed = self.relays.values().find(|r| {
            r.origin
                .headers
                .cseq()
                .is_ok_and(|c| c.seq == cseq.seq && c.method == Method::Invite)
        });
        if let Some(relay) = relayed
            && let Some(cancel) = cancel_of(&relay.forwarded)
        {
            self.send(out, side.other(), relay.target, cancel);
        }
    }

    /// The caller gave up before the answer: 487 to its INVITE, CANCEL every fork.
    fn cancel_call(&mut self, now: Instant, out: &mut Vec<Output>) {
        let r = self.a_response(487, "Request Terminated", None);
        self.a_final(out, r);
        self.cancel_forks(now, None, out);
        self.end(now, EndCause::Cancelled, out);
    }

    fn on_bye(
        &mut self,
        now: Instant,
        side: Side,
        req: &Request,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        self.refuse(out, side, req, 200, "OK");
        if self.proceeding() {
            // The caller may end its early dialog with BYE (RFC 3261 §15); the callee may not,
            // and its INVITE still owes a final response, so a callee's BYE changes nothing.
            if side == Side::A {
                self.cancel_call(now, out);
            }
            return;
        }
        self.answer_relays(None, out);
        self.bye(side.other(), out, fill);
        self.end(now, EndCause::HangUp(side), out);
    }

    /// A body-less UPDATE is a session refresh (RFC 4028 §7.4) and means nothing to the
    /// other leg: answered here, with the caller's session timer restarted.
    fn local_update(&mut self, now: Instant, side: Side, req: &Request, out: &mut Vec<Output>) {
        let mut r = Response::for_request(req, 200, "OK");
        r.headers
            .append("Contact", format!("<{}>", self.leg(side).addr.contact));
        if side == Side::A {
            self.session.a_refreshed(now, &req.headers, &mut r);
        } else if let Some(se) = req
            .headers
            .get("Session-Expires")
            .and_then(|h| h.value_str())
        {
            // The callee refreshes its own timer: confirm its interval, it stays refresher.
            let secs = se.split(';').next().unwrap_or_default().trim().to_owned();
            r.headers
                .append("Session-Expires", format!("{secs};refresher=uac"));
        }
        self.reply(out, side, r);
    }

    /// The leg a relayed request goes out on, and its target: A, the answered B dialog, or
    /// before the answer the one fork with an early dialog (with several there is no single
    /// dialog to relay to).
    fn relay_leg(&mut self, to: Side) -> Option<(&mut Leg, usize)> {
        match (to, self.state) {
            (Side::A, _) => Some((&mut self.a, 0)),
            (Side::B, State::Confirmed) => {
                let target = self.target_of(Side::B);
                Some((&mut self.b, target))
            }
            (Side::B, _) => {
                let mut early = self
                    .forks
                    .iter_mut()
                    .filter(|f| f.is_open() && f.leg.remote_tag.is_some());
                let f = early.next()?;
                if early.next().is_some() {
                    return None;
                }
                Some((&mut f.leg, f.target))
            }
        }
    }

    /// Relays an in-dialog request in the other leg's dialog with its own CSeq.
    fn relay(
        &mut self,
        side: Side,
        req: &Request,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        let other = side.other();
        let branch = sbcctl_sip::new_branch(&mut *fill);
        let Some((leg, to_target)) = self.relay_leg(other) else {
            self.refuse(out, side, req, 491, "Request Pending");
            return;
        };
        let seq = leg.next_cseq();
        let mut fwd = leg.build(req.method().clone(), seq, &branch, 70);
        if copy_content(&req.headers, req.body(), &mut fwd.headers) {
            fwd.set_body(req.body().clone());
        }
        self.relays.insert(
            (other, seq),
            Relay {
                origin: req.clone(),
                forwarded: fwd.clone(),
                target: to_target,
            },
        );
        self.send(out, other, to_target, fwd);
    }

    /// A response received on a leg.
    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        side: Side,
        target: usize,
        resp: &Response,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> Vec<Output> {
        let mut out = Vec::new();
        let Ok(cseq) = resp.headers.cseq() else {
            return out;
        };
        if side == Side::B && cseq.method == Method::Invite {
            let fork = self
                .fork_of(target, None)
                .filter(|i| self.forks.get(*i).is_some_and(|f| f.cseq == cseq.seq));
            if let Some(i) = fork {
                self.on_fork_response(now, i, resp, &mut out, fill);
                return out;
            }
        }
        let ours = match cseq.method {
            // Our PRACKs, CANCELs and BYEs end here (those methods are never relayed).
            Method::Prack | Method::Cancel | Method::Bye => true,
            Method::Update if side == Side::B => self.on_refresh_response(now, cseq.seq, resp),
            _ => false,
        };
        if !ours {
            self.relayed_response(now, side, cseq.seq, resp, &mut out);
        }
        out
    }

    /// The final response to a relayed request goes back to its origin; a 2xx to a relayed
    /// re-INVITE is ACKed on this leg (RFC 3261 §13.2.2.4: ACKs are hop by hop), unless it
    /// carries an offer, whose answer comes in the origin's ACK.
    fn relayed_response(
        &mut self,
        now: Instant,
        side: Side,
        seq: u32,
        resp: &Response,
        out: &mut Vec<Output>,
    ) {
        let code = resp.code();
        if code < 200 {
            return;
        }
        let Some(relay) = self.relays.remove(&(side, seq)) else {
            if resp.is_success() {
                self.ack_again(side, seq, out);
            }
            return;
        };
        let origin_side = side.other();
        let reason = String::from_utf8_lossy(resp.reason()).into_owned();
        let mut r = Response::for_request(&relay.origin, code, &reason);
        r.set_to_tag_if_absent(&self.leg(origin_side).local_tag);
        if copy_content(&resp.headers, resp.body(), &mut r.headers) {
            r.set_body(resp.body().clone());
        }
        let method = relay.origin.method().clone();
        let refresh = resp.is_success() && matches!(method, Method::Invite | Method::Update);
        if refresh && origin_side == Side::A {
            self.session.a_refreshed(now, &relay.origin.headers, &mut r);
            self.session.b_refreshed(now, resp);
        } else if refresh {
            self.session.a_touched(now);
            self.session.b_touched(now);
        }
        if !(method == Method::Invite && resp.is_success()) {
            self.reply(out, origin_side, r);
            return;
        }
        let origin_cseq = relay.origin.headers.cseq().map_or(0, |c| c.seq);
        if relay.origin.body().is_empty() && !resp.body().is_empty() {
            self.ack_wait = Some(AckWait {
                to: side,
                cseq: seq,
                origin_cseq,
                deadline: now + 64 * T1,
            });
        } else {
            let ack = self.ack_for(side, seq);
            self.ack_sent(side, seq, ack, out);
        }
        self.reply(out, origin_side, r);
    }
}

/// A CANCEL of a request we sent: same Request-URI, top Via, From, To, Call-ID and CSeq
/// number (RFC 3261 §9.1).
fn cancel_of(req: &Request) -> Option<Request> {
    let uri = req.uri().ok()?;
    let seq = req.headers.cseq().ok()?.seq;
    let mut c = Request::new(Method::Cancel, &uri);
    for name in ["Via", "Max-Forwards", "From", "To", "Call-ID"] {
        if let Some(h) = req.headers.get(name) {
            c.headers.push(h.clone());
        }
    }
    c.headers.append("CSeq", format!("{seq} CANCEL"));
    c.headers.append("Content-Length", "0");
    Some(c)
}
