//! RFC 4733 §2.3 telephone-event payload: event, E/R/volume, 16-bit duration
//! in timestamp units, so a clock change rescales the duration as well.

/// Rescales the duration field of every event block in `payload` in place
/// (RFC 4733 §2.5.1.2 allows several 4-byte blocks in one packet).
pub(crate) fn rescale_duration(payload: &mut [u8], in_clock: u32, out_clock: u32) {
    if in_clock == 0 {
        return;
    }
    for block in payload.chunks_exact_mut(4) {
        let d = u64::from(u16::from_be_bytes([block[2], block[3]]));
        let scaled =
            (d * u64::from(out_clock) / u64::from(in_clock)).min(u64::from(u16::MAX)) as u16;
        block[2..4].copy_from_slice(&scaled.to_be_bytes());
    }
}

/// Rescales a timestamp difference between clocks (wrapping arithmetic on
/// the 32-bit RTP timestamp, RFC 3550 §5.1).
pub(crate) fn rescale_delta(delta: u32, in_clock: u32, out_clock: u32) -> u32 {
    if in_clock == 0 {
        return delta;
    }
    (u64::from(delta) * u64::from(out_clock) / u64::from(in_clock)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_scales_both_ways_and_saturates() {
        let mut p = [5u8, 0x8a, 0x03, 0xc0]; // event 5, end, volume 10, duration 960 @48k
        rescale_duration(&mut p, 48000, 8000);
        assert_eq!(p, [5, 0x8a, 0x00, 0xa0]); // 160 @8k
        rescale_duration(&mut p, 8000, 48000);
        assert_eq!(p, [5, 0x8a, 0x03, 0xc0]);
        let mut big = [1u8, 0, 0x40, 0x00]; // 16384 @8k → 98304 > u16::MAX
        rescale_duration(&mut big, 8000, 48000);
        assert_eq!(&big[2..], &[0xff, 0xff]);
        let mut odd = [1u8, 0, 0, 6, 9]; // trailing partial block untouched
        rescale_duration(&mut odd, 48000, 8000);
        assert_eq!(odd, [1, 0, 0, 1, 9]);
        assert_eq!(rescale_delta(4800, 48000, 8000), 800);
    }
}
