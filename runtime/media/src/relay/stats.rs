//! Per-direction receive counters: packets, bytes, loss from sequence gaps
//! (RFC 3550 §A.3) and interarrival jitter (RFC 3550 §A.8).

use std::time::Instant;

use crate::rtcp::ReportBlock;

/// Extended sequence numbers start one cycle up, so a packet reordered
/// before the first one received still extends to a nearby value.
const CYCLE: u64 = 1 << 16;

/// Counters of one incoming stream.
#[derive(Debug, Clone, Default)]
pub struct StreamStats {
    /// Packets received.
    pub packets: u64,
    /// Payload bytes received.
    pub bytes: u64,
    base: Option<u64>,
    max: u64,
    received_in_segment: u64,
    lost_before: i64,
    epoch: Option<Instant>,
    last_transit: Option<u32>,
    /// Jitter × 16, as the RFC's integer form keeps it.
    jitter_q4: u64,
}

impl StreamStats {
    /// Records an audio packet (sequence, loss and jitter).
    pub fn record(&mut self, now: Instant, seq: u16, ts: u32, len: usize, clock: u32) {
        self.record_seq_only(seq, len);
        let epoch = *self.epoch.get_or_insert(now);
        let arrival = (now.saturating_duration_since(epoch).as_micros() * u128::from(clock)
            / 1_000_000) as u32;
        let transit = arrival.wrapping_sub(ts);
        if let Some(last) = self.last_transit {
            let d = u64::from((transit.wrapping_sub(last) as i32).unsigned_abs());
            // J += (|D| - J) / 16, in the scaled integer form of §A.8.
            self.jitter_q4 = (self.jitter_q4 + d).saturating_sub((self.jitter_q4 + 8) >> 4);
        }
        self.last_transit = Some(transit);
    }

    /// Records a packet for counts and loss only (telephone-event: its
    /// timestamp marks the event start, so it says nothing about jitter).
    pub fn record_seq_only(&mut self, seq: u16, len: usize) {
        self.packets += 1;
        self.bytes += len as u64;
        let Some(base) = self.base else {
            self.base = Some(u64::from(seq) + CYCLE);
            self.max = u64::from(seq) + CYCLE;
            self.received_in_segment = 1;
            return;
        };
        let ext = nearest(self.max, seq);
        if ext + 3000 < self.max || ext > self.max + 3000 {
            // RFC 3550 §A.1: a large jump is a restarted source; start a new
            // segment and keep the loss counted so far.
            self.lost_before += self.segment_lost(base);
            self.base = Some(u64::from(seq) + CYCLE);
            self.max = u64::from(seq) + CYCLE;
            self.received_in_segment = 1;
            return;
        }
        self.max = self.max.max(ext);
        self.received_in_segment += 1;
    }

    fn segment_lost(&self, base: u64) -> i64 {
        let expected = self.max + 1 - base;
        expected as i64 - self.received_in_segment as i64
    }

    /// Packets lost (negative with duplicates), RFC 3550 §6.4.1.
    pub fn lost(&self) -> i64 {
        self.lost_before + self.base.map_or(0, |b| self.segment_lost(b))
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        (self.jitter_q4 >> 4) as u32
    }

    /// The extended highest sequence number received.
    pub fn highest_seq(&self) -> u32 {
        self.max.saturating_sub(CYCLE) as u32
    }

    /// A report block for an RR/SR on the other leg (fraction lost not
    /// tracked per interval: 0).
    pub fn report_block(&self, source_ssrc: u32) -> ReportBlock {
        ReportBlock {
            ssrc: source_ssrc,
            fraction_lost: 0,
            cumulative_lost: self.lost().clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
            highest_seq: self.highest_seq(),
            jitter: self.jitter(),
            lsr: 0,
            dlsr: 0,
        }
    }
}

/// Extends `seq` to the value nearest to `max` (RFC 3550 §A.1 cycles).
fn nearest(max: u64, seq: u16) -> u64 {
    let roc = max >> 16;
    [roc.checked_sub(1), Some(roc), roc.checked_add(1)]
        .into_iter()
        .flatten()
        .map(|r| (r << 16) | u64::from(seq))
        .min_by_key(|c| c.abs_diff(max))
        .unwrap_or(u64::from(seq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn loss_from_gaps_across_wrap() {
        let mut s = StreamStats::default();
        for seq in [65530u16, 65531, 65533, 65535, 0, 1, 4] {
            s.record_seq_only(seq, 160);
        }
        // Expected 65530..=65540 (11), received 7.
        assert_eq!(s.lost(), 4);
        assert_eq!(s.packets, 7);
        assert_eq!(s.bytes, 7 * 160);
        assert_eq!(s.highest_seq(), 65536 + 4);
        s.record_seq_only(2, 160); // late packet fills a gap
        assert_eq!(s.lost(), 3);
    }

    #[test]
    fn restarted_source_keeps_loss() {
        let mut s = StreamStats::default();
        for seq in [10u16, 12] {
            s.record_seq_only(seq, 1);
        }
        for seq in [40000u16, 40001] {
            s.record_seq_only(seq, 1);
        }
        assert_eq!(s.lost(), 1);
    }

    #[test]
    fn jitter_zero_when_regular_and_grows_when_not() {
        let t0 = Instant::now();
        let mut s = StreamStats::default();
        for i in 0..50u32 {
            s.record(
                t0 + Duration::from_millis(20 * u64::from(i)),
                i as u16,
                160 * i,
                160,
                8000,
            );
        }
        assert_eq!(s.jitter(), 0);
        let mut j = StreamStats::default();
        for i in 0..50u32 {
            let wobble = if i % 2 == 0 { 0 } else { 10 };
            j.record(
                t0 + Duration::from_millis(20 * u64::from(i) + wobble),
                i as u16,
                160 * i,
                160,
                8000,
            );
        }
        // Alternating 10 ms (80 samples) deviation converges near 80.
        assert!((60..=80).contains(&j.jitter()), "jitter {}", j.jitter());
        assert_eq!(j.report_block(9).jitter, j.jitter());
    }
}
