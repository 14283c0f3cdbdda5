//! One target, one answer: the basic flows, with a leak check over every message.

mod common;

use std::time::{Duration, Instant};

use common::{Net, header, invite, resp_to, routing};
use sbcctl_b2bua::{Calls, Classified, EndCause, Output, Side};
use sbcctl_sip::{Message, Response};

/// Rings and answers target 0, checking what A sees on the way.
fn answered_call() -> Net {
    let inv = invite();
    let calls = Calls::new(common::counter());
    assert_eq!(
        calls.classify(&Message::Request(inv.clone())),
        Classified::NewCall
    );
    let mut net = Net::start(&inv, routing());
    let b_inv = net.seen.b_invite(0);
    assert_eq!(b_inv.headers.max_forwards().ok().flatten(), Some(69));
    let ringing = Message::Response(resp_to(&b_inv, 180, "btag222", true, ""));
    assert_eq!(
        net.calls.classify(&ringing),
        Classified::InCall(net.id, Side::B)
    );
    net.b_answers(0, resp_to(&b_inv, 180, "btag222", true, ""));
    net.now += Duration::from_secs(2);
    net.b_answers(0, resp_to(&b_inv, 200, "btag222", true, "v=0\r\n"));
    assert_eq!(net.seen.a_codes(), vec![100, 180, 200]);
    assert_eq!(net.seen.a_responses[2].body().as_ref(), b"v=0\r\n");
    assert_eq!(net.seen.answered(), 1);
    net
}

#[test]
fn basic_call_caller_hangs_up_without_leaks() {
    let mut net = answered_call();
    let ack = net.a_request("ACK", 10, "", "");
    net.a_sends(ack);
    // INFO relayed and answered back.
    let info = net.a_request("INFO", 11, "", "");
    net.a_sends(info);
    let (_, info) = net.seen.last_b("INFO");
    net.b_answers(0, resp_to(&info, 200, "btag222", false, ""));
    assert_eq!(net.seen.a_codes().last(), Some(&200));
    // REFER (transfer) is refused with 501 on its own leg; nothing reaches B.
    let b_before = net.seen.b_requests.len();
    let refer = net.a_request("REFER", 12, "", "");
    net.a_sends(refer);
    assert_eq!(net.seen.a_codes().last(), Some(&501));
    assert_eq!(net.seen.b_requests.len(), b_before, "REFER is not relayed");
    let bye = net.a_request("BYE", 13, "", "");
    net.a_sends(bye);
    assert_eq!(net.seen.b_methods().last(), Some(&(0, "BYE".into())));
    assert_eq!(net.seen.ended(), vec![EndCause::HangUp(Side::A)]);
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();
}

#[test]
fn callee_hangs_up() {
    let mut net = answered_call();
    let bye = net.b_request(0, "btag222", "BYE", 1, "");
    let m = Message::Request(bye.clone());
    assert_eq!(net.calls.classify(&m), Classified::InCall(net.id, Side::B));
    net.b_sends(0, bye);
    assert_eq!(net.seen.b_responses.last().map(Response::code), Some(200));
    assert!(net.seen.a.last().is_some_and(|m| m.starts_with("BYE ")));
    assert_eq!(net.seen.ended(), vec![EndCause::HangUp(Side::B)]);
    net.seen.assert_no_leaks();
}

#[test]
fn busy_is_relayed_and_cancel_gives_487() {
    let mut net = Net::start(&invite(), routing());
    let b_inv = net.seen.b_invite(0);
    net.b_answers(0, resp_to(&b_inv, 486, "btag222", false, ""));
    assert_eq!(net.seen.a_codes(), vec![100, 486]);
    assert!(net.calls.is_empty());

    let mut net = Net::start(&invite(), routing());
    let cancel = net.a_request("CANCEL", 10, "", "");
    net.a_sends(cancel);
    assert_eq!(net.seen.a_codes(), vec![100, 200, 487]);
    // RFC 3261 §9.1: no CANCEL before B sent any response; its 100 releases it.
    assert_eq!(net.seen.b_requests.len(), 1, "CANCEL held until B answers");
    let b_inv = net.seen.b_invite(0);
    net.b_answers(0, resp_to(&b_inv, 100, "", false, ""));
    assert_eq!(net.seen.b_methods().last(), Some(&(0, "CANCEL".into())));
    // While the call waits for B's 487, B's leg dying must not report the end twice.
    net.lost(Side::B, 0);
    assert_eq!(
        net.seen.ended(),
        vec![EndCause::Cancelled],
        "one Ended per call"
    );
    net.b_answers(0, resp_to(&b_inv, 487, "btag222", false, ""));
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();
}

#[test]
fn max_forwards_zero_is_483_and_timeout_is_408() {
    let mut calls = Calls::new(common::counter());
    let mut inv = invite();
    inv.headers.set("Max-Forwards", "0");
    let err = calls
        .start(Instant::now(), &inv, routing())
        .err()
        .map(|r| r.code);
    assert_eq!(err, Some(483));
    let mut empty = routing();
    empty.targets.clear();
    let err = calls
        .start(Instant::now(), &invite(), empty)
        .err()
        .map(|r| r.code);
    assert_eq!(err, Some(480));
    assert!(calls.is_empty());

    let mut net = Net::start(&invite(), routing());
    // First proxy dead: fail over to the second, which times out too.
    net.now += Duration::from_secs(32);
    net.lost(Side::B, 0);
    let (target, second) = net.seen.last_b("INVITE");
    assert_eq!(target, 1);
    assert_eq!(second.uri_bytes().as_ref(), b"sip:+15551234@10.9.9.8:5060");
    assert!(!net.calls.is_empty());
    net.now += Duration::from_secs(32);
    net.lost(Side::B, 1);
    assert_eq!(net.seen.a_codes().last(), Some(&408));
    assert!(net.calls.is_empty());
}

#[test]
fn outbound_invite_snapshot() {
    let mut calls = Calls::new(common::counter());
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
    let mut net = answered_call();
    let hold = net.b_request(0, "btag222", "INVITE", 7, "a=sendonly\n");
    net.b_sends(0, hold);
    let to_a = net.seen.a.last().cloned().expect("re-INVITE on A");
    assert!(
        to_a.starts_with("INVITE sip:alice@192.0.2.50:5062 "),
        "{to_a}"
    );
    assert!(to_a.ends_with("a=sendonly\r\n"));
    assert!(
        to_a.contains("CSeq: 1 INVITE"),
        "own CSeq space on A: {to_a}"
    );
    let reinv = net.seen.a_requests.last().cloned().expect("re-INVITE");
    let mut ok = Response::for_request(&reinv, 200, "OK");
    ok.headers.append("Content-Type", "application/sdp");
    ok.set_body("a=recvonly\r\n");
    net.a_answers(ok);
    assert!(
        net.seen.a.last().is_some_and(|m| m.starts_with("ACK ")),
        "SBC ACKs A's 2xx"
    );
    let to_b = net.seen.b_responses.last().cloned().expect("200 on B");
    assert_eq!(to_b.code(), 200);
    assert_eq!(to_b.body().as_ref(), b"a=recvonly\r\n");
    assert_eq!(header(&to_b.headers, "CSeq").as_deref(), Some("7 INVITE"));
    net.seen.assert_no_leaks();
}
