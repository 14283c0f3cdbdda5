//! The B2BUA endpoint: owns the calls and finds the call and leg of every
//! incoming message by its Call-ID.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use sbcctl_sip::{Message, Method, Request};

use crate::call::{Call, CallId, Output, Reject, Routing};
use crate::leg::Side;

/// What an incoming message is, as far as the B2BUA is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Classified {
    /// An out-of-dialog INVITE: the glue classifies and routes it, then
    /// calls [`Calls::start`].
    NewCall,
    /// A message of a known call, on that leg.
    InCall(CallId, Side),
    /// Belongs to no call: answer 481 (RFC 3261 §12.2.2) or drop.
    Unknown,
    /// An out-of-dialog INVITE carrying the Call-ID of one of our own B legs: it left through
    /// the SBC and came back (RFC 3261 §16.3 step 4 / §8.2.2.2): answer 482.
    Loop,
}

/// The random byte source for Call-IDs, tags and branches; injected so
/// tests are deterministic and the crate reads no global RNG.
pub type Fill = Box<dyn FnMut(&mut [u8]) + Send>;

/// All calls.
pub struct Calls {
    calls: HashMap<CallId, Call>,
    index: HashMap<(String, Side), CallId>,
    /// Each call's earliest deadline, ordered, so that [`Calls::poll_timeout`] does not scan
    /// every call.
    deadlines: BTreeSet<(Instant, CallId)>,
    deadline_of: HashMap<CallId, Instant>,
    next: u64,
    fill: Fill,
}

impl Calls {
    /// An empty endpoint drawing randomness from `fill`.
    pub fn new(fill: Fill) -> Calls {
        Calls {
            calls: HashMap::new(),
            index: HashMap::new(),
            deadlines: BTreeSet::new(),
            deadline_of: HashMap::new(),
            next: 1,
            fill,
        }
    }

    /// Number of live calls.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// True when there are no calls.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Finds the call and leg of a message received from the network.
    /// `from_side` is the glue's knowledge of which side can send it:
    /// messages are matched on Call-ID per side, so an external Call-ID
    /// equal to one of ours cannot hijack the other leg.
    pub fn classify(&self, msg: &Message) -> Classified {
        let Ok(call_id) = msg.headers().call_id() else {
            return Classified::Unknown;
        };
        let new_invite =
            matches!(msg, Message::Request(r) if *r.method() == Method::Invite && !has_to_tag(r));
        if new_invite {
            // An initial INVITE is never part of an existing leg: the same Call-ID on our B side
            // means it looped back through us; on the A side it is a retransmission the
            // transaction layer has already absorbed, or a forked copy (RFC 3261 §8.2.2.2).
            return if self.index.contains_key(&(call_id.clone(), Side::B))
                || self.index.contains_key(&(call_id, Side::A))
            {
                Classified::Loop
            } else {
                Classified::NewCall
            };
        }
        for side in [Side::A, Side::B] {
            if let Some(id) = self.index.get(&(call_id.clone(), side)) {
                return Classified::InCall(*id, side);
            }
        }
        Classified::Unknown
    }

    /// Starts a call for a new INVITE the glue has routed.
    pub fn start(
        &mut self,
        _now: Instant,
        invite: &Request,
        routing: Routing,
    ) -> Result<(CallId, Vec<Output>), Reject> {
        let id = CallId(self.next);
        let (call, out) = Call::start(id, invite, routing, &mut *self.fill)?;
        self.next += 1;
        self.index
            .insert((call.call_id(Side::A).to_owned(), Side::A), id);
        self.index
            .insert((call.call_id(Side::B).to_owned(), Side::B), id);
        self.calls.insert(id, call);
        self.reap(id);
        Ok((id, out))
    }

    /// Feeds a message received on a call's leg; `target` is the B target it came from (0 for
    /// the A side).
    pub fn handle(
        &mut self,
        now: Instant,
        call: CallId,
        side: Side,
        target: usize,
        msg: &Message,
    ) -> Vec<Output> {
        let Some(c) = self.calls.get_mut(&call) else {
            return Vec::new();
        };
        let out = match msg {
            Message::Request(r) => c.on_request(now, side, r, &mut *self.fill),
            Message::Response(r) => c.on_response(now, side, target, r, &mut *self.fill),
        };
        self.reap(call);
        out
    }

    /// A transaction timeout or transport error on a call's leg (`target` as for `handle`).
    pub fn leg_lost(
        &mut self,
        now: Instant,
        call: CallId,
        side: Side,
        target: usize,
    ) -> Vec<Output> {
        let Some(c) = self.calls.get_mut(&call) else {
            return Vec::new();
        };
        let out = c.on_leg_lost(now, side, target, &mut *self.fill);
        self.reap(call);
        out
    }

    /// Ends a call from the SBC's side (media failure or timeout, shutdown).
    pub fn terminate(
        &mut self,
        now: Instant,
        call: CallId,
        code: u16,
        reason: &str,
    ) -> Vec<Output> {
        let Some(c) = self.calls.get_mut(&call) else {
            return Vec::new();
        };
        let out = c.terminate(now, code, reason, &mut *self.fill);
        self.reap(call);
        out
    }

    /// Forgets a call whose outbound INVITE was never sent (the glue answered the caller).
    pub fn abandon(&mut self, call: CallId) {
        self.forget(call);
    }

    /// The earliest deadline of any call: 2xx and reliable-provisional retransmissions, an
    /// ACK awaited with the answer, session timers, cancelled forks given up.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.first().map(|(t, _)| *t)
    }

    /// Fires the timers due at `now`. Each due call runs once per call of this function.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Output> {
        let due: Vec<CallId> = self
            .deadlines
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|(_, id)| *id)
            .collect();
        let mut out = Vec::new();
        for id in due {
            if let Some(c) = self.calls.get_mut(&id) {
                out.extend(c.on_timeout(now, &mut *self.fill));
            }
            self.reap(id);
        }
        out
    }

    /// After a call changed: drops it when it is over, else files its next deadline.
    fn reap(&mut self, id: CallId) {
        let Some(c) = self.calls.get(&id) else {
            return;
        };
        if c.is_terminated() {
            self.forget(id);
            return;
        }
        let next = c.next_deadline();
        if let Some(old) = self.deadline_of.remove(&id) {
            self.deadlines.remove(&(old, id));
        }
        if let Some(t) = next {
            self.deadline_of.insert(id, t);
            self.deadlines.insert((t, id));
        }
    }

    fn forget(&mut self, id: CallId) {
        if let Some(c) = self.calls.remove(&id) {
            self.index.remove(&(c.call_id(Side::A).to_owned(), Side::A));
            self.index.remove(&(c.call_id(Side::B).to_owned(), Side::B));
        }
        if let Some(t) = self.deadline_of.remove(&id) {
            self.deadlines.remove(&(t, id));
        }
    }
}

fn has_to_tag(r: &Request) -> bool {
    r.headers
        .to()
        .ok()
        .and_then(|t| t.tag().map(|_| ()))
        .is_some()
}
