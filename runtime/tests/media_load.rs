//! Load runs of the media engine (ignored in normal test runs):
//!
//! ```text
//! cargo test --release -p sbcctl-runtime --test media_load -- --ignored --nocapture --test-threads 1
//! ```
//!
//! Concurrent calls relay paced G.711 (50 packets/s each way) through the
//! real engine, tasks and loopback sockets. The engine runs on its own
//! runtime whose threads are named `sbc-media`, so the CPU it uses can be
//! told apart from the load generator's (read from /proc, Linux only).
//! Prints CPU per relayed packet and loss. `MEDIA_LOAD_CALLS`,
//! `MEDIA_LOAD_SECS` override the size.

#[path = "media_support.rs"]
mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sbcctl_load::webrtc::{ClientOptions, Stream, WebRtcClient};
use sbcctl_runtime::media::{CallLegs, MediaEngine, Side};
use support::*;
use tokio::net::UdpSocket;
use tokio::runtime::Runtime;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time (user + system) of this process's threads whose name starts
/// with `prefix`, from /proc (clock ticks of 10 ms).
fn thread_cpu(prefix: &str) -> Duration {
    let mut ticks = 0u64;
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    for task in dir.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<u64> = rest
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        ticks += f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    }
    Duration::from_millis(ticks * 10)
}

fn runtimes() -> (Runtime, Runtime) {
    let sbc = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sbc-media")
        .enable_all()
        .build()
        .unwrap();
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("load-gen")
        .enable_all()
        .build()
        .unwrap();
    (sbc, load)
}

fn report(
    label: &str,
    calls: u64,
    sent: u64,
    received: u64,
    relayed: u64,
    cpu: Duration,
    secs: u64,
) {
    let loss = 1.0 - received as f64 / sent.max(1) as f64;
    let per_packet = cpu.as_nanos() as f64 / relayed.max(1) as f64 / 1000.0;
    println!(
        "{label}: {calls} calls, {secs} s, sent {sent} ({:.0} pps), received {received}, loss {:.3}%, \
         engine CPU {:.2} s ({:.0}% of a core), {per_packet:.2} µs/packet relayed ({relayed})",
        sent as f64 / secs as f64,
        loss * 100.0,
        cpu.as_secs_f64(),
        cpu.as_secs_f64() / secs as f64 * 100.0,
    );
}

