//! Graceful drain before a shutdown (SIGTERM): the phases, in order.
//!
//! 1. **Stop taking work.** `/readyz` answers 503; the tap answers new INVITEs and OPTIONS with
//!    503 and `Retry-After` (upstream keepalives mark this instance down); the connection
//!    listeners that only serve clients (WS, WSS, TCP, TLS without a server peer) stop accepting.
//!    UDP sockets and the interfaces of server peers stay open: BYEs and re-INVITEs of calls in
//!    progress still arrive there, and requests to proxies leave from there.
//! 2. **Wait** up to the grace period for the calls to end on their own.
//! 3. **End the rest**: the core sends BYE (or a final response) on every call still up, and the
//!    drain waits briefly for those transactions to finish.
//!
//! Applies are refused from the first phase on. The host is then shut down by its owner.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sbcctl_compiler::plan::{PeerKind, Plan};
use sbcctl_transport::TransportKind;
use serde::Serialize;
use tokio::sync::oneshot;
use tracing::info;

use crate::core::Command;
use crate::host::Shared;

/// How often the drain looks at the number of active calls.
const POLL: Duration = Duration::from_millis(100);
/// How long the BYEs sent at the end of the grace period get to be answered.
const BYE_WAIT: Duration = Duration::from_secs(2);

/// What a drain did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DrainReport {
    /// Calls up when the drain started.
    pub calls_at_start: usize,
    /// Calls the SBC ended when the grace period was over.
    pub calls_ended: usize,
    /// Listeners that stopped accepting connections.
    pub listeners_stopped: Vec<String>,
    pub waited_ms: u64,
}

pub(crate) async fn drain(shared: &Arc<Shared>, grace: Duration) -> DrainReport {
    // Held to the end: no apply may rebind listeners while draining.
    let control = shared.control.lock().await;
    shared.draining.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let plan = shared.running.load().plan.clone();
    let mut listeners_stopped = Vec::new();
    for b in &control.listeners {
        if client_only(&plan, b.handle.name(), b.handle.kind()) {
            b.handle.shutdown();
            listeners_stopped.push(b.handle.name().to_owned());
        }
    }
    let calls_at_start = active_calls(shared).await.unwrap_or(0);
    info!(calls = calls_at_start, grace_secs = grace.as_secs(), stopped = ?listeners_stopped, "draining: new calls get 503");
    let mut active = calls_at_start;
    while active > 0 && started.elapsed() < grace {
        tokio::time::sleep(POLL.min(grace.saturating_sub(started.elapsed()))).await;
        active = active_calls(shared).await.unwrap_or(0);
    }
    let mut calls_ended = 0;
    if active > 0 {
        let (tx, rx) = oneshot::channel();
        if shared.commands.send(Command::EndCalls(tx)).await.is_ok() {
            calls_ended = rx.await.unwrap_or(0);
        }
        let deadline = Instant::now() + BYE_WAIT;
        while Instant::now() < deadline && active_calls(shared).await.unwrap_or(0) > 0 {
            tokio::time::sleep(POLL).await;
        }
    }
    drop(control);
    DrainReport {
        calls_at_start,
        calls_ended,
        listeners_stopped,
        waited_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// A connection listener that no server peer sends from: closing its accept loop loses
/// nothing but new clients.
fn client_only(plan: &Plan, name: &str, kind: TransportKind) -> bool {
    if kind == TransportKind::Udp {
        return false;
    }
    !plan.peers.iter().any(|p| match &p.kind {
        PeerKind::Server(s) => plan.interface(s.interface).is_some_and(|i| i.name == name),
        _ => false,
    })
}

async fn active_calls(shared: &Shared) -> Option<usize> {
    let (tx, rx) = oneshot::channel();
    shared.commands.send(Command::Status(tx)).await.ok()?;
    rx.await.ok().map(|s| s.active_calls)
}
