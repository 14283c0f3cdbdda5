//! How calls end: SBC termination, abandon, lost legs, and relayed requests caught by it.

mod common;

use common::{Net, header, invite, resp_to, routing};
use sbcctl_b2bua::{Classified, EndCause, Side};
use sbcctl_sip::Message;

#[test]
fn terminate_before_the_answer_cancels_b_and_answers_a() {
    let mut net = Net::start(&invite(), routing());
    let inv = net.seen.b_invite(0);
    net.b_answers(0, resp_to(&inv, 180, "btag-0", true, ""));
    let out = net
        .calls
        .terminate(net.now, net.id, 488, "Not Acceptable Here");
    net.seen.take(out);
    assert_eq!(net.seen.a_codes(), vec![100, 180, 488]);
    assert_eq!(net.seen.b_methods().last(), Some(&(0, "CANCEL".into())));
    assert_eq!(net.seen.ended(), vec![EndCause::Terminated(488)]);
    // A second terminate is a no-op; the call goes with B's 487.
    let again = net.calls.terminate(net.now, net.id, 500, "x");
    assert!(again.is_empty());
    net.b_answers(0, resp_to(&inv, 487, "btag-0", false, ""));
    assert!(net.calls.is_empty());
    assert_eq!(net.seen.ended().len(), 1);
    net.seen.assert_no_leaks();
}

#[test]
fn terminate_after_the_answer_byes_both_legs() {
    let mut net = Net::start(&invite(), routing());
    net.answer(0, "btag-0", "v=0\n");
    let out = net.calls.terminate(net.now, net.id, 408, "Media Timeout");
    net.seen.take(out);
    assert!(net.seen.a.last().is_some_and(|m| m.starts_with("BYE ")));
    let (target, bye) = net.seen.last_b("BYE");
    assert_eq!(target, 0);
    assert!(header(&bye.headers, "To").is_some_and(|t| t.contains("btag-0")));
    assert_eq!(net.seen.ended(), vec![EndCause::Terminated(408)]);
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();
}

#[test]
fn abandon_forgets_the_call_silently() {
    let mut net = Net::start(&invite(), routing());
    let inv = net.seen.b_invite(0);
    net.calls.abandon(net.id);
    assert!(net.calls.is_empty());
    assert_eq!(net.calls.poll_timeout(), None);
    let ringing = Message::Response(resp_to(&inv, 180, "btag-0", true, ""));
    assert_eq!(net.calls.classify(&ringing), Classified::Unknown);
    assert!(
        net.calls
            .handle(net.now, net.id, Side::B, 0, &ringing)
            .is_empty()
    );
    assert!(net.calls.terminate(net.now, net.id, 500, "x").is_empty());
}

#[test]
fn a_relayed_request_gets_408_when_its_leg_dies() {
    let mut net = Net::start(&invite(), routing());
    net.answer(0, "btag-0", "v=0\n");
    let info = net.a_request("INFO", 11, "", "");
    net.a_sends(info);
    assert_eq!(net.seen.b_methods().last(), Some(&(0, "INFO".into())));
    net.lost(Side::B, 0);
    let codes = net.seen.a_codes();
    assert_eq!(codes.last(), Some(&408));
    let r = net.seen.a_responses.last().cloned().expect("408");
    assert_eq!(header(&r.headers, "CSeq").as_deref(), Some("11 INFO"));
    assert!(
        net.seen.a.last().is_some_and(|m| m.starts_with("BYE ")),
        "then BYE"
    );
    assert_eq!(net.seen.ended(), vec![EndCause::LegLost(Side::B)]);
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();
}

#[test]
fn a_bye_answers_requests_still_relayed_with_487() {
    let mut net = Net::start(&invite(), routing());
    net.answer(0, "btag-0", "v=0\n");
    let info = net.b_request(0, "btag-0", "INFO", 3, "");
    net.b_sends(0, info);
    assert_eq!(
        net.seen
            .a_requests
            .last()
            .map(|r| r.method().as_str().to_owned()),
        Some("INFO".into())
    );
    let bye = net.a_request("BYE", 11, "", "");
    net.a_sends(bye);
    let codes: Vec<(u16, String)> = net
        .seen
        .b_responses
        .iter()
        .map(|r| (r.code(), header(&r.headers, "CSeq").unwrap_or_default()))
        .collect();
    assert_eq!(codes, vec![(487, "3 INFO".to_owned())]);
    assert_eq!(net.seen.b_methods().last(), Some(&(0, "BYE".into())));
    net.seen.assert_no_leaks();
}

#[test]
fn caller_leg_lost_while_b_rings_cancels_b() {
    let mut net = Net::start(&invite(), routing());
    let inv = net.seen.b_invite(0);
    net.b_answers(0, resp_to(&inv, 180, "btag-0", true, ""));
    net.lost(Side::A, 0);
    assert_eq!(net.seen.b_methods().last(), Some(&(0, "CANCEL".into())));
    assert_eq!(net.seen.ended(), vec![EndCause::LegLost(Side::A)]);
    net.b_answers(0, resp_to(&inv, 487, "btag-0", false, ""));
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();
}

#[test]
fn an_early_fork_lost_is_cancelled_and_counts_as_408() {
    let mut net = Net::start(&invite(), routing());
    let inv = net.seen.b_invite(0);
    net.b_answers(0, resp_to(&inv, 183, "btag-0", true, "v=early\n"));
    // E.g. the PRACK or UPDATE towards it timed out: end its INVITE too.
    net.lost(Side::B, 0);
    assert_eq!(net.seen.b_methods().last(), Some(&(0, "CANCEL".into())));
    // It rang, so no failover to the second proxy: the caller gets 408.
    assert_eq!(net.seen.a_codes(), vec![100, 183, 408]);
    assert_eq!(net.seen.ended(), vec![EndCause::Failed(408)]);
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();
}

#[test]
fn cancel_of_a_relayed_reinvite_cancels_the_copy() {
    let mut net = Net::start(&invite(), routing());
    net.answer(0, "btag-0", "v=0\n");
    let reinvite = net.a_request(
        "INVITE",
        11,
        "Contact: <sip:alice@192.0.2.50:5062>\nContent-Type: application/sdp\n",
        "v=1\n",
    );
    net.a_sends(reinvite);
    let (_, fwd) = net.seen.last_b("INVITE");
    let cancel = net.a_request("CANCEL", 11, "", "");
    net.a_sends(cancel);
    assert_eq!(net.seen.a_codes().last(), Some(&200), "CANCEL answered");
    let (target, c) = net.seen.last_b("CANCEL");
    assert_eq!(target, 0);
    assert_eq!(header(&c.headers, "Via"), header(&fwd.headers, "Via"));
    assert_eq!(c.uri_bytes(), fwd.uri_bytes());
    let cseq = header(&fwd.headers, "CSeq")
        .expect("CSeq")
        .replace("INVITE", "CANCEL");
    assert_eq!(header(&c.headers, "CSeq"), Some(cseq));
    // B's 487 to the copy reaches A's re-INVITE.
    net.b_answers(0, resp_to(&fwd, 487, "btag-0", false, ""));
    let r = net.seen.a_responses.last().cloned().expect("487");
    assert_eq!(
        (r.code(), header(&r.headers, "CSeq")),
        (487, Some("11 INVITE".to_owned()))
    );
    assert!(net.seen.ended().is_empty(), "the call stays up");
    net.seen.assert_no_leaks();
}
