//! RFC 3261 §17 transactions on a virtual clock: every timer, over
//! unreliable and reliable transports.

use std::time::{Duration, Instant};

use sbcctl_sip::{
    Event, Message, Method, Request, Response, TransactionLayer, Transmit, TxnConfig, TxnError,
    TxnId, parse,
};

const PEER: &str = "peer";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn request(method: &str, branch: &str) -> Request {
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

fn response(req: &Request, code: u16, to_tag: Option<&str>) -> Response {
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
struct Harness {
    layer: TransactionLayer<&'static str>,
    t0: Instant,
    now: Instant,
}

impl Harness {
    fn new(config: TxnConfig) -> Harness {
        let t0 = Instant::now();
        Harness {
            layer: TransactionLayer::new(config),
            t0,
            now: t0,
        }
    }

    fn at(&self, d: Duration) -> Instant {
        self.t0 + d
    }

    /// Jumps from deadline to deadline up to `until` (offset from t0),
    /// returning the offsets at which bytes were sent.
    fn advance(&mut self, until: Duration) -> Vec<(Duration, Transmit<&'static str>)> {
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

    fn transmits(&mut self) -> Vec<Transmit<&'static str>> {
        std::iter::from_fn(|| self.layer.poll_transmit()).collect()
    }

    fn events(&mut self) -> Vec<Event<&'static str>> {
        std::iter::from_fn(|| self.layer.poll_event()).collect()
    }

    fn incoming(&mut self, at: Duration, msg: impl Into<Message>, reliable: bool) {
        let now = self.at(at);
        self.now = now;
        self.layer.handle_incoming(now, msg.into(), PEER, reliable);
    }
}

fn offsets(sent: &[(Duration, Transmit<&'static str>)]) -> Vec<u64> {
    sent.iter().map(|(d, _)| d.as_millis() as u64).collect()
}

fn first_line(t: &Transmit<&'static str>) -> String {
    String::from_utf8_lossy(&t.bytes)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

fn start_client(h: &mut Harness, method: &str, reliable: bool) -> (TxnId, Request) {
    let req = request(method, "z9hG4bKclient1");
    let id = h
        .layer
        .send_request(h.t0, req.clone(), PEER, reliable)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.transmits().len(), 1, "initial send");
    (id, req)
}

#[test]
fn non_invite_client_timer_e_and_f_over_udp() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, _) = start_client(&mut h, "OPTIONS", false);
    let sent = h.advance(Duration::from_secs(40));
    // Timer E: 500 ms doubling up to T2 = 4 s; Timer F at 64·T1 = 32 s.
    assert_eq!(
        offsets(&sent),
        vec![
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert_eq!(
        h.events(),
        vec![Event::Timeout { txn: id }, Event::Terminated { txn: id }]
    );
    assert_eq!(h.layer.poll_timeout(), None);
}

#[test]
fn non_invite_client_reliable_never_retransmits() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, _) = start_client(&mut h, "REGISTER", true);
    assert_eq!(h.layer.poll_timeout(), Some(h.at(ms(32_000))));
    assert!(h.advance(Duration::from_secs(40)).is_empty());
    assert_eq!(
        h.events(),
        vec![Event::Timeout { txn: id }, Event::Terminated { txn: id }]
    );
}

#[test]
fn non_invite_client_proceeding_uses_t2_then_timer_k() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = start_client(&mut h, "OPTIONS", false);
    assert_eq!(offsets(&h.advance(ms(600))), vec![500]);
    h.incoming(ms(600), response(&req, 180, None), false);
    assert!(
        matches!(h.events().as_slice(), [Event::Response { txn, response }] if *txn == id && response.code() == 180)
    );
    // Next retransmission still at 1500 (already scheduled), then every T2.
    assert_eq!(offsets(&h.advance(ms(10_000))), vec![1500, 5500, 9500]);
    h.incoming(ms(10_000), response(&req, 200, Some("b1")), false);
    assert_eq!(h.events().len(), 1);
    // A retransmitted final is absorbed in Completed.
    h.incoming(ms(11_000), response(&req, 200, Some("b1")), false);
    assert!(h.events().is_empty());
    // Timer K = T4 = 5 s.
    assert_eq!(h.layer.poll_timeout(), Some(h.at(ms(15_000))));
    assert!(h.advance(ms(15_000)).is_empty());
    assert_eq!(h.events(), vec![Event::Terminated { txn: id }]);
}

#[test]
fn non_invite_client_reliable_final_terminates_at_once() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = start_client(&mut h, "OPTIONS", true);
    h.incoming(ms(20), response(&req, 404, Some("b1")), true);
    let events = h.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1], Event::Terminated { txn: id });
    assert_eq!(h.layer.poll_timeout(), None);
}

