//! RTCP for a plain RTP leg: the SBC terminates RTCP per leg (the WebRTC leg's
//! RTCP is str0m's), so toward a SIP peer it sends its own compound SR (or RR
//! while it has sent nothing) with a report block about the peer's stream and
//! an SDES CNAME, every few seconds (RFC 3550 §6.2: 5 s minimum interval,
//! randomised by 0.5–1.5 to avoid synchronisation; the glue draws the jitter).

use std::time::{Duration, Instant};

use super::{OutStream, StreamStats};
use crate::rtcp::{RtcpError, SenderInfo, write_report};

/// RFC 3550 §6.2 minimum reporting interval.
pub const MIN_INTERVAL: Duration = Duration::from_secs(5);

/// Seconds between 1900 (NTP epoch) and 1970 (Unix epoch).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// NTP 64-bit timestamp (RFC 3550 §4) from time since the Unix epoch.
pub fn ntp_from_unix(since_epoch: Duration) -> u64 {
    let secs = since_epoch.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(since_epoch.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// When to send the next report on one RTP leg, and what.
#[derive(Debug, Clone)]
pub struct RtcpReporter {
    cname: String,
    interval: Duration,
    next: Instant,
}

impl RtcpReporter {
    /// A reporter whose first report is due at `now + interval`.
    pub fn new(now: Instant, cname: &str, interval: Duration) -> Self {
        let interval = interval.max(MIN_INTERVAL / 2);
        Self {
            cname: cname.to_owned(),
            interval,
            next: now + interval,
        }
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Instant {
        self.next
    }

    /// At or after the deadline: writes the compound packet into `out` and
    /// returns its length (`None` before the deadline). `sending` is the
    /// outgoing stream of this leg, `receiving` the stats and SSRC of what
    /// the peer sends; `ntp` is the wall clock (see [`ntp_from_unix`]).
    pub fn on_timeout(
        &mut self,
        now: Instant,
        sending: &OutStream,
        receiving: Option<(&StreamStats, u32)>,
        ntp: u64,
        out: &mut [u8],
    ) -> Result<Option<usize>, RtcpError> {
        if now < self.next {
            return Ok(None);
        }
        self.next = now + self.interval;
        let (packets, octets) = sending.sent();
        let sender = sending
            .last_sent()
            .filter(|_| packets > 0)
            .map(|(_, ts)| SenderInfo {
                ntp,
                rtp_ts: ts,
                packets,
                octets,
            });
        let block = receiving
            .filter(|(s, _)| s.packets > 0)
            .map(|(s, ssrc)| s.report_block(ssrc));
        write_report(out, sending.ssrc(), sender, block, &self.cname).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::PtRoute;
    use crate::rtcp::{PT_RR, PT_SDES, PT_SR, packets};

    #[test]
    fn rr_until_something_is_sent_then_sr() {
        let t0 = Instant::now();
        let mut r = RtcpReporter::new(t0, "sbc", Duration::from_secs(5));
        let mut out_stream = OutStream::new(0x11);
        let mut buf = [0u8; 256];
        assert_eq!(r.on_timeout(t0, &out_stream, None, 0, &mut buf), Ok(None));
        let t1 = r.poll_timeout();
        let n = r
            .on_timeout(t1, &out_stream, None, 0, &mut buf)
            .unwrap()
            .unwrap();
        let kinds: Vec<u8> = packets(&buf[..n]).map(|p| p.unwrap().pt).collect();
        assert_eq!(kinds, [PT_RR, PT_SDES]);

        let route = PtRoute {
            out_pt: 0,
            in_clock: 8000,
            out_clock: 8000,
            dtmf: false,
        };
        out_stream.map(t1, 5, 10, 1600, route);
        out_stream.count(160);
        let mut stats = StreamStats::default();
        stats.record(t1, 10, 1600, 160, 8000);
        let t2 = r.poll_timeout();
        assert_eq!(t2, t1 + Duration::from_secs(5));
        let ntp = ntp_from_unix(Duration::from_millis(1_500));
        let n = r
            .on_timeout(t2, &out_stream, Some((&stats, 0x22)), ntp, &mut buf)
            .unwrap()
            .unwrap();
        let p: Vec<_> = packets(&buf[..n]).map(Result::unwrap).collect();
        assert_eq!((p[0].pt, p[0].count), (PT_SR, 1));
        assert_eq!(
            &p[0].bytes[8..12],
            &(NTP_UNIX_OFFSET as u32 + 1).to_be_bytes()
        );
        assert_eq!(
            &p[0].bytes[12..16],
            &0x8000_0000u32.to_be_bytes(),
            "0.5 s fraction"
        );
        assert_eq!(&p[0].bytes[16..20], &1600u32.to_be_bytes());
        assert_eq!(&p[0].bytes[20..24], &1u32.to_be_bytes());
        assert_eq!(
            &p[0].bytes[28..32],
            &0x22u32.to_be_bytes(),
            "report block about the peer"
        );
    }
}
