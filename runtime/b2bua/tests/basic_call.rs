//! Scripted UAs on both legs, virtual clock, and a leak check over every
//! message of the call flow.

use std::time::{Duration, Instant};

use sbcctl_b2bua::{CallId, Calls, Classified, EndCause, Fill, LegAddr, Output, Routing, Side};
use sbcctl_sip::{Host, Message, Request, Response, SipUri, Transport, parse};

fn counter() -> Fill {
    let mut n = 0u8;
    Box::new(move |buf: &mut [u8]| {
        for b in buf {
            *b = n;
            n = n.wrapping_add(13);
        }
    })
}

fn addr(host: &str, port: u16) -> LegAddr {
    let h = Host::parse(host).unwrap_or_else(|| panic!("host {host}"));
    LegAddr {
        contact: SipUri::sip(Some("sbc"), h.clone(), Some(port)),
        via_host: h,
        via_port: Some(port),
        transport: Transport::Udp,
    }
}

fn routing() -> Routing {
    Routing {
        a_addr: addr("203.0.113.1", 5061),
        b_addr: addr("198.51.100.1", 5060),
        targets: vec![
            SipUri::parse("sip:+15551234@10.9.9.9:5060").expect("uri"),
            SipUri::parse("sip:+15551234@10.9.9.8:5060").expect("uri"),
        ],
        parallel: false,
        failover_on: vec![],
    }
}

const A_SECRETS: &[&str] = &[
    "a-call-id-777",
    "atag111",
    "z9hG4bKaaa1",
    "192.0.2.50",
    "alice.example",
];
const B_SECRETS: &[&str] = &[
    "btag222",
    "z9hG4bKbbb",
    "10.9.9.99",
    "bob.internal",
    "rr.b.example",
];

fn req(text: &str) -> Request {
    match parse(text.replace('\n', "\r\n").as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("not a request: {other:?}"),
    }
}

fn resp_to(r: &Request, code: u16, tag: &str, contact: bool, body: &str) -> Response {
    let mut resp = Response::for_request(r, code, "X");
    if !tag.is_empty() {
        resp.set_to_tag_if_absent(tag);
    }
    if contact {
        resp.headers.append("Contact", "<sip:bob@10.9.9.99:5070>");
        resp.headers.append("Record-Route", "<sip:rr.b.example;lr>");
        resp.headers.append("Server", "bob.internal PBX");
    }
    if !body.is_empty() {
        resp.headers.append("Content-Type", "application/sdp");
        resp.set_body(body.to_owned());
    }
    resp
}

