//! Parallel forking, best-response choice, serial failover and loop detection.

mod common;

use std::time::Duration;

use common::{Net, forking, header, invite, resp_to, routing};
use sbcctl_b2bua::{Calls, Classified, EndCause, Side};
use sbcctl_sip::Message;

#[test]
fn first_2xx_wins_others_are_cancelled_and_a_late_2xx_is_acked_and_byed() {
    let mut net = Net::start(&invite(), forking(2));
    let (inv0, inv1) = (net.seen.b_invite(0), net.seen.b_invite(1));
    // One INVITE per fork: same B Call-ID and From, own branch, own Request-URI.
    assert_eq!(
        net.seen.b_methods(),
        vec![(0, "INVITE".into()), (1, "INVITE".into())]
    );
    assert_eq!(inv0.headers.call_id().ok(), inv1.headers.call_id().ok());
    assert_eq!(header(&inv0.headers, "From"), header(&inv1.headers, "From"));
    assert_ne!(header(&inv0.headers, "Via"), header(&inv1.headers, "Via"));
    assert_eq!(inv1.uri_bytes().as_ref(), b"sip:bob@10.9.8.1:5070");

    // Provisionals of both forks reach A in A's one dialog.
    net.b_answers(0, resp_to(&inv0, 180, "btag-f0", true, ""));
    net.b_answers(1, resp_to(&inv1, 183, "btag-f1", true, "v=early\n"));
    assert_eq!(net.seen.a_codes(), vec![100, 180, 183]);
    let tags: Vec<_> = net.seen.a_responses[1..]
        .iter()
        .map(|r| r.headers.to().ok().and_then(|t| t.tag().map(str::to_owned)))
        .collect();
    assert_eq!(tags[0], tags[1], "one A dialog whatever the fork");

    // Fork 1 answers: ACK to it, 200 to A, CANCEL to fork 0.
    net.b_answers(1, resp_to(&inv1, 200, "btag-f1", true, "v=answer\n"));
    assert_eq!(net.seen.a_codes(), vec![100, 180, 183, 200]);
    assert_eq!(net.seen.answered(), 1);
    let methods = net.seen.b_methods();
    assert_eq!(&methods[2..], &[(1, "ACK".into()), (0, "CANCEL".into())]);
    let (_, cancel) = net.seen.last_b("CANCEL");
    assert_eq!(
        cancel.uri_bytes(),
        inv0.uri_bytes(),
        "CANCEL R-URI is the INVITE's"
    );
    assert_eq!(header(&cancel.headers, "Via"), header(&inv0.headers, "Via"));
    assert_eq!(header(&cancel.headers, "CSeq").as_deref(), Some("1 CANCEL"));

    // Fork 0 answered anyway (crossed with the CANCEL): ACK and BYE it; A sees nothing.
    let a_before = net.seen.a.len();
    net.b_answers(0, resp_to(&inv0, 200, "btag-f0", true, "v=late\n"));
    assert_eq!(
        &net.seen.b_methods()[4..],
        &[(0, "ACK".into()), (0, "BYE".into())]
    );
    let (_, bye) = net.seen.last_b("BYE");
    assert!(header(&bye.headers, "To").is_some_and(|t| t.contains("btag-f0")));
    // Its retransmission gets the ACK again, not a second BYE.
    net.b_answers(0, resp_to(&inv0, 200, "btag-f0", true, "v=late\n"));
    assert_eq!(net.seen.b_methods().last(), Some(&(0, "ACK".into())));
    // The winner's retransmitted 2xx gets its ACK again.
    net.b_answers(1, resp_to(&inv1, 200, "btag-f1", true, "v=answer\n"));
    assert_eq!(net.seen.b_methods().last(), Some(&(1, "ACK".into())));
    assert_eq!(
        net.seen.a.len(),
        a_before,
        "nothing of the losing fork reaches A"
    );

    // A BYE from the losing fork's dialog does not end the call.
    let stray = net.b_request(0, "btag-f0", "BYE", 5, "");
    net.b_sends(0, stray);
    assert_eq!(net.seen.b_responses.last().map(|r| r.code()), Some(481));
    assert!(net.seen.ended().is_empty());

    // The caller hangs up: BYE goes to the winner only.
    let bye = net.a_request("BYE", 11, "", "");
    net.a_sends(bye);
    assert_eq!(net.seen.b_methods().last(), Some(&(1, "BYE".into())));
    assert_eq!(net.seen.ended(), vec![EndCause::HangUp(Side::A)]);
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();
}

