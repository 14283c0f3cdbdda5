//! First-byte demultiplexing of one UDP port (RFC 7983 §7, updated by
//! RFC 9443), plus RTP/RTCP separation by payload type (RFC 5761 §4).

/// What a datagram on a multiplexed port is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    /// First byte 0–3.
    Stun,
    /// First byte 20–63.
    Dtls,
    /// First byte 128–191, second byte not an RTCP packet type.
    Rtp,
    /// First byte 128–191, second byte 192–223 (RTCP PT 200–207 with M bit).
    Rtcp,
    /// Anything else (ZRTP, TURN channels, garbage): drop.
    Unknown,
}

/// Classifies a datagram without looking past its second byte.
pub fn classify(buf: &[u8]) -> PacketKind {
    match buf.first() {
        Some(0..=3) => PacketKind::Stun,
        Some(20..=63) => PacketKind::Dtls,
        Some(128..=191) => match buf.get(1) {
            Some(192..=223) => PacketKind::Rtcp,
            Some(_) => PacketKind::Rtp,
            None => PacketKind::Unknown,
        },
        _ => PacketKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(classify(&[0, 1]), PacketKind::Stun);
        assert_eq!(classify(&[3]), PacketKind::Stun);
        assert_eq!(classify(&[4]), PacketKind::Unknown);
        assert_eq!(classify(&[22, 254]), PacketKind::Dtls);
        assert_eq!(classify(&[63]), PacketKind::Dtls);
        assert_eq!(classify(&[64]), PacketKind::Unknown);
        assert_eq!(classify(&[0x80, 0]), PacketKind::Rtp);
        assert_eq!(classify(&[0x80, 0x80 | 111]), PacketKind::Rtp);
        assert_eq!(classify(&[0x81, 200]), PacketKind::Rtcp);
        assert_eq!(classify(&[0x80, 223]), PacketKind::Rtcp);
        assert_eq!(classify(&[0x80, 224]), PacketKind::Rtp);
        assert_eq!(classify(&[0x80]), PacketKind::Unknown);
        assert_eq!(classify(&[192, 0]), PacketKind::Unknown);
        assert_eq!(classify(&[]), PacketKind::Unknown);
    }
}
