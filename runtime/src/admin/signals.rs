//! Process signals of `sbcctl run`: SIGHUP reloads the spec with the rules of an apply; SIGTERM
//! and SIGINT drain gracefully; a second SIGTERM or SIGINT during the drain stops at once.

use std::time::Duration;

use sbcctl_compiler::plan::Plan;
use tracing::{info, warn};

use super::ApplySource;
use crate::Host;

/// Serves until SIGTERM or SIGINT, applying `reload()` on every SIGHUP, then drains for up to
/// `grace`. The caller shuts the host down afterwards. `reload` reads and compiles the spec
/// again; its error (rendered diagnostics or an I/O error) is logged and recorded as a refused
/// apply, and the running plan stays.
pub async fn serve_until_stopped<F>(
    host: &Host,
    signals: std::io::Result<Signals>,
    reload: F,
    grace: Duration,
) where
    F: Fn() -> Result<Plan, String>,
{
    let mut signals = match signals {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "cannot listen for signals; stopping on Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    while let Signal::Reload = signals.next().await {
        info!("SIGHUP: reloading the spec");
        match reload() {
            Ok(plan) => match host.apply(plan, ApplySource::Reload).await {
                Ok(r) => info!(hash = %r.hash, result = ?r.result, "reload applied"),
                Err(e) => warn!(error = %e, "reload refused: the running plan stays"),
            },
            Err(problems) => {
                warn!(problems = %problems, "reload refused: the spec does not compile; the running plan stays");
                host.record_refused(ApplySource::Reload, &problems);
            }
        }
    }
    info!(
        grace_secs = grace.as_secs(),
        "stopping: draining (signal again to stop at once)"
    );
    tokio::select! {
        report = host.drain(grace) => info!(
            calls_at_start = report.calls_at_start,
            calls_ended = report.calls_ended,
            waited_ms = report.waited_ms,
            "drained"
        ),
        _ = signals.next_stop() => warn!("second stop signal: stopping without waiting for calls"),
    }
}

enum Signal {
    Reload,
    Stop,
}

/// The stop and reload signals, listened to from [`Signals::listen`] on: install them before
/// telling anyone the SBC is ready, or an early SIGHUP would kill the process.
#[cfg(unix)]
pub struct Signals {
    hup: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    pub fn listen() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            hup: signal(SignalKind::hangup())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.hup.recv() => Signal::Reload,
            _ = self.term.recv() => Signal::Stop,
            _ = tokio::signal::ctrl_c() => Signal::Stop,
        }
    }

    async fn next_stop(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
}

#[cfg(not(unix))]
pub struct Signals;

#[cfg(not(unix))]
impl Signals {
    pub fn listen() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Signal {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Stop
    }

    async fn next_stop(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
