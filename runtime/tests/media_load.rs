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
//! Prints CPU per relayed packet and per 1,000 packets/s, and loss; the
//! WebRTC run also prints the one-way latency through the relay (see
//! [`probe_browsers`]). `MEDIA_LOAD_CALLS`, `MEDIA_LOAD_SECS` override the
//! size, `MEDIA_LOAD_PROBE` how many calls the latency probe samples.

#[path = "media_support.rs"]
mod support;

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sbcctl_load::webrtc::{ClientOptions, Stream, WebRtcClient};
use sbcctl_media::rtp;
use sbcctl_runtime::media::{CallLegs, MediaEngine, Side};
use support::*;
use tokio::net::UdpSocket;
use tokio::runtime::{Handle, Runtime};

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

/// The load runs' realms take port ranges below the kernel's ephemeral
/// ports (32768 and up on Linux), where the phones' and clients' sockets
/// would otherwise take ports the engine wants.
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
    // µs of CPU per packet is ms of CPU per second at 1,000 packets/s, so a
    // tenth of it is the percentage of one core that rate keeps busy.
    let per_kpps = per_packet / 10.0;
    println!(
        "{label}: {calls} calls, {secs} s, sent {sent} ({:.0} pps), received {received}, loss {:.3}%, \
         engine CPU {:.2} s ({:.0}% of a core), {per_packet:.2} µs/packet relayed ({relayed}, {:.0} pps), \
         {per_kpps:.2}% of a core per 1,000 packets/s",
        sent as f64 / secs as f64,
        loss * 100.0,
        cpu.as_secs_f64(),
        cpu.as_secs_f64() / secs as f64 * 100.0,
        relayed as f64 / secs as f64,
    );
}

/// When in the 20 ms packet interval call `i` sends (phones and browsers
/// alike): calls are spread over it a millisecond apart.
fn phase(i: usize) -> Duration {
    Duration::from_millis((i % 20) as u64)
}

/// Percentiles of latency samples in microseconds, for a report line.
fn latency_line(label: &str, mut samples: Vec<u64>, note: &str) {
    samples.sort_unstable();
    let pct = |p| percentile(&samples, p).map_or("-".to_owned(), |v| v.to_string());
    println!(
        "{label}: p50 {} µs, p99 {} µs, max {} µs ({} samples; {note})",
        pct(50.0),
        pct(99.0),
        pct(100.0),
        samples.len(),
    );
}

/// Phone→browser latency: the phones put their send time at the start of
/// each payload, and the browser clients keep each payload but not when it
/// arrived. So this thread peeks at a sample of clients about every 50 µs
/// (through `wait` with no time limit, which lends the state instead of
/// cloning it) and takes the time it first sees a packet as its arrival.
/// That is late by up to one poll period, returned as the mean period so
/// the report can say how coarse the figure is.
fn probe_browsers(clients: &[&WebRtcClient], rt: &Handle, stop: &AtomicBool) -> (Vec<u64>, u64) {
    let seen = RefCell::new(vec![0usize; clients.len()]);
    let samples = RefCell::new(Vec::new());
    let start = Instant::now();
    let mut rounds = 0u64;
    while !stop.load(Ordering::Relaxed) {
        rt.block_on(async {
            for (i, b) in clients.iter().enumerate() {
                b.wait(Duration::ZERO, |s| {
                    let now = unix_micros();
                    let (mut seen, mut samples) = (seen.borrow_mut(), samples.borrow_mut());
                    for r in s.received.get(seen[i]..).unwrap_or_default() {
                        if let Some(sent) = payload_stamp(&r.payload) {
                            samples.push(now.saturating_sub(sent));
                        }
                    }
                    seen[i] = s.received.len();
                    false
                })
                .await;
            }
        });
        rounds += 1;
        std::thread::sleep(Duration::from_micros(50));
    }
    let period = start.elapsed().as_micros() as u64 / rounds.max(1);
    (samples.into_inner(), period)
}

