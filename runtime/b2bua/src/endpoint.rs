//! The B2BUA endpoint: owns the calls and finds the call and leg of every
//! incoming message by its Call-ID.

use std::collections::HashMap;
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
}

/// The random byte source for Call-IDs, tags and branches; injected so
/// tests are deterministic and the crate reads no global RNG.
pub type Fill = Box<dyn FnMut(&mut [u8]) + Send>;

/// All calls.
pub struct Calls {
    calls: HashMap<CallId, Call>,
    index: HashMap<(String, Side), CallId>,
    next: u64,
    fill: Fill,
}

impl Calls {
    /// An empty endpoint drawing randomness from `fill`.
    pub fn new(fill: Fill) -> Calls {
        Calls {
            calls: HashMap::new(),
            index: HashMap::new(),
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
        for side in [Side::A, Side::B] {
            if let Some(id) = self.index.get(&(call_id.clone(), side)) {
                return Classified::InCall(*id, side);
            }
        }
        match msg {
            Message::Request(r) if *r.method() == Method::Invite && !has_to_tag(r) => {
                Classified::NewCall
            }
            _ => Classified::Unknown,
        }
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
        Ok((id, out))
    }

    /// Feeds a message received on a call's leg.
    pub fn handle(&mut self, now: Instant, call: CallId, side: Side, msg: &Message) -> Vec<Output> {
        let Some(c) = self.calls.get_mut(&call) else {
            return Vec::new();
        };
        let out = match msg {
            Message::Request(r) => c.on_request(now, side, r, &mut *self.fill),
            Message::Response(r) => c.on_response(now, side, r, &mut *self.fill),
        };
        self.reap(call);
        out
    }

    /// A transaction timeout or transport error on a call's leg.
    pub fn leg_lost(&mut self, now: Instant, call: CallId, side: Side) -> Vec<Output> {
        let Some(c) = self.calls.get_mut(&call) else {
            return Vec::new();
        };
        let out = c.on_leg_lost(now, side, &mut *self.fill);
        self.reap(call);
        out
    }

    fn reap(&mut self, id: CallId) {
        if let Some(c) = self.calls.get(&id)
            && c.is_terminated()
        {
            self.index.remove(&(c.call_id(Side::A).to_owned(), Side::A));
            self.index.remove(&(c.call_id(Side::B).to_owned(), Side::B));
            self.calls.remove(&id);
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
