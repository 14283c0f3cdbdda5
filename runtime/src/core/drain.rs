//! Graceful shutdown, the core's part: the answer new requests get while the host drains, and
//! ending the calls still up when the grace period is over.
//!
//! The drain itself is driven by the host (`admin::drain`): it stops accepting connections,
//! turns new INVITEs and OPTIONS away with 503 before they reach the core (so calls already up,
//! REGISTER refreshes and in-dialog requests go on untouched), waits for calls to end, and then
//! asks the core to end the rest with [`super::Command::EndCalls`].

use std::time::Instant;

use bytes::Bytes;
use rand::rngs::StdRng;
use sbcctl_sip::{Message, Method, parse_bytes};
use tokio::sync::oneshot;
use tracing::info;

use super::SipCore;
use super::reply::{add, reply};

/// Seconds a client is told to wait before trying this instance again (RFC 3261 §21.5.4): a
/// restarted SBC is normally back within this.
const RETRY_AFTER: &str = "30";

impl SipCore {
    /// Ends every call still up (BYE to answered legs, a final response to unanswered ones) and
    /// replies with how many there were. The core keeps running, so the BYE transactions finish
    /// and the calls leave the table as their legs confirm.
    pub(super) fn end_calls_for_drain(&mut self, now: Instant, reply: oneshot::Sender<usize>) {
        let live = self.calls.active();
        if live > 0 {
            info!(
                calls = live,
                "drain: grace period over, ending the calls still up"
            );
        }
        self.end_all_calls(now);
        let _ = reply.send(live);
    }
}

/// The answer to a message arriving while the host drains: 503 with `Retry-After` for a new
/// INVITE or an OPTIONS outside a dialog (an upstream's keepalive then marks this instance down
/// and sends new calls elsewhere); `None` for everything else, which goes to the core as usual.
/// Only messages that start like an INVITE or OPTIONS are parsed, so the cost while draining
/// stays near zero for the rest.
pub(crate) fn refusal(data: &Bytes, rng: &mut StdRng) -> Option<Bytes> {
    if !(data.starts_with(b"INVITE ") || data.starts_with(b"OPTIONS ")) {
        return None;
    }
    let Ok(Message::Request(req)) = parse_bytes(data.clone()) else {
        return None;
    };
    if !matches!(req.method(), Method::Invite | Method::Options) {
        return None;
    }
    // A request inside a dialog (re-INVITE, in-dialog OPTIONS) belongs to a call that may go
    // on until the grace period ends.
    if req.headers.to().ok()?.tag().is_some() {
        return None;
    }
    let mut resp = reply(&req, 503, "Service Unavailable (shutting down)", rng);
    add(&mut resp, "Retry-After", RETRY_AFTER);
    Some(resp.to_bytes())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn request(method: &str, to_tag: Option<&str>) -> Bytes {
        let tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
        Bytes::from(format!(
            "{method} sip:bob@sbc.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKd1\r\n\
             Max-Forwards: 70\r\nFrom: <sip:alice@sbc.test>;tag=a1\r\nTo: <sip:bob@sbc.test>{tag}\r\n\
             Call-ID: drain-1\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
        ))
    }

    fn code(answer: &Bytes) -> &str {
        std::str::from_utf8(&answer[8..11]).unwrap_or("")
    }

    #[test]
    fn new_invites_and_options_get_503_with_retry_after() {
        let mut rng = StdRng::seed_from_u64(7);
        for method in ["INVITE", "OPTIONS"] {
            let answer = refusal(&request(method, None), &mut rng).expect("refused");
            assert_eq!(code(&answer), "503");
            let text = String::from_utf8_lossy(&answer);
            assert!(text.contains("Retry-After: 30\r\n"), "{text}");
            assert!(text.contains("Call-ID: drain-1\r\n"), "{text}");
        }
    }

    #[test]
    fn in_dialog_requests_and_other_methods_pass() {
        let mut rng = StdRng::seed_from_u64(7);
        assert!(refusal(&request("INVITE", Some("b1")), &mut rng).is_none());
        assert!(refusal(&request("BYE", Some("b1")), &mut rng).is_none());
        assert!(refusal(&request("REGISTER", None), &mut rng).is_none());
        assert!(refusal(&Bytes::from_static(b"SIP/2.0 200 OK\r\n\r\n"), &mut rng).is_none());
        assert!(refusal(&Bytes::from_static(b"INVITE garbage"), &mut rng).is_none());
    }
}
