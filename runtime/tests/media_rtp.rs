//! The media engine anchoring RTP↔RTP calls over real loopback UDP.

#[path = "media_support.rs"]
mod support;

use std::net::SocketAddr;
use std::time::Duration;

use sbcctl_runtime::media::{CallLegs, MediaEvent, Side};
use support::*;

const WAIT: Duration = Duration::from_secs(2);

#[tokio::test]
async fn offer_answer_rewritten_and_media_flows_with_pt_mapping() {
    let plan = plan(&spec("21000-21099", "21100-21199"));
    let (mut engine, _events) = engine(&plan);
    engine.open(
        1,
        CallLegs::Relay {
            a: leg(&plan, "left", "phone"),
            b: leg(&plan, "right", "trunk"),
        },
    );
    let (pa, pb) = (phone().await, phone().await);
    // A offers telephone-event at 101, B answers it at 96.
    let offer = rtp_sdp(
        pa.local_addr().unwrap(),
        "8 0 101",
        &["rtpmap:101 telephone-event/8000", "sendrecv"],
    );
    let to_b = engine.on_sdp(1, Side::A, false, offer.as_bytes()).unwrap();
    let (b_side, fmts, sdp) = audio(&to_b);
    assert_eq!(b_side.ip().to_string(), "127.0.0.1");
    assert!(b_side.port() % 2 == 0 && (21100..21200).contains(&b_side.port()));
    assert_eq!(fmts, ["0", "8", "101"], "trunk order, A's payload types");
    assert!(!sdp.to_string().contains("phone 42"), "A's o= line hidden");

    let answer = rtp_sdp(
        pb.local_addr().unwrap(),
        "8 96",
        &["rtpmap:96 telephone-event/8000", "sendrecv"],
    );
    let to_a = engine.on_sdp(1, Side::B, true, answer.as_bytes()).unwrap();
    let (a_side, fmts, _) = audio(&to_a);
    assert!(a_side.port() % 2 == 0 && (21000..21100).contains(&a_side.port()));
    assert_eq!(fmts, ["8", "101"]);
    // 183 then 200 with the same SDP: the same rewritten answer.
    let again = engine.on_sdp(1, Side::B, true, answer.as_bytes()).unwrap();
    assert_eq!(again, to_a);

    for seq in 0..5u16 {
        pa.send_to(&rtp_packet(8, seq, 0x1111, &[0xd5; 160]), a_side)
            .await
            .unwrap();
        let (h, payload) = recv_rtp(&pb, WAIT).await.expect("A→B relayed");
        assert_eq!((h.pt, h.seq, payload.len()), (8, seq, 160));
        assert_ne!(h.ssrc, 0x1111, "the SBC sends with its own SSRC");
    }
    pa.send_to(&rtp_packet(101, 5, 0x1111, &[1, 0x0a, 0, 160]), a_side)
        .await
        .unwrap();
    assert_eq!(recv_rtp(&pb, WAIT).await.expect("DTMF").0.pt, 96);
    pb.send_to(&rtp_packet(96, 1, 0x2222, &[2, 0x8a, 0, 160]), b_side)
        .await
        .unwrap();
    assert_eq!(recv_rtp(&pa, WAIT).await.expect("B→A").0.pt, 101);
    let stats = engine.stats();
    assert_eq!(stats.sessions, 1);
    assert_eq!(stats.packets_relayed, 7);
    assert_eq!(stats.bytes_relayed, 5 * 172 + 2 * 16);
    let ports: Vec<u64> = stats.ports_in_use.iter().map(|r| r.in_use).collect();
    assert_eq!(ports, [1, 1]);
    engine.close(1);
    engine.close(1);
}

