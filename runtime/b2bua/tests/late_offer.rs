//! Offerless INVITE: the callee's 2xx carries the offer, the caller's ACK the answer.

mod common;

use std::time::Duration;

use common::{Net, header, invite_with, resp_to, routing};
use sbcctl_b2bua::{EndCause, Side};

#[test]
fn the_answer_travels_in_the_acks() {
    let mut net = Net::start(&invite_with("", ""), routing());
    let inv = net.seen.b_invite(0);
    assert!(inv.body().is_empty(), "offerless INVITE on B");
    assert_eq!(header(&inv.headers, "Content-Type"), None);
    net.b_answers(0, resp_to(&inv, 180, "btag-0", true, ""));
    net.b_answers(0, resp_to(&inv, 200, "btag-0", true, "v=offer\n"));
    let ok = net.seen.a_responses.last().cloned().expect("200");
    assert_eq!(ok.body().as_ref(), b"v=offer\n");
    assert_eq!(
        header(&ok.headers, "Content-Type").as_deref(),
        Some("application/sdp")
    );
    // B is not ACKed until the answer arrives; a retransmitted 2xx meanwhile gets nothing.
    assert!(net.seen.b_methods().iter().all(|(_, m)| m != "ACK"));
    net.b_answers(0, resp_to(&inv, 200, "btag-0", true, "v=offer\n"));
    assert!(net.seen.b_methods().iter().all(|(_, m)| m != "ACK"));

    let ack = net.a_request("ACK", 10, "Content-Type: application/sdp\n", "v=answer\n");
    net.a_sends(ack);
    let (target, b_ack) = net.seen.last_b("ACK");
    assert_eq!(target, 0);
    assert_eq!(b_ack.body().as_ref(), b"v=answer\r\n");
    assert_eq!(header(&b_ack.headers, "CSeq").as_deref(), Some("1 ACK"));
    assert_eq!(
        header(&b_ack.headers, "Content-Type").as_deref(),
        Some("application/sdp")
    );
    assert_eq!(b_ack.uri_bytes().as_ref(), b"sip:bob@10.9.9.99:5070");
    // Now a retransmitted 2xx gets that same ACK again.
    net.b_answers(0, resp_to(&inv, 200, "btag-0", true, "v=offer\n"));
    let (_, again) = net.seen.last_b("ACK");
    assert_eq!(again, b_ack);
    assert_eq!(net.calls.poll_timeout(), None);
    assert!(net.seen.ended().is_empty());
    net.seen.assert_no_leaks();
}

#[test]
fn no_ack_from_the_caller_ends_the_call() {
    let mut net = Net::start(&invite_with("", ""), routing());
    net.answer(0, "btag-0", "v=offer\n");
    net.advance(Duration::from_secs(31));
    assert!(net.seen.ended().is_empty());
    net.advance(Duration::from_secs(1));
    assert_eq!(net.seen.ended(), vec![EndCause::LegLost(Side::A)]);
    assert_eq!(
        net.seen.b_methods().last().map(|(_, m)| m.as_str()),
        Some("BYE")
    );
    assert!(net.seen.a.last().is_some_and(|m| m.starts_with("BYE ")));
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();
}

#[test]
fn offerless_reinvite_from_the_callee_waits_for_the_callers_ack() {
    let mut net = Net::start(&invite_with("", "v=0\n"), routing());
    net.answer(0, "btag-0", "v=0\n");
    let reinvite = net.b_request(0, "btag-0", "INVITE", 7, "");
    net.b_sends(0, reinvite);
    let to_a = net.seen.a_requests.last().cloned().expect("re-INVITE on A");
    assert!(to_a.body().is_empty());
    let mut ok = sbcctl_sip::Response::for_request(&to_a, 200, "OK");
    ok.headers.append("Content-Type", "application/sdp");
    ok.set_body("v=offer2\r\n");
    net.a_answers(ok);
    let to_b = net.seen.b_responses.last().cloned().expect("200 on B");
    assert_eq!(to_b.body().as_ref(), b"v=offer2\r\n");
    assert!(
        net.seen
            .a_requests
            .iter()
            .all(|r| r.method().as_str() != "ACK"),
        "A's 2xx waits for B's ACK"
    );
    let ack = net.b_request(0, "btag-0", "ACK", 7, "v=answer2\n");
    net.b_sends(0, ack);
    let a_ack = net.seen.a_requests.last().cloned().expect("ACK on A");
    assert_eq!(a_ack.method().as_str(), "ACK");
    assert_eq!(a_ack.body().as_ref(), b"v=answer2\r\n");
    net.seen.assert_no_leaks();
}
