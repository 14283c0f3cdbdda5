//! Memory per idle WebSocket flow, measured on the server process.
//!
//! ```text
//! cargo run --release -p sbcctl-transport --example ws_idle_rss -- serve 127.0.0.1:8090 &
//! cargo run --release -p sbcctl-transport --example ws_idle_rss -- idle 127.0.0.1:8090 10000 <server pid>
//! ```
//!
//! `serve` runs a WS interface that echoes every message back over its
//! flow (no SIP layer); `idle` opens N connections, sends one SIP-sized
//! message on each, then reads the server's VmRSS before and after and
//! prints the difference per connection; `load ADDR N SECONDS` runs a
//! closed loop of echo round trips over N connections and prints round
//! trips per second and p50/p99 latency. Raise `ulimit -n` for large N.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use fastwebsockets::{Frame, Payload};
use http_body_util::Empty;
use sbcctl_transport::{ListenerConfig, TransportKind, Transports, WsConfig};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct SpawnExecutor;

impl<F> hyper::rt::Executor<F> for SpawnExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        tokio::spawn(fut);
    }
}

fn rss_kib(pid: u32) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS".into())
}

async fn serve(addr: SocketAddr) -> Result<(), Error> {
    let (tx, mut rx) = mpsc::channel(1024);
    let transports = Transports::new(tx);
    let mut config = ListenerConfig::new("web", TransportKind::Ws, addr);
    config.ws = Some(WsConfig::default());
    config.limits.max_connections_per_ip = 1_000_000;
    config.limits.max_connections = 1_000_000;
    config.limits.idle_timeout = Duration::from_secs(3600);
    let handle = transports.bind(config).await?;
    println!(
        "listening on {} (pid {})",
        handle.local_addr(),
        std::process::id()
    );
    while let Some(event) = rx.recv().await {
        if let sbcctl_transport::TransportEvent::Message(m) = event {
            let _ = transports.send(m.flow, m.data);
        }
    }
    Ok(())
}

async fn open(
    addr: SocketAddr,
) -> Result<fastwebsockets::WebSocket<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>, Error> {
    let tcp = TcpStream::connect(addr).await?;
    let req = hyper::Request::builder()
        .uri("/")
        .header("Host", addr.to_string())
        .header("Upgrade", "websocket")
        .header("Connection", "upgrade")
        .header(
            "Sec-WebSocket-Key",
            fastwebsockets::handshake::generate_key(),
        )
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Protocol", "sip")
        .body(Empty::<Bytes>::new())?;
    let (mut ws, _) = fastwebsockets::handshake::client(&SpawnExecutor, req, tcp).await?;
    let register = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: 1\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@x.invalid;transport=ws>\r\nContent-Length: 0\r\n\r\n";
    ws.write_frame(Frame::text(Payload::Borrowed(register.as_bytes())))
        .await?;
    Ok(ws)
}

async fn idle(addr: SocketAddr, n: usize, pid: u32) -> Result<(), Error> {
    let before = rss_kib(pid)?;
    let mut conns = Vec::with_capacity(n);
    let mut pending = Vec::new();
    for i in 0..n {
        pending.push(tokio::spawn(async move {
            let mut ws = open(addr).await?;
            ws.read_frame().await?; // the echo of the first message
            Ok::<_, Error>(ws)
        }));
        if pending.len() == 200 || i + 1 == n {
            for p in pending.drain(..) {
                conns.push(p.await??);
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for ws in &mut conns {
        ws.write_frame(Frame::text(Payload::Borrowed(b"\r\n\r\n")))
            .await?;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(pid)?;
    let per = (after.saturating_sub(before) as f64) * 1024.0 / n as f64;
    println!(
        "{n} idle connections: server RSS {before} KiB -> {after} KiB, {per:.0} bytes per connection"
    );
    // Every connection must have survived the simultaneous keepalives.
    let checks: Vec<_> = conns
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                let msg = b"OPTIONS sip:x SIP/2.0\r\n\r\n";
                ws.write_frame(Frame::text(Payload::Borrowed(msg)))
                    .await
                    .is_ok()
                    && tokio::time::timeout(Duration::from_secs(10), ws.read_frame())
                        .await
                        .is_ok_and(|f| f.is_ok())
            })
        })
        .collect();
    let mut alive = 0;
    for c in checks {
        alive += usize::from(c.await?);
    }
    println!("{alive} of {n} connections still answer after the keepalive burst");
    Ok(())
}

async fn load(addr: SocketAddr, n: usize, secs: u64) -> Result<(), Error> {
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        let mut ws = open(addr).await?;
        ws.read_frame().await?; // the echo of the first message
        conns.push(ws);
    }
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let msg = "OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bK2\r\nContent-Length: 0\r\n\r\n";
                while std::time::Instant::now() < end {
                    let t = std::time::Instant::now();
                    if ws.write_frame(Frame::text(Payload::Borrowed(msg.as_bytes()))).await.is_err()
                        || ws.read_frame().await.is_err()
                    {
                        break;
                    }
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{n} connections: {:.0} round trips/s, p50 {:?}, p99 {:?}",
        all.len() as f64 / secs as f64,
        pct(0.50),
        pct(0.99)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve", addr] => serve(addr.parse()?).await,
        ["idle", addr, n, pid] => idle(addr.parse()?, n.parse()?, pid.parse()?).await,
        ["load", addr, n, secs] => load(addr.parse()?, n.parse()?, secs.parse()?).await,
        _ => Err(
            "usage: ws_idle_rss serve ADDR | idle ADDR N SERVER_PID | load ADDR N SECONDS".into(),
        ),
    }
}
