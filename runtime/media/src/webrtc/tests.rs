//! Two str0m instances in memory on a virtual clock: a full-ICE client
//! playing the browser, and our ICE-lite leg answering.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec as StrCodec;
use str0m::media::{Direction, Frequency, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::rtp::RtpWrite;
use str0m::{Candidate, Event, Input, Output, Rtc};

use super::*;
use crate::codec::{Codec, Format};

const BROWSER: &str = "10.0.0.1:5000";
const SBC: &str = "10.0.0.2:6000";

struct Browser {
    rtc: Rtc,
    addr: SocketAddr,
    connected: bool,
    got: Vec<(u8, u16, u32)>,
}

impl Browser {
    fn new(now: Instant, video: bool) -> (Self, String, SdpPendingOffer, Mid) {
        Self::with(now, video, true)
    }

    /// A browser offering Opus, PCMU, PCMA, telephone-event/48000 at 110 and,
    /// if `te8000`, telephone-event/8000 at 126.
    fn with(now: Instant, video: bool, te8000: bool) -> (Self, String, SdpPendingOffer, Mid) {
        let mut cfg = Rtc::builder()
            .set_rtp_mode(true)
            .clear_codecs()
            .enable_opus(true, false)
            .enable_pcmu(true, false)
            .enable_pcma(true, false)
            .enable_vp8(video);
        if te8000 {
            cfg.codec_config().add_config(
                126.into(),
                None,
                StrCodec::Tele,
                Frequency::EIGHT_KHZ,
                None,
                Default::default(),
            );
        }
        cfg.codec_config().add_config(
            110.into(),
            None,
            StrCodec::Tele,
            Frequency::FORTY_EIGHT_KHZ,
            None,
            Default::default(),
        );
        let mut rtc = cfg.build(now);
        let addr: SocketAddr = BROWSER.parse().unwrap();
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        let mut api = rtc.sdp_api();
        let mid = api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        if video {
            api.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
        }
        let (offer, pending) = api.apply().unwrap();
        let b = Self {
            rtc,
            addr,
            connected: false,
            got: Vec::new(),
        };
        (b, offer.to_sdp_string(), pending, mid)
    }

    fn drain(&mut self, net: &mut VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>) -> Instant {
        loop {
            match self.rtc.poll_output().unwrap() {
                Output::Timeout(t) => return t,
                Output::Transmit(t) => {
                    net.push_back((t.source, t.destination, t.contents.to_vec()))
                }
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::RtpPacket(p)) => {
                    self.got.push((
                        *p.header.payload_type,
                        p.header.sequence_number,
                        p.header.timestamp,
                    ));
                }
                Output::Event(_) => {}
            }
        }
    }

    fn send(&mut self, now: Instant, mid: Mid, pt: u8, seq: u64, ts: u32, payload: Vec<u8>) {
        let mut api = self.rtc.direct_api();
        let tx = api.stream_tx_by_mid(mid, None).expect("browser stream");
        tx.write_rtp(RtpWrite::new(pt.into(), seq.into(), ts, now, payload));
    }
}

#[derive(Default)]
struct Sbc {
    index: LegIndex<u32>,
    connected: bool,
    disconnected: bool,
    got: Vec<RtpIn>,
}

fn drain_leg(
    leg: &mut WebRtcLeg,
    sbc: &mut Sbc,
    net: &mut VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
) -> Instant {
    loop {
        match leg.poll() {
            LegOutput::Timeout(t) => return t,
            LegOutput::Transmit { to, bytes } => net.push_back((leg.local_addr(), to, bytes)),
            LegOutput::Connected => sbc.connected = true,
            LegOutput::Disconnected => sbc.disconnected = true,
            LegOutput::Rtp(p) => sbc.got.push(p),
        }
    }
}

