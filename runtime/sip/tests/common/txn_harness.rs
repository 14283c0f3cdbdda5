//! A transaction layer on a virtual clock (an `Instant` base plus
//! offsets), with helpers to build messages and drain outputs.

use std::time::{Duration, Instant};

use sbcctl_sip::{
    Event, Message, Request, Response, TransactionLayer, Transmit, TxnConfig, TxnId, parse,
};

pub const PEER: &str = "peer";

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn request(method: &str, branch: &str) -> Request {
    let text = format!(
        "{method} sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch={branch}\r\n\
Max-Forwards: 70\r\n\
Route: <sip:proxy.example.com;lr>\r\n\
From: <sip:alice@example.com>;tag=a1\r\n\
To: <sip:bob@example.com>\r\n\
Call-ID: c1@192.0.2.1\r\n\
CSeq: 7 {method}\r\n\
Content-Length: 0\r\n\r\n"
    );
    match parse(text.as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

pub fn response(req: &Request, code: u16, to_tag: Option<&str>) -> Response {
    let mut r = Response::for_request(req, code, "Whatever");
    if let Some(tag) = to_tag {
        r.set_to_tag_if_absent(tag);
    }
    // Round-trip through the parser as the runtime would.
    match parse(&r.to_bytes()) {
        Ok(Message::Response(r)) => r,
        other => panic!("{other:?}"),
    }
}

/// A layer plus a virtual clock: `t0` and offsets from it.
pub struct Harness {
    pub layer: TransactionLayer<&'static str>,
    pub t0: Instant,
    pub now: Instant,
}

impl Harness {
    pub fn new(config: TxnConfig) -> Harness {
        let t0 = Instant::now();
        Harness {
            layer: TransactionLayer::new(config),
            t0,
            now: t0,
        }
    }

    pub fn at(&self, d: Duration) -> Instant {
        self.t0 + d
    }

    /// Jumps from deadline to deadline up to `until` (offset from t0),
    /// returning the offsets at which bytes were sent.
    pub fn advance(&mut self, until: Duration) -> Vec<(Duration, Transmit<&'static str>)> {
        let end = self.t0 + until;
        let mut sent = Vec::new();
        while let Some(t) = self.layer.poll_timeout() {
            if t > end {
                break;
            }
            self.now = t;
            self.layer.handle_timeout(t);
            while let Some(tx) = self.layer.poll_transmit() {
                sent.push((t - self.t0, tx));
            }
        }
        self.now = self.now.max(end);
        sent
    }

    pub fn transmits(&mut self) -> Vec<Transmit<&'static str>> {
        std::iter::from_fn(|| self.layer.poll_transmit()).collect()
    }

    pub fn events(&mut self) -> Vec<Event<&'static str>> {
        std::iter::from_fn(|| self.layer.poll_event()).collect()
    }

    pub fn incoming(&mut self, at: Duration, msg: impl Into<Message>, reliable: bool) {
        let now = self.at(at);
        self.now = now;
        self.layer.handle_incoming(now, msg.into(), PEER, reliable);
    }
}

pub fn offsets(sent: &[(Duration, Transmit<&'static str>)]) -> Vec<u64> {
    sent.iter().map(|(d, _)| d.as_millis() as u64).collect()
}

pub fn first_line(t: &Transmit<&'static str>) -> String {
    String::from_utf8_lossy(&t.bytes)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

pub fn start_client(h: &mut Harness, method: &str, reliable: bool) -> (TxnId, Request) {
    let req = request(method, "z9hG4bKclient1");
    let id = h
        .layer
        .send_request(h.t0, req.clone(), PEER, reliable)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.transmits().len(), 1, "initial send");
    (id, req)
}

pub fn new_server(h: &mut Harness, method: &str, reliable: bool) -> (TxnId, Request) {
    let req = request(method, "z9hG4bKserver1");
    h.incoming(Duration::ZERO, req.clone(), reliable);
    let id = match h.events().as_slice() {
        [Event::Request { txn, request, from }] => {
            assert_eq!(request, &req);
            assert_eq!(*from, PEER);
            *txn
        }
        other => panic!("{other:?}"),
    };
    (id, req)
}
