//! A new call from the caller's INVITE: the A dialog, the B dialog template, and the first
//! fork(s).

use std::collections::HashMap;

use sbcctl_sip::{NameAddr, Request, Response, SipUri};

use super::fork::contact_of;
use super::reliable::Reliable;
use super::session::SessionTimers;
use super::{Call, CallId, Output, Reject, Routing, State, has_option};
use crate::leg::{Leg, Side};

fn bad(reason: &'static str) -> Reject {
    Reject { code: 400, reason }
}

impl Call {
    /// Starts a call from an out-of-dialog INVITE on the A leg. Returns the 100 Trying for A
    /// and the INVITE(s) for B (RFC 3261 §8.2.6.1, §17.2.1): the first target for serial
    /// failover, every target at once for parallel forking.
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
        let a_cseq = h.cseq().map_err(|_| bad("Bad CSeq"))?.seq;
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
        let remote_target = contact_of(h).ok_or(bad("Missing Contact"))?;
        if routing.targets.is_empty() {
            return Err(Reject {
                code: 480,
                reason: "Temporarily Unavailable",
            });
        }
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
        let host = routing.b_addr.contact.host.clone().ok_or(bad("No host"))?;
        let b_from = NameAddr {
            display: from.display.clone(),
            uri: SipUri::sip(from.uri.user.as_deref(), host, None),
            params: sbcctl_sip::Params::new(),
        };
        let first = routing.targets[0].clone();
        let b = Leg {
            call_id: sbcctl_sip::new_call_id(&mut *fill, None),
            local_tag: sbcctl_sip::new_tag(&mut *fill),
            remote_tag: None,
            local_uri: b_from,
            remote_uri: NameAddr::new(first.clone()),
            remote_target: first,
            local_cseq: 0,
            addr: routing.b_addr,
        };
        let n = routing.targets.len();
        let mut call = Call {
            id,
            state: State::Calling,
            a,
            b,
            a_invite: invite.clone(),
            a_cseq,
            targets: routing.targets,
            parallel: routing.parallel,
            failover_on: routing.failover_on,
            b_max_forwards: mf - 1,
            forks: Vec::new(),
            winner: None,
            relays: HashMap::new(),
            ended: false,
            rel: Reliable::new(has_option(h, "Require", "100rel")),
            session: SessionTimers::from_caller(h),
            ack_wait: None,
            last_ack: [None, None],
        };
        let mut out = Vec::new();
        call.reply(
            &mut out,
            Side::A,
            Response::for_request(invite, 100, "Trying"),
        );
        // Every fork shares CSeq 1: they are one request sent to several places, as a forking
        // proxy would send it.
        let forks = if call.parallel { n } else { 1 };
        for target in 0..forks {
            call.open_fork(target, 1, &mut out, fill);
        }
        Ok((call, out))
    }
}
