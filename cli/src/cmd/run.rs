//! `sbcctl run SPEC|PLAN`: start the SBC and serve until SIGINT or SIGTERM, which drain
//! gracefully (`--drain-secs`); SIGHUP reads the spec again and applies it like `sbcctl apply`.
//!
//! Exit codes: 0 after a clean stop, 1 when the spec has errors, 2 when the host cannot start
//! (an interface that cannot bind, a certificate that cannot be read) or on an I/O error.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use sbcctl_compiler::plan::{
    self, Credential, Destination, PeerKind, Plan, Registration, StringMatch, Transport,
};
use sbcctl_runtime::{Host, HostOptions};
use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// A spec (YAML) or a compiled plan (JSON).
    pub spec: PathBuf,
    /// Log line format; defaults to the plan's `logging.format`. `RUST_LOG` overrides the level.
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// This instance's name, recorded with each registration it holds.
    #[arg(long, default_value = "sbcctl")]
    pub node: String,
    /// On SIGTERM, seconds that calls get to end on their own (new calls get 503) before the
    /// SBC ends the rest with BYE.
    #[arg(long, value_name = "SECS", default_value_t = sbcctl_runtime::admin::DEFAULT_DRAIN_SECS)]
    pub drain_secs: u64,
}

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let plan = match crate::input::load(&super::apply::absolute(&args.spec))? {
        Ok(p) => p,
        Err(problems) => {
            eprint!("{problems}");
            return Ok(ExitCode::from(1));
        }
    };
    init_logging(&plan, args.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(plan, args))
}

async fn serve(plan: Plan, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let node = args.node.clone();
    let plan = Arc::new(plan);
    let options = HostOptions {
        node,
        ..HostOptions::default()
    };
    let host = match Host::start(plan.clone(), options).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    // Signal handlers first: whoever reads the banner may send SIGHUP right away.
    let signals = sbcctl_runtime::admin::signals::Signals::listen();
    print!("{}", banner(&plan, &host));
    if let Some(admin) = host.admin_addr() {
        println!("  admin API    http://{admin}  (sbcctl status / apply --admin)");
    }
    tracing::info!(plan = %plan.hash, "sbcctl ready");
    // SIGHUP reads the spec again and applies it; SIGTERM or Ctrl-C drains, then stops.
    let reload = || match crate::input::load(&super::apply::absolute(&args.spec)) {
        Ok(Ok(plan)) => Ok(plan),
        Ok(Err(problems)) => Err(problems),
        Err(e) => Err(format!("{e:#}")),
    };
    sbcctl_runtime::admin::signals::serve_until_stopped(
        &host,
        signals,
        reload,
        std::time::Duration::from_secs(args.drain_secs),
    )
    .await;
    tracing::info!("stopping: closing listeners and flows");
    host.shutdown().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn init_logging(plan: &Plan, format: Option<LogFormat>) {
    let level = match plan.logging.level {
        plan::LogLevel::Error => "error",
        plan::LogLevel::Warn => "warn",
        plan::LogLevel::Info => "info",
        plan::LogLevel::Debug => "debug",
        plan::LogLevel::Trace => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let json = match format {
        Some(f) => f == LogFormat::Json,
        None => plan.logging.format == plan::LogFormat::Json,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.with_ansi(crate::output::color_enabled()).try_init()
    };
}

/// What a person needs once the host is up: where to point a browser or a SIP phone, who can
/// log in (passwords only when every interface is on loopback, i.e. a demo), what to dial.
fn banner(plan: &Plan, host: &Host) -> String {
    let mut out = String::from("sbcctl is running\n");
    let loopback_only = plan.interfaces.iter().all(|i| i.listen.ip().is_loopback());
    for iface in &plan.interfaces {
        let addr = host.local_addr(&iface.name).unwrap_or(iface.listen);
        out.push_str(&format!(
            "  {:<12} {:<4} {}\n",
            iface.name,
            iface.transport.as_str(),
            addr
        ));
        if let Some(ws) = &iface.websocket {
            let (http, ws_scheme) = if iface.transport == Transport::Wss {
                ("https", "wss")
            } else {
                ("http", "ws")
            };
            let shown = display_addr(addr);
            if ws.static_dir.is_some() {
                out.push_str(&format!("               demo page: {http}://{shown}/\n"));
            }
            out.push_str(&format!(
                "               SIP over WebSocket: {ws_scheme}://{shown}{}\n",
                ws.path
            ));
        }
    }
    for (i, peer) in plan.peers.iter().enumerate() {
        let PeerKind::Users(users) = &peer.kind else {
            continue;
        };
        if users.click_to_call {
            let page = plan
                .interfaces
                .iter()
                .find(|i| i.websocket.as_ref().is_some_and(|w| w.static_dir.is_some()))
                .map(|i| display_addr(host.local_addr(&i.name).unwrap_or(i.listen)));
            out.push_str(&format!(
                "  `{}` calls without registering (click-to-call){}\n",
                peer.name,
                page.map(|p| format!(": http://{p}/?mode=click-to-call"))
                    .unwrap_or_default()
            ));
        }
        if let Registration::Local(local) = &users.registration {
            let names: Vec<String> = local
                .users
                .iter()
                .map(|u| match (&u.credential, loopback_only) {
                    (Credential::Plain(p), true) => format!("{} / {}", u.name, p),
                    _ => u.name.clone(),
                })
                .collect();
            out.push_str(&format!(
                "  users of `{}` (realm {}): {}\n",
                peer.name,
                local.realm,
                names.join(", ")
            ));
        }
        let dial: Vec<String> = plan
            .routes
            .iter()
            .filter(|r| r.from.map(|f| f.index()) == Some(i))
            .filter_map(|r| {
                let number = match &r.when.request_user {
                    Some(StringMatch::Exact(n)) => n.clone(),
                    Some(StringMatch::Prefix(p)) => format!("{p}…"),
                    Some(StringMatch::Regex(_)) => "a number".to_owned(),
                    None => return None,
                };
                let to = match &r.to {
                    Destination::Peer(p) => {
                        plan.peer(*p).map(|p| p.name.clone()).unwrap_or_default()
                    }
                    Destination::Registered(p) => format!(
                        "registered {}",
                        plan.peer(*p).map(|p| p.name.as_str()).unwrap_or("")
                    ),
                    Destination::Reject { code, .. } => format!("reject {code}"),
                };
                Some(format!("{number} → {to}"))
            })
            .collect();
        if !dial.is_empty() {
            out.push_str(&format!(
                "  `{}` can dial: {}\n",
                peer.name,
                dial.join("; ")
            ));
        }
    }
    out.push_str("  Stop with Ctrl-C.\n");
    out
}

fn display_addr(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    }
}
