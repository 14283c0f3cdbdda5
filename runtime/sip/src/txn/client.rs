//! Client transactions: INVITE (RFC 3261 §17.1.1, RFC 6026 §8.4) and
//! non-INVITE (§17.1.2).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::layer::Outputs;
use super::{Event, TxnConfig, TxnId};
use crate::header::Headers;
use crate::message::{Request, Response};
use crate::method::Method;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientState {
    /// INVITE: Calling; non-INVITE: Trying.
    Initial,
    Proceeding,
    Completed,
    /// RFC 6026: INVITE got a 2xx; further 2xx go to the TU until Timer M.
    Accepted,
    Terminated,
}

pub(crate) struct ClientTxn<A> {
    pub(crate) id: TxnId,
    pub(crate) state: ClientState,
    invite: bool,
    to: A,
    reliable: bool,
    request: Request,
    bytes: Bytes,
    /// Timer A / E.
    retransmit_at: Option<Instant>,
    interval: Duration,
    /// Timer B / F, then D / K / M.
    timeout_at: Option<Instant>,
    ack: Option<Bytes>,
    /// Timer C has fired once (the TU was told to CANCEL).
    timer_c_fired: bool,
}

impl<A: Clone> ClientTxn<A> {
    /// Sends the request and starts Timer A/E (unreliable only) and B/F.
    pub(crate) fn start(
        id: TxnId,
        now: Instant,
        request: Request,
        to: A,
        reliable: bool,
        cfg: &TxnConfig,
        out: &mut Outputs<A>,
    ) -> ClientTxn<A> {
        let bytes = request.to_bytes();
        out.transmit(to.clone(), bytes.clone());
        ClientTxn {
            id,
            state: ClientState::Initial,
            invite: request.method == Method::Invite,
            to,
            reliable,
            request,
            bytes,
            retransmit_at: (!reliable).then(|| now + cfg.t1),
            interval: cfg.t1,
            timeout_at: Some(now + cfg.timeout()),
            ack: None,
            timer_c_fired: false,
        }
    }

