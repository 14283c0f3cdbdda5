//! Test harness: scripted UAs on both legs, a virtual clock that jumps to the B2BUA's next
//! deadline, a deterministic `Fill`, and a leak check over every message sent on either leg.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use sbcctl_b2bua::{CallId, Calls, EndCause, Fill, LegAddr, Output, Routing, Side};
use sbcctl_sip::{Host, Message, Request, Response, SipUri, Transport, parse};

/// Deterministic random bytes.
pub fn counter() -> Fill {
    let mut n = 0u8;
    Box::new(move |buf: &mut [u8]| {
        for b in buf {
            *b = n;
            n = n.wrapping_add(13);
        }
    })
}

pub fn addr(host: &str, port: u16) -> LegAddr {
    let h = Host::parse(host).unwrap_or_else(|| panic!("host {host}"));
    LegAddr {
        contact: SipUri::sip(Some("sbc"), h.clone(), Some(port)),
        via_host: h,
        via_port: Some(port),
        transport: Transport::Udp,
    }
}

/// Two proxies tried one after the other.
pub fn routing() -> Routing {
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

/// `n` registered contacts rung at once.
pub fn forking(n: usize) -> Routing {
    let targets = (0..n)
        .map(|i| SipUri::parse(&format!("sip:bob@10.9.8.{i}:5070")).expect("uri"))
        .collect();
    Routing {
        targets,
        parallel: true,
        ..routing()
    }
}

pub const A_SECRETS: &[&str] = &[
    "a-call-id-777",
    "atag111",
    "z9hG4bKaaa",
    "192.0.2.50",
    "alice.example",
];
pub const B_SECRETS: &[&str] = &[
    "btag",
    "z9hG4bKbbb",
    "10.9.9.99",
    "bob.internal",
    "rr.b.example",
];

pub fn req(text: &str) -> Request {
    match parse(text.replace('\n', "\r\n").as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("not a request: {other:?}"),
    }
}

/// A response from B to `r`; `tag` empty for none; `contact` adds B's topology headers.
pub fn resp_to(r: &Request, code: u16, tag: &str, contact: bool, body: &str) -> Response {
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

/// The caller's INVITE; `extra` header lines are added, `body` may be empty (late offer).
pub fn invite_with(extra: &str, body: &str) -> Request {
    let ct = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\n".to_owned()
    };
    req(&format!(
        "INVITE sip:+15551234@203.0.113.1 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.50:5062;branch=z9hG4bKaaa1;rport
Max-Forwards: 70
From: \"Alice\" <sip:alice@alice.example>;tag=atag111
To: <sip:+15551234@203.0.113.1>
Call-ID: a-call-id-777
CSeq: 10 INVITE
Contact: <sip:alice@192.0.2.50:5062>
User-Agent: alice.example phone
{extra}{ct}Content-Length: {}

{body}",
        crlf_len(body)
    ))
}

pub fn invite() -> Request {
    invite_with("", "v=0\n")
}

/// Everything the B2BUA sent, per leg, and its events.
#[derive(Default)]
pub struct Seen {
    /// Text of every message on each leg, for the leak check.
    pub a: Vec<String>,
    pub b: Vec<String>,
    pub a_requests: Vec<Request>,
    pub a_responses: Vec<Response>,
    /// Requests on B with the target index they go to.
    pub b_requests: Vec<(usize, Request)>,
    pub b_responses: Vec<Response>,
    pub events: Vec<Output>,
}

impl Seen {
    pub fn take(&mut self, out: Vec<Output>) {
        for o in out {
            match o {
                Output::Request {
                    side,
                    target,
                    request,
                    ..
                } => {
                    let t = String::from_utf8_lossy(&request.to_bytes()).into_owned();
                    match side {
                        Side::A => {
                            assert_eq!(target, 0, "A-side requests use target 0");
                            self.a.push(t);
                            self.a_requests.push(request);
                        }
                        Side::B => {
                            self.b.push(t);
                            self.b_requests.push((target, request));
                        }
                    }
                }
                Output::Response { side, response, .. } => {
                    let t = String::from_utf8_lossy(&response.to_bytes()).into_owned();
                    match side {
                        Side::A => {
                            self.a.push(t);
                            self.a_responses.push(response);
                        }
                        Side::B => {
                            self.b.push(t);
                            self.b_responses.push(response);
                        }
                    }
                }
                o => self.events.push(o),
            }
        }
    }

    pub fn assert_no_leaks(&self) {
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

    pub fn a_codes(&self) -> Vec<u16> {
        self.a_responses.iter().map(Response::code).collect()
    }

    /// `(target, method)` of every B request, in order.
    pub fn b_methods(&self) -> Vec<(usize, String)> {
        self.b_requests
            .iter()
            .map(|(t, r)| (*t, r.method().as_str().to_owned()))
            .collect()
    }

    /// The last B request of `method`, with its target.
    pub fn last_b(&self, method: &str) -> (usize, Request) {
        self.b_requests
            .iter()
            .rev()
            .find(|(_, r)| r.method().as_str() == method)
            .cloned()
            .unwrap_or_else(|| panic!("no {method} on B: {:?}", self.b_methods()))
    }

    /// The INVITE sent to `target`.
    pub fn b_invite(&self, target: usize) -> Request {
        self.b_requests
            .iter()
            .rev()
            .find(|(t, r)| *t == target && r.method().as_str() == "INVITE")
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("no INVITE to target {target}"))
    }

    pub fn ended(&self) -> Vec<EndCause> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Output::Ended { cause, .. } => Some(cause.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn answered(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Output::Answered { .. }))
            .count()
    }

    /// The SBC's To tag towards A (from the last response with one).
    pub fn a_tag(&self) -> Option<String> {
        self.a_responses
            .iter()
            .rev()
            .find_map(|r| r.headers.to().ok().and_then(|t| t.tag().map(str::to_owned)))
    }
}