#[test]
fn invite_client_timer_a_and_b() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, _) = start_client(&mut h, "INVITE", false);
    let sent = h.advance(Duration::from_secs(40));
    // Timer A doubles without a cap; Timer B at 32 s.
    assert_eq!(offsets(&sent), vec![500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(
        h.events(),
        vec![Event::Timeout { txn: id }, Event::Terminated { txn: id }]
    );
}

#[test]
fn invite_client_provisional_stops_timers_a_and_b() {
    let mut h = Harness::new(TxnConfig {
        timer_c: None,
        ..TxnConfig::default()
    });
    let (_, req) = start_client(&mut h, "INVITE", false);
    h.incoming(ms(100), response(&req, 100, None), false);
    assert!(h.advance(Duration::from_secs(60)).is_empty());
    assert_eq!(h.layer.poll_timeout(), None);
    assert_eq!(h.layer.counts(), (1, 0));
}

#[test]
fn invite_client_timer_c_asks_for_cancel_then_ends() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = start_client(&mut h, "INVITE", false);
    h.incoming(ms(100), response(&req, 180, None), false);
    // A later provisional restarts Timer C.
    h.incoming(ms(60_000), response(&req, 183, None), false);
    assert_eq!(h.events().len(), 2);
    assert_eq!(h.layer.poll_timeout(), Some(h.at(ms(241_000))));
    assert!(h.advance(ms(241_000)).is_empty());
    assert_eq!(h.events(), vec![Event::Timeout { txn: id }]);
    // Still alive: the 487 after our CANCEL is ACKed and delivered.
    h.incoming(ms(242_000), response(&req, 487, Some("b")), false);
    assert_eq!(h.transmits().len(), 1, "ACK for the 487");
    assert!(
        matches!(h.events().as_slice(), [Event::Response { response, .. }] if response.code() == 487)
    );
    assert!(h.advance(ms(300_000)).is_empty());
    assert_eq!(h.events(), vec![Event::Terminated { txn: id }]);
}

#[test]
fn invite_client_timer_c_then_silence_ends_quietly() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = start_client(&mut h, "INVITE", true);
    h.incoming(ms(100), response(&req, 180, None), true);
    h.events();
    h.advance(ms(181_100));
    assert_eq!(h.events(), vec![Event::Timeout { txn: id }]);
    h.advance(ms(181_100 + 32_000));
    assert_eq!(h.events(), vec![Event::Terminated { txn: id }]);
}

#[test]
fn invite_client_acks_failures_and_absorbs_retransmissions() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = start_client(&mut h, "INVITE", false);
    let busy = response(&req, 486, Some("callee9"));
    h.incoming(ms(300), busy.clone(), false);
    let tx = h.transmits();
    assert_eq!(tx.len(), 1);
    let ack = match parse(&tx[0].bytes) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(ack.method(), &Method::Ack);
    assert_eq!(ack.uri_bytes(), req.uri_bytes());
    assert_eq!(
        ack.headers.cseq().map(|c| (c.seq, c.method)),
        Ok((7, Method::Ack))
    );
    assert_eq!(
        ack.headers.to().ok().as_ref().and_then(|t| t.tag()),
        Some("callee9")
    );
    assert_eq!(
        ack.headers
            .top_via()
            .ok()
            .and_then(|v| v.branch().map(str::to_owned))
            .as_deref(),
        Some("z9hG4bKclient1")
    );
    assert_eq!(ack.headers.routes().map(|r| r.len()), Ok(1));
    assert!(
        matches!(h.events().as_slice(), [Event::Response { response, .. }] if response.code() == 486)
    );
    // Retransmitted 486: ACK again, TU not told.
    h.incoming(ms(1000), busy, false);
    assert_eq!(h.transmits().len(), 1);
    assert!(h.events().is_empty());
    // No more INVITE retransmissions; Timer D = 32 s.
    assert_eq!(h.layer.poll_timeout(), Some(h.at(ms(32_300))));
    assert!(h.advance(ms(40_000)).is_empty());
    assert_eq!(h.events(), vec![Event::Terminated { txn: id }]);
}

#[test]
fn invite_client_reliable_failure_terminates_after_ack() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = start_client(&mut h, "INVITE", true);
    h.incoming(ms(300), response(&req, 603, Some("x")), true);
    assert_eq!(h.transmits().len(), 1, "the ACK");
    let events = h.events();
    assert_eq!(events.last(), Some(&Event::Terminated { txn: id }));
}

