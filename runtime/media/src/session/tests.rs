//! Offer/answer and relay of one call without sockets.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::*;
use crate::rtp::{self, RtpHeader};
use crate::sdp::{Direction, Sdp};

struct Fake {
    next_port: u16,
    allocated: Vec<Leg>,
}

impl Resources for Fake {
    fn rtp_ports(&mut self, leg: Leg) -> Result<SocketAddr, Reject> {
        self.allocated.push(leg);
        let port = self.next_port;
        self.next_port += 2;
        Ok(SocketAddr::new(self.advertise(leg), port))
    }
    fn webrtc(&mut self, _leg: Leg) -> Result<(SocketAddr, DtlsCert), Reject> {
        Err(Reject::new(503, "no WebRTC here"))
    }
    fn advertise(&self, leg: Leg) -> IpAddr {
        match leg {
            Leg::A => "192.0.2.1".parse().unwrap(),
            Leg::B => "198.51.100.1".parse().unwrap(),
        }
    }
}

fn fake() -> Fake {
    Fake {
        next_port: 40000,
        allocated: Vec::new(),
    }
}

fn rtp_spec(codecs: &[Codec]) -> LegSpec {
    LegSpec {
        kind: LegKind::Rtp,
        codecs: codecs.to_vec(),
    }
}

fn config(shape: Shape) -> CallConfig {
    CallConfig {
        shape,
        media_timeout: Some(Duration::from_secs(30)),
        ssrcs: [0xaaaa, 0xbbbb],
        origin_ids: [11, 22],
        cname: "sbc".into(),
        rtcp_interval: Duration::from_secs(5),
        relatch_after: Duration::from_secs(2),
        wall_clock: (Instant::now(), Duration::from_secs(1_700_000_000)),
    }
}

const PHONE: [Codec; 3] = [Codec::Pcmu, Codec::Pcma, Codec::TelephoneEvent(8000)];

fn relay_call() -> CallMedia {
    CallMedia::new(config(Shape::Relay {
        a: rtp_spec(&PHONE),
        b: rtp_spec(&PHONE),
    }))
}

fn offer(ip: &str, port: u16, dir: &str) -> String {
    format!(
        "v=0\r\no=x 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na={dir}\r\n"
    )
}

fn answer(ip: &str, port: u16, dir: &str) -> String {
    format!(
        "v=0\r\no=y 5 5 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 8 96\r\na=rtpmap:96 telephone-event/8000\r\na={dir}\r\n"
    )
}

fn audio_port(sdp: &str) -> (String, u16) {
    let s = Sdp::parse(sdp).unwrap();
    let (_, m) = s.audio().unwrap();
    (m.effective_connection(&s).unwrap().address, m.mline.port)
}

fn packet(pt: u8, seq: u16) -> Vec<u8> {
    let mut buf = vec![0u8; 12 + 160];
    let h = RtpHeader {
        marker: false,
        pt,
        seq,
        ts: u32::from(seq) * 160,
        ssrc: 0x1234,
    };
    rtp::write_packet(&h, &[0xd5; 160], &mut buf).unwrap();
    buf
}

/// A offers, B answers: both sides see the SBC's realm address and even port.
fn connect(call: &mut CallMedia, res: &mut Fake, now: Instant) -> (String, String) {
    let to_b = call
        .on_sdp(
            now,
            Leg::A,
            false,
            offer("10.0.0.1", 5000, "sendrecv").as_bytes(),
            res,
        )
        .unwrap();
    let to_a = call
        .on_sdp(
            now,
            Leg::B,
            true,
            answer("10.0.0.2", 6000, "sendrecv").as_bytes(),
            res,
        )
        .unwrap();
    (to_b, to_a)
}

