//! `rtp-calls`: N concurrent G.711 calls through an SBC over UDP, with RTP both ways.
//!
//! This process plays both ends: a UAC that calls `--sbc` and a UAS on `--uas` (the SBC's route
//! must send the calls there) which answers and echoes every RTP packet back. Each caller sends
//! 20 ms PCMU packets carrying their send time; what comes back has crossed the SBC twice, so the
//! loss and round-trip figures measure the SBC's relay (the direct loopback round trip is a few
//! microseconds). Bounded: calls are set up at `--rate`, held for `--hold`, then hung up.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use hdrhistogram::Histogram;
use tokio::net::UdpSocket;
use tokio::sync::Mutex;

#[derive(Args, Clone, Debug)]
pub struct RtpCallsArgs {
    /// The SBC's UDP interface the calls are sent to.
    #[arg(long, value_parser = crate::parse_addr)]
    pub sbc: SocketAddr,
    /// Where the answering side listens (the SBC's route must point there).
    #[arg(long, value_parser = crate::parse_addr)]
    pub uas: SocketAddr,
    /// Local IP of the calling side (its SIP and RTP sockets).
    #[arg(long, default_value = "127.0.0.1")]
    pub uac_ip: std::net::IpAddr,
    /// Concurrent calls.
    #[arg(long, default_value_t = 100)]
    pub calls: usize,
    /// New calls per second while ramping up.
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
    /// How long each call sends media once all calls are up.
    #[arg(long, value_parser = crate::parse_duration, default_value = "20s")]
    pub hold: Duration,
    /// Dialled number.
    #[arg(long, default_value = "5550000")]
    pub number: String,
}

const PACKET: usize = 172;
const PTIME: Duration = Duration::from_millis(20);

/// Counters shared by every call.
#[derive(Default)]
struct Totals {
    sent: AtomicU64,
    received: AtomicU64,
    echoed: AtomicU64,
}

fn sdp(addr: SocketAddr, id: u64) -> String {
    format!(
        "v=0\r\no=- {id} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 101\r\n\
         a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n",
        ip = addr.ip(),
        port = addr.port()
    )
}

fn media_addr(msg: &str) -> Option<SocketAddr> {
    let ip = msg
        .lines()
        .find_map(|l| l.strip_prefix("c=IN IP4 "))?
        .trim();
    let port = msg
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))?
        .split_whitespace()
        .next()?;
    format!("{ip}:{port}").parse().ok()
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn status(msg: &str) -> Option<u16> {
    msg.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
}

