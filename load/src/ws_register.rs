//! Authenticated REGISTER over WebSocket: each connection runs REGISTER → 401 → REGISTER with
//! credentials → 200 in a loop (two round trips per registration, as a browser does after its
//! nonce expires). Closed loop by default; `--rate` switches to an open loop where latency is taken
//! from each registration's scheduled start, so a slow server cannot hide its queueing.

use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use tokio::time::{MissedTickBehavior, timeout};

use crate::Common;
use crate::digest::Algorithm;
use crate::report::Tally;
use crate::sip::{Registration, Response};
use crate::ws::{self, Target};

#[derive(Args, Debug)]
pub struct WsRegisterArgs {
    /// `ws://host:port/path` of the SBC or registrar.
    #[arg(long, default_value = "ws://127.0.0.1:8080/")]
    pub url: String,
    /// `Origin` header to send (browsers always send one).
    #[arg(long)]
    pub origin: Option<String>,
    /// Concurrent WebSocket connections.
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// Open loop: total registrations per second spread over the connections.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Digest algorithm to answer with when the server offers several (md5 or sha256).
    #[arg(long, value_parser = parse_algorithm)]
    pub algorithm: Option<Algorithm>,
    #[command(flatten)]
    pub common: Common,
}

pub fn parse_algorithm(text: &str) -> Result<Algorithm, String> {
    match text.to_ascii_lowercase().as_str() {
        "md5" => Ok(Algorithm::Md5),
        "sha256" | "sha-256" => Ok(Algorithm::Sha256),
        _ => Err(format!("unknown algorithm {text:?} (md5 or sha256)")),
    }
}

pub async fn run(args: WsRegisterArgs) -> anyhow::Result<()> {
    let target = Target::parse(&args.url, args.origin.clone())?;
    let started = Instant::now();
    let deadline = started + args.common.duration;
    let per_connection = args
        .rate
        .map(|r| Duration::from_secs_f64(args.connections as f64 / r.max(0.001)));
    let mut workers = Vec::with_capacity(args.connections);
    for n in 0..args.connections {
        let target = target.clone();
        let common = args.common.clone();
        let algorithm = args.algorithm;
        // Spread open-loop start times so the connections do not fire in lockstep.
        let offset = per_connection.map(|p| p.mul_f64(n as f64 / args.connections as f64));
        workers.push(tokio::spawn(async move {
            worker(
                n,
                target,
                common,
                algorithm,
                per_connection,
                offset,
                deadline,
            )
            .await
        }));
    }
    let mut total = Tally::new();
    for w in workers {
        if let Ok(t) = w.await {
            total.merge(&t);
        }
    }
    let scenario = if args.rate.is_some() {
        "ws-register open-loop"
    } else {
        "ws-register closed-loop"
    };
    total.print(scenario, args.connections, started.elapsed());
    Ok(())
}

async fn worker(
    n: usize,
    target: Target,
    common: Common,
    algorithm: Option<Algorithm>,
    interval: Option<Duration>,
    offset: Option<Duration>,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::new();
    let mut ticker = interval.map(|i| {
        let start = tokio::time::Instant::now() + offset.unwrap_or_default();
        let mut t = tokio::time::interval_at(start, i);
        t.set_missed_tick_behavior(MissedTickBehavior::Burst);
        t
    });
    while Instant::now() < deadline {
        let mut socket = match ws::connect(&target).await {
            Ok(s) => s,
            Err(e) => {
                tally.failed += 1;
                eprintln!("connection {n}: {e:#}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let via_host = format!("{:012x}.invalid", rand::random::<u64>() & 0xffff_ffff_ffff);
        let mut reg = Registration::new(
            common.user(n),
            &common.password,
            &common.domain,
            "WS",
            via_host,
            common.expires,
        );
        reg.prefer(algorithm);
        while Instant::now() < deadline {
            let begin = match ticker.as_mut() {
                Some(t) => t.tick().await.into_std(),
                None => Instant::now(),
            };
            if Instant::now() >= deadline {
                break;
            }
            match register_once(&mut socket, &mut reg, common.timeout).await {
                Ok(()) => tally.success(begin.elapsed()),
                Err(e) => {
                    tally.failed += 1;
                    eprintln!("connection {n}: {e:#}");
                    break; // reconnect: the stream may hold a stale response
                }
            }
        }
    }
    tally
}

async fn register_once(
    socket: &mut ws::Socket,
    reg: &mut Registration,
    limit: Duration,
) -> anyhow::Result<()> {
    ws::send(socket, &reg.request(None)).await?;
    let first = timeout(limit, ws::recv(socket)).await??;
    let response = Response::parse(&first).ok_or_else(|| anyhow::anyhow!("unparsable response"))?;
    let challenge = match response.status {
        401 => reg
            .choose(&response)
            .ok_or_else(|| anyhow::anyhow!("401 without a usable digest challenge"))?,
        200 => return Ok(()),
        other => bail!("first REGISTER answered {other}"),
    };
    ws::send(socket, &reg.request(Some(&challenge))).await?;
    let second = timeout(limit, ws::recv(socket)).await??;
    match Response::parse(&second).map(|r| r.status) {
        Some(200) => Ok(()),
        Some(other) => bail!("authenticated REGISTER answered {other}"),
        None => bail!("unparsable response"),
    }
}