#[test]
fn invite_client_accepted_passes_2xx_retransmissions_until_timer_m() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = start_client(&mut h, "INVITE", false);
    let ok = response(&req, 200, Some("b2"));
    assert_eq!(offsets(&h.advance(ms(700))), vec![500]);
    h.incoming(ms(700), ok.clone(), false);
    h.incoming(ms(1200), ok, false);
    let events = h.events();
    assert_eq!(events.len(), 2, "each 2xx reaches the TU, which ACKs it");
    // The 2xx stopped Timer A: no INVITE at 1500 ms; the ACK is the TU's.
    assert!(h.transmits().is_empty());
    assert_eq!(h.layer.poll_timeout(), Some(h.at(ms(700 + 32_000))));
    assert!(h.advance(ms(40_000)).is_empty());
    assert_eq!(h.events(), vec![Event::Terminated { txn: id }]);
}

fn new_server(h: &mut Harness, method: &str, reliable: bool) -> (TxnId, Request) {
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

#[test]
fn invite_server_sends_100_after_200ms_and_replays_it() {
    let mut h = Harness::new(TxnConfig::default());
    let (_, req) = new_server(&mut h, "INVITE", false);
    assert!(h.transmits().is_empty());
    let sent = h.advance(ms(250));
    assert_eq!(offsets(&sent), vec![200]);
    assert_eq!(first_line(&sent[0].1), "SIP/2.0 100 Trying");
    // A retransmitted INVITE is absorbed and gets the 100 again.
    h.incoming(ms(500), req, false);
    assert!(h.events().is_empty());
    let tx = h.transmits();
    assert_eq!(tx.len(), 1);
    assert_eq!(first_line(&tx[0]), "SIP/2.0 100 Trying");
}

#[test]
fn invite_server_skips_100_when_the_tu_is_quick_or_sends_it_at_once() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = new_server(&mut h, "INVITE", false);
    let ringing = response(&req, 180, Some("s1"));
    h.layer
        .send_response(h.at(ms(50)), id, &ringing)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.transmits().len(), 1);
    assert!(h.advance(ms(1000)).is_empty(), "no 100 after a 180");

    let mut h = Harness::new(TxnConfig {
        trying_delay: Some(Duration::ZERO),
        ..TxnConfig::default()
    });
    new_server(&mut h, "INVITE", true);
    let tx = h.transmits();
    assert_eq!(tx.len(), 1);
    assert_eq!(first_line(&tx[0]), "SIP/2.0 100 Trying");
    let mut h = Harness::new(TxnConfig {
        trying_delay: None,
        ..TxnConfig::default()
    });
    new_server(&mut h, "INVITE", false);
    assert!(h.advance(ms(5000)).is_empty());
}

#[test]
fn invite_server_timer_g_h_on_failure_without_ack() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = new_server(&mut h, "INVITE", false);
    h.layer
        .send_response(h.at(ms(100)), id, &response(&req, 486, Some("s1")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.transmits().len(), 1);
    let sent = h.advance(ms(40_000));
    // Timer G from 100 ms: +500, +1000, +2000, +4000 (capped at T2)...; H at 32.1 s.
    assert_eq!(
        offsets(&sent),
        vec![
            600, 1600, 3600, 7600, 11600, 15600, 19600, 23600, 27600, 31600
        ]
    );
    assert!(
        sent.iter()
            .all(|(_, t)| first_line(t) == "SIP/2.0 486 Whatever")
    );
    assert_eq!(
        h.events(),
        vec![Event::Timeout { txn: id }, Event::Terminated { txn: id }]
    );
}

#[test]
fn invite_server_ack_confirms_then_timer_i() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = new_server(&mut h, "INVITE", false);
    let busy = response(&req, 486, Some("s1"));
    h.layer
        .send_response(h.at(ms(100)), id, &busy)
        .unwrap_or_else(|e| panic!("{e}"));
    h.transmits();
    // INVITE retransmission in Completed replays the 486.
    h.incoming(ms(300), req.clone(), false);
    assert_eq!(h.transmits().len(), 1);
    // The ACK (same branch) confirms: no event, G and H stop.
    let mut ack = request("ACK", "z9hG4bKserver1");
    ack.headers.set("CSeq", "7 ACK");
    h.incoming(ms(400), ack.clone(), false);
    assert!(h.events().is_empty());
    assert_eq!(h.layer.poll_timeout(), Some(h.at(ms(5400))), "Timer I = T4");
    h.incoming(ms(500), ack, false);
    assert!(h.transmits().is_empty(), "ACK retransmissions absorbed");
    assert!(h.advance(ms(10_000)).is_empty());
    assert_eq!(h.events(), vec![Event::Terminated { txn: id }]);
    // A late response is refused: the transaction is gone.
    assert_eq!(
        h.layer.send_response(h.now, id, &busy),
        Err(TxnError::UnknownTransaction)
    );
}