#[test]
fn offer_answer_rewrites_addresses_and_relays_with_pt_map() {
    let now = Instant::now();
    let mut call = relay_call();
    let mut res = fake();
    let (to_b, to_a) = connect(&mut call, &mut res, now);
    assert_eq!(audio_port(&to_b), ("198.51.100.1".into(), 40002));
    assert_eq!(audio_port(&to_a), ("192.0.2.1".into(), 40000));
    assert!(to_b.contains("a=rtcp:40003"), "{to_b}");
    assert!(!to_b.contains("10.0.0.1"), "topology hidden: {to_b}");
    assert_eq!(res.allocated, [Leg::A, Leg::B]);

    let mut out = [0u8; 1500];
    let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let b: SocketAddr = "10.0.0.2:6000".parse().unwrap();
    let s = call
        .on_socket(now, Leg::A, Port::Rtp, a, &packet(101, 7), &mut out)
        .unwrap();
    assert_eq!((s.via, s.to), (Via::Rtp(Leg::B), b));
    let v = rtp::parse(&out[..s.len]).unwrap();
    assert_eq!((v.header.pt, v.header.ssrc), (96, 0xbbbb), "PT 101 → 96");
    let s = call
        .on_socket(now, Leg::B, Port::Rtp, b, &packet(96, 9), &mut out)
        .unwrap();
    assert_eq!((s.via, s.to), (Via::Rtp(Leg::A), a));
    assert_eq!(rtp::parse(&out[..s.len]).unwrap().header.pt, 101);
    assert!(
        call.on_socket(now, Leg::B, Port::Rtp, b, &packet(0, 10), &mut out)
            .is_none(),
        "PCMU was not answered"
    );
    assert_eq!(call.counters().packets, 2);
    assert_eq!(call.counters().dropped, 1);
}

#[test]
fn repeated_answer_and_reoffer_keep_ports() {
    let now = Instant::now();
    let mut call = relay_call();
    let mut res = fake();
    let (_, first) = connect(&mut call, &mut res, now);
    let again = call
        .on_sdp(
            now,
            Leg::B,
            true,
            answer("10.0.0.2", 6000, "sendrecv").as_bytes(),
            &mut res,
        )
        .unwrap();
    assert_eq!(first, again, "183 then 200 with the same SDP");
    let moved = call
        .on_sdp(
            now,
            Leg::B,
            true,
            answer("10.0.0.3", 6002, "sendrecv").as_bytes(),
            &mut res,
        )
        .unwrap();
    assert_eq!(moved, first, "our side did not change");
    let mut out = [0u8; 1500];
    let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let s = call
        .on_socket(now, Leg::A, Port::Rtp, a, &packet(8, 1), &mut out)
        .unwrap();
    assert_eq!(
        s.to,
        "10.0.0.3:6002".parse().unwrap(),
        "the 200's address wins"
    );

    // Hold from B (a re-INVITE): A is told sendonly, A's media is not sent to B.
    let hold = call
        .on_sdp(
            now,
            Leg::B,
            false,
            offer("10.0.0.3", 6002, "sendonly").as_bytes(),
            &mut res,
        )
        .unwrap();
    assert!(hold.contains("a=sendonly"), "{hold}");
    assert_eq!(audio_port(&hold), ("192.0.2.1".into(), 40000));
    let back = call
        .on_sdp(
            now,
            Leg::A,
            true,
            answer("10.0.0.1", 5000, "recvonly").as_bytes(),
            &mut res,
        )
        .unwrap();
    assert!(back.contains("a=recvonly"), "{back}");
    assert_eq!(audio_port(&back), ("198.51.100.1".into(), 40002));
    assert!(
        call.on_socket(now, Leg::A, Port::Rtp, a, &packet(8, 2), &mut out)
            .is_none()
    );
    let b: SocketAddr = "10.0.0.3:6002".parse().unwrap();
    assert!(
        call.on_socket(now, Leg::B, Port::Rtp, b, &packet(8, 1), &mut out)
            .is_some()
    );
    assert_eq!(res.allocated.len(), 2, "no re-allocation");
}

