//! Authenticated REGISTER over UDP: N virtual user agents, each with its own socket, looping
//! REGISTER → 401 → REGISTER with credentials → 200. A lost datagram counts as a failed
//! registration (the run is on loopback; retransmission would hide server overload).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use tokio::net::UdpSocket;
use tokio::time::timeout;

use crate::Common;
use crate::digest::Algorithm;
use crate::report::Tally;
use crate::sip::{Registration, Response};
use crate::ws_register::parse_algorithm;

#[derive(Args, Debug)]
pub struct UdpRegisterArgs {
    /// The registrar's UDP address.
    #[arg(long, value_parser = crate::parse_addr, default_value = "127.0.0.1:5060")]
    pub target: SocketAddr,
    /// Concurrent virtual user agents (one socket each).
    #[arg(long, default_value_t = 1)]
    pub agents: usize,
    #[arg(long, value_parser = parse_algorithm)]
    pub algorithm: Option<Algorithm>,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(args: UdpRegisterArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let deadline = started + args.common.duration;
    let mut workers = Vec::new();
    for n in 0..args.agents {
        let common = args.common.clone();
        let (target, algorithm) = (args.target, args.algorithm);
        workers.push(tokio::spawn(async move {
            agent(n, target, common, algorithm, deadline).await
        }));
    }
    let mut total = Tally::new();
    for w in workers {
        match w.await {
            Ok(Ok(t)) => total.merge(&t),
            Ok(Err(e)) => eprintln!("agent: {e:#}"),
            Err(e) => eprintln!("agent task: {e}"),
        }
    }
    total.print("udp-register closed-loop", args.agents, started.elapsed());
    Ok(())
}

async fn agent(
    n: usize,
    target: SocketAddr,
    common: Common,
    algorithm: Option<Algorithm>,
    deadline: Instant,
) -> anyhow::Result<Tally> {
    let bind: SocketAddr = if target.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    }
    .parse()?;
    let socket = UdpSocket::bind(bind).await?;
    socket.connect(target).await?;
    let local = socket.local_addr()?;
    let mut reg = Registration::new(
        common.user(n),
        &common.password,
        &common.domain,
        "UDP",
        local.to_string(),
        common.expires,
    );
    reg.prefer(algorithm);
    let mut tally = Tally::new();
    let mut buf = vec![0u8; 65536];
    while Instant::now() < deadline {
        let begin = Instant::now();
        match register_once(&socket, &mut reg, &mut buf, common.timeout).await {
            Ok(()) => tally.success(begin.elapsed()),
            Err(e) => {
                tally.failed += 1;
                eprintln!("agent {n}: {e:#}");
                // A late response must not be taken for the next request's answer.
                tokio::time::sleep(Duration::from_millis(50)).await;
                while socket.try_recv(&mut buf).is_ok() {}
            }
        }
    }
    Ok(tally)
}

async fn register_once(
    socket: &UdpSocket,
    reg: &mut Registration,
    buf: &mut [u8],
    limit: Duration,
) -> anyhow::Result<()> {
    socket.send(reg.request(None).as_bytes()).await?;
    let len = timeout(limit, socket.recv(buf)).await??;
    let response =
        Response::parse(&buf[..len]).ok_or_else(|| anyhow::anyhow!("unparsable response"))?;
    let challenge = match response.status {
        401 => reg
            .choose(&response)
            .ok_or_else(|| anyhow::anyhow!("401 without a usable digest challenge"))?,
        200 => return Ok(()),
        other => bail!("first REGISTER answered {other}"),
    };
    socket
        .send(reg.request(Some(&challenge)).as_bytes())
        .await?;
    let len = timeout(limit, socket.recv(buf)).await??;
    match Response::parse(&buf[..len]).map(|r| r.status) {
        Some(200) => Ok(()),
        Some(other) => bail!("authenticated REGISTER answered {other}"),
        None => bail!("unparsable response"),
    }
}