/// Shuttles datagrams (dispatching toward the SBC through a `LegIndex`) and
/// advances the clock to the earliest deadline until `done` or `limit`.
fn run(
    now: &mut Instant,
    limit: Duration,
    b: &mut Browser,
    leg: &mut WebRtcLeg,
    sbc: &mut Sbc,
    deliver_to_sbc: bool,
    mut done: impl FnMut(&Browser, &Sbc) -> bool,
) {
    let end = *now + limit;
    let mut net = VecDeque::new();
    while *now < end {
        let t1 = b.drain(&mut net);
        let t2 = drain_leg(leg, sbc, &mut net);
        while let Some((from, to, data)) = net.pop_front() {
            if to == b.addr {
                let r = Receive::new(Protocol::Udp, from, to, &data).unwrap();
                b.rtc.handle_input(Input::Receive(*now, r)).unwrap();
                b.drain(&mut net);
            } else if deliver_to_sbc {
                let key = sbc.index.lookup(from, &data);
                assert_eq!(key, Some(7), "datagram not dispatched to the leg");
                assert!(leg.accepts(*now, from, &data));
                leg.handle_datagram(*now, from, to, &data).unwrap();
                drain_leg(leg, sbc, &mut net);
            }
        }
        if done(b, sbc) {
            return;
        }
        *now = t1.min(t2).clamp(
            *now + Duration::from_millis(1),
            *now + Duration::from_millis(50),
        );
        b.rtc.handle_input(Input::Timeout(*now)).unwrap();
        leg.handle_timeout(*now).unwrap();
    }
}

fn leg_config(codecs: Vec<Format>) -> LegConfig {
    LegConfig {
        local_addr: SBC.parse().unwrap(),
        codecs,
        cert: new_dtls_cert().unwrap(),
    }
}

#[test]
fn browser_offer_connects_relays_both_ways_and_survives_ice_restart() {
    let t0 = Instant::now();
    let mut now = t0;
    let (mut b, offer, pending, bmid) = Browser::new(now, false);
    assert!(offer.contains("a=setup:actpass"));
    // The SIP side answered PCMU + telephone-event/8000: the leg offers only those.
    let codecs = vec![
        Format {
            pt: 0,
            codec: Codec::Pcmu,
        },
        Format {
            pt: 126,
            codec: Codec::TelephoneEvent(8000),
        },
    ];
    let mut leg = WebRtcLeg::new(now, leg_config(codecs)).unwrap();
    let answer = leg.accept_offer(&offer).unwrap();
    assert!(answer.contains("a=ice-lite"), "{answer}");
    assert!(answer.contains("a=setup:active"), "{answer}");
    assert!(answer.contains("a=rtcp-mux"));
    assert!(
        answer.contains("a=candidate:") && answer.contains("10.0.0.2 6000 typ host"),
        "{answer}"
    );
    assert!(!answer.contains("opus"), "{answer}");
    let neg = leg.negotiated().unwrap();
    assert_eq!(neg.pt_of(Codec::Pcmu), Some(0));
    assert_eq!(neg.pt_of(Codec::TelephoneEvent(8000)), Some(126));
    b.rtc
        .sdp_api()
        .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
        .unwrap();

    let mut sbc = Sbc::default();
    sbc.index.insert_ufrag(leg.local_ufrag().unwrap(), 7u32);
    run(
        &mut now,
        Duration::from_secs(10),
        &mut b,
        &mut leg,
        &mut sbc,
        true,
        |b, s| b.connected && s.connected,
    );
    assert!(b.connected && sbc.connected, "DTLS/ICE did not complete");

    // Browser → SBC: three PCMU frames and one DTMF event.
    for i in 0..3u64 {
        b.send(now, bmid, 0, 100 + i, 160 * i as u32, vec![0xff; 160]);
    }
    b.send(now, bmid, 126, 103, 480, vec![5, 0x0a, 0x00, 0xa0]);
    // SBC → browser: two PCMU frames.
    for i in 0..2u16 {
        leg.send_rtp(
            now,
            0,
            65535u16.wrapping_add(i),
            1000 + 160 * u32::from(i),
            i == 0,
            &[0x7f; 160],
        )
        .unwrap();
    }
    run(
        &mut now,
        Duration::from_secs(2),
        &mut b,
        &mut leg,
        &mut sbc,
        true,
        |b, s| s.got.len() >= 4 && b.got.len() >= 2,
    );
    let pts: Vec<u8> = sbc.got.iter().map(|p| p.pt).collect();
    assert_eq!(pts, [0, 0, 0, 126]);
    assert_eq!(sbc.got[3].payload.as_ref(), &[5, 0x0a, 0x00, 0xa0]);
    assert_eq!(b.got.iter().map(|g| g.0).collect::<Vec<_>>(), [0, 0]);
    assert_eq!(b.got[1].2, 1160);

    // ICE restart: the browser re-offers with new credentials.
    let old_ufrag = leg.local_ufrag().unwrap().to_owned();
    let mut api = b.rtc.sdp_api();
    api.ice_restart(true);
    let (offer2, pending2) = api.apply().unwrap();
    let answer2 = leg.accept_offer(&offer2.to_sdp_string()).unwrap();
    assert!(
        answer2.contains("a=setup:active"),
        "role kept on re-offer: {answer2}"
    );
    let new_ufrag = leg.local_ufrag().unwrap().to_owned();
    assert_ne!(old_ufrag, new_ufrag);
    sbc.index.insert_ufrag(&new_ufrag, 7);
    b.rtc
        .sdp_api()
        .accept_answer(pending2, SdpAnswer::from_sdp_string(&answer2).unwrap())
        .unwrap();
    run(
        &mut now,
        Duration::from_secs(3),
        &mut b,
        &mut leg,
        &mut sbc,
        true,
        |_, _| false,
    );
    b.send(now, bmid, 0, 104, 640, vec![0xff; 160]);
    leg.send_rtp(now, 0, 1, 1320, false, &[0x7f; 160]).unwrap();
    run(
        &mut now,
        Duration::from_secs(2),
        &mut b,
        &mut leg,
        &mut sbc,
        true,
        |b, s| s.got.len() >= 5 && b.got.len() >= 3,
    );
    assert_eq!(sbc.got.len(), 5, "RTP after ICE restart");
    assert_eq!(b.got.len(), 3);
    assert!(!sbc.disconnected);
}

