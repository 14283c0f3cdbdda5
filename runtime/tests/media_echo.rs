//! The built-in echo for a plain RTP caller, and RTCP on plain legs.

#[path = "media_support.rs"]
mod support;

use std::time::Duration;

use sbcctl_media::rtcp::{PT_RR, PT_SDES, PT_SR, packets, write_report};
use sbcctl_runtime::media::{CallLegs, Side};
use support::*;

#[tokio::test]
async fn rtp_caller_hears_itself_and_gets_reports() {
    let plan = plan(&spec("26000-26099", "26100-26199"));
    let (mut engine, _events) = engine(&plan);
    engine.open(
        1,
        CallLegs::Echo {
            a: leg(&plan, "left", "trunk"),
            echo_profile: Some(profile(&plan, "phone")),
        },
    );
    let (rtp, rtcp) = phone_pair().await;
    let offer = rtp_sdp(
        rtp.local_addr().unwrap(),
        "0 8 101",
        &["rtpmap:101 telephone-event/8000"],
    );
    let to_echo = engine.on_sdp(1, Side::A, false, offer.as_bytes()).unwrap();
    let echo = engine.echo_answer(1, &to_echo).unwrap();
    // The echo's profile prefers PCMA.
    assert_eq!(audio(&echo).1, ["8", "101"]);
    let to_a = engine.on_sdp(1, Side::B, true, &echo).unwrap();
    let (a_side, fmts, _) = audio(&to_a);
    assert_eq!(fmts, ["8", "101"]);
    assert!((26000..26100).contains(&a_side.port()));
    for seq in 100..110u16 {
        rtp.send_to(&rtp_packet(8, seq, 0xabc, &[seq as u8; 160]), a_side)
            .await
            .unwrap();
        let (h, payload) = recv_rtp(&rtp, Duration::from_secs(2))
            .await
            .expect("echoed");
        assert_eq!((h.pt, payload[0]), (8, seq as u8));
        assert_ne!(h.ssrc, 0xabc);
    }
    // Our RTCP is taken in, and the echo reports on its own (SR + SDES,
    // with a report block about the caller's stream) within 7.5 s.
    let mut rr = [0u8; 64];
    let n = write_report(&mut rr, 0xabc, None, None, "phone").unwrap();
    let rtcp_side = std::net::SocketAddr::new(a_side.ip(), a_side.port() + 1);
    rtcp.send_to(&rr[..n], rtcp_side).await.unwrap();
    let mut buf = [0u8; 512];
    let (n, from) = tokio::time::timeout(Duration::from_secs(8), rtcp.recv_from(&mut buf))
        .await
        .expect("an RTCP report")
        .unwrap();
    assert_eq!(from, rtcp_side);
    let kinds: Vec<(u8, u8)> = packets(&buf[..n])
        .map(|p| p.map(|p| (p.pt, p.count)).unwrap())
        .collect();
    assert_eq!(kinds, [(PT_SR, 1), (PT_SDES, 1)]);
    assert_eq!(
        &buf[28..32],
        &0xabcu32.to_be_bytes(),
        "block about the caller"
    );
    let _ = PT_RR;
    engine.close(1);
}

#[tokio::test]
async fn rtcp_is_relayed_between_rtp_legs_with_ssrcs_rewritten() {
    let plan = plan(&spec("26200-26299", "26300-26399"));
    let (mut engine, _events) = engine(&plan);
    engine.open(
        2,
        CallLegs::Relay {
            a: leg(&plan, "left", "trunk"),
            b: leg(&plan, "right", "trunk"),
        },
    );
    let (a_rtp, a_rtcp) = phone_pair().await;
    let (b_rtp, b_rtcp) = phone_pair().await;
    let to_b = engine
        .on_sdp(
            2,
            Side::A,
            false,
            rtp_sdp(a_rtp.local_addr().unwrap(), "0", &[]).as_bytes(),
        )
        .unwrap();
    let to_a = engine
        .on_sdp(
            2,
            Side::B,
            true,
            rtp_sdp(b_rtp.local_addr().unwrap(), "0", &[]).as_bytes(),
        )
        .unwrap();
    let (a_side, b_side) = (audio(&to_a).0, audio(&to_b).0);
    a_rtp
        .send_to(&rtp_packet(0, 1, 0xa, &[0; 160]), a_side)
        .await
        .unwrap();
    let (h, _) = recv_rtp(&b_rtp, Duration::from_secs(2)).await.unwrap();
    let mut sr = [0u8; 64];
    let n = write_report(&mut sr, 0xa, None, None, "a").unwrap();
    a_rtcp
        .send_to(
            &sr[..n],
            std::net::SocketAddr::new(a_side.ip(), a_side.port() + 1),
        )
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let (m, from) = tokio::time::timeout(Duration::from_secs(2), b_rtcp.recv_from(&mut buf))
        .await
        .expect("relayed RTCP")
        .unwrap();
    assert_eq!(from.port(), b_side.port() + 1, "from B's RTCP port");
    assert_eq!(m, n);
    assert_eq!(&buf[4..8], &h.ssrc.to_be_bytes(), "A's SSRC as B knows it");
    engine.close(2);
}