#[tokio::test]
async fn hold_and_resume_renegotiate_on_the_same_ports() {
    let plan = plan(&spec("21200-21299", "21300-21399"));
    let (mut engine, _events) = engine(&plan);
    engine.open(
        2,
        CallLegs::Relay {
            a: leg(&plan, "left", "phone"),
            b: leg(&plan, "right", "trunk"),
        },
    );
    let (pa, pb) = (phone().await, phone().await);
    let (aa, ab) = (pa.local_addr().unwrap(), pb.local_addr().unwrap());
    let to_b = engine
        .on_sdp(2, Side::A, false, rtp_sdp(aa, "0", &[]).as_bytes())
        .unwrap();
    let to_a = engine
        .on_sdp(2, Side::B, true, rtp_sdp(ab, "0", &[]).as_bytes())
        .unwrap();
    let (a_side, b_side) = (audio(&to_a).0, audio(&to_b).0);

    // B holds A (re-INVITE sendonly); A answers recvonly.
    let hold = engine
        .on_sdp(
            2,
            Side::B,
            false,
            rtp_sdp(ab, "0", &["sendonly"]).as_bytes(),
        )
        .unwrap();
    assert_eq!(audio(&hold).0, a_side, "same port toward A");
    assert!(String::from_utf8_lossy(&hold).contains("a=sendonly"));
    let held = engine
        .on_sdp(2, Side::A, true, rtp_sdp(aa, "0", &["recvonly"]).as_bytes())
        .unwrap();
    assert_eq!(audio(&held).0, b_side, "same port toward B");
    assert!(String::from_utf8_lossy(&held).contains("a=recvonly"));
    pb.send_to(&rtp_packet(0, 1, 7, &[0xff; 160]), b_side)
        .await
        .unwrap();
    assert!(
        recv_rtp(&pa, WAIT).await.is_some(),
        "music on hold reaches A"
    );
    pa.send_to(&rtp_packet(0, 1, 8, &[0xff; 160]), a_side)
        .await
        .unwrap();
    assert!(
        recv_rtp(&pb, Duration::from_millis(300)).await.is_none(),
        "A's media is not sent to a sendonly B"
    );

    // Old-style hold from A (c=0.0.0.0), then resume.
    let zero: SocketAddr = format!("0.0.0.0:{}", aa.port()).parse().unwrap();
    let hold0 = engine
        .on_sdp(2, Side::A, false, rtp_sdp(zero, "0", &[]).as_bytes())
        .unwrap();
    assert!(String::from_utf8_lossy(&hold0).contains("a=sendonly"));
    assert_eq!(audio(&hold0).0, b_side);
    engine
        .on_sdp(2, Side::B, true, rtp_sdp(ab, "0", &["recvonly"]).as_bytes())
        .unwrap();
    let resume = engine
        .on_sdp(
            2,
            Side::A,
            false,
            rtp_sdp(aa, "0", &["sendrecv"]).as_bytes(),
        )
        .unwrap();
    assert!(String::from_utf8_lossy(&resume).contains("a=sendrecv"));
    engine
        .on_sdp(2, Side::B, true, rtp_sdp(ab, "0", &["sendrecv"]).as_bytes())
        .unwrap();
    pa.send_to(&rtp_packet(0, 2, 8, &[0xff; 160]), a_side)
        .await
        .unwrap();
    assert!(recv_rtp(&pb, WAIT).await.is_some(), "resumed A→B");
    pb.send_to(&rtp_packet(0, 2, 7, &[0xff; 160]), b_side)
        .await
        .unwrap();
    assert!(recv_rtp(&pa, WAIT).await.is_some(), "resumed B→A");
    let ports: Vec<u64> = engine
        .stats()
        .ports_in_use
        .iter()
        .map(|r| r.in_use)
        .collect();
    assert_eq!(ports, [1, 1], "no re-allocation");
    engine.close(2);
}