fn invite() -> Request {
    req("INVITE sip:+15551234@203.0.113.1 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.50:5062;branch=z9hG4bKaaa1;rport
Max-Forwards: 70
From: \"Alice\" <sip:alice@alice.example>;tag=atag111
To: <sip:+15551234@203.0.113.1>
Call-ID: a-call-id-777
CSeq: 10 INVITE
Contact: <sip:alice@192.0.2.50:5062>
User-Agent: alice.example phone
Content-Type: application/sdp
Content-Length: 4

v=0
")
}

/// Messages each side received, to check for leaks.
#[derive(Default)]
struct Seen {
    a: Vec<String>,
    b: Vec<String>,
    b_requests: Vec<Request>,
    a_responses: Vec<Response>,
    events: Vec<Output>,
}

impl Seen {
    fn take(&mut self, out: Vec<Output>) {
        for o in out {
            match &o {
                Output::Request { side, request, .. } => {
                    let t = String::from_utf8_lossy(&request.to_bytes()).into_owned();
                    match side {
                        Side::A => self.a.push(t),
                        Side::B => {
                            self.b.push(t);
                            self.b_requests.push(request.clone());
                        }
                    }
                }
                Output::Response { side, response, .. } => {
                    let t = String::from_utf8_lossy(&response.to_bytes()).into_owned();
                    match side {
                        Side::A => {
                            self.a.push(t);
                            self.a_responses.push(response.clone());
                        }
                        Side::B => self.b.push(t),
                    }
                }
                _ => self.events.push(o),
            }
        }
    }

    fn assert_no_leaks(&self) {
        for m in &self.b {
            for s in A_SECRETS {
                assert!(!m.contains(s), "A's {s} leaked to B:\n{m}");
            }
        }
        for m in &self.a {
            for s in B_SECRETS {
                assert!(!m.contains(s), "B's {s} leaked to A:\n{m}");
            }
        }
    }
}

fn answered_call(calls: &mut Calls, seen: &mut Seen, t0: Instant) -> CallId {
    let inv = invite();
    assert_eq!(
        calls.classify(&Message::Request(inv.clone())),
        Classified::NewCall
    );
    let (id, out) = calls.start(t0, &inv, routing()).expect("start");
    seen.take(out);
    let b_inv = seen.b_requests.last().cloned().expect("B INVITE");
    assert_eq!(b_inv.headers.max_forwards().ok().flatten(), Some(69));
    let ringing = resp_to(&b_inv, 180, "btag222", true, "");
    let m = Message::Response(ringing);
    assert_eq!(calls.classify(&m), Classified::InCall(id, Side::B));
    seen.take(calls.handle(t0, id, Side::B, 0, &m));
    let ok = resp_to(&b_inv, 200, "btag222", true, "v=0\r\n");
    seen.take(calls.handle(
        t0 + Duration::from_secs(2),
        id,
        Side::B,
        0,
        &Message::Response(ok),
    ));
    let codes: Vec<u16> = seen.a_responses.iter().map(Response::code).collect();
    assert_eq!(codes, vec![100, 180, 200]);
    assert_eq!(seen.a_responses[2].body().as_ref(), b"v=0\r\n");
    assert!(
        seen.events
            .iter()
            .any(|e| matches!(e, Output::Answered { .. }))
    );
    id
}

fn in_dialog_from_a(method: &str, cseq: u32, tag: &str) -> Request {
    req(&format!(
        "{method} sip:sbc@203.0.113.1:5061 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.50:5062;branch=z9hG4bKaaa{cseq}
Max-Forwards: 70
From: \"Alice\" <sip:alice@alice.example>;tag=atag111
To: <sip:+15551234@203.0.113.1>;tag={tag}
Call-ID: a-call-id-777
CSeq: {cseq} {method}
Content-Length: 0

"
    ))
}

fn a_tag(seen: &Seen) -> String {
    seen.a_responses
        .last()
        .and_then(|r| r.headers.to().ok())
        .and_then(|t| t.tag().map(str::to_owned))
        .expect("A tag")
}

#[test]
fn basic_call_caller_hangs_up_without_leaks() {
    let t0 = Instant::now();
    let mut calls = Calls::new(counter());
    let mut seen = Seen::default();
    let id = answered_call(&mut calls, &mut seen, t0);
    let tag = a_tag(&seen);
    seen.take(calls.handle(
        t0,
        id,
        Side::A,
        0,
        &Message::Request(in_dialog_from_a("ACK", 10, &tag)),
    ));
    // INFO relayed and answered back.
    seen.take(calls.handle(
        t0,
        id,
        Side::A,
        0,
        &Message::Request(in_dialog_from_a("INFO", 11, &tag)),
    ));
    let info = seen.b_requests.last().cloned().expect("INFO on B");
    assert_eq!(info.method().as_str(), "INFO");
    let info_ok = resp_to(&info, 200, "btag222", false, "");
    seen.take(calls.handle(t0, id, Side::B, 0, &Message::Response(info_ok)));
    assert_eq!(seen.a_responses.last().map(Response::code), Some(200));
    // REFER (transfer) is refused with 501 on its own leg; nothing reaches B.
    let b_before = seen.b_requests.len();
    seen.take(calls.handle(
        t0,
        id,
        Side::A,
        0,
        &Message::Request(in_dialog_from_a("REFER", 12, &tag)),
    ));
    assert_eq!(seen.a_responses.last().map(Response::code), Some(501));
    assert_eq!(seen.b_requests.len(), b_before, "REFER is not relayed");
    seen.take(calls.handle(
        t0,
        id,
        Side::A,
        0,
        &Message::Request(in_dialog_from_a("BYE", 13, &tag)),
    ));
    let bye = seen.b_requests.last().cloned().expect("BYE on B");
    assert_eq!(bye.method().as_str(), "BYE");
    assert!(seen.events.iter().any(|e| matches!(
        e,
        Output::Ended {
            cause: EndCause::HangUp(Side::A),
            ..
        }
    )));
    assert!(calls.is_empty());
    seen.assert_no_leaks();
}

#[test]
fn callee_hangs_up() {
    let t0 = Instant::now();
    let mut calls = Calls::new(counter());
    let mut seen = Seen::default();
    let id = answered_call(&mut calls, &mut seen, t0);
    let b_inv = seen.b_requests.first().cloned().expect("B INVITE");
    let call_id = b_inv.headers.call_id().expect("call-id");
    let from = b_inv
        .headers
        .get("From")
        .and_then(|h| h.value_str())
        .expect("from")
        .into_owned();
    let to = b_inv
        .headers
        .get("To")
        .and_then(|h| h.value_str())
        .expect("to")
        .into_owned();
    let bye = req(&format!(
        "BYE sip:sbc@198.51.100.1:5060 SIP/2.0
Via: SIP/2.0/UDP 10.9.9.99:5070;branch=z9hG4bKbbb9
Max-Forwards: 70
From: {to};tag=btag222
To: {from}
Call-ID: {call_id}
CSeq: 1 BYE
Content-Length: 0

"
    ));
    let m = Message::Request(bye);
    assert_eq!(calls.classify(&m), Classified::InCall(id, Side::B));
    seen.take(calls.handle(t0, id, Side::B, 0, &m));
    assert!(seen.a.last().is_some_and(|m| m.starts_with("BYE ")));
    assert!(seen.events.iter().any(|e| matches!(
        e,
        Output::Ended {
            cause: EndCause::HangUp(Side::B),
            ..
        }
    )));
    seen.assert_no_leaks();
}

#[test]
fn busy_is_relayed_and_cancel_gives_487() {
    let t0 = Instant::now();
    let mut calls = Calls::new(counter());
    let mut seen = Seen::default();
    let (id, out) = calls.start(t0, &invite(), routing()).expect("start");
    seen.take(out);
    let b_inv = seen.b_requests.last().cloned().expect("B INVITE");
    seen.take(calls.handle(
        t0,
        id,
        Side::B,
        0,
        &Message::Response(resp_to(&b_inv, 486, "btag222", false, "")),
    ));
    assert_eq!(seen.a_responses.last().map(Response::code), Some(486));
    assert!(calls.is_empty());

    let mut seen = Seen::default();
    let (id, out) = calls.start(t0, &invite(), routing()).expect("start");
    seen.take(out);
    let cancel = in_dialog_from_a("CANCEL", 10, "x").clone();
    let mut cancel = cancel;
    cancel.headers.set("To", "<sip:+15551234@203.0.113.1>");
    seen.take(calls.handle(t0, id, Side::A, 0, &Message::Request(cancel)));
    let codes: Vec<u16> = seen.a_responses.iter().map(Response::code).collect();
    assert_eq!(codes, vec![100, 200, 487]);
    // RFC 3261 §9.1: no CANCEL before B sent any response; its 100 releases it.
    assert_eq!(seen.b_requests.len(), 1, "CANCEL held until B answers");
    let b_inv = seen.b_requests[0].clone();
    seen.take(calls.handle(
        t0,
        id,
        Side::B,
        0,
        &Message::Response(resp_to(&b_inv, 100, "", false, "")),
    ));
    assert_eq!(
        seen.b_requests
            .last()
            .map(|r| r.method().as_str().to_owned()),
        Some("CANCEL".into())
    );
    // While the call waits for B's 487, B's leg dying must not report the end twice.
    seen.take(calls.leg_lost(t0, id, Side::B, 0));
    let ended = seen
        .events
        .iter()
        .filter(|e| matches!(e, Output::Ended { .. }))
        .count();
    assert_eq!(ended, 1, "one Ended per call: {:?}", seen.events);
    let b_inv = seen.b_requests.first().cloned().expect("B INVITE");
    seen.take(calls.handle(
        t0,
        id,
        Side::B,
        0,
        &Message::Response(resp_to(&b_inv, 487, "btag222", false, "")),
    ));
    assert!(calls.is_empty());
    seen.assert_no_leaks();
}

#[test]
fn max_forwards_zero_is_483_and_timeout_is_408() {
    let t0 = Instant::now();
    let mut calls = Calls::new(counter());
    let mut inv = invite();
    inv.headers.set("Max-Forwards", "0");
    let err = calls.start(t0, &inv, routing()).err().map(|r| r.code);
    assert_eq!(err, Some(483));
    let mut seen = Seen::default();
    let (id, out) = calls.start(t0, &invite(), routing()).expect("start");
    seen.take(out);
    // First proxy dead: fail over to the second, which times out too.
    seen.take(calls.leg_lost(t0 + Duration::from_secs(32), id, Side::B, 0));
    assert_eq!(seen.b_requests.len(), 2);
    assert_eq!(
        seen.b_requests[1].uri_bytes().as_ref(),
        b"sip:+15551234@10.9.9.8:5060"
    );
    assert!(!calls.is_empty());
    seen.take(calls.leg_lost(t0 + Duration::from_secs(64), id, Side::B, 1));
    assert_eq!(seen.a_responses.last().map(Response::code), Some(408));
    assert!(calls.is_empty());
}

#[test]
fn outbound_invite_snapshot() {
    let mut calls = Calls::new(counter());
    let (_, out) = calls
        .start(Instant::now(), &invite(), routing())
        .expect("start");
    let b = out
        .iter()
        .find_map(|o| match o {
            Output::Request { request, .. } => {
                Some(String::from_utf8_lossy(&request.to_bytes()).into_owned())
            }
            _ => None,
        })
        .expect("B INVITE");
    let a = String::from_utf8_lossy(&invite().to_bytes()).into_owned();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../snapshots/b2bua"
    ));
    settings.bind(|| {
        insta::assert_snapshot!("a_leg_invite", a);
        insta::assert_snapshot!("b_leg_invite", b);
    });
}

