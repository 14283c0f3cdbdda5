//! The numbering of one outgoing RTP stream.
//!
//! The receiver sees one SSRC whose sequence numbers and timestamps run on
//! without jumps, whatever happens upstream: a new upstream SSRC (re-INVITE
//! to another peer, a PBX switching its media source) re-anchors the offsets
//! so the next packet is `last seq + 1` and its timestamp advances by the
//! wall-clock time elapsed since the last packet sent (RFC 3550 §5.1).

use std::time::Instant;

use super::dtmf::rescale_delta;
use crate::codec::PtRoute;

/// Rewrites (ssrc, seq, ts) of one outgoing stream.
#[derive(Debug, Clone)]
pub struct OutStream {
    ssrc: u32,
    source: Option<u32>,
    seq_offset: u16,
    ts_offset: u32,
    last: Option<Sent>,
    /// Anchor of telephone-event timestamps at a different clock:
    /// (incoming ts, outgoing ts) of the first such event since re-anchoring.
    dtmf_anchor: Option<(u32, u32)>,
    packets: u32,
    octets: u32,
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    seq: u16,
    ts: u32,
    at: Instant,
    clock: u32,
}

impl OutStream {
    /// A stream sending as `ssrc`.
    pub fn new(ssrc: u32) -> Self {
        Self {
            ssrc,
            source: None,
            seq_offset: 0,
            ts_offset: 0,
            last: None,
            dtmf_anchor: None,
            packets: 0,
            octets: 0,
        }
    }

    /// The outgoing SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Packets and payload octets sent (for an RTCP SR).
    pub fn sent(&self) -> (u32, u32) {
        (self.packets, self.octets)
    }

    /// The incoming SSRC currently relayed into this stream.
    pub fn source(&self) -> Option<u32> {
        self.source
    }

    /// The last (seq, ts) sent.
    pub fn last_sent(&self) -> Option<(u16, u32)> {
        self.last.map(|s| (s.seq, s.ts))
    }

    /// Forces re-anchoring on the next packet (after a new offer/answer).
    pub fn source_changed(&mut self) {
        self.source = None;
    }

    pub(crate) fn count(&mut self, payload_len: usize) {
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(payload_len as u32);
    }

    /// Maps an incoming packet's (ssrc, seq, ts) to the outgoing (seq, ts).
    pub fn map(
        &mut self,
        now: Instant,
        in_ssrc: u32,
        in_seq: u16,
        in_ts: u32,
        route: PtRoute,
    ) -> (u16, u32) {
        if self.source != Some(in_ssrc) {
            self.anchor(now, in_seq, in_ts, route.out_clock);
            self.source = Some(in_ssrc);
        }
        let seq = in_seq.wrapping_add(self.seq_offset);
        let ts = if route.dtmf && route.in_clock != route.out_clock {
            let last_ts = self.last.map_or(in_ts, |l| l.ts);
            let (in_base, out_base) = *self.dtmf_anchor.get_or_insert((in_ts, last_ts));
            out_base.wrapping_add(rescale_delta(
                in_ts.wrapping_sub(in_base),
                route.in_clock,
                route.out_clock,
            ))
        } else {
            in_ts.wrapping_add(self.ts_offset)
        };
        let newer = self
            .last
            .is_none_or(|l| (seq.wrapping_sub(l.seq) as i16) > 0);
        if newer {
            self.last = Some(Sent {
                seq,
                ts,
                at: now,
                clock: route.out_clock,
            });
        }
        (seq, ts)
    }

    fn anchor(&mut self, now: Instant, in_seq: u16, in_ts: u32, clock: u32) {
        self.dtmf_anchor = None;
        let Some(last) = self.last else {
            // First source: keep its numbering (offset 0) so a single-source
            // call is relayed unchanged apart from the SSRC.
            return;
        };
        let clock = if last.clock == 0 { clock } else { last.clock };
        let elapsed = now.saturating_duration_since(last.at);
        let advance = (elapsed.as_micros() * u128::from(clock) / 1_000_000)
            .clamp(1, u128::from(u32::MAX / 2)) as u32;
        self.seq_offset = last.seq.wrapping_add(1).wrapping_sub(in_seq);
        self.ts_offset = last.ts.wrapping_add(advance).wrapping_sub(in_ts);
    }
}
