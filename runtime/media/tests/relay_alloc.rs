//! The relay path must not allocate per packet: count the allocations made
//! by the test's own thread while relaying (the harness's threads may
//! allocate meanwhile, so the counter is thread-local).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use sbcctl_media::codec::{Codec, Format, Negotiated, PtMap};
use sbcctl_media::demux::{PacketKind, classify};
use sbcctl_media::relay::{Echo, Latch, LatchPolicy, LatchVerdict, RelayDirection};
use sbcctl_media::rtp::{RtpHeader, write_packet};

struct Counting;

thread_local! {
    // Const-initialised and without destructor: no allocation to access it.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: forwards the caller's layout unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn relay_echo_and_latch_do_not_allocate() {
    let a = Negotiated {
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
    let b = Negotiated {
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
    let mut dir = RelayDirection::new(PtMap::between(&a, &b), 42);
    let mut echo = Echo::new(43, 8000);
    let mut latch = Latch::new(LatchPolicy::Any, None, Duration::from_secs(2));
    let from = "203.0.113.5:4000".parse().unwrap();
    let mut input = [0u8; 172];
    let mut out = [0u8; 1500];
    let t0 = Instant::now();

    // The counter works: a heap allocation is seen.
    let probe = allocs();
    black_box(Box::new(1u64));
    assert!(allocs() > probe);

    let before = allocs();
    for i in 0..10_000u32 {
        let pt = if i % 50 == 49 { 110 } else { 0 };
        let h = RtpHeader {
            marker: false,
            pt,
            seq: i as u16,
            ts: i * 160,
            ssrc: 1 + i / 5000,
        };
        let n = write_packet(&h, &[0x55; 160], &mut input).unwrap();
        let now = t0 + Duration::from_millis(u64::from(i) * 20);
        assert_eq!(classify(&input[..n]), PacketKind::Rtp);
        assert_ne!(latch.on_packet(now, from), LatchVerdict::Reject);
        dir.relay_datagram(now, &input[..n], &mut out).unwrap();
        echo.echo(now, &input[..n], &mut out).unwrap();
    }
    let allocated = allocs() - before;
    assert_eq!(allocated, 0, "allocations on the relay path");
    assert_eq!(dir.stats().packets, 10_000);
}
