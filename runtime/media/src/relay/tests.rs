use std::time::{Duration, Instant};

use super::*;
use crate::codec::{Codec, Format, Negotiated};

fn pkt(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 12 + payload.len()];
    rtp::write_packet(
        &RtpHeader {
            marker: false,
            pt,
            seq,
            ts,
            ssrc,
        },
        payload,
        &mut b,
    )
    .unwrap();
    b
}

fn legs() -> (Negotiated, Negotiated) {
    let browser = Negotiated {
        formats: vec![
            Format {
                pt: 0,
                codec: Codec::Pcmu,
            },
            Format {
                pt: 110,
                codec: Codec::TelephoneEvent(48000),
            },
        ],
    };
    let pbx = Negotiated {
        formats: vec![
            Format {
                pt: 0,
                codec: Codec::Pcmu,
            },
            Format {
                pt: 101,
                codec: Codec::TelephoneEvent(8000),
            },
        ],
    };
    (browser, pbx)
}

#[test]
fn maps_pt_ssrc_and_keeps_numbering_across_source_change() {
    let t0 = Instant::now();
    let (browser, pbx) = legs();
    let mut dir = RelayDirection::new(PtMap::between(&pbx, &browser), 0xabcd);
    let mut out = [0u8; 1500];
    for i in 0..3u16 {
        let (h, n) = dir
            .relay_datagram(
                t0 + Duration::from_millis(20 * u64::from(i)),
                &pkt(0, 500 + i, 8000 + 160 * u32::from(i), 1, &[9; 160]),
                &mut out,
            )
            .unwrap();
        assert_eq!(
            (h.pt, h.seq, h.ts, h.ssrc),
            (0, 500 + i, 8000 + 160 * u32::from(i), 0xabcd)
        );
        assert_eq!(n, 172);
        assert_eq!(rtp::parse(&out[..n]).unwrap().header, h);
        assert_eq!(&out[12..n], &[9; 160][..]);
    }
    // A re-INVITE moves the call to a new source (new SSRC, unrelated numbers),
    // 100 ms after the last packet.
    let t1 = t0 + Duration::from_millis(140);
    let (h, _) = dir
        .relay_datagram(t1, &pkt(0, 9, 123_456, 2, &[1; 160]), &mut out)
        .unwrap();
    assert_eq!(h.seq, 503, "seq continues");
    assert_eq!(h.ts, 8000 + 320 + 800, "ts advances by 100 ms at 8 kHz");
    let (h, _) = dir
        .relay_datagram(t1, &pkt(0, 10, 123_616, 2, &[1; 160]), &mut out)
        .unwrap();
    assert_eq!((h.seq, h.ts), (504, 9280));
    assert_eq!(dir.stats().packets, 5);
    assert_eq!(dir.out_stream().sent(), (5, 800));
}

#[test]
fn telephone_event_rescaled_48k_to_8k_and_back() {
    let t0 = Instant::now();
    let (browser, pbx) = legs();
    let mut to_pbx = RelayDirection::new(PtMap::between(&browser, &pbx), 7);
    let mut out = [0u8; 200];
    // Audio first: PCMU from the browser, ts 1000.
    to_pbx
        .relay_datagram(t0, &pkt(0, 1, 1000, 5, &[0; 160]), &mut out)
        .unwrap();
    // Event at 48 kHz: start ts 6000 (irrelevant base), duration 960 (20 ms).
    let (h, n) = to_pbx
        .relay_datagram(t0, &pkt(110, 2, 6000, 5, &[1, 0x0a, 0x03, 0xc0]), &mut out)
        .unwrap();
    assert_eq!(
        (h.pt, h.ts),
        (101, 1000),
        "event anchored at the stream's current ts"
    );
    assert_eq!(
        &out[12..n],
        &[1, 0x0a, 0x00, 0xa0],
        "duration 960@48k → 160@8k"
    );
    // Next event 48000 ticks (1 s) later → 8000 ticks later on the 8 kHz side.
    let (h, _) = to_pbx
        .relay_datagram(
            t0,
            &pkt(110, 3, 54_000, 5, &[2, 0x8a, 0x07, 0x80]),
            &mut out,
        )
        .unwrap();
    assert_eq!(h.ts, 9000);
    assert_eq!(&out[14..16], &[0x01, 0x40]);

    let mut to_browser = RelayDirection::new(PtMap::between(&pbx, &browser), 8);
    to_browser
        .relay_datagram(t0, &pkt(0, 1, 500, 6, &[0; 160]), &mut out)
        .unwrap();
    let (h, n) = to_browser
        .relay_datagram(t0, &pkt(101, 2, 500, 6, &[3, 0x0a, 0x00, 0xa0]), &mut out)
        .unwrap();
    assert_eq!((h.pt, h.ts), (110, 500));
    assert_eq!(&out[12..n], &[3, 0x0a, 0x03, 0xc0]);
}

