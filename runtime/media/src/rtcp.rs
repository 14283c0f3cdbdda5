//! RTCP compound packets (RFC 3550 §6): a walk over the packets of a
//! compound datagram, SSRC rewriting in place (each leg has its own SSRCs, so
//! relayed reports must name the SSRCs that leg knows), and writers for a
//! minimal SR or RR followed by SDES CNAME (RFC 3550 §6.1: every compound
//! packet carries a CNAME).

/// Sender report (RFC 3550 §6.4.1).
pub const PT_SR: u8 = 200;
/// Receiver report (§6.4.2).
pub const PT_RR: u8 = 201;
/// Source description (§6.5).
pub const PT_SDES: u8 = 202;
/// Goodbye (§6.6).
pub const PT_BYE: u8 = 203;

/// Why a datagram is not a valid RTCP compound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    /// A length field points past the datagram.
    #[error("RTCP packet truncated")]
    Truncated,
    /// Version is not 2.
    #[error("RTCP version is not 2")]
    BadVersion,
    /// Output buffer too small.
    #[error("output buffer too small")]
    BufferTooSmall,
}

/// One packet of a compound datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpPacket<'a> {
    /// Packet type (200 SR, 201 RR, 202 SDES, 203 BYE, 205/206 feedback...).
    pub pt: u8,
    /// The 5-bit count field (report blocks, chunks or sources).
    pub count: u8,
    /// The whole packet including its 4-byte header.
    pub bytes: &'a [u8],
}

/// Iterates over the packets of a compound datagram; stops at the first error.
pub fn packets(buf: &[u8]) -> impl Iterator<Item = Result<RtcpPacket<'_>, RtcpError>> {
    let mut off = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || off >= buf.len() {
            return None;
        }
        let r = packet_at(buf, off);
        match r {
            Ok((_, len)) => off += len,
            Err(_) => failed = true,
        }
        Some(r.map(|(p, _)| p))
    })
}

fn packet_at(buf: &[u8], off: usize) -> Result<(RtcpPacket<'_>, usize), RtcpError> {
    let h = buf.get(off..off + 4).ok_or(RtcpError::Truncated)?;
    if h[0] >> 6 != 2 {
        return Err(RtcpError::BadVersion);
    }
    let len = (usize::from(u16::from_be_bytes([h[2], h[3]])) + 1) * 4;
    let bytes = buf.get(off..off + len).ok_or(RtcpError::Truncated)?;
    Ok((
        RtcpPacket {
            pt: h[1],
            count: h[0] & 0x1f,
            bytes,
        },
        len,
    ))
}

/// Validates a compound packet (RFC 3550 §A.2, loosely: version and lengths).
pub fn validate(buf: &[u8]) -> Result<usize, RtcpError> {
    let mut n = 0;
    for p in packets(buf) {
        p?;
        n += 1;
    }
    if n == 0 {
        return Err(RtcpError::Truncated);
    }
    Ok(n)
}

