//! Per-packet cost of the relay path.
//!
//! * `rtp_relay_step`: parse an RTP datagram, map PT/seq/ts/SSRC, write the
//!   packet for the other leg (the RTP↔RTP hot path).
//! * `rtp_full_step`: the same plus first-byte demux and the latch check.
//! * `str0m_send_rtp`: a connected WebRTC leg's send path (`send_rtp`, SRTP
//!   protect, drain to the `Transmit`).

use std::collections::VecDeque;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use sbcctl_media::codec::{Codec, Format, Negotiated, PtMap};
use sbcctl_media::demux::{PacketKind, classify};
use sbcctl_media::relay::{Latch, LatchPolicy, LatchVerdict, RelayDirection};
use sbcctl_media::rtp::{RtpHeader, write_packet};
use sbcctl_media::webrtc::{LegConfig, LegOutput, WebRtcLeg, new_dtls_cert};
use str0m::change::SdpAnswer;
use str0m::media::{Direction, MediaKind};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

fn g711() -> Negotiated {
    Negotiated {
        formats: vec![
            Format {
                pt: 0,
                codec: Codec::Pcmu,
            },
            Format {
                pt: 101,
                codec: Codec::TelephoneEvent(8000),
            },
        ],
    }
}

fn relay_step(c: &mut Criterion) {
    let mut dir = RelayDirection::new(PtMap::between(&g711(), &g711()), 42);
    let mut latch = Latch::new(LatchPolicy::Any, None, Duration::from_secs(2));
    let from: SocketAddr = "203.0.113.5:4000".parse().unwrap();
    let mut input = [0u8; 172];
    let mut out = [0u8; 1500];
    let t0 = Instant::now();
    let mut i = 0u32;
    c.bench_function("rtp_relay_step", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let h = RtpHeader {
                marker: false,
                pt: 0,
                seq: i as u16,
                ts: i.wrapping_mul(160),
                ssrc: 7,
            };
            let n = write_packet(&h, &[0x55; 160], &mut input).unwrap();
            black_box(
                dir.relay_datagram(t0, black_box(&input[..n]), &mut out)
                    .unwrap(),
            );
        })
    });
    c.bench_function("rtp_full_step", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let h = RtpHeader {
                marker: false,
                pt: 0,
                seq: i as u16,
                ts: i.wrapping_mul(160),
                ssrc: 7,
            };
            let n = write_packet(&h, &[0x55; 160], &mut input).unwrap();
            let pkt = black_box(&input[..n]);
            if classify(pkt) == PacketKind::Rtp && latch.on_packet(t0, from) != LatchVerdict::Reject
            {
                black_box(dir.relay_datagram(t0, pkt, &mut out).unwrap());
            }
        })
    });
}

/// Connects a leg to an in-memory full-ICE str0m "browser".
fn connected_leg() -> (WebRtcLeg, Instant) {
    let mut now = Instant::now();
    let baddr: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let mut browser = Rtc::builder()
        .set_rtp_mode(true)
        .clear_codecs()
        .enable_pcmu(true, false)
        .build(now);
    browser.add_local_candidate(Candidate::host(baddr, "udp").unwrap());
    let mut api = browser.sdp_api();
    api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
    let (offer, pending) = api.apply().unwrap();
    let config = LegConfig {
        local_addr: "10.0.0.2:6000".parse().unwrap(),
        codecs: vec![Format {
            pt: 0,
            codec: Codec::Pcmu,
        }],
        cert: new_dtls_cert().unwrap(),
    };
    let mut leg = WebRtcLeg::new(now, config).unwrap();
    let answer = leg.accept_offer(&offer.to_sdp_string()).unwrap();
    browser
        .sdp_api()
        .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
        .unwrap();
    let (mut up, mut down) = (false, false);
    let mut net: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)> = VecDeque::new();
    for _ in 0..2000 {
        let t1 = loop {
            match browser.poll_output().unwrap() {
                Output::Timeout(t) => break t,
                Output::Transmit(t) => {
                    net.push_back((t.source, t.destination, t.contents.to_vec()))
                }
                Output::Event(Event::Connected) => up = true,
                Output::Event(_) => {}
            }
        };
        let t2 = loop {
            match leg.poll() {
                LegOutput::Timeout(t) => break t,
                LegOutput::Transmit { to, bytes } => net.push_back((leg.local_addr(), to, bytes)),
                LegOutput::Connected => down = true,
                _ => {}
            }
        };
        while let Some((from, to, data)) = net.pop_front() {
            if to == baddr {
                let r = Receive::new(Protocol::Udp, from, to, &data).unwrap();
                browser.handle_input(Input::Receive(now, r)).unwrap();
            } else {
                leg.handle_datagram(now, from, to, &data).unwrap();
            }
        }
        if up && down {
            return (leg, now);
        }
        now = t1.min(t2).clamp(
            now + Duration::from_millis(1),
            now + Duration::from_millis(50),
        );
        browser.handle_input(Input::Timeout(now)).unwrap();
        leg.handle_timeout(now).unwrap();
    }
    panic!("bench leg did not connect");
}

fn str0m_send(c: &mut Criterion) {
    let (mut leg, now) = connected_leg();
    let payload = [0x55u8; 160];
    let mut seq = 0u16;
    let mut ts = 0u32;
    c.bench_function("str0m_send_rtp", |b| {
        b.iter(|| {
            seq = seq.wrapping_add(1);
            ts = ts.wrapping_add(160);
            leg.send_rtp(now, 0, seq, ts, false, &payload).unwrap();
            loop {
                match leg.poll() {
                    LegOutput::Timeout(_) => break,
                    other => {
                        black_box(other);
                    }
                }
            }
        })
    });
}

criterion_group!(benches, relay_step, str0m_send);
criterion_main!(benches);
