//! What the SBC does with each new request (the transaction user).

use std::time::Instant;

use sbcctl_compiler::plan::{Destination, Direction};
use sbcctl_compiler::route_table::RouteQuery;
use sbcctl_sip::{Method, Request, Response, TxnId};
use tracing::{debug, info};

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
                self.invite(now, txn, req, from)
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

    /// A new call: who sends it (authenticated when it comes from users), the ingress
    /// manipulations, then the routes; a route to a peer starts the call, a route that rejects,
    /// or no route at all, answers as the plan says. `None` when the call runs.
    fn invite(&mut self, now: Instant, txn: TxnId, req: &Request, from: &Dest) -> Option<Response> {
        match self.route_invite(now, txn, req, from) {
            Ok(answer) => answer,
            Err(resp) => Some(resp),
        }
    }

    fn route_invite(
        &mut self,
        now: Instant,
        txn: TxnId,
        req: &Request,
        from: &Dest,
    ) -> Result<Option<Response>, Response> {
        let Some(source) = self.sources.classify(from) else {
            info!(interface = %from.interface, remote = %from.remote, "INVITE from an unknown source refused");
            return Err(reply(req, 403, "Forbidden (unknown source)", &mut self.rng));
        };
        if let Some(i) = source.authenticate_with {
            let Some(r) = self.registrars.get_mut(i) else {
                return Err(reply(req, 500, "Server Internal Error", &mut self.rng));
            };
            r.authenticate_call(now, req, &mut self.rng)?;
        }
        let mut manipulated;
        let req = match &self.manipulator {
            Some(m) => {
                manipulated = req.clone();
                let applied = m.apply(Direction::Ingress, source.peer, &mut manipulated);
                if !applied.is_empty() {
                    debug!(rules = ?applied, "ingress manipulations applied");
                }
                &manipulated
            }
            None => req,
        };
        let uri = req.uri().ok();
        let to = req.headers.to().ok();
        let from_hdr = req.headers.from().ok();
        let headers: Vec<(String, String)> = req
            .headers
            .iter()
            .filter_map(|h| {
                let name = String::from_utf8_lossy(h.name()).into_owned();
                h.value_str().map(|v| (name, v.into_owned()))
            })
            .collect();
        let header_refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let host = uri
            .as_ref()
            .and_then(|u| u.host.as_ref())
            .map(ToString::to_string)
            .unwrap_or_default();
        let query = RouteQuery {
            source: Some(source.peer),
            method: req.method().as_str(),
            request_user: uri.as_ref().and_then(|u| u.user.as_deref()).unwrap_or(""),
            request_host: &host,
            from_user: from_hdr
                .as_ref()
                .and_then(|f| f.uri.user.as_deref())
                .unwrap_or(""),
            to_user: to
                .as_ref()
                .and_then(|t| t.uri.user.as_deref())
                .unwrap_or(""),
            headers: &header_refs,
        };
        let Some(table) = &self.routes else {
            return Err(reply(
                req,
                500,
                "Server Internal Error (no route table)",
                &mut self.rng,
            ));
        };
        let plan = self.plan.clone();
        let route = table.lookup(&query).and_then(|id| plan.route(id));
        match route {
            None => {
                info!(remote = %from.remote, user = query.request_user, "INVITE matches no route: 404");
                Err(reply(req, 404, "Not Found", &mut self.rng))
            }
            Some(r) => match &r.to {
                Destination::Reject { code, reason } => {
                    info!(route = %r.name, code, "INVITE rejected by its route");
                    Err(reply(req, *code, reason, &mut self.rng))
                }
                _ => {
                    let req = req.clone();
                    Ok(self.start_call(now, txn, &req, from, source.peer, r))
                }
            },
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