fn map_word(buf: &mut [u8], at: usize, map: &mut impl FnMut(u32) -> u32) -> Result<(), RtcpError> {
    let w = buf.get_mut(at..at + 4).ok_or(RtcpError::Truncated)?;
    let v = map(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    w.copy_from_slice(&v.to_be_bytes());
    Ok(())
}

/// Rewrites every SSRC field in place through `map`: the sender SSRC of SR,
/// RR and feedback packets, report-block source SSRCs, SDES chunk SSRCs and
/// BYE sources. Other packet types are left alone. On error the datagram may
/// be partly rewritten and must be dropped.
pub fn rewrite_ssrcs(buf: &mut [u8], mut map: impl FnMut(u32) -> u32) -> Result<(), RtcpError> {
    validate(buf)?;
    let mut off = 0;
    while off < buf.len() {
        let (p, len) = packet_at(buf, off)?;
        let (pt, count) = (p.pt, usize::from(p.count));
        let pkt = buf.get_mut(off..off + len).ok_or(RtcpError::Truncated)?;
        match pt {
            PT_SR | PT_RR => {
                map_word(pkt, 4, &mut map)?;
                let first = if pt == PT_SR { 28 } else { 8 };
                for i in 0..count {
                    map_word(pkt, first + 24 * i, &mut map)?;
                }
            }
            PT_SDES => {
                let mut at = 4;
                for _ in 0..count {
                    map_word(pkt, at, &mut map)?;
                    at += 4;
                    // Items until a zero type byte, then pad to a word boundary.
                    loop {
                        let ty = *pkt.get(at).ok_or(RtcpError::Truncated)?;
                        if ty == 0 {
                            at = (at + 4) & !3;
                            break;
                        }
                        let ilen = usize::from(*pkt.get(at + 1).ok_or(RtcpError::Truncated)?);
                        at += 2 + ilen;
                    }
                }
            }
            PT_BYE => {
                for i in 0..count {
                    map_word(pkt, 4 + 4 * i, &mut map)?;
                }
            }
            205 | 206 => {
                // RFC 4585 §6.1: sender SSRC, then media source SSRC.
                map_word(pkt, 4, &mut map)?;
                map_word(pkt, 8, &mut map)?;
            }
            _ => {}
        }
        off += len;
    }
    Ok(())
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the last report, as a fixed point /256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed, clamped).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the last SR's NTP timestamp.
    pub lsr: u32,
    /// Delay since the last SR, 1/65536 s.
    pub dlsr: u32,
}

impl ReportBlock {
    fn write(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.ssrc.to_be_bytes());
        let lost = self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32 & 0x00ff_ffff;
        out[4..8].copy_from_slice(&((u32::from(self.fraction_lost) << 24) | lost).to_be_bytes());
        out[8..12].copy_from_slice(&self.highest_seq.to_be_bytes());
        out[12..16].copy_from_slice(&self.jitter.to_be_bytes());
        out[16..20].copy_from_slice(&self.lsr.to_be_bytes());
        out[20..24].copy_from_slice(&self.dlsr.to_be_bytes());
    }
}

/// Sender info of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// NTP timestamp (seconds since 1900 in the high word, fraction in the low).
    pub ntp: u64,
    /// RTP timestamp matching `ntp`.
    pub rtp_ts: u32,
    /// Packets sent.
    pub packets: u32,
    /// Payload octets sent.
    pub octets: u32,
}