#[test]
fn drops_are_typed() {
    let t0 = Instant::now();
    let (browser, pbx) = legs();
    let mut dir = RelayDirection::new(PtMap::between(&pbx, &browser), 1);
    let mut out = [0u8; 1500];
    assert_eq!(
        dir.relay_datagram(t0, &pkt(8, 1, 1, 1, &[0; 10]), &mut out),
        Err(RelayDrop::UnknownPt(8))
    );
    assert!(matches!(
        dir.relay_datagram(t0, &[0x80, 0], &mut out),
        Err(RelayDrop::Malformed(_))
    ));
    assert_eq!(
        dir.relay_datagram(t0, &pkt(0, 1, 1, 1, &[0; 100]), &mut [0u8; 50]),
        Err(RelayDrop::BufferTooSmall)
    );
    assert_eq!(dir.stats().packets, 0);
}

#[test]
fn loss_counted_from_sequence_gaps() {
    let t0 = Instant::now();
    let (browser, pbx) = legs();
    let mut dir = RelayDirection::new(PtMap::between(&pbx, &browser), 1);
    let mut out = [0u8; 1500];
    for seq in [1u16, 2, 5, 6] {
        dir.relay_datagram(
            t0,
            &pkt(0, seq, u32::from(seq) * 160, 1, &[0; 160]),
            &mut out,
        )
        .unwrap();
    }
    assert_eq!(dir.stats().lost(), 2);
}

#[test]
fn echo_returns_packets_with_own_ssrc_and_continuity() {
    let t0 = Instant::now();
    let mut echo = Echo::new(0xec40, 8000);
    let mut out = [0u8; 1500];
    let n = echo
        .echo(t0, &pkt(8, 100, 1600, 77, &[4; 160]), &mut out)
        .unwrap();
    let v = rtp::parse(&out[..n]).unwrap();
    assert_eq!(
        (v.header.pt, v.header.seq, v.header.ts, v.header.ssrc),
        (8, 100, 1600, 0xec40)
    );
    assert_eq!(v.payload, &[4; 160][..]);
    // The caller's source changes (re-INVITE): numbering continues.
    let n = echo
        .echo(
            t0 + Duration::from_millis(20),
            &pkt(8, 7, 99, 78, &[4; 160]),
            &mut out,
        )
        .unwrap();
    let v = rtp::parse(&out[..n]).unwrap();
    assert_eq!((v.header.seq, v.header.ts), (101, 1760));
}

#[test]
fn rtcp_relayed_with_each_legs_ssrcs() {
    use crate::rtcp::{ReportBlock, SenderInfo, packets, write_report};
    let t0 = Instant::now();
    let (_, pbx) = legs();
    let mut a_to_b = RelayDirection::new(PtMap::between(&pbx, &pbx), 0xb0b0);
    let mut b_to_a = RelayDirection::new(PtMap::between(&pbx, &pbx), 0xa0a0);
    let mut out = [0u8; 1500];
    // A sends as 0x1111, B as 0x2222.
    a_to_b
        .relay_datagram(t0, &pkt(0, 1, 160, 0x1111, &[0; 160]), &mut out)
        .unwrap();
    b_to_a
        .relay_datagram(t0, &pkt(0, 1, 160, 0x2222, &[0; 160]), &mut out)
        .unwrap();
    // A's SR reports on the stream it receives from us (SSRC 0xa0a0).
    let mut sr = [0u8; 128];
    let block = ReportBlock {
        ssrc: 0xa0a0,
        ..Default::default()
    };
    let n = write_report(
        &mut sr,
        0x1111,
        Some(SenderInfo::default()),
        Some(block),
        "a",
    )
    .unwrap();
    let m = relay_rtcp(&sr[..n], &mut out, &a_to_b, &b_to_a).unwrap();
    let p: Vec<_> = packets(&out[..m]).map(Result::unwrap).collect();
    assert_eq!(
        &p[0].bytes[4..8],
        &0xb0b0u32.to_be_bytes(),
        "sender is our SSRC toward B"
    );
    assert_eq!(
        &p[0].bytes[28..32],
        &0x2222u32.to_be_bytes(),
        "block names B's stream"
    );
    assert_eq!(
        &p[1].bytes[4..8],
        &0xb0b0u32.to_be_bytes(),
        "SDES chunk too"
    );
    assert!(relay_rtcp(&sr[..n], &mut [0u8; 8], &a_to_b, &b_to_a).is_err());
    assert!(relay_rtcp(&[0x80, 200, 0, 9], &mut out, &a_to_b, &b_to_a).is_err());
}
