//! RTP fixed header (RFC 3550 §5.1): zero-copy parse, fixed-header write and
//! in-place rewrite. No allocation: the relay runs this for every packet.

/// Why a datagram is not a usable RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header (or than its CSRC list/extension).
    #[error("RTP packet truncated")]
    Truncated,
    /// Version field is not 2.
    #[error("RTP version is not 2")]
    BadVersion,
    /// Padding count larger than the payload (RFC 3550 §5.1, P bit).
    #[error("RTP padding length exceeds the packet")]
    BadPadding,
    /// Output buffer too small.
    #[error("output buffer too small")]
    BufferTooSmall,
}

/// Length of the fixed header.
pub const FIXED_HEADER_LEN: usize = 12;

/// The header fields the SBC reads and rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// M bit.
    pub marker: bool,
    /// Payload type (7 bits).
    pub pt: u8,
    /// Sequence number.
    pub seq: u16,
    /// Timestamp.
    pub ts: u32,
    /// Synchronisation source.
    pub ssrc: u32,
}

/// A parsed packet borrowing the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpView<'a> {
    /// Fixed header fields.
    pub header: RtpHeader,
    /// Number of CSRC identifiers.
    pub csrc_count: u8,
    /// The header extension profile word (e.g. `0xBEDE`, RFC 8285) and its data.
    pub extension: Option<(u16, &'a [u8])>,
    /// Payload without padding.
    pub payload: &'a [u8],
    /// Bytes of padding removed (P bit).
    pub padding: u8,
    /// Offset of the payload in the datagram.
    pub payload_offset: usize,
}

fn be16(b: &[u8], at: usize) -> Result<u16, RtpError> {
    let s = b.get(at..at + 2).ok_or(RtpError::Truncated)?;
    Ok(u16::from_be_bytes([s[0], s[1]]))
}

fn be32(b: &[u8], at: usize) -> Result<u32, RtpError> {
    let s = b.get(at..at + 4).ok_or(RtpError::Truncated)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Parses an RTP packet (RFC 3550 §5.1, §5.3.1 for the extension).
pub fn parse(buf: &[u8]) -> Result<RtpView<'_>, RtpError> {
    let b0 = *buf.first().ok_or(RtpError::Truncated)?;
    if b0 >> 6 != 2 {
        return Err(RtpError::BadVersion);
    }
    if buf.len() < FIXED_HEADER_LEN {
        return Err(RtpError::Truncated);
    }
    let b1 = buf[1];
    let header = RtpHeader {
        marker: b1 & 0x80 != 0,
        pt: b1 & 0x7f,
        seq: be16(buf, 2)?,
        ts: be32(buf, 4)?,
        ssrc: be32(buf, 8)?,
    };
    let csrc_count = b0 & 0x0f;
    let mut off = FIXED_HEADER_LEN + 4 * usize::from(csrc_count);
    let extension = if b0 & 0x10 != 0 {
        let profile = be16(buf, off)?;
        let words = usize::from(be16(buf, off + 2)?);
        let start = off + 4;
        let data = buf
            .get(start..start + 4 * words)
            .ok_or(RtpError::Truncated)?;
        off = start + 4 * words;
        Some((profile, data))
    } else {
        None
    };
    if off > buf.len() {
        return Err(RtpError::Truncated);
    }
    let padding = if b0 & 0x20 != 0 {
        let p = *buf.last().ok_or(RtpError::Truncated)?;
        if p == 0 || usize::from(p) > buf.len() - off {
            return Err(RtpError::BadPadding);
        }
        p
    } else {
        0
    };
    let end = buf.len() - usize::from(padding);
    Ok(RtpView {
        header,
        csrc_count,
        extension,
        payload: buf.get(off..end).ok_or(RtpError::Truncated)?,
        padding,
        payload_offset: off,
    })
}