/// Writes an SR (with `sender`) or RR (without), with at most one report
/// block, followed by SDES CNAME. Returns the length written.
pub fn write_report(
    out: &mut [u8],
    ssrc: u32,
    sender: Option<SenderInfo>,
    block: Option<ReportBlock>,
    cname: &str,
) -> Result<usize, RtcpError> {
    let cname = cname.as_bytes();
    let cname = cname.get(..cname.len().min(255)).unwrap_or(cname);
    let report_len =
        8 + if sender.is_some() { 20 } else { 0 } + if block.is_some() { 24 } else { 0 };
    let sdes_len = (4 + 4 + 2 + cname.len() + 1).div_ceil(4) * 4;
    let total = report_len + sdes_len;
    let out = out.get_mut(..total).ok_or(RtcpError::BufferTooSmall)?;
    out.fill(0);
    out[0] = 0x80 | u8::from(block.is_some());
    out[1] = if sender.is_some() { PT_SR } else { PT_RR };
    out[2..4].copy_from_slice(&((report_len / 4 - 1) as u16).to_be_bytes());
    out[4..8].copy_from_slice(&ssrc.to_be_bytes());
    let mut at = 8;
    if let Some(s) = sender {
        out[8..16].copy_from_slice(&s.ntp.to_be_bytes());
        out[16..20].copy_from_slice(&s.rtp_ts.to_be_bytes());
        out[20..24].copy_from_slice(&s.packets.to_be_bytes());
        out[24..28].copy_from_slice(&s.octets.to_be_bytes());
        at = 28;
    }
    if let Some(b) = block {
        b.write(&mut out[at..at + 24]);
    }
    let sdes = &mut out[report_len..];
    sdes[0] = 0x81;
    sdes[1] = PT_SDES;
    sdes[2..4].copy_from_slice(&((sdes_len / 4 - 1) as u16).to_be_bytes());
    sdes[4..8].copy_from_slice(&ssrc.to_be_bytes());
    sdes[8] = 1; // CNAME
    sdes[9] = cname.len() as u8;
    sdes[10..10 + cname.len()].copy_from_slice(cname);
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn written_sr_walks_and_rewrites() {
        let mut buf = [0u8; 128];
        let block = ReportBlock {
            ssrc: 0xbbbb,
            fraction_lost: 3,
            cumulative_lost: -1,
            highest_seq: 70000,
            jitter: 12,
            lsr: 5,
            dlsr: 6,
        };
        let sender = SenderInfo {
            ntp: 1 << 32,
            rtp_ts: 160,
            packets: 10,
            octets: 1600,
        };
        let n = write_report(&mut buf, 0xaaaa, Some(sender), Some(block), "sbc@example").unwrap();
        let pkts: Vec<_> = packets(&buf[..n]).map(Result::unwrap).collect();
        assert_eq!(pkts.len(), 2);
        assert_eq!(
            (pkts[0].pt, pkts[0].count, pkts[0].bytes.len()),
            (PT_SR, 1, 52)
        );
        assert_eq!(pkts[1].pt, PT_SDES);
        assert_eq!(pkts[1].bytes.len() % 4, 0);
        assert_eq!(&pkts[1].bytes[10..21], b"sbc@example");
        // cumulative_lost -1 is 0xffffff in 24 bits.
        assert_eq!(&buf[32..36], &[3, 0xff, 0xff, 0xff]);

        let mut seen = Vec::new();
        rewrite_ssrcs(&mut buf[..n], |s| {
            seen.push(s);
            s + 1
        })
        .unwrap();
        assert_eq!(seen, [0xaaaa, 0xbbbb, 0xaaaa]);
        let mut after = Vec::new();
        rewrite_ssrcs(&mut buf[..n], |s| {
            after.push(s);
            s
        })
        .unwrap();
        assert_eq!(after, [0xaaab, 0xbbbc, 0xaaab]);
    }

    #[test]
    fn rr_without_block_and_bye() {
        let mut buf = [0u8; 64];
        let n = write_report(&mut buf, 7, None, None, "x").unwrap();
        assert_eq!(buf[1], PT_RR);
        assert_eq!(validate(&buf[..n]), Ok(2));
        let mut bye = [0x81, PT_BYE, 0, 1, 0, 0, 0, 9];
        rewrite_ssrcs(&mut bye, |_| 0x0102_0304).unwrap();
        assert_eq!(&bye[4..], &[1, 2, 3, 4]);
        assert_eq!(
            write_report(&mut [0u8; 8], 7, None, None, "x"),
            Err(RtcpError::BufferTooSmall)
        );
    }

    #[test]
    fn bad_compounds() {
        assert_eq!(validate(&[]), Err(RtcpError::Truncated));
        assert_eq!(validate(&[0x40, 200, 0, 0]), Err(RtcpError::BadVersion));
        assert_eq!(
            validate(&[0x80, 201, 0, 5, 0, 0, 0, 0]),
            Err(RtcpError::Truncated)
        );
        // RR claiming 3 report blocks in a 2-word packet.
        let mut rr = [0x83, PT_RR, 0, 1, 0, 0, 0, 1];
        assert_eq!(rewrite_ssrcs(&mut rr, |s| s), Err(RtcpError::Truncated));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(mut b in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = validate(&b);
            let _ = rewrite_ssrcs(&mut b, |s| s ^ 1);
        }
    }
}