/// One call between scripted peers, on a virtual clock.
pub struct Net {
    pub calls: Calls,
    pub now: Instant,
    pub seen: Seen,
    pub id: CallId,
}

impl Net {
    pub fn start(invite: &Request, routing: Routing) -> Net {
        let now = Instant::now();
        let mut calls = Calls::new(counter());
        let (id, out) = calls.start(now, invite, routing).expect("start");
        let mut seen = Seen::default();
        seen.take(out);
        Net {
            calls,
            now,
            seen,
            id,
        }
    }

    pub fn a_sends(&mut self, r: Request) {
        let out = self
            .calls
            .handle(self.now, self.id, Side::A, 0, &Message::Request(r));
        self.seen.take(out);
    }

    pub fn a_answers(&mut self, r: Response) {
        let out = self
            .calls
            .handle(self.now, self.id, Side::A, 0, &Message::Response(r));
        self.seen.take(out);
    }

    pub fn b_answers(&mut self, target: usize, r: Response) {
        let out = self
            .calls
            .handle(self.now, self.id, Side::B, target, &Message::Response(r));
        self.seen.take(out);
    }

    pub fn b_sends(&mut self, target: usize, r: Request) {
        let out = self
            .calls
            .handle(self.now, self.id, Side::B, target, &Message::Request(r));
        self.seen.take(out);
    }

    pub fn lost(&mut self, side: Side, target: usize) {
        let out = self.calls.leg_lost(self.now, self.id, side, target);
        self.seen.take(out);
    }

    /// Moves the clock by `d`, firing every deadline on the way at its own instant.
    pub fn advance(&mut self, d: Duration) {
        let until = self.now + d;
        while let Some(t) = self.calls.poll_timeout() {
            if t > until {
                break;
            }
            self.now = self.now.max(t);
            let out = self.calls.handle_timeout(self.now);
            self.seen.take(out);
        }
        self.now = until;
    }

    /// A request from A in its dialog (To carries the SBC's A tag once there is one).
    pub fn a_request(&self, method: &str, cseq: u32, extra: &str, body: &str) -> Request {
        let tag = self
            .seen
            .a_tag()
            .map(|t| format!(";tag={t}"))
            .unwrap_or_default();
        req(&format!(
            "{method} sip:sbc@203.0.113.1:5061 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.50:5062;branch=z9hG4bKaaa{cseq}
Max-Forwards: 70
From: \"Alice\" <sip:alice@alice.example>;tag=atag111
To: <sip:+15551234@203.0.113.1>{tag}
Call-ID: a-call-id-777
CSeq: {cseq} {method}
{extra}Content-Length: {}

{body}",
            crlf_len(body)
        ))
    }

    /// An in-dialog request from the callee at `target` whose tag is `tag`.
    pub fn b_request(
        &self,
        target: usize,
        tag: &str,
        method: &str,
        cseq: u32,
        body: &str,
    ) -> Request {
        let inv = self.seen.b_invite(target);
        let call_id = inv.headers.call_id().expect("call-id");
        let value = |name: &str| {
            inv.headers
                .get(name)
                .and_then(|h| h.value_str())
                .expect("header")
                .into_owned()
        };
        let (from, to) = (value("From"), value("To"));
        let ct = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\n"
        };
        req(&format!(
            "{method} sip:sbc@198.51.100.1:5060 SIP/2.0
Via: SIP/2.0/UDP 10.9.9.99:5070;branch=z9hG4bKbbb{cseq}
Max-Forwards: 70
From: {to};tag={tag}
To: {from}
Call-ID: {call_id}
CSeq: {cseq} {method}
Contact: <sip:bob@10.9.9.99:5070>
{ct}Content-Length: {}

{body}",
            crlf_len(body)
        ))
    }

    /// Rings target 0 and answers it: the call is up.
    pub fn answer(&mut self, target: usize, tag: &str, body: &str) {
        let inv = self.seen.b_invite(target);
        self.b_answers(target, resp_to(&inv, 180, tag, true, ""));
        self.b_answers(target, resp_to(&inv, 200, tag, true, body));
    }
}

/// Length of a body once the test's `\n` line ends became CRLF.
fn crlf_len(body: &str) -> usize {
    body.replace('\n', "\r\n").len()
}

/// The value of header `name` of a message, if present.
pub fn header(headers: &sbcctl_sip::Headers, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|h| h.value_str())
        .map(|v| v.into_owned())
}
