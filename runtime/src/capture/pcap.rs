//! The classic pcap file format with raw IP frames (link type 101): what Wireshark, tshark and
//! sngrep open directly. Pure encoding, no I/O.
//!
//! Each SIP message becomes one UDP datagram between the real addresses and ports of its flow,
//! whatever the transport it used (UDP, TCP, TLS, WS or WSS): the capture shows what the SBC
//! parsed and sent, decrypted and unframed, which is what one needs to debug signalling. Ports
//! other than 5060 need Wireshark's "Decode As… SIP".

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

/// pcap magic for microsecond timestamps, written little-endian.
const MAGIC: u32 = 0xa1b2_c3d4;
/// LINKTYPE_RAW: each packet starts with an IPv4 or IPv6 header.
pub const LINKTYPE_RAW: u32 = 101;
/// Largest packet stored; a bigger one is truncated (its original length is kept).
pub const SNAPLEN: u32 = 65_535;

/// The 24-byte file header.
pub fn file_header() -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&MAGIC.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    // thiszone and sigfigs stay 0.
    h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
    h[20..24].copy_from_slice(&LINKTYPE_RAW.to_le_bytes());
    h
}

/// One record: its header and an IP/UDP packet carrying `payload` from `src` to `dst`.
pub fn record(at: SystemTime, src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let packet = match (ip_pair(src.ip(), dst.ip()), src.port(), dst.port()) {
        (Pair::V4(s, d), sp, dp) => ipv4_udp(s, d, sp, dp, payload),
        (Pair::V6(s, d), sp, dp) => ipv6_udp(s, d, sp, dp, payload),
    };
    let orig = u32::try_from(packet.len()).unwrap_or(u32::MAX);
    let incl = orig.min(SNAPLEN);
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut out = Vec::with_capacity(16 + incl as usize);
    out.extend_from_slice(
        &u32::try_from(since.as_secs())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(&since.subsec_micros().to_le_bytes());
    out.extend_from_slice(&incl.to_le_bytes());
    out.extend_from_slice(&orig.to_le_bytes());
    out.extend_from_slice(&packet[..incl as usize]);
    out
}

enum Pair {
    V4(Ipv4Addr, Ipv4Addr),
    V6(Ipv6Addr, Ipv6Addr),
}

/// Both ends in one family: IPv4-mapped IPv6 addresses become IPv4, and an IPv4 address
/// facing an IPv6 one becomes IPv4-mapped.
fn ip_pair(a: IpAddr, b: IpAddr) -> Pair {
    let v4 = |ip: IpAddr| match ip {
        IpAddr::V4(v) => Some(v),
        IpAddr::V6(v) => v.to_ipv4_mapped(),
    };
    match (v4(a), v4(b)) {
        (Some(a), Some(b)) => Pair::V4(a, b),
        _ => {
            let v6 = |ip: IpAddr| match ip {
                IpAddr::V4(v) => v.to_ipv6_mapped(),
                IpAddr::V6(v) => v,
            };
            Pair::V6(v6(a), v6(b))
        }
    }
}

fn udp_header(sp: u16, dp: u16, len: u16, checksum: u16) -> [u8; 8] {
    let mut h = [0u8; 8];
    h[0..2].copy_from_slice(&sp.to_be_bytes());
    h[2..4].copy_from_slice(&dp.to_be_bytes());
    h[4..6].copy_from_slice(&len.to_be_bytes());
    h[6..8].copy_from_slice(&checksum.to_be_bytes());
    h
}

/// An IPv4 packet (RFC 791) with a UDP datagram (RFC 768). The UDP checksum is 0 ("none"),
/// which IPv4 allows; the header checksum is computed. Lengths saturate at 65535.
fn ipv4_udp(src: Ipv4Addr, dst: Ipv4Addr, sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let udp_len = u16::try_from(8 + payload.len()).unwrap_or(u16::MAX);
    let total = u16::try_from(28 + payload.len()).unwrap_or(u16::MAX);
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[6] = 0x40; // don't fragment
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    ip[12..16].copy_from_slice(&src.octets());
    ip[16..20].copy_from_slice(&dst.octets());
    let sum = checksum(&[&ip]);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    let mut out = Vec::with_capacity(28 + payload.len());
    out.extend_from_slice(&ip);
    out.extend_from_slice(&udp_header(sp, dp, udp_len, 0));
    out.extend_from_slice(payload);
    out
}

/// An IPv6 packet (RFC 8200) with a UDP datagram whose checksum is mandatory (RFC 8200 §8.1).
fn ipv6_udp(src: Ipv6Addr, dst: Ipv6Addr, sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let udp_len = u16::try_from(8 + payload.len()).unwrap_or(u16::MAX);
    let mut pseudo = Vec::with_capacity(40);
    pseudo.extend_from_slice(&src.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&u32::from(udp_len).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 17]);
    let mut sum = checksum(&[&pseudo, &udp_header(sp, dp, udp_len, 0), payload]);
    if sum == 0 {
        sum = 0xffff;
    }
    let mut ip = [0u8; 40];
    ip[0] = 0x60;
    ip[4..6].copy_from_slice(&udp_len.to_be_bytes());
    ip[6] = 17;
    ip[7] = 64;
    ip[8..24].copy_from_slice(&src.octets());
    ip[24..40].copy_from_slice(&dst.octets());
    let mut out = Vec::with_capacity(48 + payload.len());
    out.extend_from_slice(&ip);
    out.extend_from_slice(&udp_header(sp, dp, udp_len, sum));
    out.extend_from_slice(payload);
    out
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in *part {
            match odd.take() {
                Some(hi) => sum += u64::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u64::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_header_checksum_verifies() {
        let pkt = ipv4_udp(
            Ipv4Addr::new(192, 0, 2, 1),
            Ipv4Addr::new(198, 51, 100, 7),
            5060,
            5062,
            b"OPTIONS",
        );
        // Summing a header that carries its checksum gives 0 after complementing.
        assert_eq!(checksum(&[&pkt[..20]]), 0);
        assert_eq!(u16::from_be_bytes([pkt[2], pkt[3]]) as usize, pkt.len());
    }

    #[test]
    fn ipv6_udp_checksum_verifies() {
        let (s, d): (Ipv6Addr, Ipv6Addr) = (
            "2001:db8::1".parse().unwrap_or(Ipv6Addr::LOCALHOST),
            "2001:db8::2".parse().unwrap_or(Ipv6Addr::LOCALHOST),
        );
        let pkt = ipv6_udp(s, d, 5060, 5060, b"BYE sip:x SIP/2.0\r\n");
        let udp = &pkt[40..];
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&s.octets());
        pseudo.extend_from_slice(&d.octets());
        pseudo.extend_from_slice(&(udp.len() as u32).to_be_bytes());
        pseudo.extend_from_slice(&[0, 0, 0, 17]);
        assert_eq!(checksum(&[&pseudo, udp]), 0);
    }

    #[test]
    fn mixed_families_are_made_one() {
        let v4: SocketAddr = "127.0.0.1:5060"
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let mapped: SocketAddr = "[::ffff:10.0.0.1]:5070".parse().unwrap_or(v4);
        let rec = record(UNIX_EPOCH, v4, mapped, b"x");
        assert_eq!(
            rec[16] >> 4,
            4,
            "both ends are IPv4 once the mapped one is unmapped"
        );
    }
}
