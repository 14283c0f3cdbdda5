//! PRACK / 100rel (RFC 3262) terminated on each leg.

mod common;

use std::time::Duration;

use common::{Net, header, invite, invite_with, resp_to, routing};
use sbcctl_sip::Response;

fn reliable(r: &Response, rseq: u32) -> Response {
    let mut r = r.clone();
    r.headers.append("Require", "100rel");
    r.headers.append("RSeq", rseq.to_string());
    r
}

#[test]
fn callee_reliable_provisional_is_pracked_by_the_sbc() {
    let mut net = Net::start(&invite(), routing());
    let inv = net.seen.b_invite(0);
    // The B INVITE offers neither 100rel nor timers.
    assert_eq!(header(&inv.headers, "Supported"), None);
    assert_eq!(header(&inv.headers, "Require"), None);
    let ringing = reliable(&resp_to(&inv, 180, "btag-0", true, ""), 7);
    net.b_answers(0, ringing.clone());
    let (target, prack) = net.seen.last_b("PRACK");
    assert_eq!(target, 0);
    assert_eq!(
        header(&prack.headers, "RAck").as_deref(),
        Some("7 1 INVITE")
    );
    assert!(header(&prack.headers, "To").is_some_and(|t| t.contains("tag=btag-0")));
    assert_eq!(prack.uri_bytes().as_ref(), b"sip:bob@10.9.9.99:5070");
    // Relayed to A as a plain provisional: nothing reliable on A, who did not ask.
    let to_a = net.seen.a_responses.last().cloned().expect("180");
    assert_eq!(to_a.code(), 180);
    assert_eq!(header(&to_a.headers, "RSeq"), None);
    assert_eq!(header(&to_a.headers, "Require"), None);
    // A retransmission (same RSeq) is neither PRACKed again nor relayed.
    let (b_count, a_count) = (net.seen.b_requests.len(), net.seen.a_responses.len());
    net.b_answers(0, ringing);
    assert_eq!(net.seen.b_requests.len(), b_count);
    assert_eq!(net.seen.a_responses.len(), a_count);
    // The next one in sequence is PRACKed; the 200 to our PRACK stays on B.
    net.b_answers(0, reliable(&resp_to(&inv, 183, "btag-0", true, ""), 8));
    let (_, prack2) = net.seen.last_b("PRACK");
    assert_eq!(
        header(&prack2.headers, "RAck").as_deref(),
        Some("8 1 INVITE")
    );
    assert_ne!(
        header(&prack.headers, "CSeq"),
        header(&prack2.headers, "CSeq")
    );
    let a_count = net.seen.a.len();
    net.b_answers(0, resp_to(&prack2, 200, "", false, ""));
    assert_eq!(net.seen.a.len(), a_count, "PRACK's 200 is absorbed");
    // The answer still works, with an ACK CSeq of the INVITE.
    net.b_answers(0, resp_to(&inv, 200, "btag-0", true, "v=0\n"));
    let (_, ack) = net.seen.last_b("ACK");
    assert_eq!(header(&ack.headers, "CSeq").as_deref(), Some("1 ACK"));
    assert_eq!(net.seen.a_codes(), vec![100, 180, 183, 200]);
    net.seen.assert_no_leaks();
}