    pub(crate) fn deadlines(&self) -> [Option<Instant>; 2] {
        [self.retransmit_at, self.timeout_at]
    }

    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        resp: Response,
        cfg: &TxnConfig,
        out: &mut Outputs<A>,
    ) {
        let code = resp.code;
        if self.invite {
            self.on_invite_response(now, resp, code, cfg, out);
        } else {
            self.on_non_invite_response(now, resp, code, cfg, out);
        }
    }

    fn on_invite_response(
        &mut self,
        now: Instant,
        resp: Response,
        code: u16,
        cfg: &TxnConfig,
        out: &mut Outputs<A>,
    ) {
        use ClientState::*;
        match (self.state, code) {
            (Initial | Proceeding, 100..=199) => {
                // §17.1.1.2: a provisional stops Timer A, and Timer B only
                // runs in Calling. Timer C (re)starts instead, unless it has
                // already fired and a CANCEL is on its way.
                self.state = Proceeding;
                self.retransmit_at = None;
                if !self.timer_c_fired {
                    self.timeout_at = cfg.timer_c.map(|c| now + c);
                }
                self.deliver(resp, out);
            }
            (Initial | Proceeding, 200..=299) => {
                self.state = Accepted;
                self.retransmit_at = None;
                self.timeout_at = Some(now + cfg.timeout());
                self.deliver(resp, out);
            }
            (Initial | Proceeding, _) => {
                // §17.1.1.3: ACK the failure ourselves, keep it for
                // retransmitted responses during Timer D.
                let ack = build_ack(&self.request, &resp).to_bytes();
                out.transmit(self.to.clone(), ack.clone());
                self.ack = Some(ack);
                self.retransmit_at = None;
                self.deliver(resp, out);
                self.state = Completed;
                self.timeout_at = Some(
                    now + if self.reliable {
                        Duration::ZERO
                    } else {
                        cfg.timer_d
                    },
                );
                if self.reliable {
                    self.state = Terminated;
                }
            }
            (Accepted, 200..=299) => self.deliver(resp, out),
            (Completed, 300..) => {
                if let Some(ack) = &self.ack {
                    out.transmit(self.to.clone(), ack.clone());
                }
            }
            _ => {}
        }
    }

    fn on_non_invite_response(
        &mut self,
        now: Instant,
        resp: Response,
        code: u16,
        cfg: &TxnConfig,
        out: &mut Outputs<A>,
    ) {
        use ClientState::*;
        match (self.state, code) {
            (Initial | Proceeding, 100..=199) => {
                self.state = Proceeding;
                self.deliver(resp, out);
            }
            (Initial | Proceeding, _) => {
                self.deliver(resp, out);
                self.retransmit_at = None;
                if self.reliable {
                    // Timer K is zero on reliable transports.
                    self.state = Terminated;
                    self.timeout_at = None;
                } else {
                    self.state = Completed;
                    self.timeout_at = Some(now + cfg.t4);
                }
            }
            _ => {}
        }
    }

    fn deliver(&self, response: Response, out: &mut Outputs<A>) {
        out.event(Event::Response {
            txn: self.id,
            response,
        });
    }

    pub(crate) fn on_timeout(&mut self, now: Instant, cfg: &TxnConfig, out: &mut Outputs<A>) {
        if self.timeout_at.is_some_and(|t| t <= now) {
            if self.invite && self.state == ClientState::Proceeding && !self.timer_c_fired {
                // Timer C: tell the TU, then give the CANCEL 64·T1 to
                // produce a final response.
                self.timer_c_fired = true;
                self.timeout_at = Some(now + cfg.timeout());
                out.event(Event::Timeout { txn: self.id });
                return;
            }
            self.timeout_at = None;
            self.retransmit_at = None;
            if self.state == ClientState::Initial
                || (self.state == ClientState::Proceeding && !self.timer_c_fired)
            {
                // Timer B / F.
                out.event(Event::Timeout { txn: self.id });
            }
            self.state = ClientState::Terminated;
            return;
        }
        if let Some(at) = self.retransmit_at.filter(|&t| t <= now) {
            out.transmit(self.to.clone(), self.bytes.clone());
            self.interval = if self.invite {
                // Timer A doubles without a cap (§17.1.1.2).
                self.interval.saturating_mul(2)
            } else if self.state == ClientState::Proceeding {
                // §17.1.2.2: in Proceeding, retransmit every T2.
                cfg.t2
            } else {
                // Timer E doubles up to T2.
                self.interval.saturating_mul(2).min(cfg.t2)
            };
            // Scheduled from the deadline, not from `now`, so a late call
            // does not stretch the schedule.
            self.retransmit_at = Some(at + self.interval);
        }
    }

    pub(crate) fn terminate(&mut self) {
        self.state = ClientState::Terminated;
        self.retransmit_at = None;
        self.timeout_at = None;
    }
}

/// §17.1.1.3: the ACK for a non-2xx final response: same Request-URI,
/// Call-ID, From, CSeq number and top Via as the INVITE, To from the
/// response, Route headers of the INVITE.
pub(crate) fn build_ack(invite: &Request, resp: &Response) -> Request {
    let mut headers = Headers::new();
    if let Ok(via) = invite.headers.top_via() {
        headers.append("Via", via.to_string());
    }
    headers.append("Max-Forwards", "70");
    for name in ["From", "Call-ID"] {
        if let Some(h) = invite.headers.get(name) {
            headers.push(h.clone());
        }
    }
    if let Some(h) = resp.headers.get("To") {
        headers.push(h.clone());
    }
    if let Ok(cseq) = invite.headers.cseq() {
        headers.append("CSeq", format!("{} ACK", cseq.seq));
    }
    for h in invite.headers.get_all("Route") {
        headers.push(h.clone());
    }
    headers.append("Content-Length", "0");
    Request {
        method: Method::Ack,
        uri: invite.uri.clone(),
        headers,
        body: Bytes::new(),
    }
}