#[test]
fn reinvite_hold_from_callee_is_relayed_and_acked_per_leg() {
    let t0 = Instant::now();
    let mut calls = Calls::new(counter());
    let mut seen = Seen::default();
    let id = answered_call(&mut calls, &mut seen, t0);
    let b_inv = seen.b_requests.first().cloned().expect("B INVITE");
    let call_id = b_inv.headers.call_id().expect("call-id");
    let from = b_inv
        .headers
        .get("From")
        .and_then(|h| h.value_str())
        .expect("from")
        .into_owned();
    let to = b_inv
        .headers
        .get("To")
        .and_then(|h| h.value_str())
        .expect("to")
        .into_owned();
    let hold = req(&format!(
        "INVITE sip:sbc@198.51.100.1:5060 SIP/2.0
Via: SIP/2.0/UDP 10.9.9.99:5070;branch=z9hG4bKbbb7
Max-Forwards: 70
From: {to};tag=btag222
To: {from}
Call-ID: {call_id}
CSeq: 7 INVITE
Contact: <sip:bob@10.9.9.99:5070>
Content-Type: application/sdp
Content-Length: 12

a=sendonly
"
    ));
    seen.take(calls.handle(t0, id, Side::B, 0, &Message::Request(hold)));
    let to_a = seen.a.last().cloned().expect("re-INVITE on A");
    assert!(
        to_a.starts_with("INVITE sip:alice@192.0.2.50:5062 "),
        "{to_a}"
    );
    assert!(to_a.ends_with("a=sendonly\r\n"));
    assert!(
        to_a.contains("CSeq: 1 INVITE"),
        "own CSeq space on A: {to_a}"
    );
    let reinv = req(&to_a.replace("\r\n", "\n"));
    let mut ok = Response::for_request(&reinv, 200, "OK");
    ok.headers.append("Content-Type", "application/sdp");
    ok.set_body("a=recvonly\r\n");
    seen.take(calls.handle(t0, id, Side::A, 0, &Message::Response(ok)));
    assert!(
        seen.a.last().is_some_and(|m| m.starts_with("ACK ")),
        "SBC ACKs A's 2xx"
    );
    let to_b = seen.b.last().cloned().expect("200 on B");
    assert!(
        to_b.starts_with("SIP/2.0 200 ") && to_b.ends_with("a=recvonly\r\n"),
        "{to_b}"
    );
    assert!(to_b.contains("CSeq: 7 INVITE"));
    seen.assert_no_leaks();
}