/// The answering side: 200 with an SDP per call, RTP echoed from its own socket per call.
async fn uas(socket: Arc<UdpSocket>, totals: Arc<Totals>) {
    let mut media: HashMap<String, Arc<UdpSocket>> = HashMap::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            return;
        };
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        let Some(line) = msg.lines().next() else {
            continue;
        };
        let method = line.split(' ').next().unwrap_or_default();
        if method == "SIP/2.0" || method == "ACK" {
            continue;
        }
        let call_id = header(&msg, "Call-ID").unwrap_or_default().to_owned();
        let mut body = String::new();
        if method == "INVITE" {
            let rtp = match media.get(&call_id) {
                Some(s) => s.clone(),
                None => {
                    let Ok(s) = UdpSocket::bind((
                        socket
                            .local_addr()
                            .map(|a| a.ip())
                            .unwrap_or([127, 0, 0, 1].into()),
                        0,
                    ))
                    .await
                    else {
                        continue;
                    };
                    let s = Arc::new(s);
                    tokio::spawn(echo(s.clone(), totals.clone()));
                    media.insert(call_id.clone(), s.clone());
                    s
                }
            };
            if let Ok(addr) = rtp.local_addr() {
                body = sdp(addr, 7);
            }
        }
        if method == "BYE" {
            media.remove(&call_id);
        }
        let mut resp = String::from("SIP/2.0 200 OK\r\n");
        for h in ["Via", "From", "Call-ID", "CSeq"] {
            for l in msg.lines().take_while(|l| !l.is_empty()) {
                if l.split_once(':')
                    .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(h))
                {
                    resp.push_str(l);
                    resp.push_str("\r\n");
                }
            }
        }
        let to = header(&msg, "To").unwrap_or_default();
        if to.contains("tag=") {
            resp.push_str(&format!("To: {to}\r\n"));
        } else {
            resp.push_str(&format!("To: {to};tag=uas\r\n"));
        }
        if let Ok(local) = socket.local_addr() {
            resp.push_str(&format!("Contact: <sip:uas@{local}>\r\n"));
        }
        if body.is_empty() {
            resp.push_str("Content-Length: 0\r\n\r\n");
        } else {
            resp.push_str(&format!(
                "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        }
        let _ = socket.send_to(resp.as_bytes(), from).await;
    }
}

async fn echo(socket: Arc<UdpSocket>, totals: Arc<Totals>) {
    let mut buf = vec![0u8; 2048];
    // The socket is dropped (and this task ends) a while after the call's BYE.
    while let Ok(Ok((n, from))) =
        tokio::time::timeout(Duration::from_secs(10), socket.recv_from(&mut buf)).await
    {
        totals.echoed.fetch_add(1, Ordering::Relaxed);
        let _ = socket.send_to(&buf[..n], from).await;
    }
}

/// One call's caller side.
struct Caller {
    rtp: Arc<UdpSocket>,
    remote: SocketAddr,
    ssrc: u32,
    seq: u16,
    ts: u32,
    ok: String,
}

pub async fn run(args: RtpCallsArgs) -> anyhow::Result<()> {
    let totals = Arc::new(Totals::default());
    let uas_socket = Arc::new(UdpSocket::bind(args.uas).await?);
    tokio::spawn(uas(uas_socket, totals.clone()));
    let sip = Arc::new(UdpSocket::bind((args.uac_ip, 0)).await?);
    let local = sip.local_addr()?;
    let rtt = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 10_000_000, 3).expect("constant bounds"),
    ));
    let started = Instant::now();
    let mut callers = Vec::new();
    let mut failed = 0usize;
    let gap = Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1)));
    let mut buf = vec![0u8; 65536];
    for i in 0..args.calls {
        let rtp = Arc::new(UdpSocket::bind((args.uac_ip, 0)).await?);
        let offer = sdp(rtp.local_addr()?, i as u64);
        let call_id = format!("rtpcall-{i}-{}@{local}", std::process::id());
        let invite = format!(
            "INVITE sip:{n}@{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKrc{i};rport\r\nMax-Forwards: 70\r\n\
             From: <sip:load@{local}>;tag=f{i}\r\nTo: <sip:{n}@{sbc}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\
             Contact: <sip:load@{local}>\r\nContent-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{offer}",
            n = args.number,
            sbc = args.sbc,
            len = offer.len()
        );
        sip.send_to(invite.as_bytes(), args.sbc).await?;
        let answer = loop {
            match tokio::time::timeout(Duration::from_secs(5), sip.recv_from(&mut buf)).await {
                Ok(Ok((n, _))) => {
                    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                    match status(&msg) {
                        Some(100..=199) => continue,
                        Some(200) if header(&msg, "Call-ID") == Some(call_id.as_str()) => {
                            break Some(msg);
                        }
                        _ => break None,
                    }
                }
                _ => break None,
            }
        };
        let Some(ok) = answer.and_then(|m| media_addr(&m).map(|a| (m, a))) else {
            failed += 1;
            continue;
        };
        let (ok, remote) = ok;
        let ack = in_dialog("ACK", &ok, local, i, 1);
        sip.send_to(ack.as_bytes(), args.sbc).await?;
        let rtp_rx = rtp.clone();
        let totals_rx = totals.clone();
        let rtt_rx = rtt.clone();
        tokio::spawn(async move {
            let mut b = vec![0u8; 2048];
            while let Ok((n, _)) = rtp_rx.recv_from(&mut b).await {
                if n < 20 {
                    continue;
                }
                totals_rx.received.fetch_add(1, Ordering::Relaxed);
                let mut t = [0u8; 8];
                t.copy_from_slice(&b[12..20]);
                let sent_us = u64::from_be_bytes(t);
                let now_us = epoch_us();
                let _ = rtt_rx
                    .lock()
                    .await
                    .record(now_us.saturating_sub(sent_us).max(1));
            }
        });
        callers.push(Caller {
            rtp,
            remote,
            ssrc: 0x5000_0000 + i as u32,
            seq: 0,
            ts: 0,
            ok,
        });
        tokio::time::sleep(gap).await;
    }
    let setup = started.elapsed();
    println!(
        "rtp-calls: {} calls up ({failed} failed) in {:.1}s",
        callers.len(),
        setup.as_secs_f64()
    );
    // Media: every caller sends one packet per 20 ms, spread over the tick.
    let mut tick = tokio::time::interval(PTIME);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let media_start = Instant::now();
    let mut packet = vec![0u8; PACKET];
    packet[0] = 0x80;
    while media_start.elapsed() < args.hold {
        tick.tick().await;
        for c in &mut callers {
            packet[1] = 0;
            packet[2..4].copy_from_slice(&c.seq.to_be_bytes());
            packet[4..8].copy_from_slice(&c.ts.to_be_bytes());
            packet[8..12].copy_from_slice(&c.ssrc.to_be_bytes());
            packet[12..20].copy_from_slice(&epoch_us().to_be_bytes());
            if c.rtp.send_to(&packet, c.remote).await.is_ok() {
                totals.sent.fetch_add(1, Ordering::Relaxed);
            }
            c.seq = c.seq.wrapping_add(1);
            c.ts = c.ts.wrapping_add(160);
        }
    }
    // Let the last packets come back, then hang up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = totals.sent.load(Ordering::Relaxed);
    let received = totals.received.load(Ordering::Relaxed);
    let echoed = totals.echoed.load(Ordering::Relaxed);
    for (i, c) in callers.iter().enumerate() {
        let bye = in_dialog("BYE", &c.ok, local, i, 2);
        let _ = sip.send_to(bye.as_bytes(), args.sbc).await;
    }
    let h = rtt.lock().await;
    let loss = if sent == 0 {
        0.0
    } else {
        100.0 * (sent.saturating_sub(received)) as f64 / sent as f64
    };
    println!(
        "rtp-calls: calls={} failed={failed} sent={sent} echoed={echoed} received={received} loss={loss:.3}% \
         pps_each_way={:.0} rtt_p50={:.3}ms rtt_p99={:.3}ms rtt_max={:.3}ms",
        callers.len(),
        sent as f64 / args.hold.as_secs_f64().max(1e-9),
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.max() as f64 / 1000.0,
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

fn epoch_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// An in-dialog request built from the 2xx (its To tag and Contact).
fn in_dialog(method: &str, ok: &str, local: SocketAddr, i: usize, cseq: u32) -> String {
    let to = header(ok, "To").unwrap_or_default();
    let call_id = header(ok, "Call-ID").unwrap_or_default();
    let target = header(ok, "Contact")
        .and_then(|c| c.split('<').nth(1))
        .and_then(|c| c.split('>').next())
        .unwrap_or("sip:sbc")
        .to_owned();
    format!(
        "{method} {target} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKrc{i}{method};rport\r\nMax-Forwards: 70\r\n\
         From: <sip:load@{local}>;tag=f{i}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
    )
}