#[test]
fn consent_loss_is_reported_as_disconnected() {
    let mut now = Instant::now();
    let (mut b, offer, pending, _) = Browser::new(now, false);
    let mut leg = WebRtcLeg::new(
        now,
        leg_config(vec![Format {
            pt: 0,
            codec: Codec::Pcmu,
        }]),
    )
    .unwrap();
    let answer = leg.accept_offer(&offer).unwrap();
    b.rtc
        .sdp_api()
        .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
        .unwrap();
    let mut sbc = Sbc::default();
    sbc.index.insert_ufrag(leg.local_ufrag().unwrap(), 7u32);
    run(
        &mut now,
        Duration::from_secs(10),
        &mut b,
        &mut leg,
        &mut sbc,
        true,
        |b, s| b.connected && s.connected,
    );
    assert!(sbc.connected);
    // The browser goes away: nothing reaches the SBC any more.
    run(
        &mut now,
        Duration::from_secs(60),
        &mut b,
        &mut leg,
        &mut sbc,
        false,
        |_, s| s.disconnected,
    );
    assert!(sbc.disconnected, "consent expiry not surfaced");
}

#[test]
fn video_is_rejected_and_audio_kept() {
    let now = Instant::now();
    let (_b, offer, _pending, _) = Browser::new(now, true);
    let mut leg = WebRtcLeg::new(
        now,
        leg_config(vec![Format {
            pt: 0,
            codec: Codec::Pcmu,
        }]),
    )
    .unwrap();
    let answer = leg.accept_offer(&offer).unwrap();
    let model = crate::sdp::Sdp::parse(&answer).unwrap();
    assert_eq!(model.media.len(), 2, "{answer}");
    assert_ne!(model.media[0].mline.port, 0);
    assert_eq!(model.media[1].mline.media, "video");
    assert_eq!(model.media[1].mline.port, 0, "{answer}");
}

