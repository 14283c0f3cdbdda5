//! `sipload`: a SIP load generator for registrars and SBCs.
//!
//! It speaks only standard SIP (RFC 3261 REGISTER, RFC 7616/8760 digest, RFC 7118 WebSocket), so
//! the same run can be pointed at sbcctl, Kamailio or any other registrar and the figures compared.
//! Every run is bounded by `--duration` (or a registration count) and stops by itself.

mod report;
mod rtp_calls;
mod udp;
mod ws_idle;
mod ws_register;

use sbcctl_load::{digest, sip, ws};

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "sipload",
    version,
    about = "SIP load generator: REGISTER with digest auth over WS or UDP, RTP calls"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Authenticated REGISTERs over N WebSocket connections (closed loop, or open loop with --rate).
    WsRegister(ws_register::WsRegisterArgs),
    /// Authenticated REGISTERs over UDP from N virtual user agents.
    UdpRegister(udp::UdpRegisterArgs),
    /// Opens N WebSocket connections, registers each once, then keeps them alive and idle.
    WsIdle(ws_idle::WsIdleArgs),
    /// N concurrent G.711 calls through the SBC over UDP, RTP both ways (this process also
    /// answers and echoes the media); reports loss and round-trip time.
    RtpCalls(rtp_calls::RtpCallsArgs),
}

/// Options shared by every scenario: who registers, where, and for how long.
#[derive(Args, Clone, Debug)]
pub struct Common {
    /// SIP domain of the AORs and the Request-URI (`sip:<domain>`).
    #[arg(long, default_value = "127.0.0.1")]
    pub domain: String,
    /// User names: `<user-prefix><n>` for n in 0..users, or exactly `<user-prefix>` when users is 1.
    #[arg(long, default_value = "user")]
    pub user_prefix: String,
    /// How many distinct users the connections cycle through.
    #[arg(long, default_value_t = 1)]
    pub users: usize,
    /// The password of every user.
    #[arg(long, default_value = "secret")]
    pub password: String,
    /// Stop after this long.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub duration: Duration,
    /// Expires asked for in each REGISTER.
    #[arg(long, default_value_t = 600)]
    pub expires: u32,
    /// Time allowed for one response before the registration counts as failed.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub timeout: Duration,
}

impl Common {
    /// The user name that virtual agent `n` registers as.
    pub fn user(&self, n: usize) -> String {
        if self.users <= 1 {
            self.user_prefix.clone()
        } else {
            format!("{}{}", self.user_prefix, n % self.users)
        }
    }
}

/// Parses `250ms`, `10s`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?}"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit in {text:?} (use ms, s or m)")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// Parses `host:port` into a socket address.
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|e| format!("{text:?}: {e}"))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::WsRegister(args) => ws_register::run(args).await,
            Command::UdpRegister(args) => udp::run(args).await,
            Command::WsIdle(args) => ws_idle::run(args).await,
            Command::RtpCalls(args) => rtp_calls::run(args).await,
        }
    })
}