#[test]
#[ignore = "load run"]
fn rtp_to_rtp_load() {
    let calls = env("MEDIA_LOAD_CALLS", 500);
    let secs = env("MEDIA_LOAD_SECS", 10);
    let (sbc, load) = runtimes();
    let plan = plan(&spec("14000-15999", "16000-17999"));
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
    // Phone-to-phone delays from the send time each payload starts with.
    let delays = Arc::new(Mutex::new(Vec::<u64>::new()));
    let cpu0 = thread_cpu("sbc-media");
    let relayed0 = engine.stats().packets_relayed;
    load.block_on(async {
        for (pa, _, pb, _) in &pairs {
            for s in [pa.clone(), pb.clone()] {
                let (received, delays) = (received.clone(), delays.clone());
                tokio::spawn(async move {
                    let mut buf = [0u8; 2048];
                    while let Ok((n, _)) = s.recv_from(&mut buf).await {
                        let now = unix_micros();
                        received.fetch_add(1, Ordering::Relaxed);
                        let sent = buf.get(12..n).and_then(payload_stamp);
                        if let (Some(sent), Ok(mut d)) = (sent, delays.lock()) {
                            d.push(now.saturating_sub(sent));
                        }
                    }
                });
            }
        }
        // Spread over the 20 ms interval as in the WebRTC run (see `phase`).
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        let end = Instant::now() + Duration::from_secs(secs);
        let mut ms = 0usize;
        while Instant::now() < end {
            tick.tick().await;
            let mut p = rtp_packet(0, (ms / 20) as u16, 1, &[0xff; 160]);
            for (pa, a_side, pb, b_side) in pairs.iter().skip(ms % 20).step_by(20) {
                for (s, to) in [(pa, a_side), (pb, b_side)] {
                    p[12..20].copy_from_slice(&unix_micros().to_be_bytes());
                    if s.send_to(&p, *to).await.is_ok() {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            ms += 1;
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
    let delays = delays.lock().map(|d| d.clone()).unwrap_or_default();
    latency_line("latency phone->phone", delays, "both directions");
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
    let plan = plan(&spec("10000-10999", "11000-12999"));
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
    // Browser→phone delays: arrival at the phone minus when the packet was
    // due by the client's pacing (see the report line).
    let to_phone = Arc::new(Mutex::new(Vec::<u64>::new()));
    let mut sent = 0u64;
    let cpu0 = thread_cpu("sbc-media");
    let gen0 = thread_cpu("load-gen") + thread_cpu("webrtc_to_rtp");
    let rcvbuf0 = udp_rcvbuf_errors();
    let before = engine.stats();
    let relayed0 = before.packets_relayed;
    let packets = secs * 50;
    let probed = env("MEDIA_LOAD_PROBE", 50).clamp(1, calls.max(1));
    let sample: Vec<&WebRtcClient> = legs
        .iter()
        .step_by((calls / probed).max(1) as usize)
        .map(|(b, _, _)| b)
        .collect();
    let stop = AtomicBool::new(false);
    let (to_browser, period) = std::thread::scope(|scope| {
        let probe = std::thread::Builder::new()
            .name("latency-probe".into())
            .spawn_scoped(scope, || probe_browsers(&sample, load.handle(), &stop))
            .unwrap();
        load.block_on(async {
            // Real calls start at random moments: the streams are spread
            // over the 20 ms packet interval (by 1 ms, the timer's grain)
            // rather than all sent in one burst per interval.
            let start = tokio::time::Instant::now();
            for (i, (b, pb, _)) in legs.iter().enumerate() {
                tokio::time::sleep_until(start + phase(i)).await;
                let t0 = Instant::now();
                b.send_stream(Stream {
                    pt: 0,
                    count: packets as u32,
                    interval: Duration::from_millis(20),
                    ts_step: 160,
                    payload: vec![0xff; 160],
                });
                let (pb, received, to_phone) = (pb.clone(), received.clone(), to_phone.clone());
                tokio::spawn(async move {
                    let mut buf = [0u8; 2048];
                    let mut first_ts = None;
                    while let Ok((n, _)) = pb.recv_from(&mut buf).await {
                        let at = t0.elapsed();
                        // Only the relayed PCMU counts, not the engine's RTCP.
                        let Ok(v) = rtp::parse(&buf[..n]).map_err(drop) else {
                            continue;
                        };
                        if v.header.pt != 0 {
                            continue;
                        }
                        received.fetch_add(1, Ordering::Relaxed);
                        // The relay renumbers timestamps, so the packet's
                        // place in the stream is counted from the first one.
                        let first = *first_ts.get_or_insert(v.header.ts);
                        let due =
                            Duration::from_millis(20) * (v.header.ts.wrapping_sub(first) / 160);
                        let delay = at.saturating_sub(due).as_micros() as u64;
                        if let Ok(mut d) = to_phone.lock() {
                            d.push(delay);
                        }
                    }
                });
            }
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            for ms in 0..packets as usize * 20 {
                tick.tick().await;
                let mut p = rtp_packet(0, (ms / 20) as u16, 7, &[0x7f; 160]);
                for (_, pb, b_side) in legs.iter().skip(ms % 20).step_by(20) {
                    p[12..20].copy_from_slice(&unix_micros().to_be_bytes());
                    if pb.send_to(&p, *b_side).await.is_ok() {
                        sent += 1;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        });
        stop.store(true, Ordering::Relaxed);
        probe.join().unwrap()
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
    // Where loss happened: drops inside the engine, or sequence gaps it saw
    // arriving (lost before it, e.g. a full socket buffer); and whether the
    // load generator, which shares the machine, had the CPU it needed (its
    // worker and the test thread, which paces the phones).
    let after = engine.stats();
    let generator = thread_cpu("load-gen") + thread_cpu("webrtc_to_rtp") - gen0;
    println!(
        "engine dropped {}, gaps seen arriving {}, full UDP receive buffers (whole machine) {}; \
         load generator CPU {:.2} s ({:.0}% of a core)",
        after.dropped - before.dropped,
        after.lost - before.lost,
        udp_rcvbuf_errors() - rcvbuf0,
        generator.as_secs_f64(),
        generator.as_secs_f64() / secs as f64 * 100.0,
    );
    latency_line(
        "latency phone->browser",
        to_browser,
        &format!("{} calls probed, poll period {period} µs", sample.len()),
    );
    let to_phone = to_phone.lock().map(|d| d.clone()).unwrap_or_default();
    latency_line(
        "latency browser->phone, upper bound",
        to_phone,
        "from when the client's pacing made each packet due, so it includes the client's lateness",
    );
    for call in 0..calls {
        engine.close(call);
    }
}