#[test]
fn invite_server_reliable_failure_has_no_timer_g_and_ack_ends_it() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = new_server(&mut h, "INVITE", true);
    h.layer
        .send_response(h.at(ms(10)), id, &response(&req, 480, Some("s1")))
        .unwrap_or_else(|e| panic!("{e}"));
    h.transmits();
    assert_eq!(
        h.layer.poll_timeout(),
        Some(h.at(ms(32_010))),
        "only Timer H"
    );
    let mut ack = request("ACK", "z9hG4bKserver1");
    ack.headers.set("CSeq", "7 ACK");
    h.incoming(ms(50), ack, true);
    assert_eq!(
        h.events(),
        vec![Event::Terminated { txn: id }],
        "Timer I = 0"
    );
}

#[test]
fn invite_server_2xx_accepted_absorbs_retransmissions_until_timer_l() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = new_server(&mut h, "INVITE", false);
    let ok = response(&req, 200, Some("s1"));
    h.layer
        .send_response(h.at(ms(100)), id, &ok)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.transmits().len(), 1);
    h.incoming(ms(600), req, false);
    assert!(h.transmits().is_empty() && h.events().is_empty());
    // The TU retransmits its 2xx through the transaction.
    h.layer
        .send_response(h.at(ms(600)), id, &ok)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.transmits().len(), 1);
    // The ACK for the 2xx has its own branch: it goes to the TU.
    let mut ack = request("ACK", "z9hG4bKack2xx");
    ack.headers.set("CSeq", "7 ACK");
    h.incoming(ms(700), ack, false);
    assert!(matches!(h.events().as_slice(), [Event::Ack { .. }]));
    assert_eq!(
        h.layer.send_response(
            h.at(ms(800)),
            id,
            &response(&request("INVITE", "z9hG4bKserver1"), 500, None)
        ),
        Err(TxnError::InvalidState("INVITE already accepted"))
    );
    assert!(h.advance(ms(40_000)).is_empty());
    assert_eq!(h.events(), vec![Event::Terminated { txn: id }]);
}

#[test]
fn non_invite_server_absorbs_replays_and_timer_j() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = new_server(&mut h, "REGISTER", false);
    // Trying: retransmission absorbed silently.
    h.incoming(ms(500), req.clone(), false);
    assert!(h.transmits().is_empty() && h.events().is_empty());
    h.layer
        .send_response(h.at(ms(600)), id, &response(&req, 100, None))
        .unwrap_or_else(|e| panic!("{e}"));
    h.transmits();
    h.incoming(ms(700), req.clone(), false);
    assert_eq!(
        h.transmits().iter().map(first_line).collect::<Vec<_>>(),
        vec!["SIP/2.0 100 Whatever"]
    );
    h.layer
        .send_response(h.at(ms(800)), id, &response(&req, 200, Some("r1")))
        .unwrap_or_else(|e| panic!("{e}"));
    h.transmits();
    h.incoming(ms(900), req.clone(), false);
    assert_eq!(
        h.transmits().iter().map(first_line).collect::<Vec<_>>(),
        vec!["SIP/2.0 200 Whatever"]
    );
    assert_eq!(
        h.layer
            .send_response(h.at(ms(900)), id, &response(&req, 500, None)),
        Err(TxnError::InvalidState("final response already sent"))
    );
    // Timer J = 64·T1 over UDP.
    assert_eq!(h.layer.poll_timeout(), Some(h.at(ms(32_800))));
    assert!(h.advance(ms(40_000)).is_empty());
    assert_eq!(h.events(), vec![Event::Terminated { txn: id }]);
}

#[test]
fn non_invite_server_reliable_terminates_on_final() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = new_server(&mut h, "OPTIONS", true);
    h.layer
        .send_response(h.at(ms(5)), id, &response(&req, 200, Some("r1")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.events(), vec![Event::Terminated { txn: id }]);
    // The same request again is a new transaction now (Timer J = 0).
    h.incoming(ms(10), req, true);
    assert!(matches!(h.events().as_slice(), [Event::Request { .. }]));
}

#[test]
fn custom_timers_scale_every_schedule() {
    let mut h = Harness::new(TxnConfig {
        t1: ms(100),
        t2: ms(400),
        t4: ms(1000),
        timer_d: ms(6400),
        trying_delay: Some(ms(200)),
        timer_c: None,
    });
    let (id, _) = start_client(&mut h, "MESSAGE", false);
    let sent = h.advance(ms(7000));
    assert_eq!(
        offsets(&sent),
        vec![
            100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500,
            5900, 6300
        ]
    );
    assert_eq!(
        h.events(),
        vec![Event::Timeout { txn: id }, Event::Terminated { txn: id }]
    );
}