#[test]
fn offer_toward_browser_and_answer() {
    let mut now = Instant::now();
    let codecs = vec![
        Format {
            pt: 8,
            codec: Codec::Pcma,
        },
        Format {
            pt: 101,
            codec: Codec::TelephoneEvent(8000),
        },
    ];
    let mut leg = WebRtcLeg::new(now, leg_config(codecs)).unwrap();
    let offer = leg.create_offer(crate::sdp::Direction::SendRecv).unwrap();
    assert!(
        offer.contains("a=setup:actpass") && offer.contains("a=ice-lite"),
        "{offer}"
    );
    assert!(offer.contains("PCMA/8000") && offer.contains("telephone-event/8000"));
    assert!(matches!(leg.accept_answer("v=0"), Err(LegError::Sdp(_))));

    let mut cfg = Rtc::builder()
        .set_rtp_mode(true)
        .clear_codecs()
        .enable_pcma(true, false);
    cfg.codec_config().add_config(
        101.into(),
        None,
        StrCodec::Tele,
        Frequency::EIGHT_KHZ,
        None,
        Default::default(),
    );
    let mut brtc = cfg.build(now);
    let baddr: SocketAddr = BROWSER.parse().unwrap();
    brtc.add_local_candidate(Candidate::host(baddr, "udp").unwrap());
    let answer = brtc
        .sdp_api()
        .accept_offer(SdpOffer::from_sdp_string(&offer).unwrap())
        .unwrap()
        .to_sdp_string();
    leg.accept_answer(&answer).unwrap();
    assert_eq!(leg.negotiated().unwrap().pt_of(Codec::Pcma), Some(8));
    assert!(matches!(
        leg.accept_answer(&answer),
        Err(LegError::NoPendingOffer)
    ));

    let mut b = Browser {
        rtc: brtc,
        addr: baddr,
        connected: false,
        got: Vec::new(),
    };
    let mut sbc = Sbc::default();
    sbc.index.insert_ufrag(leg.local_ufrag().unwrap(), 7u32);
    run(
        &mut now,
        Duration::from_secs(10),
        &mut b,
        &mut leg,
        &mut sbc,
        true,
        |b, s| b.connected && s.connected,
    );
    assert!(b.connected && sbc.connected);
    leg.send_rtp(now, 8, 10, 0, true, &[0xd5; 160]).unwrap();
    run(
        &mut now,
        Duration::from_secs(2),
        &mut b,
        &mut leg,
        &mut sbc,
        true,
        |b, _| !b.got.is_empty(),
    );
    assert_eq!(b.got.first().map(|g| g.0), Some(8));

    // Hold relayed from the SIP side: a re-offer with sendonly, same stream.
    let hold = leg.create_offer(crate::sdp::Direction::SendOnly).unwrap();
    assert!(
        hold.contains("a=sendonly") && hold.contains("a=setup:actpass"),
        "{hold}"
    );
    assert!(
        hold.contains("a=ice-ufrag:") && hold.contains("a=fingerprint:"),
        "hold keeps ICE/DTLS: {hold}"
    );
    let ans = b
        .rtc
        .sdp_api()
        .accept_offer(SdpOffer::from_sdp_string(&hold).unwrap())
        .unwrap()
        .to_sdp_string();
    assert!(ans.contains("a=recvonly"), "{ans}");
    leg.accept_answer(&ans).unwrap();
    assert!(matches!(
        leg.create_offer(crate::sdp::Direction::SendOnly),
        Err(LegError::NoChange)
    ));
    assert_eq!(leg.last_local_sdp(), Some(hold.as_str()));
}