#[test]
fn late_offer_is_answered_by_the_ack() {
    let now = Instant::now();
    let mut call = relay_call();
    let mut res = fake();
    // INVITE without SDP: B's 200 carries the offer, A's ACK the answer.
    let to_a = call
        .on_sdp(
            now,
            Leg::B,
            true,
            offer("10.0.0.2", 6000, "sendrecv").as_bytes(),
            &mut res,
        )
        .unwrap();
    assert_eq!(audio_port(&to_a).1, 40002);
    let to_b = call
        .on_sdp(
            now,
            Leg::A,
            false,
            answer("10.0.0.1", 5000, "sendrecv").as_bytes(),
            &mut res,
        )
        .unwrap();
    assert_eq!(audio_port(&to_b), ("198.51.100.1".into(), 40000));
    let mut out = [0u8; 1500];
    let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let s = call
        .on_socket(now, Leg::A, Port::Rtp, a, &packet(96, 1), &mut out)
        .unwrap();
    assert_eq!(rtp::parse(&out[..s.len]).unwrap().header.pt, 101);
}

#[test]
fn rejections() {
    let now = Instant::now();
    let mut call = CallMedia::new(config(Shape::Relay {
        a: rtp_spec(&PHONE),
        b: rtp_spec(&[Codec::G722]),
    }));
    let mut res = fake();
    let e = call
        .on_sdp(
            now,
            Leg::A,
            false,
            offer("10.0.0.1", 5000, "sendrecv").as_bytes(),
            &mut res,
        )
        .unwrap_err();
    assert_eq!(e.code, 488);
    assert!(
        e.reason.contains("PCMA/8000") && e.reason.contains("allowed"),
        "{}",
        e.reason
    );
    assert!(
        res.allocated.is_empty(),
        "nothing allocated for a refused offer"
    );
    let e = call
        .on_sdp(now, Leg::A, false, b"garbage", &mut res)
        .unwrap_err();
    assert_eq!(e.code, 400);
}

#[test]
fn echo_answers_and_echoes_then_times_out() {
    let t0 = Instant::now();
    let mut call = CallMedia::new(config(Shape::Echo {
        a: rtp_spec(&PHONE),
        codecs: vec![],
    }));
    let mut res = fake();
    let to_echo = call
        .on_sdp(
            t0,
            Leg::A,
            false,
            offer("10.0.0.1", 5000, "sendrecv").as_bytes(),
            &mut res,
        )
        .unwrap();
    let echo = call.echo_answer(to_echo.as_bytes()).unwrap();
    assert!(echo.contains("m=audio 9 RTP/AVP 0 101"), "{echo}");
    let to_a = call
        .on_sdp(t0, Leg::B, true, echo.as_bytes(), &mut res)
        .unwrap();
    assert_eq!(audio_port(&to_a), ("192.0.2.1".into(), 40000));
    assert!(to_a.contains("m=audio 40000 RTP/AVP 0 101"), "{to_a}");
    assert_eq!(res.allocated, [Leg::A]);
    let mut out = [0u8; 1500];
    let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let s = call
        .on_socket(t0, Leg::A, Port::Rtp, a, &packet(0, 3), &mut out)
        .unwrap();
    assert_eq!((s.via, s.to), (Via::Rtp(Leg::A), a));
    let v = rtp::parse(&out[..s.len]).unwrap();
    assert_eq!((v.header.pt, v.header.ssrc), (0, 0xaaaa));
    // Our own RTCP toward A, then the inactivity timeout.
    let t1 = call.poll_timeout().unwrap();
    assert!(t1 <= t0 + Duration::from_secs(5));
    call.handle_timeout(t1);
    let report = call.poll_output();
    assert!(
        matches!(report, Some(Output::Transmit { via: Via::Rtcp(Leg::A), to, .. }) if to.port() == 5001),
        "{report:?}"
    );
    call.handle_timeout(t0 + Duration::from_secs(31));
    let mut outs = Vec::new();
    while let Some(o) = call.poll_output() {
        outs.push(o);
    }
    assert!(outs.contains(&Output::MediaTimeout), "{outs:?}");
    let _ = Direction::SendRecv;
}
