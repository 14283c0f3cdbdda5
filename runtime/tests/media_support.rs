//! Helpers for the media engine tests (included by each `media_*` test with
//! `#[path]`; compiled on its own it holds no test).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use sbcctl_compiler::plan::{Plan, ProfileId, RealmId};
use sbcctl_compiler::source::SourceFile;
use sbcctl_compiler::{Options, compile};
use sbcctl_media::rtp::{self, RtpHeader};
use sbcctl_media::sdp::Sdp;
use sbcctl_runtime::media::{LegMedia, MediaEngine, MediaEvent};
use tokio::net::UdpSocket;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// Compiles a spec held in the test.
pub fn plan(yaml: &str) -> Plan {
    let output = compile(
        &SourceFile::new("test.yaml", Path::new("."), yaml),
        Options { pure: true },
    );
    let messages: Vec<&str> = output
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    output
        .plan
        .unwrap_or_else(|| panic!("test spec does not compile: {messages:?}"))
}

/// A spec with two loopback realms on the given port ranges and the
/// profiles the tests use.
pub fn spec(left: &str, right: &str) -> String {
    format!(
        r#"version: 1
interfaces:
  sip: {{ transport: udp, listen: "127.0.0.1:0" }}
media_realms:
  left: {{ listen: 127.0.0.1, ports: {left} }}
  right: {{ listen: 127.0.0.1, ports: {right} }}
profiles:
  phone: {{ media: rtp, codecs: [pcma, pcmu, telephone-event], media_timeout: 1s }}
  trunk: {{ media: rtp, codecs: [pcmu, pcma, telephone-event], media_timeout: 0s }}
  wideband: {{ media: rtp, codecs: [g722] }}
  web: {{ media: webrtc, codecs: [opus, pcmu, pcma, telephone-event], media_timeout: 0s }}
peers:
  echo: {{ echo: {{}} }}
routes:
  - {{ name: all, to: {{ peer: echo }} }}
"#
    )
}

pub fn realm(plan: &Plan, name: &str) -> RealmId {
    let i = plan
        .media_realms
        .iter()
        .position(|r| r.name == name)
        .expect("realm");
    RealmId(i as u32)
}

pub fn profile(plan: &Plan, name: &str) -> ProfileId {
    let i = plan
        .profiles
        .iter()
        .position(|p| p.name == name)
        .expect("profile");
    ProfileId(i as u32)
}

pub fn leg(plan: &Plan, realm_name: &str, profile_name: &str) -> LegMedia {
    LegMedia {
        realm: realm(plan, realm_name),
        profile: Some(profile(plan, profile_name)),
    }
}

pub fn engine(plan: &Plan) -> (MediaEngine, UnboundedReceiver<MediaEvent>) {
    let (tx, rx) = unbounded_channel();
    (MediaEngine::new(plan, tx), rx)
}

/// A SIP phone's media socket (RTP; RTCP on the next port is not bound).
pub async fn phone() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.expect("bind")
}

/// A plain RTP/AVP description on `addr` with the given `m=` formats and
/// extra attribute lines.
pub fn rtp_sdp(addr: SocketAddr, fmts: &str, attrs: &[&str]) -> String {
    let mut s = format!(
        "v=0\r\no=phone 42 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {fmts}\r\n",
        ip = addr.ip(),
        port = addr.port()
    );
    for a in attrs {
        s.push_str("a=");
        s.push_str(a);
        s.push_str("\r\n");
    }
    s
}

/// The audio address and formats an SDP body states.
pub fn audio(body: &[u8]) -> (SocketAddr, Vec<String>, Sdp) {
    let sdp = Sdp::parse_bytes(body).expect("valid SDP");
    let (_, m) = sdp.audio().expect("audio");
    let ip = m
        .effective_connection(&sdp)
        .and_then(|c| c.ip())
        .expect("c= address");
    let addr = SocketAddr::new(ip, m.mline.port);
    let fmts = m.mline.fmts.clone();
    (addr, fmts, sdp.clone())
}

pub fn rtp_packet(pt: u8, seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 12 + payload.len()];
    let h = RtpHeader {
        marker: false,
        pt,
        seq,
        ts: u32::from(seq) * 160,
        ssrc,
    };
    rtp::write_packet(&h, payload, &mut buf).expect("packet");
    buf
}

/// The next datagram on `socket` within `limit`, parsed as RTP.
pub async fn recv_rtp(socket: &UdpSocket, limit: Duration) -> Option<(RtpHeader, Vec<u8>)> {
    let mut buf = [0u8; 2048];
    let (n, _) = tokio::time::timeout(limit, socket.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    let v = rtp::parse(&buf[..n]).ok()?;
    Some((v.header, v.payload.to_vec()))
}

/// Open file descriptors of this process (sockets included).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// A phone with an RTP socket on an even port and RTCP on the next one.
pub async fn phone_pair() -> (UdpSocket, UdpSocket) {
    for port in (25000..26000u16).step_by(2) {
        let Ok(rtp) = UdpSocket::bind(("127.0.0.1", port)).await else {
            continue;
        };
        if let Ok(rtcp) = UdpSocket::bind(("127.0.0.1", port + 1)).await {
            return (rtp, rtcp);
        }
    }
    panic!("no free port pair for the test phone");
}

/// Microseconds since the UNIX epoch: a send time that can travel inside a
/// payload and be compared on the receiving side of the same machine.
pub fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The send time a load phone wrote at the start of an RTP payload.
pub fn payload_stamp(payload: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = payload.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// The `p`-th percentile (0..=100) of sorted samples, nearest rank.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1).min(last)).copied()
}

/// The machine's count of UDP datagrams dropped for a full receive buffer
/// (`RcvbufErrors` in /proc/net/snmp; 0 where that is not readable). Shared
/// by every process, so only a hint of where a load run lost packets.
pub fn udp_rcvbuf_errors() -> u64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (Some(names), Some(values)) = (udp.next(), udp.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "RcvbufErrors")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}