#[test]
#[ignore = "load run"]
fn rtp_to_rtp_load() {
    let calls = env("MEDIA_LOAD_CALLS", 500);
    let secs = env("MEDIA_LOAD_SECS", 10);
    let (sbc, load) = runtimes();
    let plan = plan(&spec("30000-31999", "32000-33999"));
    let (tx, _events) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = {
        let _rt = sbc.enter();
        MediaEngine::new(&plan, tx)
    };
    let mut pairs = Vec::new();
    for call in 0..calls {
        let (pa, pb) = load.block_on(async { (phone().await, phone().await) });
        engine.open(
            call,
            CallLegs::Relay {
                a: leg(&plan, "left", "trunk"),
                b: leg(&plan, "right", "trunk"),
            },
        );
        let offer = rtp_sdp(pa.local_addr().unwrap(), "0", &[]);
        let to_b = engine
            .on_sdp(call, Side::A, false, offer.as_bytes())
            .unwrap();
        let answer = rtp_sdp(pb.local_addr().unwrap(), "0", &[]);
        let to_a = engine
            .on_sdp(call, Side::B, true, answer.as_bytes())
            .unwrap();
        pairs.push((Arc::new(pa), audio(&to_a).0, Arc::new(pb), audio(&to_b).0));
    }
    let sent = Arc::new(AtomicU64::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let cpu0 = thread_cpu("sbc-media");
    let relayed0 = engine.stats().packets_relayed;
    load.block_on(async {
        for (pa, _, pb, _) in &pairs {
            for s in [pa.clone(), pb.clone()] {
                let received = received.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 2048];
                    while s.recv_from(&mut buf).await.is_ok() {
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        }
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let packet = rtp_packet(0, 0, 1, &[0xff; 160]);
        let end = Instant::now() + Duration::from_secs(secs);
        let mut seq = 0u16;
        while Instant::now() < end {
            tick.tick().await;
            let mut p = packet.clone();
            p[2..4].copy_from_slice(&seq.to_be_bytes());
            for (pa, a_side, pb, b_side) in &pairs {
                for (s, to) in [(pa, a_side), (pb, b_side)] {
                    if s.send_to(&p, *to).await.is_ok() {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            seq = seq.wrapping_add(1);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    });
    let cpu = thread_cpu("sbc-media") - cpu0;
    let relayed = engine.stats().packets_relayed - relayed0;
    report(
        "RTP<->RTP",
        calls,
        sent.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed),
        relayed,
        cpu,
        secs,
    );
    for call in 0..calls {
        engine.close(call);
    }
}

#[test]
#[ignore = "load run"]
fn webrtc_to_rtp_load() {
    let calls = env("MEDIA_LOAD_CALLS", 50);
    let secs = env("MEDIA_LOAD_SECS", 10);
    let (sbc, load) = runtimes();
    let plan = plan(&spec("34000-34999", "35000-35999"));
    let (tx, _events) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = {
        let _rt = sbc.enter();
        MediaEngine::new(&plan, tx)
    };
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut legs: Vec<(WebRtcClient, Arc<UdpSocket>, SocketAddr)> = Vec::new();
    for call in 0..calls {
        engine.open(
            call,
            CallLegs::Relay {
                a: leg(&plan, "left", "web"),
                b: leg(&plan, "right", "trunk"),
            },
        );
        let (browser, pb, offer) = load.block_on(async {
            let b = WebRtcClient::start(lo, ClientOptions::default())
                .await
                .unwrap();
            let offer = b.create_offer().await.unwrap();
            (b, phone().await, offer)
        });
        let to_b = engine
            .on_sdp(call, Side::A, false, offer.as_bytes())
            .unwrap();
        let answer = rtp_sdp(pb.local_addr().unwrap(), "0", &[]);
        let to_a = engine
            .on_sdp(call, Side::B, true, answer.as_bytes())
            .unwrap();
        load.block_on(async {
            let text = String::from_utf8_lossy(&to_a).into_owned();
            browser.accept_answer(&text).await.unwrap();
        });
        legs.push((browser, Arc::new(pb), audio(&to_b).0));
    }
    load.block_on(async {
        for (b, _, _) in &legs {
            assert!(b.wait(Duration::from_secs(20), |s| s.connected).await);
        }
    });
    let received = Arc::new(AtomicU64::new(0));
    let mut sent = 0u64;
    let cpu0 = thread_cpu("sbc-media");
    let relayed0 = engine.stats().packets_relayed;
    let packets = secs * 50;
    load.block_on(async {
        for (b, pb, _) in &legs {
            b.send_stream(Stream {
                pt: 0,
                count: packets as u32,
                interval: Duration::from_millis(20),
                ts_step: 160,
                payload: vec![0xff; 160],
            });
            let (pb, received) = (pb.clone(), received.clone());
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                while pb.recv_from(&mut buf).await.is_ok() {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for seq in 0..packets as u16 {
            tick.tick().await;
            let p = rtp_packet(0, seq, 7, &[0x7f; 160]);
            for (_, pb, b_side) in &legs {
                if pb.send_to(&p, *b_side).await.is_ok() {
                    sent += 1;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    });
    let cpu = thread_cpu("sbc-media") - cpu0;
    let relayed = engine.stats().packets_relayed - relayed0;
    let browsers: u64 = legs
        .iter()
        .map(|(b, _, _)| b.state().received.len() as u64)
        .sum();
    let browser_sent: u64 = legs.iter().map(|(b, _, _)| b.state().sent).sum();
    report(
        "WebRTC<->RTP",
        calls,
        sent + browser_sent,
        received.load(Ordering::Relaxed) + browsers,
        relayed,
        cpu,
        secs,
    );
    for call in 0..calls {
        engine.close(call);
    }
}
