//! The per-call relay between two legs, without transcoding.
//!
//! Each direction of a call is a [`RelayDirection`]: it maps the payload type
//! ([`PtMap`]), rewrites SSRC, sequence number and timestamp into the
//! outgoing stream's own numbering (continuous across source changes such as
//! a re-INVITE toward another peer, RFC 3550 §8.2 / RFC 7667 §3.2.1.3 for
//! what a media translator must keep consistent), rescales RFC 4733
//! telephone-event between 48000 and 8000 Hz clocks, and counts what it sees.
//! The per-packet path writes into a caller buffer and never allocates.

mod dtmf;
mod echo;
mod latch;
mod out_stream;
mod rtcp_report;
mod stats;

pub use echo::Echo;
pub use latch::{Latch, LatchPolicy, LatchVerdict};
pub use out_stream::OutStream;
pub use rtcp_report::{MIN_INTERVAL, RtcpReporter, ntp_from_unix};
pub use stats::StreamStats;

use std::time::Instant;

use crate::codec::PtMap;
use crate::rtp::{self, FIXED_HEADER_LEN, RtpError, RtpHeader};

/// Why a packet was not relayed (the glue counts and drops it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RelayDrop {
    /// Not a valid RTP packet.
    #[error(transparent)]
    Malformed(#[from] RtpError),
    /// A payload type the other leg did not negotiate.
    #[error("payload type {0} not negotiated on the other leg")]
    UnknownPt(u8),
    /// The output buffer cannot hold the packet.
    #[error("output buffer too small")]
    BufferTooSmall,
}

/// One direction of a call: packets from one leg to the other.
#[derive(Debug, Clone)]
pub struct RelayDirection {
    map: PtMap,
    out: OutStream,
    stats: StreamStats,
}

impl RelayDirection {
    /// A direction using `map`, sending as `out_ssrc` (drawn by the glue).
    pub fn new(map: PtMap, out_ssrc: u32) -> Self {
        Self {
            map,
            out: OutStream::new(out_ssrc),
            stats: StreamStats::default(),
        }
    }

    /// Replaces the PT map after a new offer/answer (codec change, re-INVITE);
    /// the outgoing numbering continues.
    pub fn set_map(&mut self, map: PtMap) {
        self.map = map;
    }

    /// Counters of the incoming stream.
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    /// The outgoing stream (SSRC, counters for an SR).
    pub fn out_stream(&self) -> &OutStream {
        &self.out
    }

    /// Relays an RTP datagram from a plain RTP leg: writes the packet for the
    /// other leg into `out` and returns its header and length. Header
    /// extensions and CSRCs are not carried over (each leg has its own).
    pub fn relay_datagram(
        &mut self,
        now: Instant,
        datagram: &[u8],
        out: &mut [u8],
    ) -> Result<(RtpHeader, usize), RelayDrop> {
        let view = rtp::parse(datagram)?;
        self.relay(now, view.header, view.payload, out)
    }

    /// Relays one packet given as header and payload (what the WebRTC leg
    /// hands over). `out` receives a full RTP packet: for the WebRTC leg pass
    /// `&out[12..len]` with the returned header to `send_rtp`.
    pub fn relay(
        &mut self,
        now: Instant,
        header: RtpHeader,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<(RtpHeader, usize), RelayDrop> {
        let route = self
            .map
            .get(header.pt)
            .ok_or(RelayDrop::UnknownPt(header.pt))?;
        let len = FIXED_HEADER_LEN + payload.len();
        let body = out
            .get_mut(FIXED_HEADER_LEN..len)
            .ok_or(RelayDrop::BufferTooSmall)?;
        body.copy_from_slice(payload);
        if !route.dtmf {
            self.stats
                .record(now, header.seq, header.ts, payload.len(), route.in_clock);
        } else {
            self.stats.record_seq_only(header.seq, payload.len());
            if route.in_clock != route.out_clock {
                dtmf::rescale_duration(body, route.in_clock, route.out_clock);
            }
        }
        let (seq, ts) = self.out.map(now, header.ssrc, header.seq, header.ts, route);
        let mapped = RtpHeader {
            marker: header.marker,
            pt: route.out_pt,
            seq,
            ts,
            ssrc: self.out.ssrc(),
        };
        mapped.write(out).map_err(|_| RelayDrop::BufferTooSmall)?;
        self.out.count(payload.len());
        Ok((mapped, len))
    }
}

/// Relays an RTCP compound packet from leg A to leg B of an RTP↔RTP call
/// (RFC 3550 §7.2 translator): copies it into `out` and rewrites SSRCs so B
/// sees the SSRCs it knows: A's own SSRC becomes the SSRC we send to B as,
/// and reports about our stream toward A name B's real SSRC. `a_to_b` and
/// `b_to_a` are the call's two directions. Sequence numbers are kept 1:1 for
/// a single source, so report blocks stay meaningful.
pub fn relay_rtcp(
    datagram: &[u8],
    out: &mut [u8],
    a_to_b: &RelayDirection,
    b_to_a: &RelayDirection,
) -> Result<usize, crate::rtcp::RtcpError> {
    let buf = out
        .get_mut(..datagram.len())
        .ok_or(crate::rtcp::RtcpError::BufferTooSmall)?;
    buf.copy_from_slice(datagram);
    let a_src = a_to_b.out.source();
    let b_src = b_to_a.out.source();
    let (to_b, to_a) = (a_to_b.out.ssrc(), b_to_a.out.ssrc());
    crate::rtcp::rewrite_ssrcs(buf, |s| {
        if Some(s) == a_src {
            to_b
        } else if s == to_a {
            b_src.unwrap_or(s)
        } else {
            s
        }
    })?;
    Ok(datagram.len())
}

#[cfg(test)]
mod tests;