#[test]
fn browser_to_rtp_relay_with_dtmf_clock_rescale() {
    use crate::relay::RelayDirection;
    use crate::rtp::{self, RtpHeader};
    use crate::sdp::Sdp;
    use crate::translate::{LocalMedia, Origin, accept_answer, rtp_offer};

    let mut now = Instant::now();
    // The browser offers telephone-event only at 48000; the PBX side uses 8000.
    let (mut b, offer, pending, bmid) = Browser::with(now, false, false);
    let sip = [Codec::Pcmu, Codec::TelephoneEvent(8000)];
    let web = [Codec::Opus, Codec::Pcmu, Codec::TelephoneEvent(48000)];
    let local = LocalMedia {
        ip: "192.0.2.1".parse().unwrap(),
        rtp_port: 40000,
    };
    let sip_offer = rtp_offer(
        &Sdp::parse(&offer).unwrap(),
        &crate::codec::common(&sip, &web),
        local,
        &mut Origin::new(1),
    )
    .unwrap();
    let text = sip_offer.sdp.to_string();
    assert!(text.contains("a=rtpmap:110 telephone-event/8000"), "{text}");
    let pbx_answer = Sdp::parse(
        "v=0\r\nc=IN IP4 203.0.113.7\r\nm=audio 30000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
    )
    .unwrap();
    let plan = accept_answer(&pbx_answer, &sip_offer.pending).unwrap();
    assert_eq!(
        plan.offerer.pt_of(Codec::TelephoneEvent(48000)),
        Some(110),
        "{plan:?} {text}"
    );

    let mut leg = WebRtcLeg::new(now, leg_config(plan.offerer.formats.clone())).unwrap();
    let answer = leg.accept_offer(&offer).unwrap();
    assert!(answer.contains("telephone-event/48000"), "{answer}");
    b.rtc
        .sdp_api()
        .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
        .unwrap();
    let mut sbc = Sbc::default();
    sbc.index.insert_ufrag(leg.local_ufrag().unwrap(), 7u32);
    run(
        &mut now,
        Duration::from_secs(10),
        &mut b,
        &mut leg,
        &mut sbc,
        true,
        |b, s| b.connected && s.connected,
    );
    assert!(sbc.connected);

    // Browser → PBX: PCMU then an event of 960 ticks at 48 kHz.
    b.send(now, bmid, 0, 1, 0, vec![0xff; 160]);
    b.send(now, bmid, 110, 2, 48_000, vec![7, 0x0a, 0x03, 0xc0]);
    run(
        &mut now,
        Duration::from_secs(2),
        &mut b,
        &mut leg,
        &mut sbc,
        true,
        |_, s| s.got.len() >= 2,
    );
    let mut to_pbx = RelayDirection::new(plan.offerer_to_answerer(), 0x5bc);
    let mut out = [0u8; 1500];
    let mut sent = Vec::new();
    for p in &sbc.got {
        let h = RtpHeader {
            marker: p.marker,
            pt: p.pt,
            seq: p.seq,
            ts: p.ts,
            ssrc: p.ssrc,
        };
        let (_, n) = to_pbx.relay(now, h, &p.payload, &mut out).unwrap();
        sent.push(out[..n].to_vec());
    }
    let ev = rtp::parse(&sent[1]).unwrap();
    assert_eq!((ev.header.pt, ev.header.ssrc), (101, 0x5bc));
    assert_eq!(
        ev.payload,
        &[7, 0x0a, 0x00, 0xa0],
        "duration 960@48k → 160@8k"
    );

    // PBX → browser: an event at 8 kHz reaches the browser at PT 110 with
    // the duration rescaled to 48 kHz.
    let mut to_browser = RelayDirection::new(plan.answerer_to_offerer(), 0);
    for (seq, pt, payload) in [
        (900u16, 0u8, vec![0x7f; 160]),
        (901, 101, vec![4, 0x0a, 0x00, 0xa0]),
    ] {
        let mut pkt = vec![0u8; 12 + payload.len()];
        let h = RtpHeader {
            marker: false,
            pt,
            seq,
            ts: 16_000,
            ssrc: 99,
        };
        rtp::write_packet(&h, &payload, &mut pkt).unwrap();
        let (mapped, n) = to_browser.relay_datagram(now, &pkt, &mut out).unwrap();
        leg.send_rtp(
            now,
            mapped.pt,
            mapped.seq,
            mapped.ts,
            mapped.marker,
            &out[12..n],
        )
        .unwrap();
    }
    run(
        &mut now,
        Duration::from_secs(2),
        &mut b,
        &mut leg,
        &mut sbc,
        true,
        |b, _| b.got.len() >= 2,
    );
    assert_eq!(b.got.iter().map(|g| g.0).collect::<Vec<_>>(), [0, 110]);
}

#[test]
fn unusable_candidate_and_bad_offer_are_errors() {
    let now = Instant::now();
    let bad = LegConfig {
        local_addr: "0.0.0.0:5000".parse().unwrap(),
        codecs: vec![Format {
            pt: 0,
            codec: Codec::Pcmu,
        }],
        cert: new_dtls_cert().unwrap(),
    };
    assert!(matches!(
        WebRtcLeg::new(now, bad),
        Err(LegError::Candidate(_))
    ));
    let mut leg = WebRtcLeg::new(
        now,
        leg_config(vec![Format {
            pt: 0,
            codec: Codec::Pcmu,
        }]),
    )
    .unwrap();
    // A SIP peer's RTP/AVP offer is not a WebRTC offer.
    let pbx = include_str!("../../tests/fixtures/pbx_offer.sdp");
    assert!(matches!(leg.accept_offer(pbx), Err(LegError::Sdp(_))));
    assert!(matches!(leg.accept_offer("garbage"), Err(LegError::Sdp(_))));
    assert!(matches!(
        leg.send_rtp(now, 0, 1, 1, false, &[0]),
        Err(LegError::NotNegotiated)
    ));
}
