//! The built-in `echo` peer at the signalling level: a UAS that answers every request the
//! B2BUA sends toward it at once. Its media (the echoed RTP) is the media engine's business;
//! here it only answers, so that an echo call runs through exactly the same call model as a call
//! to a real peer (both legs, CDRs, hold, hangup from either side).

use bytes::Bytes;
use sbcctl_sip::{Method, Request, Response, SipUri};

use super::reply::{SERVER, add};

/// The answer of the echo endpoint to `req`; `None` for ACK (nothing to answer).
/// `answer` is the SDP answer to the request's offer, when it carried one.
pub fn respond(
    req: &Request,
    call: u64,
    contact: &SipUri,
    answer: Option<Result<Bytes, (u16, String)>>,
) -> Option<Response> {
    let method = req.method();
    if *method == Method::Ack {
        return None;
    }
    let mut resp = match &answer {
        Some(Err((code, reason))) => Response::for_request(req, *code, reason),
        Some(Ok(_)) | None => Response::for_request(req, 200, "OK"),
    };
    resp.set_to_tag_if_absent(&format!("echo{call}"));
    add(&mut resp, "Server", SERVER);
    if *method == Method::Invite && req.body().is_empty() {
        // A late-offer INVITE would need the echo to make an offer of its own; the SBC always
        // sends an offer toward the echo (it anchors the media), so this only guards misuse.
        let mut r = Response::for_request(req, 488, "Not Acceptable Here (echo needs an offer)");
        r.set_to_tag_if_absent(&format!("echo{call}"));
        return Some(r);
    }
    if resp.is_success() && matches!(method, Method::Invite | Method::Update) {
        add(&mut resp, "Contact", format!("<{contact}>"));
    }
    if let Some(Ok(sdp)) = answer {
        add(&mut resp, "Content-Type", "application/sdp");
        resp.set_body(sdp);
    }
    Some(resp)
}