#[test]
fn caller_requiring_100rel_gets_reliable_provisionals_retransmitted_and_pracked_here() {
    let mut net = Net::start(
        &invite_with("Supported: timer\nRequire: 100rel\n", "v=0\n"),
        routing(),
    );
    let inv = net.seen.b_invite(0);
    assert_eq!(header(&inv.headers, "Require"), None, "100rel stays on A");
    net.b_answers(0, resp_to(&inv, 180, "btag-0", true, ""));
    net.b_answers(0, resp_to(&inv, 183, "btag-0", true, "v=early\n"));
    // Only the 180 is out: the 183 waits for its PRACK (RFC 3262 §3).
    assert_eq!(net.seen.a_codes(), vec![100, 180]);
    let first = net.seen.a_responses[1].clone();
    assert_eq!(header(&first.headers, "Require").as_deref(), Some("100rel"));
    let rseq: u32 = header(&first.headers, "RSeq")
        .and_then(|v| v.parse().ok())
        .expect("RSeq");
    assert!((1..=0x7fff_ffff).contains(&rseq));

    // Retransmitted at T1, then 2*T1 later.
    net.advance(Duration::from_millis(499));
    assert_eq!(net.seen.a_codes().len(), 2);
    net.advance(Duration::from_millis(1));
    assert_eq!(net.seen.a_codes(), vec![100, 180, 180]);
    net.advance(Duration::from_millis(999));
    assert_eq!(net.seen.a_codes().len(), 3);
    net.advance(Duration::from_millis(1));
    assert_eq!(net.seen.a_codes(), vec![100, 180, 180, 180]);

    // A PRACK with the wrong RSeq is refused; the right one is answered here, not relayed,
    // and releases the 183 with the next RSeq.
    let b_count = net.seen.b_requests.len();
    let bad = net.a_request("PRACK", 11, &format!("RAck: {} 10 INVITE\n", rseq + 5), "");
    net.a_sends(bad);
    assert_eq!(net.seen.a_codes().last(), Some(&481));
    let prack = net.a_request("PRACK", 12, &format!("RAck: {rseq} 10 INVITE\n"), "");
    net.a_sends(prack);
    let codes = net.seen.a_codes();
    assert_eq!(&codes[codes.len() - 2..], &[200, 183]);
    let r183 = net.seen.a_responses.last().cloned().expect("183");
    assert_eq!(
        header(&r183.headers, "RSeq").as_deref(),
        Some((rseq + 1).to_string().as_str())
    );
    assert_eq!(r183.body().as_ref(), b"v=early\n");
    assert_eq!(
        net.seen.b_requests.len(),
        b_count,
        "A's PRACK never reaches B"
    );

    // The 183 is never PRACKed: retransmissions stop after 64*T1, the call goes on.
    net.advance(Duration::from_secs(40));
    let retx = net.seen.a_codes().iter().filter(|c| **c == 183).count();
    // 183 sent at 0 s, then 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s.
    assert_eq!(retx, 7);
    assert!(net.seen.ended().is_empty());
    net.b_answers(0, resp_to(&inv, 200, "btag-0", true, "v=0\n"));
    assert_eq!(net.seen.a_codes().last(), Some(&200));
    let ok = net.seen.a_responses.last().cloned().expect("200");
    assert_eq!(header(&ok.headers, "RSeq"), None);
    assert_eq!(net.calls.poll_timeout(), None, "nothing left to retransmit");
    net.seen.assert_no_leaks();
}

#[test]
fn caller_only_supporting_100rel_gets_plain_provisionals() {
    let mut net = Net::start(&invite_with("Supported: 100rel\n", "v=0\n"), routing());
    let inv = net.seen.b_invite(0);
    net.b_answers(0, resp_to(&inv, 180, "btag-0", true, ""));
    net.b_answers(0, resp_to(&inv, 183, "btag-0", true, ""));
    assert_eq!(net.seen.a_codes(), vec![100, 180, 183]);
    assert!(
        net.seen
            .a_responses
            .iter()
            .all(|r| header(&r.headers, "RSeq").is_none())
    );
    assert_eq!(net.calls.poll_timeout(), None);
}

#[test]
fn reliable_messages_snapshot() {
    let mut net = Net::start(&invite_with("Require: 100rel\n", "v=0\n"), routing());
    let inv = net.seen.b_invite(0);
    net.b_answers(0, reliable(&resp_to(&inv, 180, "btag-0", true, ""), 7));
    let (_, prack) = net.seen.last_b("PRACK");
    let to_a = net.seen.a_responses.last().cloned().expect("180");
    let text = |b: bytes::Bytes| String::from_utf8_lossy(&b).into_owned();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../snapshots/b2bua"
    ));
    settings.bind(|| {
        insta::assert_snapshot!("prack_to_b", text(prack.to_bytes()));
        insta::assert_snapshot!("reliable_180_to_a", text(to_a.to_bytes()));
    });
}