#[test]
fn when_every_fork_fails_the_best_response_is_relayed() {
    // Lost fork (408), 486 and 503: busy is the most telling 4xx.
    let mut net = Net::start(&invite(), forking(3));
    net.lost(Side::B, 0);
    assert_eq!(net.seen.a_codes(), vec![100], "other forks still run");
    let inv2 = net.seen.b_invite(2);
    net.b_answers(2, resp_to(&inv2, 503, "btag-2", false, ""));
    let inv1 = net.seen.b_invite(1);
    net.b_answers(1, resp_to(&inv1, 486, "btag-1", false, ""));
    assert_eq!(net.seen.a_codes(), vec![100, 486]);
    assert_eq!(net.seen.ended(), vec![EndCause::Failed(486)]);
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();

    // 404 beats 500 (lower class), whatever the order.
    for order in [[0, 1], [1, 0]] {
        let mut net = Net::start(&invite(), forking(2));
        let codes = [404, 500];
        for i in order {
            let inv = net.seen.b_invite(i);
            net.b_answers(i, resp_to(&inv, codes[i], "btag-x", false, ""));
        }
        assert_eq!(net.seen.a_codes(), vec![100, 404], "order {order:?}");
    }

    // A 6xx ends the search at once: the ringing fork is cancelled.
    let mut net = Net::start(&invite(), forking(2));
    let (inv0, inv1) = (net.seen.b_invite(0), net.seen.b_invite(1));
    net.b_answers(0, resp_to(&inv0, 180, "btag-0", true, ""));
    net.b_answers(1, resp_to(&inv1, 603, "btag-1", false, ""));
    assert_eq!(net.seen.a_codes(), vec![100, 180, 603]);
    assert_eq!(net.seen.b_methods().last(), Some(&(0, "CANCEL".into())));
    assert!(
        !net.calls.is_empty(),
        "kept until the cancelled fork's final"
    );
    net.b_answers(0, resp_to(&inv0, 487, "btag-0", false, ""));
    assert!(net.calls.is_empty());
    assert_eq!(net.seen.ended(), vec![EndCause::Failed(603)]);
    net.seen.assert_no_leaks();
}

#[test]
fn serial_failover_on_listed_codes_until_a_target_rings() {
    let mut r = routing();
    r.failover_on = vec![404];
    let mut net = Net::start(&invite(), r.clone());
    let inv0 = net.seen.b_invite(0);
    net.b_answers(0, resp_to(&inv0, 404, "btag-0", false, ""));
    // Next target, same B dialog identity, new CSeq and branch.
    let inv1 = net.seen.b_invite(1);
    assert_eq!(inv1.uri_bytes().as_ref(), b"sip:+15551234@10.9.9.8:5060");
    assert_eq!(header(&inv1.headers, "CSeq").as_deref(), Some("2 INVITE"));
    assert_eq!(inv0.headers.call_id().ok(), inv1.headers.call_id().ok());
    assert_eq!(net.seen.a_codes(), vec![100]);
    net.b_answers(1, resp_to(&inv1, 180, "btag-1", true, ""));
    net.b_answers(1, resp_to(&inv1, 486, "btag-1", false, ""));
    // 404 and 486 are both 4xx: busy is more telling.
    assert_eq!(net.seen.a_codes(), vec![100, 180, 486]);
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();

    // A code not listed ends the call on the first target.
    let mut net = Net::start(&invite(), r.clone());
    let inv0 = net.seen.b_invite(0);
    net.b_answers(0, resp_to(&inv0, 486, "btag-0", false, ""));
    assert_eq!(net.seen.a_codes(), vec![100, 486]);
    assert_eq!(net.seen.b_methods().len(), 1);

    // After a provisional the target reached the callee: its 503 is final (mapped to 502).
    let mut net = Net::start(&invite(), r);
    let inv0 = net.seen.b_invite(0);
    net.b_answers(0, resp_to(&inv0, 180, "btag-0", true, ""));
    net.b_answers(0, resp_to(&inv0, 503, "btag-0", false, ""));
    assert_eq!(net.seen.a_codes(), vec![100, 180, 502]);
    assert_eq!(
        net.seen.b_methods().len(),
        1,
        "no failover after a provisional"
    );
    net.seen.assert_no_leaks();
}

#[test]
fn an_invite_that_comes_back_through_us_is_a_loop() {
    let mut calls = Calls::new(common::counter());
    let (_, out) = calls
        .start(std::time::Instant::now(), &invite(), routing())
        .expect("start");
    let b_invite = out
        .into_iter()
        .find_map(|o| match o {
            sbcctl_b2bua::Output::Request { request, .. } => Some(request),
            _ => None,
        })
        .expect("B INVITE");
    // Our own B INVITE arriving as a new call: 482 material.
    assert_eq!(
        calls.classify(&Message::Request(b_invite.clone())),
        Classified::Loop
    );
    // A response on the same Call-ID is still the call's.
    let ringing = resp_to(&b_invite, 180, "btag-0", true, "");
    assert!(matches!(
        calls.classify(&Message::Response(ringing)),
        Classified::InCall(_, Side::B)
    ));
}

#[test]
fn cancel_waits_for_a_provisional_and_a_silent_fork_is_given_up() {
    let mut net = Net::start(&invite(), forking(2));
    let inv0 = net.seen.b_invite(0);
    net.b_answers(0, resp_to(&inv0, 180, "btag-0", true, ""));
    let mut cancel = net.a_request("CANCEL", 10, "", "");
    cancel.headers.set("To", "<sip:+15551234@203.0.113.1>");
    net.a_sends(cancel);
    assert_eq!(net.seen.a_codes(), vec![100, 180, 200, 487]);
    // Fork 0 was heard: CANCEL now. Fork 1 never answered: its CANCEL waits.
    assert_eq!(&net.seen.b_methods()[2..], &[(0, "CANCEL".into())]);
    net.b_answers(0, resp_to(&inv0, 487, "btag-0", false, ""));
    assert!(!net.calls.is_empty());
    // Fork 1 stays silent: after 64*T1 it is given up and the call is gone.
    net.advance(Duration::from_secs(31));
    assert!(!net.calls.is_empty());
    net.advance(Duration::from_secs(2));
    assert!(net.calls.is_empty());
    assert_eq!(net.calls.poll_timeout(), None);
    assert_eq!(net.seen.ended(), vec![EndCause::Cancelled]);
    net.seen.assert_no_leaks();
}
