//! RFC 3261 §17.1 client transactions on a virtual clock: every timer and
//! retransmission schedule over unreliable and reliable transports.

mod common;

use std::time::Duration;

use common::txn_harness::*;
use sbcctl_sip::{Event, Message, Method, TxnConfig, parse};

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
