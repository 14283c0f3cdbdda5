//! The media engine with WebRTC legs: an independent str0m client (full ICE
//! agent, DTLS-SRTP) plays the browser over loopback.

#[path = "media_support.rs"]
mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use sbcctl_load::webrtc::{ClientOptions, ClientState, Stream, WebRtcClient};
use sbcctl_runtime::media::{CallLegs, LegMedia, Side};
use support::*;
use tokio::net::UdpSocket;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const CONNECT: Duration = Duration::from_secs(10);

fn pcmu(count: u32) -> Stream {
    Stream {
        pt: 0,
        count,
        interval: Duration::from_millis(20),
        ts_step: 160,
        payload: vec![0xff; 160],
    }
}

fn count_pt(state: &ClientState, pt: u8) -> usize {
    state.received.iter().filter(|r| r.pt == pt).count()
}

/// Sends `count` PCMU packets every 20 ms from a SIP phone to `to`, while
/// collecting the payload types the phone receives for the same time.
/// Sequence numbers start at `first` (a phone's numbering runs on, and SRTP
/// toward the browser refuses a replayed index).
async fn phone_talks(
    phone: &UdpSocket,
    to: std::net::SocketAddr,
    first: u16,
    count: u16,
) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut seq = first;
    let last = first + count;
    let end = tokio::time::Instant::now() + Duration::from_millis(20 * u64::from(count) + 500);
    loop {
        tokio::select! {
            _ = tick.tick(), if seq < last => {
                phone.send_to(&rtp_packet(0, seq, 0x5150, &[0x7f; 160]), to).await.unwrap();
                seq += 1;
            }
            r = phone.recv_from(&mut buf) => {
                let (n, _) = r.unwrap();
                if let Ok(v) = sbcctl_media::rtp::parse(&buf[..n]) {
                    got.push(v.header.pt);
                }
            }
            () = tokio::time::sleep_until(end) => return got,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_calls_a_sip_phone_then_restarts_ice() {
    let plan = plan(&spec("24000-24099", "24100-24199"));
    let (mut engine, _events) = engine(&plan);
    engine.open(
        1,
        CallLegs::Relay {
            a: leg(&plan, "left", "web"),
            b: leg(&plan, "right", "trunk"),
        },
    );
    let browser = WebRtcClient::start(
        LOOPBACK,
        ClientOptions {
            video: true,
            ..ClientOptions::default()
        },
    )
    .await
    .unwrap();
    let offer = browser.create_offer().await.unwrap();
    let to_b = engine.on_sdp(1, Side::A, false, offer.as_bytes()).unwrap();
    let text = String::from_utf8_lossy(&to_b).into_owned();
    let (b_side, fmts, sdp) = audio(&to_b);
    assert_eq!(sdp.media.len(), 1, "no video toward the SIP side: {text}");
    assert!(sdp.media[0].mline.is_plain_rtp(), "{text}");
    assert!(
        !text.contains("ice-") && !text.contains("fingerprint"),
        "{text}"
    );
    assert_eq!(fmts, ["0", "8", "126"], "trunk order, the browser's PTs");

    let pb = phone().await;
    let answer = rtp_sdp(
        pb.local_addr().unwrap(),
        "0 101",
        &["rtpmap:101 telephone-event/8000"],
    );
    let to_a = engine.on_sdp(1, Side::B, true, answer.as_bytes()).unwrap();
    let text = String::from_utf8_lossy(&to_a).into_owned();
    assert!(
        text.contains("a=setup:active") && text.contains("a=ice-lite"),
        "{text}"
    );
    assert!(
        text.contains("a=rtcp-mux") && text.contains("BUNDLE"),
        "{text}"
    );
    assert!(
        text.contains("m=video 0 "),
        "video refused with port 0: {text}"
    );
    browser.accept_answer(&text).await.unwrap();
    assert!(
        browser.wait(CONNECT, |s| s.connected).await,
        "ICE/DTLS did not complete"
    );

    browser.send_stream(pcmu(100));
    let got = phone_talks(&pb, b_side, 0, 100).await;
    let from_browser = got.iter().filter(|pt| **pt == 0).count();
    assert!(from_browser >= 90, "phone got {from_browser} PCMU packets");
    assert!(
        browser
            .wait(Duration::from_secs(1), |s| count_pt(s, 0) >= 90)
            .await
    );

    // DTMF both ways: 126 (8 kHz) on the browser leg is 101 on the SIP leg.
    browser.send_stream(Stream {
        pt: 126,
        count: 3,
        interval: Duration::from_millis(20),
        ts_step: 0,
        payload: vec![5, 0x0a, 0, 160],
    });
    let mut buf = [0u8; 2048];
    let mut dtmf = 0;
    while let Ok(Ok((n, _))) =
        tokio::time::timeout(Duration::from_millis(500), pb.recv_from(&mut buf)).await
    {
        let v = sbcctl_media::rtp::parse(&buf[..n]).unwrap();
        if v.header.pt == 101 {
            dtmf += 1;
            assert_eq!(v.payload, [5, 0x0a, 0, 160]);
        }
    }
    assert_eq!(dtmf, 3);
    pb.send_to(&rtp_packet(101, 500, 0x5150, &[6, 0x8a, 0, 160]), b_side)
        .await
        .unwrap();
    assert!(
        browser
            .wait(Duration::from_secs(2), |s| count_pt(s, 126) == 1)
            .await
    );

    // ICE restart: new credentials on the browser leg, the SIP leg keeps its port.
    let old_ufrag = ufrag(&text);
    let offer2 = browser.ice_restart().await.unwrap();
    let to_b2 = engine.on_sdp(1, Side::A, false, offer2.as_bytes()).unwrap();
    assert_eq!(audio(&to_b2).0, b_side);
    let to_a2 = engine.on_sdp(1, Side::B, true, answer.as_bytes()).unwrap();
    let text2 = String::from_utf8_lossy(&to_a2).into_owned();
    assert_ne!(ufrag(&text2), old_ufrag, "{text2}");
    browser.accept_answer(&text2).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = count_pt(&browser.state(), 0);
    browser.send_stream(pcmu(50));
    let got = phone_talks(&pb, b_side, 1000, 50).await;
    assert!(
        got.iter().filter(|pt| **pt == 0).count() >= 45,
        "media after the ICE restart"
    );
    assert!(
        browser
            .wait(Duration::from_secs(1), |s| count_pt(s, 0) >= before + 45)
            .await
    );
    assert!(!browser.state().disconnected);
    engine.close(1);
}

fn ufrag(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_calls_echo() {
    let plan = plan(&spec("24200-24299", "24300-24399"));
    let (mut engine, _events) = engine(&plan);
    let a = leg(&plan, "left", "web");
    engine.open(
        2,
        CallLegs::Echo {
            a,
            echo_profile: None,
        },
    );
    let browser = WebRtcClient::start(LOOPBACK, ClientOptions::default())
        .await
        .unwrap();
    let offer = browser.create_offer().await.unwrap();
    let to_echo = engine.on_sdp(2, Side::A, false, offer.as_bytes()).unwrap();
    let echo = engine.echo_answer(2, &to_echo).unwrap();
    let answer = engine.on_sdp(2, Side::B, true, &echo).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.contains("opus/48000/2"), "{answer}");
    browser.accept_answer(&answer).await.unwrap();
    assert!(browser.wait(CONNECT, |s| s.connected).await);
    browser.send_stream(Stream {
        pt: 111,
        count: 100,
        interval: Duration::from_millis(20),
        ts_step: 960,
        payload: vec![0xfc; 80],
    });
    assert!(
        browser
            .wait(Duration::from_secs(4), |s| count_pt(s, 111) >= 95)
            .await,
        "echoed: {}",
        count_pt(&browser.state(), 111)
    );
    let st = browser.state();
    assert!(st.received.iter().all(|r| r.payload == vec![0xfc; 80]));
    let seqs: Vec<u16> = st.received.iter().map(|r| r.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));
    assert!(engine.stats().packets_relayed >= 95);
    engine.close(2);
    let _ = LegMedia { ..a };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_phone_calls_a_browser() {
    let plan = plan(&spec("24400-24499", "24500-24599"));
    let (mut engine, _events) = engine(&plan);
    engine.open(
        3,
        CallLegs::Relay {
            a: leg(&plan, "left", "trunk"),
            b: leg(&plan, "right", "web"),
        },
    );
    let pa = phone().await;
    let offer = rtp_sdp(
        pa.local_addr().unwrap(),
        "0 8 101",
        &["rtpmap:101 telephone-event/8000"],
    );
    let to_b = engine.on_sdp(3, Side::A, false, offer.as_bytes()).unwrap();
    let text = String::from_utf8_lossy(&to_b).into_owned();
    assert!(
        text.contains("a=setup:actpass") && text.contains("a=ice-lite"),
        "{text}"
    );
    assert!(text.contains("UDP/TLS/RTP/SAVPF"), "{text}");
    let browser = WebRtcClient::start(LOOPBACK, ClientOptions::default())
        .await
        .unwrap();
    let answer = browser.accept_offer(&text).await.unwrap();
    let to_a = engine.on_sdp(3, Side::B, true, answer.as_bytes()).unwrap();
    let (a_side, fmts, _) = audio(&to_a);
    assert!((24400..24500).contains(&a_side.port()));
    assert_eq!(fmts[0], "0");
    assert!(browser.wait(CONNECT, |s| s.connected).await);
    browser.send_stream(pcmu(100));
    let got = phone_talks(&pa, a_side, 0, 100).await;
    assert!(got.iter().filter(|pt| **pt == 0).count() >= 90, "{got:?}");
    assert!(
        browser
            .wait(Duration::from_secs(1), |s| count_pt(s, 0) >= 90)
            .await
    );
    engine.close(3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtmf_clock_is_rescaled_between_48k_and_8k() {
    let plan = plan(&spec("24600-24699", "24700-24799"));
    let (mut engine, _events) = engine(&plan);
    engine.open(
        4,
        CallLegs::Relay {
            a: leg(&plan, "left", "web"),
            b: leg(&plan, "right", "trunk"),
        },
    );
    let browser = WebRtcClient::start(
        LOOPBACK,
        ClientOptions {
            dtmf_48k_only: true,
            ..ClientOptions::default()
        },
    )
    .await
    .unwrap();
    let offer = browser.create_offer().await.unwrap();
    let to_b = engine.on_sdp(4, Side::A, false, offer.as_bytes()).unwrap();
    let text = String::from_utf8_lossy(&to_b).into_owned();
    assert!(text.contains("a=rtpmap:110 telephone-event/8000"), "{text}");
    let pb = phone().await;
    let answer = rtp_sdp(
        pb.local_addr().unwrap(),
        "0 101",
        &["rtpmap:101 telephone-event/8000"],
    );
    let to_a = engine.on_sdp(4, Side::B, true, answer.as_bytes()).unwrap();
    let to_a = String::from_utf8_lossy(&to_a).into_owned();
    assert!(to_a.contains("telephone-event/48000"), "{to_a}");
    browser.accept_answer(&to_a).await.unwrap();
    assert!(browser.wait(CONNECT, |s| s.connected).await);
    // Browser → phone: duration 960 at 48 kHz is 160 at 8 kHz.
    browser.send_stream(Stream {
        pt: 110,
        count: 1,
        interval: Duration::from_millis(20),
        ts_step: 0,
        payload: vec![7, 0x8a, 0x03, 0xc0],
    });
    let (h, payload) = recv_rtp(&pb, Duration::from_secs(3)).await.expect("DTMF");
    assert_eq!((h.pt, payload), (101, vec![7, 0x8a, 0x00, 0xa0]));
    // Phone → browser: and back.
    pb.send_to(
        &rtp_packet(101, 9, 3, &[4, 0x8a, 0x00, 0xa0]),
        audio(&to_b).0,
    )
    .await
    .unwrap();
    assert!(
        browser
            .wait(Duration::from_secs(2), |s| count_pt(s, 110) == 1)
            .await
    );
    let st = browser.state();
    let ev = st.received.iter().find(|r| r.pt == 110).unwrap();
    assert_eq!(ev.payload, [4, 0x8a, 0x03, 0xc0]);
    engine.close(4);
}
