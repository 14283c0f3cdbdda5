//! Server transactions: INVITE (RFC 3261 §17.2.1, RFC 6026 §8.5–8.7) and
//! non-INVITE (§17.2.2).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::layer::Outputs;
use super::{Event, TxnConfig, TxnError, TxnId};
use crate::message::{Request, Response};
use crate::method::Method;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ServerState {
    /// Non-INVITE only: nothing sent yet.
    Trying,
    Proceeding,
    Completed,
    /// INVITE: ACK received, absorbing ACK retransmissions (Timer I).
    Confirmed,
    /// RFC 6026: INVITE answered 2xx; absorbing INVITE retransmissions
    /// (Timer L).
    Accepted,
    Terminated,
}

pub(crate) struct ServerTxn<A> {
    pub(crate) id: TxnId,
    pub(crate) state: ServerState,
    invite: bool,
    from: A,
    reliable: bool,
    pub(crate) request: Request,
    last_response: Option<Bytes>,
    /// Timer for the automatic 100 Trying.
    trying_at: Option<Instant>,
    /// Timer G.
    retransmit_at: Option<Instant>,
    interval: Duration,
    /// Timers H, I, J, L.
    timeout_at: Option<Instant>,
}

impl<A: Clone> ServerTxn<A> {
    pub(crate) fn start(
        id: TxnId,
        now: Instant,
        request: Request,
        from: A,
        reliable: bool,
        cfg: &TxnConfig,
        out: &mut Outputs<A>,
    ) -> ServerTxn<A> {
        let invite = request.method == Method::Invite;
        let mut txn = ServerTxn {
            id,
            state: if invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            invite,
            from,
            reliable,
            request,
            last_response: None,
            trying_at: None,
            retransmit_at: None,
            interval: cfg.t1,
            timeout_at: None,
        };
        if invite {
            match cfg.trying_delay {
                Some(d) if d.is_zero() => txn.send_trying(out),
                Some(d) => txn.trying_at = Some(now + d),
                None => {}
            }
        }
        txn
    }

    pub(crate) fn deadlines(&self) -> [Option<Instant>; 3] {
        [self.trying_at, self.retransmit_at, self.timeout_at]
    }

    fn send_trying(&mut self, out: &mut Outputs<A>) {
        let trying = Response::for_request(&self.request, 100, "Trying").to_bytes();
        out.transmit(self.from.clone(), trying.clone());
        self.last_response = Some(trying);
    }

    /// A retransmission of the request, or an ACK matching this INVITE.
    /// Returns true when the ACK belongs to the TU: in Accepted, an ACK that
    /// still matches (RFC 2543 peers reuse the INVITE's key for the 2xx ACK)
    /// is passed up (RFC 6026 §8.7).
    pub(crate) fn on_request(
        &mut self,
        now: Instant,
        req: &Request,
        cfg: &TxnConfig,
        out: &mut Outputs<A>,
    ) -> bool {
        use ServerState::*;
        if req.method == Method::Ack {
            if self.invite && self.state == Completed {
                // §17.2.1: stop Timers G and H, start Timer I.
                self.retransmit_at = None;
                if self.reliable {
                    self.state = Terminated;
                    self.timeout_at = None;
                } else {
                    self.state = Confirmed;
                    self.timeout_at = Some(now + cfg.t4);
                }
            }
            return self.state == Accepted;
        }
        match self.state {
            Proceeding | Completed => {
                if let Some(r) = &self.last_response {
                    out.transmit(self.from.clone(), r.clone());
                }
            }
            // Trying: absorbed, nothing to replay yet. Confirmed, Accepted:
            // absorbed (RFC 6026 §8.5).
            _ => {}
        }
        false
    }

    /// The TU's response.
    pub(crate) fn send_response(
        &mut self,
        now: Instant,
        resp: &Response,
        cfg: &TxnConfig,
        out: &mut Outputs<A>,
    ) -> Result<(), TxnError> {
        use ServerState::*;
        let code = resp.code;
        match (self.state, code) {
            (Trying | Proceeding, 100..=199) => {
                self.state = Proceeding;
            }
            (Trying | Proceeding, 200..=299) if self.invite => {
                self.state = Accepted;
                self.timeout_at = Some(now + cfg.timeout());
            }
            (Trying | Proceeding, 200..) if self.invite => {
                self.state = Completed;
                if !self.reliable {
                    self.retransmit_at = Some(now + cfg.t1);
                    self.interval = cfg.t1;
                }
                self.timeout_at = Some(now + cfg.timeout());
            }
            (Trying | Proceeding, 200..) => {
                if self.reliable {
                    // Timer J is zero on reliable transports.
                    self.state = Terminated;
                } else {
                    self.state = Completed;
                    self.timeout_at = Some(now + cfg.timeout());
                    // Timer J only absorbs retransmissions, which the response bytes answer:
                    // drop the parsed request now, so 32 s of completed transactions under
                    // load cost a response each, not a request and a response.
                    self.request.headers = crate::header::Headers::new();
                    self.request.body = bytes::Bytes::new();
                }
            }
            // RFC 6026 §8.7: the TU retransmits its 2xx through Accepted.
            (Accepted, 200..=299) => {}
            (Accepted, _) => return Err(TxnError::InvalidState("INVITE already accepted")),
            (Completed | Confirmed, _) => {
                return Err(TxnError::InvalidState("final response already sent"));
            }
            (Terminated, _) => return Err(TxnError::InvalidState("terminated")),
            (_, _) => return Err(TxnError::InvalidState("bad status code")),
        }
        self.trying_at = None;
        let bytes = resp.to_bytes();
        out.transmit(self.from.clone(), bytes.clone());
        self.last_response = Some(bytes);
        Ok(())
    }

    pub(crate) fn on_timeout(&mut self, now: Instant, cfg: &TxnConfig, out: &mut Outputs<A>) {
        if self.trying_at.is_some_and(|t| t <= now) {
            self.trying_at = None;
            if self.state == ServerState::Proceeding && self.last_response.is_none() {
                self.send_trying(out);
            }
        }
        if self.timeout_at.is_some_and(|t| t <= now) {
            if self.state == ServerState::Completed && self.invite {
                // Timer H: the ACK never came.
                out.event(Event::Timeout { txn: self.id });
            }
            self.terminate();
            return;
        }
        if let Some(at) = self.retransmit_at.filter(|&t| t <= now) {
            // Timer G: doubles up to T2.
            if let Some(r) = &self.last_response {
                out.transmit(self.from.clone(), r.clone());
            }
            self.interval = self.interval.saturating_mul(2).min(cfg.t2);
            self.retransmit_at = Some(at + self.interval);
        }
    }

    pub(crate) fn terminate(&mut self) {
        self.state = ServerState::Terminated;
        self.trying_at = None;
        self.retransmit_at = None;
        self.timeout_at = None;
    }
}
