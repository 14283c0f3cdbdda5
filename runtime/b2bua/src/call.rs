//! The call state machine: an inbound leg (A, SBC as UAS) and an outbound
//! leg (B, SBC as UAC), each its own dialog.
//!
//! Only bodies and a short allow-list of end-to-end headers cross from one
//! leg to the other ([`COPIED`]); every dialog identifier (Call-ID, tags,
//! CSeq, Via, Contact, Record-Route) is the leg's own. That is what makes
//! topology hiding total.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use sbcctl_sip::{Method, NameAddr, Request, Response, SipUri};

use crate::causes::{EndCause, map_failure};
use crate::leg::{Leg, LegAddr, Side};

/// End-to-end headers relayed between legs; everything else stays on its leg.
const COPIED: &[&str] = &[
    "Content-Type",
    "Content-Disposition",
    "Allow",
    "Accept",
    "Event",
    "Info-Package",
];

/// Index of a call in [`crate::Calls`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// What the glue must do after feeding an input.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Send a request on a leg (to that leg's remote target / flow).
    Request {
        call: CallId,
        side: Side,
        /// For the B side: the index in [`Routing::targets`] the request goes to (the current
        /// or winning target); 0 for the A side.
        target: usize,
        request: Request,
    },
    /// Send a response on a leg (back the way the request came).
    Response {
        call: CallId,
        side: Side,
        response: Response,
    },
    /// The B side answered with a 2xx (CDR answer time).
    Answered { call: CallId, at: Instant },
    /// The call is over; the glue can drop its per-call state.
    Ended {
        call: CallId,
        at: Instant,
        cause: EndCause,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Calling,
    Early,
    Confirmed,
    Cancelling,
    Terminated,
}

/// A request relayed to the other leg, waiting for its final response.
#[derive(Clone, Debug)]
struct Relay {
    origin: Request,
}

/// The routing decision for a new call, made by the glue.
#[derive(Clone, Debug)]
pub struct Routing {
    /// The SBC's address on the inbound interface.
    pub a_addr: LegAddr,
    /// The SBC's address on the outbound interface.
    pub b_addr: LegAddr,
    /// Request-URIs of the outbound INVITE (proxies of a proxy set in the order to try, or
    /// the contacts of a user's bindings). Empty: the call is refused with 480.
    pub targets: Vec<SipUri>,
    /// Fork to every target at once (registered bindings) rather than one after another.
    pub parallel: bool,
    /// Final codes (beside 408 and 503) that move a serial call to its next target.
    pub failover_on: Vec<u16>,
}

/// One call.
#[derive(Debug)]
pub struct Call {
    id: CallId,
    state: State,
    a: Leg,
    b: Leg,
    a_invite: Request,
    b_invite: Request,
    b_branch: String,
    b_invite_cseq: u32,
    b_max_forwards: u8,
    fallbacks: VecDeque<(usize, SipUri)>,
    /// Index of the B target the INVITE currently goes to.
    current: usize,
    failover_on: Vec<u16>,
    got_provisional: bool,
    relays: HashMap<(Side, u32), Relay>,
    /// `Ended` was emitted: a call that lingers (CANCEL waiting for B's 487) reports once.
    ended: bool,
}

/// Reasons a new INVITE cannot start a call; the glue answers with the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub code: u16,
    pub reason: &'static str,
}

fn copy_end_to_end(from: &sbcctl_sip::Headers, to: &mut sbcctl_sip::Headers) {
    for name in COPIED {
        for h in from.get_all(name) {
            to.push(h.clone());
        }
    }
}

fn bad(reason: &'static str) -> Reject {
    Reject { code: 400, reason }
}

