//! RFC 3261 §17.2 server transactions and §17.1.3/§17.2.3 matching on a
//! virtual clock.

mod common;

use std::time::Duration;

use common::txn_harness::*;
use sbcctl_sip::{Event, TxnConfig, TxnError};

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
