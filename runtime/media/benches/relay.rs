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
use str0m::media::{Direction, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::rtp::RtpWrite;
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
fn connected_leg() -> (WebRtcLeg, Rtc, Mid, Instant) {
    let mut now = Instant::now();
    let baddr: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let mut browser = Rtc::builder()
        .set_rtp_mode(true)
        .clear_codecs()
        .enable_pcmu(true, false)
        .build(now);
    browser.add_local_candidate(Candidate::host(baddr, "udp").unwrap());
    let mut api = browser.sdp_api();
    let mid = api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
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
            return (leg, browser, mid, now);
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
    let (mut leg, mut browser, _, mut now) = connected_leg();
    let from = leg.local_addr();
    let browser_addr: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let payload = [0x55u8; 160];
    let mut seq = 0u16;
    let mut ts = 0u32;
    let (mut calls, mut media_out) = (0u64, 0u64);
    c.bench_function("str0m_send_rtp", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            let mut out: Vec<Vec<u8>> = Vec::new();
            for _ in 0..iters {
                // Untimed: advance the clock 20 ms, keep ICE consent and RTCP going.
                now += Duration::from_millis(20);
                browser.handle_input(Input::Timeout(now)).unwrap();
                loop {
                    match browser.poll_output().unwrap() {
                        Output::Timeout(_) => break,
                        Output::Transmit(t) => leg
                            .handle_datagram(now, browser_addr, from, &t.contents)
                            .unwrap(),
                        Output::Event(_) => {}
                    }
                }
                for d in out.drain(..) {
                    let r = Receive::new(Protocol::Udp, from, browser_addr, &d).unwrap();
                    browser.handle_input(Input::Receive(now, r)).unwrap();
                }
                // Timed: write, SRTP protect, drain to the datagram.
                let start = Instant::now();
                calls += 1;
                seq = seq.wrapping_add(1);
                ts = ts.wrapping_add(160);
                leg.send_rtp(now, 0, seq, ts, false, &payload).unwrap();
                leg.handle_timeout(now).unwrap();
                loop {
                    match leg.poll() {
                        LegOutput::Timeout(_) => break,
                        LegOutput::Transmit { bytes, .. } => {
                            if classify(&bytes) == PacketKind::Rtp {
                                media_out += 1;
                            }
                            out.push(bytes);
                        }
                        other => {
                            black_box(other);
                        }
                    }
                }
                spent += start.elapsed();
            }
            spent
        })
    });
    assert_eq!(
        media_out, calls,
        "every send must produce one SRTP datagram"
    );
}

/// The browser→SBC direction: SRTP unprotect and the `Rtp` output. Each
/// packet is made by the browser outside the timed section; the virtual
/// clock advances 20 ms per packet as in a real call.
fn str0m_receive(c: &mut Criterion) {
    let (mut leg, mut browser, mid, mut now) = connected_leg();
    let from: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let to = leg.local_addr();
    let mut seq = 0u64;
    let mut received = 0u64;
    let mut fed_total = 0u64;
    c.bench_function("str0m_receive_rtp", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            let mut fed = 0u64;
            let mut to_browser: Vec<Vec<u8>> = Vec::new();
            while fed < iters {
                // Untimed: the clock, ICE consent and RTCP in both directions.
                now += Duration::from_millis(20);
                browser.handle_input(Input::Timeout(now)).unwrap();
                leg.handle_timeout(now).unwrap();
                loop {
                    match leg.poll() {
                        LegOutput::Timeout(_) => break,
                        LegOutput::Transmit { bytes, .. } => to_browser.push(bytes),
                        _ => {}
                    }
                }
                for d in to_browser.drain(..) {
                    let r = Receive::new(Protocol::Udp, to, from, &d).unwrap();
                    browser.handle_input(Input::Receive(now, r)).unwrap();
                }
                seq += 1;
                {
                    let mut api = browser.direct_api();
                    let tx = api.stream_tx_by_mid(mid, None).unwrap();
                    tx.write_rtp(RtpWrite::new(
                        0.into(),
                        seq.into(),
                        (seq * 160) as u32,
                        now,
                        vec![0x55; 160],
                    ));
                }
                let mut media = Vec::new();
                loop {
                    match browser.poll_output().unwrap() {
                        Output::Timeout(_) => break,
                        Output::Transmit(t) if classify(&t.contents) == PacketKind::Rtp => {
                            media.push(t.contents.to_vec())
                        }
                        Output::Transmit(t) => {
                            leg.handle_datagram(now, from, to, &t.contents).unwrap();
                        }
                        Output::Event(_) => {}
                    }
                }
                // Timed: SRTP unprotect and the RTP output for each media packet.
                let start = Instant::now();
                for d in &media {
                    leg.handle_datagram(now, from, to, d).unwrap();
                    loop {
                        match leg.poll() {
                            LegOutput::Timeout(_) => break,
                            LegOutput::Rtp(p) => {
                                received += 1;
                                black_box(p);
                            }
                            LegOutput::Transmit { bytes, .. } => to_browser.push(bytes),
                            other => {
                                black_box(other);
                            }
                        }
                    }
                    fed += 1;
                }
                spent += start.elapsed();
            }
            fed_total += fed;
            spent
        })
    });
    assert_eq!(received, fed_total, "every fed packet must come out as RTP");
}

criterion_group!(benches, relay_step, str0m_send, str0m_receive);
criterion_main!(benches);