impl RtpHeader {
    /// Writes a 12-byte fixed header (no padding, extension or CSRC).
    pub fn write(&self, out: &mut [u8]) -> Result<usize, RtpError> {
        let out = out
            .get_mut(..FIXED_HEADER_LEN)
            .ok_or(RtpError::BufferTooSmall)?;
        out[0] = 0x80;
        out[1] = (u8::from(self.marker) << 7) | (self.pt & 0x7f);
        out[2..4].copy_from_slice(&self.seq.to_be_bytes());
        out[4..8].copy_from_slice(&self.ts.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        Ok(FIXED_HEADER_LEN)
    }

    /// Overwrites M, PT, seq, ts and SSRC of a packet in place, keeping CSRCs,
    /// extensions and padding (the relay's fast path).
    pub fn rewrite_in_place(&self, pkt: &mut [u8]) -> Result<(), RtpError> {
        let head = pkt.get_mut(..FIXED_HEADER_LEN).ok_or(RtpError::Truncated)?;
        if head[0] >> 6 != 2 {
            return Err(RtpError::BadVersion);
        }
        head[1] = (u8::from(self.marker) << 7) | (self.pt & 0x7f);
        head[2..4].copy_from_slice(&self.seq.to_be_bytes());
        head[4..8].copy_from_slice(&self.ts.to_be_bytes());
        head[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        Ok(())
    }
}

/// Writes header and payload into `out`; returns the packet length.
pub fn write_packet(header: &RtpHeader, payload: &[u8], out: &mut [u8]) -> Result<usize, RtpError> {
    let n = header.write(out)?;
    let end = n + payload.len();
    out.get_mut(n..end)
        .ok_or(RtpError::BufferTooSmall)?
        .copy_from_slice(payload);
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn write_then_parse() {
        let h = RtpHeader {
            marker: true,
            pt: 111,
            seq: 65535,
            ts: 0xdead_beef,
            ssrc: 0x0102_0304,
        };
        let mut buf = [0u8; 64];
        let n = write_packet(&h, &[1, 2, 3], &mut buf).unwrap();
        assert_eq!(n, 15);
        assert_eq!(&buf[..4], &[0x80, 0x80 | 111, 0xff, 0xff]);
        let v = parse(&buf[..n]).unwrap();
        assert_eq!(v.header, h);
        assert_eq!(v.payload, &[1, 2, 3]);
        assert_eq!(
            write_packet(&h, &[0; 60], &mut buf),
            Err(RtpError::BufferTooSmall)
        );
    }

    #[test]
    fn csrc_extension_and_padding() {
        // V=2 P=1 X=1 CC=1, PT 0, 1 CSRC, one-byte-header extension of 1 word, payload 2, padding 2.
        let pkt = [
            0xb1, 0x00, 0x00, 0x07, 0, 0, 0, 160, 0, 0, 0, 9, // fixed
            0, 0, 0, 42, // CSRC
            0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0, 0, // extension
            0x55, 0x66, 0x00, 0x02, // payload + padding
        ];
        let v = parse(&pkt).unwrap();
        assert_eq!(v.csrc_count, 1);
        assert_eq!(v.extension, Some((0xbede, &[0x10, 0xaa, 0, 0][..])));
        assert_eq!(v.payload, &[0x55, 0x66]);
        assert_eq!(v.padding, 2);
        assert_eq!(v.header.seq, 7);
        let mut copy = pkt;
        let h = RtpHeader {
            marker: true,
            pt: 8,
            seq: 1,
            ts: 2,
            ssrc: 3,
        };
        h.rewrite_in_place(&mut copy).unwrap();
        let r = parse(&copy).unwrap();
        assert_eq!(r.header, h);
        assert_eq!(r.extension, v.extension);
        assert_eq!(r.payload, v.payload);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(parse(&[]), Err(RtpError::Truncated));
        assert_eq!(parse(&[0x40; 12]), Err(RtpError::BadVersion));
        assert_eq!(parse(&[0x80; 11]), Err(RtpError::Truncated));
        // CC=15 but no CSRCs.
        assert_eq!(
            parse(&[0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(RtpError::Truncated)
        );
        // Padding byte larger than what follows the header.
        let mut p = [0u8; 14];
        p[0] = 0xa0;
        p[13] = 9;
        assert_eq!(parse(&p), Err(RtpError::BadPadding));
        p[13] = 0;
        assert_eq!(parse(&p), Err(RtpError::BadPadding));
        // Extension length beyond the packet.
        let x = [0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 5];
        assert_eq!(parse(&x), Err(RtpError::Truncated));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(v) = parse(&b) {
                prop_assert!(v.payload_offset + v.payload.len() <= b.len());
            }
        }
    }
}
