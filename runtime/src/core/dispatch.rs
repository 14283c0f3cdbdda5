//! What the SBC does with each new request (the transaction user).

use std::time::Instant;

use sbcctl_sip::{Method, Request, Response, TxnId};
use tracing::debug;

use super::dest::Dest;
use super::reply::{ALLOW, SUPPORTED, add, reply};
use super::{Registrar, SipCore};

impl SipCore {
    /// Answers a new server transaction's request; `None` when the answer is not final yet.
    pub(super) fn on_request(
        &mut self,
        now: Instant,
        txn: TxnId,
        req: &Request,
        from: &Dest,
    ) -> Option<Response> {
        let rng = &mut self.rng;
        let method = req.method().clone();

        // RFC 3261 §8.2.2.3: extensions the client insists on must be ones we know.
        if !matches!(method, Method::Ack | Method::Cancel) {
            let unknown: Vec<String> = req
                .headers
                .require()
                .unwrap_or_default()
                .into_iter()
                .filter(|t| !SUPPORTED.iter().any(|s| s.eq_ignore_ascii_case(t)))
                .collect();
            if !unknown.is_empty() {
                let mut resp = reply(req, 420, "Bad Extension", rng);
                add(&mut resp, "Unsupported", unknown.join(", "));
                return Some(resp);
            }
        }

        match method {
            Method::Options => Some(self.options(req)),
            Method::Register => self.register(now, txn, req, from),
            Method::Cancel => {
                // The INVITE it names would be ours to cancel; calls come with the B2BUA.
                Some(reply(req, 481, "Call/Transaction Does Not Exist", rng))
            }
            Method::Invite => {
                if let Some(resp) = max_forwards_exhausted(req, rng) {
                    return Some(resp);
                }
                debug!(remote = %from.remote, "INVITE refused: calls are not enabled in this build");
                Some(reply(
                    req,
                    501,
                    "Not Implemented (calls are not enabled in this build)",
                    rng,
                ))
            }
            Method::Bye
            | Method::Info
            | Method::Update
            | Method::Prack
            | Method::Refer
            | Method::Notify => Some(reply(req, 481, "Call/Transaction Does Not Exist", rng)),
            Method::Ack => None,
            _ => {
                let mut resp = reply(req, 405, "Method Not Allowed", rng);
                add(&mut resp, "Allow", ALLOW);
                Some(resp)
            }
        }
    }

    /// OPTIONS to the SBC itself (also with Max-Forwards: 0, RFC 3261 §11, RFC 4475 `zeromf`).
    fn options(&mut self, req: &Request) -> Response {
        let mut resp = reply(req, 200, "OK", &mut self.rng);
        add(&mut resp, "Allow", ALLOW);
        add(&mut resp, "Supported", SUPPORTED.join(", "));
        add(&mut resp, "Accept", "application/sdp");
        resp
    }

    fn register(
        &mut self,
        now: Instant,
        txn: TxnId,
        req: &Request,
        from: &Dest,
    ) -> Option<Response> {
        if let Some(resp) = max_forwards_exhausted(req, &mut self.rng) {
            return Some(resp);
        }
        let rng = &mut self.rng;
        match self.registrar_by_interface.get(&*from.interface).copied() {
            Some(Registrar::Local(i)) => {
                let r = self.registrars.get_mut(i)?;
                Some(r.handle(now, req, from, rng, &mut self.counters.register))
            }
            Some(Registrar::Forward(i)) => {
                let f = self.forwarders.get_mut(i)?;
                let relayed = match f.relay(now, req, from, rng) {
                    Ok(r) => r,
                    Err(resp) => return Some(resp),
                };
                let reliable = relayed.dest.kind.is_reliable();
                match self
                    .txn
                    .send_request(now, relayed.request, relayed.dest, reliable)
                {
                    Ok(client) => {
                        f.started(client, txn, relayed.pending);
                        None
                    }
                    Err(e) => Some(reply(
                        req,
                        500,
                        &format!("Server Internal Error ({e})"),
                        rng,
                    )),
                }
            }
            None => Some(reply(
                req,
                403,
                "Forbidden (no registrar on this interface)",
                rng,
            )),
        }
    }
}

/// RFC 3261 §16.3 step 2 / §8.2: a request with Max-Forwards 0 that is not for us ends here.
fn max_forwards_exhausted(req: &Request, rng: &mut rand::rngs::StdRng) -> Option<Response> {
    match req.headers.max_forwards() {
        Ok(Some(0)) => Some(reply(req, 483, "Too Many Hops", rng)),
        Ok(_) => None,
        Err(e) => Some(reply(req, 400, &format!("Bad Request ({e})"), rng)),
    }
}
