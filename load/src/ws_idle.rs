//! A fleet of idle registered WebSocket connections: opens N, registers each once, then keeps them
//! alive for `--duration` with CRLF keep-alives (what SIP.js sends) or WebSocket pings, all sent in
//! the same instant to stress the server's wake-ups. At the end every connection must still answer
//! a REGISTER; the ones that cannot were dropped. `--measure-pids` prints the server's memory
//! (RSS and PSS summed over the given processes) before and after, per connection.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use fastwebsockets::{Frame, Payload};
use tokio::sync::Barrier;
use tokio::time::timeout;

use crate::Common;
use crate::sip::{Registration, Response};
use crate::ws::{self, Target};

#[derive(Args, Debug)]
pub struct WsIdleArgs {
    #[arg(long, default_value = "ws://127.0.0.1:8080/")]
    pub url: String,
    #[arg(long)]
    pub origin: Option<String>,
    /// How many connections to hold.
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// How many connections are opened at the same time while ramping up.
    #[arg(long, default_value_t = 200)]
    pub ramp_parallel: usize,
    /// Keep-alive period while holding.
    #[arg(long, value_parser = crate::parse_duration, default_value = "10s")]
    pub keepalive: Duration,
    #[arg(long, value_enum, default_value_t = Keepalive::Crlf)]
    pub keepalive_kind: Keepalive,
    /// Server process ids whose memory is measured (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub measure_pids: Vec<u32>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Keepalive {
    Crlf,
    Ping,
}

pub async fn run(args: WsIdleArgs) -> anyhow::Result<()> {
    let target = Target::parse(&args.url, args.origin.clone())?;
    let before = memory(&args.measure_pids);
    let ramp = std::sync::Arc::new(tokio::sync::Semaphore::new(args.ramp_parallel.max(1)));
    let barrier = std::sync::Arc::new(Barrier::new(args.connections + 1));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.connections);
    for n in 0..args.connections {
        let (target, common, ramp, barrier) = (
            target.clone(),
            args.common.clone(),
            ramp.clone(),
            barrier.clone(),
        );
        let (period, kind) = (args.keepalive, args.keepalive_kind);
        tasks.push(tokio::spawn(async move {
            hold(n, target, common, ramp, barrier, period, kind).await
        }));
    }
    barrier.wait().await;
    println!(
        "ws-idle: {} connections registered in {:.1}s; holding for {:?}",
        args.connections,
        started.elapsed().as_secs_f64(),
        args.common.duration
    );
    let during = memory(&args.measure_pids);
    let (mut alive, mut dropped) = (0usize, 0usize);
    for t in tasks {
        match t.await {
            Ok(Ok(())) => alive += 1,
            Ok(Err(e)) => {
                dropped += 1;
                eprintln!("{e:#}");
            }
            Err(_) => dropped += 1,
        }
    }
    println!(
        "ws-idle: connections={} alive={alive} dropped={dropped}",
        args.connections
    );
    if let (Some(b), Some(d)) = (before, during) {
        let n = args.connections.max(1) as f64;
        println!(
            "ws-idle memory: rss {} kB -> {} kB ({:.1} kB/connection), pss {} kB -> {} kB ({:.1} kB/connection)",
            b.0,
            d.0,
            (d.0 as f64 - b.0 as f64) / n,
            b.1,
            d.1,
            (d.1 as f64 - b.1 as f64) / n
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn hold(
    n: usize,
    target: Target,
    common: Common,
    ramp: std::sync::Arc<tokio::sync::Semaphore>,
    barrier: std::sync::Arc<Barrier>,
    period: Duration,
    kind: Keepalive,
) -> anyhow::Result<()> {
    let registered = async {
        let _permit = ramp.acquire().await.context("ramp closed")?;
        let mut socket = ws::connect(&target).await?;
        let via = format!("{:012x}.invalid", rand::random::<u64>() & 0xffff_ffff_ffff);
        let mut reg = Registration::new(
            common.user(n),
            &common.password,
            &common.domain,
            "WS",
            via,
            common.expires.max(3600),
        );
        register(&mut socket, &mut reg, common.timeout).await?;
        anyhow::Ok((socket, reg))
    }
    .await;
    barrier.wait().await;
    let (mut socket, mut reg) = registered.with_context(|| format!("connection {n}: setup"))?;
    let end = Instant::now() + common.duration;
    while Instant::now() + period < end {
        tokio::time::sleep(period).await;
        let frame = match kind {
            Keepalive::Crlf => Frame::text(Payload::Borrowed(b"\r\n\r\n")),
            Keepalive::Ping => Frame::new(
                true,
                fastwebsockets::OpCode::Ping,
                None,
                Payload::Borrowed(b""),
            ),
        };
        socket
            .write_frame(frame)
            .await
            .with_context(|| format!("connection {n}: keep-alive"))?;
    }
    // Still served? The first leg of a registration must be answered.
    ws::send(&mut socket, &reg.request(None))
        .await
        .with_context(|| format!("connection {n}: final check"))?;
    let bytes = timeout(common.timeout, ws::recv(&mut socket))
        .await
        .with_context(|| format!("connection {n}: final check timed out"))??;
    Response::parse(&bytes)
        .map(|_| ())
        .with_context(|| format!("connection {n}: unparsable final answer"))
}

async fn register(
    socket: &mut ws::Socket,
    reg: &mut Registration,
    limit: Duration,
) -> anyhow::Result<()> {
    ws::send(socket, &reg.request(None)).await?;
    let first = timeout(limit, ws::recv(socket)).await??;
    let response = Response::parse(&first).context("unparsable response")?;
    if response.status == 200 {
        return Ok(());
    }
    let challenge = reg.choose(&response).context("no usable challenge")?;
    ws::send(socket, &reg.request(Some(&challenge))).await?;
    let second = timeout(limit, ws::recv(socket)).await??;
    match Response::parse(&second).map(|r| r.status) {
        Some(200) => Ok(()),
        other => anyhow::bail!("authenticated REGISTER answered {other:?}"),
    }
}

/// (RSS kB, PSS kB) summed over `pids`, from `/proc/<pid>/smaps_rollup`.
fn memory(pids: &[u32]) -> Option<(u64, u64)> {
    if pids.is_empty() {
        return None;
    }
    let (mut rss, mut pss) = (0, 0);
    for pid in pids {
        let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            match (
                parts.next(),
                parts.next().and_then(|v| v.parse::<u64>().ok()),
            ) {
                (Some("Rss:"), Some(v)) => rss += v,
                (Some("Pss:"), Some(v)) => pss += v,
                _ => {}
            }
        }
    }
    Some((rss, pss))
}
