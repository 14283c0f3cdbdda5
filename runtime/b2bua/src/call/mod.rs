//! The call state machine: an inbound leg (A, SBC as UAS) and an outbound
//! leg (B, SBC as UAC), each its own dialog.
//!
//! Only bodies and a short allow-list of end-to-end headers cross from one
//! leg to the other ([`COPIED`]); every dialog identifier (Call-ID, tags,
//! CSeq, Via, Contact, Record-Route) is the leg's own. That is what makes
//! topology hiding total.
//!
//! The B side may have several outbound INVITEs (forks) before the answer:
//! one at a time for serial failover, all at once for parallel forking. The
//! winning fork's dialog becomes the B leg.
//!
//! Modules: `start` builds a call; `fork` the outbound INVITEs and the choice
//! among their answers; `invite` the responses to them; `in_dialog` requests
//! on either leg and relayed responses; `ending` how a call ends; `reliable`
//! 100rel (RFC 3262); `session` session timers (RFC 4028); `timers` the
//! deadlines (held ACKs, cancelled forks, and the two above).

mod ending;
mod fork;
mod in_dialog;
mod invite;
mod reliable;
mod session;
mod start;
mod timers;

use std::collections::HashMap;
use std::time::Instant;

use sbcctl_sip::{Headers, Request, Response, SipUri};

use crate::causes::EndCause;
use crate::leg::{Leg, LegAddr, Side};

use fork::Fork;
use reliable::Reliable;
use session::SessionTimers;
use timers::AckWait;

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
        /// For the B side: the index in [`Routing::targets`] the request goes to (the fork it
        /// belongs to, or the winning target after the answer); 0 for the A side.
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

/// Reasons a new INVITE cannot start a call; the glue answers with the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub code: u16,
    pub reason: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Outbound INVITEs sent, nothing relayed to the caller yet.
    Calling,
    /// A provisional response was relayed to the caller.
    Early,
    /// A fork answered; its dialog is the B leg.
    Confirmed,
    /// `Ended` was emitted; forks still owe a final response (a 2xx among them is ACKed and
    /// BYEd rather than lost).
    Ending,
    /// Nothing left to wait for: the endpoint drops the call.
    Terminated,
}

/// A request relayed to the other leg, waiting for its final response.
#[derive(Clone, Debug)]
struct Relay {
    /// The request as received on its own leg (the response is built from it).
    origin: Request,
    /// The copy sent on the other leg (a CANCEL of the origin cancels this one).
    forwarded: Request,
    /// The B target it went to or came from.
    target: usize,
}

/// One call.
#[derive(Debug)]
pub struct Call {
    id: CallId,
    state: State,
    a: Leg,
    /// The B dialog: before the answer the template every fork copies (Call-ID, From tag,
    /// CSeq space); after it, the winning fork's dialog.
    b: Leg,
    a_invite: Request,
    /// CSeq number of the caller's INVITE (its ACK and PRACKs refer to it).
    a_cseq: u32,
    targets: Vec<SipUri>,
    parallel: bool,
    failover_on: Vec<u16>,
    b_max_forwards: u8,
    forks: Vec<Fork>,
    /// Index in `forks` of the answered fork.
    winner: Option<usize>,
    relays: HashMap<(Side, u32), Relay>,
    /// `Ended` was emitted: a call that lingers (forks still owing a final) reports once.
    ended: bool,
    /// A's reliable provisional responses (RFC 3262).
    rel: Reliable,
    session: SessionTimers,
    /// A 2xx that carried an offer: its ACK waits for the answer in the other leg's ACK.
    ack_wait: Option<AckWait>,
    /// The last ACK sent for a 2xx per leg (CSeq and request): a retransmitted 2xx gets it
    /// again (RFC 3261 §13.2.2.4).
    last_ack: [Option<(u32, Request)>; 2],
}

fn copy_end_to_end(from: &Headers, to: &mut Headers) {
    for name in COPIED {
        for h in from.get_all(name) {
            to.push(h.clone());
        }
    }
}

/// Copies the body and the end-to-end headers of `from` into a message of the other leg.
fn copy_content(from_headers: &Headers, body: &bytes::Bytes, to: &mut Headers) -> bool {
    copy_end_to_end(from_headers, to);
    !body.is_empty()
}

fn side_index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

/// True when a token list header (Supported, Require) names `option`.
fn has_option(headers: &Headers, name: &'static str, option: &str) -> bool {
    headers
        .tokens(name)
        .map(|t| t.iter().any(|o| o.eq_ignore_ascii_case(option)))
        .unwrap_or(false)
}

/// The tag of a name-addr header (From or To), if any.
fn tag_of(headers: &Headers, from: bool) -> Option<String> {
    let na = if from { headers.from() } else { headers.to() };
    na.ok().and_then(|n| n.tag().map(str::to_owned))
}

impl Call {
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

    /// The target index of in-dialog requests on `side` (see [`Output::Request`]).
    fn target_of(&self, side: Side) -> usize {
        match side {
            Side::A => 0,
            Side::B => self
                .winner
                .and_then(|w| self.forks.get(w))
                .map_or(0, |f| f.target),
        }
    }

    fn send(&self, out: &mut Vec<Output>, side: Side, target: usize, request: Request) {
        out.push(Output::Request {
            call: self.id,
            side,
            target,
            request,
        });
    }

    fn reply(&self, out: &mut Vec<Output>, side: Side, response: Response) {
        out.push(Output::Response {
            call: self.id,
            side,
            response,
        });
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
        if let Some(src) = src
            && copy_content(&src.headers, src.body(), &mut r.headers)
        {
            r.set_body(src.body().clone());
        }
        r
    }

    /// Sends a final response to the caller's INVITE: no more reliable provisionals.
    fn a_final(&mut self, out: &mut Vec<Output>, response: Response) {
        self.rel.finish();
        self.reply(out, Side::A, response);
    }

    /// Emits `Ended` once, then waits for the forks that still owe a final response.
    fn end(&mut self, at: Instant, cause: EndCause, out: &mut Vec<Output>) {
        if !self.ended {
            self.ended = true;
            out.push(Output::Ended {
                call: self.id,
                at,
                cause,
            });
        }
        self.ack_wait = None;
        self.session.stop();
        self.rel.finish();
        self.state = State::Ending;
        self.settle();
    }

    /// An ended call with no fork left open is over.
    fn settle(&mut self) {
        if self.ended && !self.forks.iter().any(Fork::is_open) {
            self.state = State::Terminated;
        }
    }

    /// True before the answer, while the call is still live.
    fn proceeding(&self) -> bool {
        matches!(self.state, State::Calling | State::Early)
    }
}
