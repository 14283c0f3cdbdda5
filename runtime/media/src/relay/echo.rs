//! The built-in `echo` peer's media: every packet goes back to its sender
//! with the echo's own SSRC and continuous numbering.

use std::time::Instant;

use super::{OutStream, RelayDrop};
use crate::codec::PtRoute;
use crate::rtp::{self, FIXED_HEADER_LEN, RtpHeader};

/// Echo state for one call.
#[derive(Debug, Clone)]
pub struct Echo {
    out: OutStream,
    clock: u32,
}

impl Echo {
    /// An echo sending as `ssrc`; `clock` is the call's audio clock rate.
    pub fn new(ssrc: u32, clock: u32) -> Self {
        Self {
            out: OutStream::new(ssrc),
            clock,
        }
    }

    /// The outgoing stream (SSRC, counters for an RTCP SR).
    pub fn out_stream(&self) -> &OutStream {
        &self.out
    }

    /// A renegotiated codec with another clock (the numbering continues).
    pub fn set_clock(&mut self, clock: u32) {
        self.clock = clock;
    }

    /// Counts a packet sent back (for the RTCP SR of the echo's stream).
    pub(crate) fn count(&mut self, payload_len: usize) {
        self.out.count(payload_len);
    }

    /// The header to send back for a received one (same PT and marker).
    pub fn map(&mut self, now: Instant, h: RtpHeader) -> RtpHeader {
        let route = PtRoute {
            out_pt: h.pt,
            in_clock: self.clock,
            out_clock: self.clock,
            dtmf: false,
        };
        let (seq, ts) = self.out.map(now, h.ssrc, h.seq, h.ts, route);
        RtpHeader {
            seq,
            ts,
            ssrc: self.out.ssrc(),
            ..h
        }
    }

    /// Echoes an RTP datagram into `out`; returns its length.
    pub fn echo(
        &mut self,
        now: Instant,
        datagram: &[u8],
        out: &mut [u8],
    ) -> Result<usize, RelayDrop> {
        let v = rtp::parse(datagram)?;
        let h = self.map(now, v.header);
        let len = FIXED_HEADER_LEN + v.payload.len();
        out.get_mut(FIXED_HEADER_LEN..len)
            .ok_or(RelayDrop::BufferTooSmall)?
            .copy_from_slice(v.payload);
        h.write(out).map_err(|_| RelayDrop::BufferTooSmall)?;
        self.out.count(v.payload.len());
        Ok(len)
    }
}