impl Call {
    /// Starts a call from an out-of-dialog INVITE on the A leg. Returns the
    /// 100 Trying for A and the INVITE for B (RFC 3261 §8.2.6.1, §17.2.1).
    pub(crate) fn start(
        id: CallId,
        invite: &Request,
        routing: Routing,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(Call, Vec<Output>), Reject> {
        let h = &invite.headers;
        let from = h.from().map_err(|_| bad("Bad From"))?;
        let to = h.to().map_err(|_| bad("Bad To"))?;
        let call_id = h.call_id().map_err(|_| bad("Bad Call-ID"))?;
        h.cseq().map_err(|_| bad("Bad CSeq"))?;
        // RFC 3261 §16.3 step 3 / §8.2.2: Max-Forwards is honoured across
        // the B2BUA so that loops through it still terminate.
        let mf = h.max_forwards().map_err(|_| bad("Bad Max-Forwards"))?;
        let mf = mf.unwrap_or(70);
        if mf == 0 {
            return Err(Reject {
                code: 483,
                reason: "Too Many Hops",
            });
        }
        let remote_target = h
            .contacts()
            .ok()
            .and_then(|c| c.into_iter().next())
            .and_then(|c| match c {
                sbcctl_sip::Contact::Addr(a) => Some(a.uri),
                _ => None,
            })
            .ok_or(bad("Missing Contact"))?;
        let mut local_uri = to.clone();
        local_uri.params.remove("tag");
        let a = Leg {
            call_id,
            local_tag: sbcctl_sip::new_tag(&mut *fill),
            remote_tag: from.tag().map(str::to_owned),
            local_uri,
            remote_uri: from.clone(),
            remote_target,
            local_cseq: 0,
            addr: routing.a_addr,
        };
        // The B leg's From keeps only the caller's user and display name, on
        // the SBC's own host: the caller's domain is topology too.
        let host = routing.b_addr.contact.host.clone();
        let b_from = NameAddr {
            display: from.display.clone(),
            uri: SipUri::sip(
                from.uri.user.as_deref(),
                host.clone().ok_or(bad("No host"))?,
                None,
            ),
            params: sbcctl_sip::Params::new(),
        };
        let mut targets = routing.targets.into_iter().enumerate();
        let Some((_, first)) = targets.next() else {
            return Err(Reject {
                code: 480,
                reason: "Temporarily Unavailable",
            });
        };
        let b = Leg {
            call_id: sbcctl_sip::new_call_id(&mut *fill, None),
            local_tag: sbcctl_sip::new_tag(&mut *fill),
            remote_tag: None,
            local_uri: b_from,
            remote_uri: NameAddr::new(first.clone()),
            remote_target: first,
            local_cseq: 1,
            addr: routing.b_addr,
        };
        let branch = sbcctl_sip::new_branch(&mut *fill);
        let mut out_invite = b.build(Method::Invite, 1, &branch, mf - 1);
        copy_end_to_end(h, &mut out_invite.headers);
        if !invite.body().is_empty() {
            out_invite.set_body(invite.body().clone());
        }
        let mut call = Call {
            id,
            state: State::Calling,
            a,
            b,
            a_invite: invite.clone(),
            b_invite: out_invite.clone(),
            b_branch: branch,
            b_invite_cseq: 1,
            b_max_forwards: mf - 1,
            fallbacks: targets.collect(),
            current: 0,
            failover_on: routing.failover_on,
            got_provisional: false,
            relays: HashMap::new(),
            ended: false,
        };
        let trying = Response::for_request(invite, 100, "Trying");
        let out = vec![
            Output::Response {
                call: id,
                side: Side::A,
                response: trying,
            },
            Output::Request {
                call: id,
                side: Side::B,
                target: 0,
                request: out_invite,
            },
        ];
        call.state = State::Calling;
        Ok((call, out))
    }

    /// The target index of requests on `side` (see [`Output::Request`]).
    fn target_of(&self, side: Side) -> usize {
        match side {
            Side::A => 0,
            Side::B => self.current,
        }
    }

    /// Ends the call from the SBC's side: before the answer, CANCEL B and give A `code`;
    /// after it, BYE on both legs.
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
                out.push(Output::Response {
                    call: self.id,
                    side: Side::A,
                    response: r,
                });
                let mut cancel =
                    self.b
                        .build(Method::Cancel, self.b_invite_cseq, &self.b_branch, 70);
                cancel.headers.set(
                    "To",
                    self.b_invite
                        .headers
                        .get("To")
                        .map(|h| h.raw_value().clone())
                        .unwrap_or_default(),
                );
                out.push(Output::Request {
                    call: self.id,
                    side: Side::B,
                    target: self.current,
                    request: cancel,
                });
                self.end(now, EndCause::Terminated(code), &mut out);
                // Keep the call until B's 487 (or 2xx, then ACK + BYE) arrives.
                self.state = State::Cancelling;
            }
            State::Confirmed => {
                for side in [Side::A, Side::B] {
                    let seq = self.leg_mut(side).next_cseq();
                    let branch = sbcctl_sip::new_branch(&mut *fill);
                    let bye = self.leg(side).build(Method::Bye, seq, &branch, 70);
                    out.push(Output::Request {
                        call: self.id,
                        side,
                        target: self.target_of(side),
                        request: bye,
                    });
                }
                self.end(now, EndCause::Terminated(code), &mut out);
            }
            State::Cancelling | State::Terminated => {}
        }
        out
    }

    /// Call-ID of a leg, for the endpoint's index.
    pub(crate) fn call_id(&self, side: Side) -> &str {
        &self.leg(side).call_id
    }

    /// True once the call has ended and can be dropped.
    pub fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }

    fn leg(&self, side: Side) -> &Leg {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    fn leg_mut(&mut self, side: Side) -> &mut Leg {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    /// A response to the caller's INVITE, in the A leg's dialog.
    fn a_response(&self, code: u16, reason: &str, src: Option<&Response>) -> Response {
        let mut r = Response::for_request(&self.a_invite, code, reason);
        if code > 100 {
            r.set_to_tag_if_absent(&self.a.local_tag);
        }
        if (101..300).contains(&code) {
            r.headers
                .append("Contact", format!("<{}>", self.a.addr.contact));
        }
        if let Some(src) = src {
            copy_end_to_end(&src.headers, &mut r.headers);
            if !src.body().is_empty() {
                r.set_body(src.body().clone());
            }
        }
        r
    }

    fn end(&mut self, at: Instant, cause: EndCause, out: &mut Vec<Output>) {
        self.state = State::Terminated;
        if !self.ended {
            self.ended = true;
            out.push(Output::Ended {
                call: self.id,
                at,
                cause,
            });
        }
    }

    /// A response received on a leg.
    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        side: Side,
        resp: &Response,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> Vec<Output> {
        let mut out = Vec::new();
        let Ok(cseq) = resp.headers.cseq() else {
            return out;
        };
        let code = resp.code();
        if side == Side::B && cseq.method == Method::Invite && cseq.seq == self.b_invite_cseq {
            self.on_b_invite_response(now, resp, &mut out, fill);
        } else if code >= 200
            && let Some(relay) = self.relays.remove(&(side, cseq.seq))
        {
            {
                let origin_side = side.other();
                let mut r = Response::for_request(
                    &relay.origin,
                    code,
                    &String::from_utf8_lossy(resp.reason()),
                );
                r.set_to_tag_if_absent(&self.leg(origin_side).local_tag);
                copy_end_to_end(&resp.headers, &mut r.headers);
                if !resp.body().is_empty() {
                    r.set_body(resp.body().clone());
                }
                if cseq.method == Method::Invite && resp.is_success() {
                    // The 2xx of a relayed re-INVITE is ACKed hop by hop;
                    // the originator's ACK is absorbed (RFC 3261 §13.2.2.4).
                    let branch = sbcctl_sip::new_branch(&mut *fill);
                    let ack = self.leg(side).build(Method::Ack, cseq.seq, &branch, 70);
                    out.push(Output::Request {
                        call: self.id,
                        side,
                        target: self.target_of(side),
                        request: ack,
                    });
                }
                out.push(Output::Response {
                    call: self.id,
                    side: origin_side,
                    response: r,
                });
            }
        }
        out
    }

    fn on_b_invite_response(
        &mut self,
        now: Instant,
        resp: &Response,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        let code = resp.code();
        if code == 100 {
            return;
        }
        if let Ok(to) = resp.headers.to()
            && let Some(tag) = to.tag()
        {
            self.b.remote_tag = Some(tag.to_owned());
        }
        if let Some(sbcctl_sip::Contact::Addr(a)) = resp
            .headers
            .contacts()
            .ok()
            .and_then(|c| c.into_iter().next())
        {
            self.b.remote_target = a.uri;
        }
        match (self.state, code) {
            (State::Calling | State::Early, 101..=199) => {
                self.state = State::Early;
                self.got_provisional = true;
                let r = self.a_response(code, &String::from_utf8_lossy(resp.reason()), Some(resp));
                out.push(Output::Response {
                    call: self.id,
                    side: Side::A,
                    response: r,
                });
            }
            (State::Calling | State::Early, 200..=299) => {
                self.state = State::Confirmed;
                let ack = self.b.build(
                    Method::Ack,
                    self.b_invite_cseq,
                    &self.b_branch_for_ack(),
                    70,
                );
                out.push(Output::Request {
                    call: self.id,
                    side: Side::B,
                    target: self.target_of(Side::B),
                    request: ack,
                });
                let r = self.a_response(code, "OK", Some(resp));
                out.push(Output::Response {
                    call: self.id,
                    side: Side::A,
                    response: r,
                });
                out.push(Output::Answered {
                    call: self.id,
                    at: now,
                });
            }
            (State::Calling | State::Early, c)
                if (c == 408 || c == 503 || self.failover_on.contains(&c))
                    && self.try_next_target(out, fill) => {}
            (State::Calling | State::Early, 300..) => {
                let (c, reason) = map_failure(code);
                let r = self.a_response(c, reason, None);
                out.push(Output::Response {
                    call: self.id,
                    side: Side::A,
                    response: r,
                });
                self.end(now, EndCause::Failed(c), out);
            }
            (State::Cancelling, 200..=299) => {
                // The callee answered while the caller cancelled: ACK and
                // BYE it (RFC 3261 §9.1).
                let ack = self.b.build(
                    Method::Ack,
                    self.b_invite_cseq,
                    &self.b_branch_for_ack(),
                    70,
                );
                out.push(Output::Request {
                    call: self.id,
                    side: Side::B,
                    target: self.target_of(Side::B),
                    request: ack,
                });
                let seq = self.b.next_cseq();
                let bye = self.b.build(Method::Bye, seq, &self.b_branch_for_ack(), 70);
                out.push(Output::Request {
                    call: self.id,
                    side: Side::B,
                    target: self.target_of(Side::B),
                    request: bye,
                });
                self.state = State::Terminated;
            }
            (State::Cancelling, 300..) => self.state = State::Terminated,
            (State::Confirmed, 200..=299) => {
                // A retransmitted 2xx means our ACK was lost: send it again (RFC 3261
                // §13.2.2.4); the ACK is built the same way, so it is the same ACK.
                let ack = self.b.build(
                    Method::Ack,
                    self.b_invite_cseq,
                    &self.b_branch_for_ack(),
                    70,
                );
                out.push(Output::Request {
                    call: self.id,
                    side: Side::B,
                    target: self.current,
                    request: ack,
                });
            }
            _ => {}
        }
    }

    /// Failover (proxy sets): re-sends the INVITE to the next target with a
    /// new CSeq and branch in the same B dialog identity, as long as the
    /// current target sent no provisional response (after a 180 the callee
    /// was reached, so its failure is final). Returns false when no target
    /// is left.
    fn try_next_target(&mut self, out: &mut Vec<Output>, fill: &mut dyn FnMut(&mut [u8])) -> bool {
        if self.got_provisional {
            return false;
        }
        let Some((index, target)) = self.fallbacks.pop_front() else {
            return false;
        };
        self.current = index;
        self.b.remote_uri = NameAddr::new(target.clone());
        self.b.remote_target = target;
        self.b.remote_tag = None;
        let seq = self.b.next_cseq();
        let branch = sbcctl_sip::new_branch(&mut *fill);
        let mut inv = self
            .b
            .build(Method::Invite, seq, &branch, self.b_max_forwards);
        copy_end_to_end(&self.a_invite.headers, &mut inv.headers);
        if !self.a_invite.body().is_empty() {
            inv.set_body(self.a_invite.body().clone());
        }
        self.b_invite_cseq = seq;
        self.b_branch = branch;
        self.b_invite = inv.clone();
        self.state = State::Calling;
        out.push(Output::Request {
            call: self.id,
            side: Side::B,
            target: self.target_of(Side::B),
            request: inv,
        });
        true
    }

    /// ACKs for 2xx are new transactions (RFC 3261 §13.2.2.4): a fresh
    /// branch derived from the INVITE's, so no randomness is needed here.
    fn b_branch_for_ack(&self) -> String {
        format!("{}-{}", self.b_branch, self.b.local_cseq)
    }

    /// A request received on a leg of this call.
    pub(crate) fn on_request(
        &mut self,
        now: Instant,
        side: Side,
        req: &Request,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> Vec<Output> {
        let mut out = Vec::new();
        let id = self.id;
        match req.method() {
            Method::Ack => {}
            Method::Cancel if side == Side::A => {
                out.push(Output::Response {
                    call: id,
                    side,
                    response: Response::for_request(req, 200, "OK"),
                });
                if matches!(self.state, State::Calling | State::Early) {
                    self.state = State::Cancelling;
                    let r = self.a_response(487, "Request Terminated", None);
                    out.push(Output::Response {
                        call: id,
                        side: Side::A,
                        response: r,
                    });
                    // CANCEL matches the INVITE's branch and CSeq number
                    // (RFC 3261 §9.1).
                    let mut cancel =
                        self.b
                            .build(Method::Cancel, self.b_invite_cseq, &self.b_branch, 70);
                    cancel.headers.set(
                        "To",
                        self.b_invite
                            .headers
                            .get("To")
                            .map(|h| h.raw_value().clone())
                            .unwrap_or_default(),
                    );
                    out.push(Output::Request {
                        call: id,
                        side: Side::B,
                        target: self.target_of(Side::B),
                        request: cancel,
                    });
                    let mut ended = Vec::new();
                    self.end(now, EndCause::Cancelled, &mut ended);
                    // Keep the call until B's 487 or 2xx arrives.
                    self.state = State::Cancelling;
                    out.extend(ended);
                }
            }
            Method::Refer => {
                // Transfers are not offered yet: a clear refusal (RFC 3515 §2.4.2) leaves both
                // legs exactly as they were, and nothing about the other side leaks.
                out.push(Output::Response {
                    call: id,
                    side,
                    response: Response::for_request(
                        req,
                        501,
                        "Not Implemented (call transfer is not supported)",
                    ),
                });
            }
            Method::Bye => {
                out.push(Output::Response {
                    call: id,
                    side,
                    response: Response::for_request(req, 200, "OK"),
                });
                let other = side.other();
                let seq = self.leg_mut(other).next_cseq();
                let branch = sbcctl_sip::new_branch(&mut *fill);
                let bye = self.leg(other).build(Method::Bye, seq, &branch, 70);
                out.push(Output::Request {
                    call: id,
                    side: other,
                    target: self.target_of(other),
                    request: bye,
                });
                self.end(now, EndCause::HangUp(side), &mut out);
            }
            _ => {
                // re-INVITE, UPDATE, INFO, OPTIONS, …: relayed in the other
                // leg's dialog with its own CSeq; the final response comes
                // back through `relays`.
                let other = side.other();
                let seq = self.leg_mut(other).next_cseq();
                let branch = sbcctl_sip::new_branch(&mut *fill);
                let mut fwd = self
                    .leg(other)
                    .build(req.method().clone(), seq, &branch, 70);
                copy_end_to_end(&req.headers, &mut fwd.headers);
                if !req.body().is_empty() {
                    fwd.set_body(req.body().clone());
                }
                self.relays.insert(
                    (other, seq),
                    Relay {
                        origin: req.clone(),
                    },
                );
                out.push(Output::Request {
                    call: id,
                    side: other,
                    target: self.target_of(other),
                    request: fwd,
                });
            }
        }
        out
    }

    /// A transaction on `side` timed out or its transport failed: end the
    /// other leg with a final response or a BYE.
    pub(crate) fn on_leg_lost(
        &mut self,
        now: Instant,
        side: Side,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> Vec<Output> {
        let mut out = Vec::new();
        match (self.state, side) {
            (State::Calling | State::Early, Side::B) if self.try_next_target(&mut out, fill) => {
                return out;
            }
            (State::Calling | State::Early, Side::B) => {
                let r = self.a_response(408, "Request Timeout", None);
                out.push(Output::Response {
                    call: self.id,
                    side: Side::A,
                    response: r,
                });
            }
            (State::Confirmed, _) => {
                let other = side.other();
                let seq = self.leg_mut(other).next_cseq();
                let branch = sbcctl_sip::new_branch(&mut *fill);
                let bye = self.leg(other).build(Method::Bye, seq, &branch, 70);
                out.push(Output::Request {
                    call: self.id,
                    side: other,
                    target: self.target_of(other),
                    request: bye,
                });
            }
            _ => {}
        }
        self.end(now, EndCause::LegLost(side), &mut out);
        out
    }
}
