//! Session timers (RFC 4028) per leg.

mod common;

use std::time::Duration;

use common::{Net, header, invite, invite_with, resp_to, routing};
use sbcctl_b2bua::EndCause;
use sbcctl_sip::Response;

const TIMER: &str = "Supported: timer\nSession-Expires: 120\nMin-SE: 90\n";

#[test]
fn caller_refreshes_with_update_and_its_silence_ends_the_call() {
    let mut net = Net::start(&invite_with(TIMER, "v=0\n"), routing());
    let inv = net.seen.b_invite(0);
    assert_eq!(
        header(&inv.headers, "Session-Expires"),
        None,
        "no timer on B"
    );
    assert_eq!(header(&inv.headers, "Supported"), None);
    net.answer(0, "btag-0", "v=0\n");
    let ok = net.seen.a_responses.last().cloned().expect("200");
    assert_eq!(ok.code(), 200);
    assert_eq!(
        header(&ok.headers, "Session-Expires").as_deref(),
        Some("120;refresher=uac")
    );
    assert_eq!(header(&ok.headers, "Require").as_deref(), Some("timer"));
    // §10: expiry at SE - min(32, SE/3) = 88 s after the last refresh.
    assert_eq!(
        net.calls.poll_timeout(),
        Some(net.now + Duration::from_secs(88))
    );

    // At 60 s A refreshes with a body-less UPDATE: answered here, B sees nothing.
    net.advance(Duration::from_secs(60));
    let b_count = net.seen.b_requests.len();
    let update = net.a_request("UPDATE", 11, "Session-Expires: 120;refresher=uac\n", "");
    net.a_sends(update);
    let r = net.seen.a_responses.last().cloned().expect("200 UPDATE");
    assert_eq!(r.code(), 200);
    assert_eq!(header(&r.headers, "CSeq").as_deref(), Some("11 UPDATE"));
    assert_eq!(
        header(&r.headers, "Session-Expires").as_deref(),
        Some("120;refresher=uac")
    );
    assert_eq!(net.seen.b_requests.len(), b_count, "refresh not relayed");

    // 87 s later the call is still up; at 88 s without a refresh it ends on both legs.
    net.advance(Duration::from_secs(87));
    assert!(net.seen.ended().is_empty());
    net.advance(Duration::from_secs(1));
    assert_eq!(net.seen.ended(), vec![EndCause::SessionExpired]);
    assert!(net.seen.a.last().is_some_and(|m| m.starts_with("BYE ")));
    assert_eq!(
        net.seen.b_methods().last().map(|(_, m)| m.as_str()),
        Some("BYE")
    );
    assert!(net.calls.is_empty());
    net.seen.assert_no_leaks();
}

#[test]
fn a_relayed_reinvite_refreshes_the_caller_and_min_se_is_respected() {
    let extra = "Supported: timer\nSession-Expires: 60\nMin-SE: 200\n";
    let mut net = Net::start(&invite_with(extra, "v=0\n"), routing());
    net.answer(0, "btag-0", "v=0\n");
    let ok = net.seen.a_responses.last().cloned().expect("200");
    assert_eq!(
        header(&ok.headers, "Session-Expires").as_deref(),
        Some("200;refresher=uac"),
        "never below the caller's Min-SE"
    );
    // 200 - 32 = 168 s.
    net.advance(Duration::from_secs(100));
    let reinvite = net.a_request(
        "INVITE",
        11,
        "Session-Expires: 200\nContact: <sip:alice@192.0.2.50:5062>\nContent-Type: application/sdp\n",
        "v=1\n",
    );
    net.a_sends(reinvite);
    let (_, fwd) = net.seen.last_b("INVITE");
    assert_eq!(
        header(&fwd.headers, "Session-Expires"),
        None,
        "A's timer stays on A"
    );
    net.b_answers(0, resp_to(&fwd, 200, "btag-0", true, "v=1\n"));
    let r = net.seen.a_responses.last().cloned().expect("200 re-INVITE");
    assert_eq!(header(&r.headers, "CSeq").as_deref(), Some("11 INVITE"));
    assert_eq!(
        header(&r.headers, "Session-Expires").as_deref(),
        Some("200;refresher=uac")
    );
    assert_eq!(
        net.calls.poll_timeout(),
        Some(net.now + Duration::from_secs(168))
    );
    net.seen.assert_no_leaks();
}

#[test]
fn caller_without_timer_support_gets_no_timer() {
    let mut net = Net::start(&invite_with("Session-Expires: 120\n", "v=0\n"), routing());
    net.answer(0, "btag-0", "v=0\n");
    let ok = net.seen.a_responses.last().cloned().expect("200");
    assert_eq!(header(&ok.headers, "Session-Expires"), None);
    assert_eq!(net.calls.poll_timeout(), None);
}

#[test]
fn callee_that_makes_us_refresher_gets_an_update_every_half_interval() {
    let mut net = Net::start(&invite(), routing());
    let inv = net.seen.b_invite(0);
    let mut ok = resp_to(&inv, 200, "btag-0", true, "v=0\n");
    ok.headers.append("Session-Expires", "100;refresher=uac");
    ok.headers.append("Require", "timer");
    net.b_answers(0, ok);
    let to_a = net.seen.a_responses.last().cloned().expect("200");
    assert_eq!(
        header(&to_a.headers, "Session-Expires"),
        None,
        "B's timer stays on B"
    );
    assert_eq!(
        net.calls.poll_timeout(),
        Some(net.now + Duration::from_secs(50))
    );
    net.advance(Duration::from_secs(50));
    let (target, update) = net.seen.last_b("UPDATE");
    assert_eq!(target, 0);
    assert!(update.body().is_empty());
    assert_eq!(
        header(&update.headers, "Session-Expires").as_deref(),
        Some("100;refresher=uac")
    );
    assert!(header(&update.headers, "To").is_some_and(|t| t.contains("btag-0")));
    let a_count = net.seen.a.len();
    let mut r = Response::for_request(&update, 200, "OK");
    r.headers.append("Session-Expires", "100;refresher=uac");
    net.b_answers(0, r);
    assert_eq!(net.seen.a.len(), a_count, "the refresh never reaches A");
    assert_eq!(
        net.calls.poll_timeout(),
        Some(net.now + Duration::from_secs(50))
    );
    // A 422 asks for more: retried at once with the callee's Min-SE.
    net.advance(Duration::from_secs(50));
    let (_, update2) = net.seen.last_b("UPDATE");
    let mut too_small = Response::for_request(&update2, 422, "Session Interval Too Small");
    too_small.headers.append("Min-SE", "300");
    net.b_answers(0, too_small);
    net.advance(Duration::ZERO);
    let (_, update3) = net.seen.last_b("UPDATE");
    assert_eq!(
        header(&update3.headers, "Session-Expires").as_deref(),
        Some("300;refresher=uac")
    );
    assert!(net.seen.ended().is_empty());
    net.seen.assert_no_leaks();
}
