//! Sending the proxies' OPTIONS pings and reading their outcome (see `health`).

use std::time::Instant;

use rand::RngCore;
use sbcctl_sip::{Method, Request, SipUri, TxnId, Via};
use tracing::{info, warn};

use super::SipCore;
use super::dest::Dest;
use super::targets;

impl SipCore {
    pub(super) fn send_pings(&mut self, now: Instant) {
        for ping in self.health.due(now) {
            let Some(addr) = targets::leg_addr(&self.plan, &self.bound, &ping.interface) else {
                continue;
            };
            let target = SipUri::sip(
                None,
                targets::host_of(ping.address.ip()),
                Some(ping.address.port()),
            );
            let rng = &mut self.rng;
            let mut fill = |b: &mut [u8]| rng.fill_bytes(b);
            let mut req = Request::new(Method::Options, &target);
            let via = Via::new(
                addr.transport.clone(),
                addr.via_host.clone(),
                addr.via_port,
                &sbcctl_sip::new_branch(&mut fill),
            );
            req.headers.append("Via", via.to_string());
            req.headers.append("Max-Forwards", "70");
            req.headers.append(
                "From",
                format!("<{}>;tag={}", addr.contact, sbcctl_sip::new_tag(&mut fill)),
            );
            req.headers.append("To", format!("<{target}>"));
            req.headers
                .append("Call-ID", sbcctl_sip::new_call_id(&mut fill, None));
            req.headers.append("CSeq", "1 OPTIONS");
            req.headers.append("User-Agent", super::reply::SERVER);
            req.headers.append("Content-Length", "0");
            let dest = Dest::peer(ping.interface.clone(), ping.kind, ping.address);
            let reliable = ping.kind.is_reliable();
            match self.txn.send_request(now, req, dest, reliable) {
                Ok(txn) => self.health.sent(txn, ping.peer, ping.address),
                Err(e) => {
                    warn!(address = %ping.address, error = %e, "keepalive OPTIONS not sent");
                    log_health(self.health.send_failed(ping.peer, ping.address));
                }
            }
        }
    }

    pub(super) fn ping_result(&mut self, txn: TxnId, answered: bool) {
        log_health(self.health.on_result(txn, answered));
    }
}

fn log_health(flipped: Option<(String, std::net::SocketAddr, bool)>) {
    match flipped {
        Some((peer, address, true)) => {
            info!(%peer, %address, "proxy is up again (keepalive answered)");
        }
        Some((peer, address, false)) => {
            warn!(%peer, %address, "proxy marked down (keepalive unanswered)");
        }
        None => {}
    }
}