#[test]
fn cancel_is_its_own_transaction_and_finds_its_invite() {
    let mut h = Harness::new(TxnConfig::default());
    let (invite_id, _) = new_server(&mut h, "INVITE", false);
    let cancel = request("CANCEL", "z9hG4bKserver1");
    h.incoming(ms(10), cancel.clone(), false);
    let cancel_id = match h.events().as_slice() {
        [Event::Request { txn, .. }] => *txn,
        other => panic!("{other:?}"),
    };
    assert_ne!(cancel_id, invite_id);
    assert_eq!(h.layer.find_cancel_target(&cancel), Some(invite_id));
    assert_eq!(
        h.layer
            .find_cancel_target(&request("CANCEL", "z9hG4bKother")),
        None
    );
    assert_eq!(h.layer.counts(), (0, 2));
}

#[test]
fn rfc2543_branches_match_by_the_old_rules() {
    let mut h = Harness::new(TxnConfig::default());
    let old = request("OPTIONS", "390skdjuw");
    h.incoming(ms(0), old.clone(), false);
    let id = match h.events().as_slice() {
        [Event::Request { txn, .. }] => *txn,
        other => panic!("{other:?}"),
    };
    h.incoming(ms(400), old.clone(), false);
    assert!(h.events().is_empty(), "retransmission absorbed");
    let mut other = old.clone();
    other.headers.set("CSeq", "8 OPTIONS");
    h.incoming(ms(500), other, false);
    assert!(matches!(h.events().as_slice(), [Event::Request { txn, .. }] if *txn != id));
    // The RFC 4475 `badbranch` branch is just the cookie: also RFC 2543.
    let bare = request("OPTIONS", "z9hG4bK");
    assert_eq!(
        h.layer.send_request(h.now, bare, PEER, false),
        Err(TxnError::NotRfc3261Branch)
    );
}

#[test]
fn stray_responses_duplicates_acks_and_transport_errors() {
    let mut h = Harness::new(TxnConfig::default());
    let (id, req) = start_client(&mut h, "OPTIONS", false);
    assert_eq!(
        h.layer.send_request(h.now, req.clone(), PEER, false),
        Err(TxnError::Duplicate)
    );
    assert_eq!(
        h.layer
            .send_request(h.now, request("ACK", "z9hG4bKa"), PEER, false),
        Err(TxnError::AckIsNotATransaction)
    );
    let stray = response(&request("OPTIONS", "z9hG4bKunknown"), 200, Some("x"));
    h.incoming(ms(10), stray, false);
    assert!(matches!(
        h.events().as_slice(),
        [Event::StrayResponse { .. }]
    ));
    // A response with the right branch but another method does not match.
    let mut wrong = response(&req, 200, Some("x"));
    wrong.headers.set("CSeq", "7 INVITE");
    h.incoming(ms(20), wrong, false);
    assert!(matches!(
        h.events().as_slice(),
        [Event::StrayResponse { .. }]
    ));
    h.layer.handle_transport_error(id);
    assert_eq!(
        h.events(),
        vec![
            Event::TransportError { txn: id },
            Event::Terminated { txn: id }
        ]
    );
    assert_eq!(h.layer.poll_timeout(), None);
    assert!(h.advance(ms(60_000)).is_empty());
}

#[test]
fn rfc2543_ack_for_2xx_reaches_the_tu() {
    let mut h = Harness::new(TxnConfig::default());
    let invite = request("INVITE", "oldstyle1");
    h.incoming(ms(0), invite.clone(), false);
    let id = match h.events().as_slice() {
        [Event::Request { txn, .. }] => *txn,
        other => panic!("{other:?}"),
    };
    h.layer
        .send_response(h.at(ms(10)), id, &response(&invite, 200, Some("s9")))
        .unwrap_or_else(|e| panic!("{e}"));
    // The old-style ACK carries the same key as the INVITE (To tag aside).
    let mut ack = request("ACK", "oldstyle1");
    ack.headers.set("CSeq", "7 ACK");
    ack.headers.set("To", "<sip:bob@example.com>;tag=s9");
    h.incoming(ms(20), ack, false);
    assert!(matches!(h.events().as_slice(), [Event::Ack { .. }]));
    // A retransmitted INVITE is still absorbed.
    h.incoming(ms(30), invite, false);
    assert!(h.events().is_empty());
}