#[tokio::test]
async fn no_common_codec_is_488_naming_both_lists_and_exhaustion_503() {
    let plan = plan(&spec("21400-21403", "21404-21499"));
    let (mut engine, _events) = engine(&plan);
    engine.open(
        3,
        CallLegs::Relay {
            a: leg(&plan, "left", "phone"),
            b: leg(&plan, "right", "wideband"),
        },
    );
    let pa = phone().await;
    let offer = rtp_sdp(pa.local_addr().unwrap(), "8 0", &[]);
    let rej = engine
        .on_sdp(3, Side::A, false, offer.as_bytes())
        .unwrap_err();
    assert_eq!(rej.code, 488);
    assert!(
        rej.reason.contains("PCMA/8000, PCMU/8000") && rej.reason.contains("G722/8000"),
        "{}",
        rej.reason
    );
    let bad = engine.on_sdp(3, Side::A, false, b"hello").unwrap_err();
    assert_eq!(bad.code, 400);

    // Two pairs in "left": the third call is refused with 503.
    for call in 10..13u64 {
        engine.open(
            call,
            CallLegs::Relay {
                a: leg(&plan, "left", "phone"),
                b: leg(&plan, "right", "trunk"),
            },
        );
        let r = engine.on_sdp(call, Side::A, false, offer.as_bytes());
        if call < 12 {
            assert!(r.is_ok(), "{r:?}");
        } else {
            assert_eq!(r.unwrap_err().code, 503);
        }
    }
}

#[tokio::test]
async fn media_timeout_event() {
    let plan = plan(&spec("21500-21599", "21600-21699"));
    let (mut engine, mut events) = engine(&plan);
    engine.open(
        4,
        CallLegs::Relay {
            a: leg(&plan, "left", "phone"),
            b: leg(&plan, "right", "trunk"),
        },
    );
    let (pa, pb) = (phone().await, phone().await);
    engine
        .on_sdp(
            4,
            Side::A,
            false,
            rtp_sdp(pa.local_addr().unwrap(), "0", &[]).as_bytes(),
        )
        .unwrap();
    let to_a = engine
        .on_sdp(
            4,
            Side::B,
            true,
            rtp_sdp(pb.local_addr().unwrap(), "0", &[]).as_bytes(),
        )
        .unwrap();
    // Media for 1.5 s keeps the 1 s timeout away; then silence ends the call.
    let a_side = audio(&to_a).0;
    for seq in 0..30u16 {
        pa.send_to(&rtp_packet(0, seq, 1, &[0; 160]), a_side)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(events.try_recv().is_err(), "no timeout while media flows");
    }
    let ev = tokio::time::timeout(Duration::from_secs(3), events.recv())
        .await
        .expect("timeout event")
        .expect("event");
    assert!(matches!(ev, MediaEvent::Timeout { call: 4 }), "{ev:?}");
    engine.close(4);
}

#[tokio::test]
async fn ten_thousand_calls_leave_no_port_socket_or_task() {
    let plan = plan(&spec("22000-22999", "23000-23999"));
    let (mut engine, _events) = engine(&plan);
    let (pa, pb) = (phone().await, phone().await);
    let offer = rtp_sdp(pa.local_addr().unwrap(), "8", &[]);
    let answer = rtp_sdp(pb.local_addr().unwrap(), "8", &[]);
    let fds = open_fds();
    for call in 0..10_000u64 {
        engine.open(
            call,
            CallLegs::Relay {
                a: leg(&plan, "left", "phone"),
                b: leg(&plan, "right", "trunk"),
            },
        );
        engine
            .on_sdp(call, Side::A, false, offer.as_bytes())
            .unwrap();
        engine
            .on_sdp(call, Side::B, true, answer.as_bytes())
            .unwrap();
        engine.close(call);
        if call % 100 == 99 {
            // Closed calls' tasks end as soon as they run; let them.
            settle(&engine).await;
        }
    }
    let stats = settle(&engine).await;
    assert_eq!(stats.sessions, 0);
    assert_eq!(stats.tasks, 0, "call tasks still running");
    let ports: Vec<u64> = stats.ports_in_use.iter().map(|r| r.in_use).collect();
    assert_eq!(ports, [0, 0], "port pairs leaked");
    assert_eq!(open_fds(), fds, "sockets leaked");
}

/// Waits (up to 5 s) for every call task to end; returns the stats then.
async fn settle(engine: &sbcctl_runtime::media::MediaEngine) -> sbcctl_runtime::media::MediaStats {
    let mut stats = engine.stats();
    for _ in 0..500 {
        if stats.tasks == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        stats = engine.stats();
    }
    stats
}
