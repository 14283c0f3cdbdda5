//! A snapshot of what the host is doing, for `sbcctl status`, the admin API and tests.

use std::sync::Arc;

use serde::Serialize;

use crate::admin::api::ApplyRecord;
use crate::core::Counters;
use crate::host::Shared;

#[derive(Debug, Clone, Serialize)]
pub struct HostStatus {
    pub plan_hash: String,
    /// True once a drain started (new calls get 503).
    pub draining: bool,
    pub interfaces: Vec<InterfaceStatus>,
    pub core: CoreStatus,
    /// The last applies, oldest first (the initial plan included).
    pub applies: Vec<ApplyRecord>,
    /// Applies since start by outcome.
    pub apply_counts: crate::admin::ApplyCounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct InterfaceStatus {
    pub name: String,
    pub transport: String,
    pub listen: String,
    /// Live flows: connections (TCP, TLS, WS, WSS) or remote addresses heard from (UDP).
    pub flows: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoreStatus {
    pub counters: Counters,
    pub client_transactions: usize,
    pub server_transactions: usize,
    pub users: Vec<UsersStatus>,
    /// Calls set up and not ended yet.
    pub active_calls: usize,
    /// Health of every server peer's proxy addresses (OPTIONS keepalive).
    pub proxies: Vec<crate::core::ProxyHealth>,
    /// The media engine's counters (sessions, ports, packets).
    pub media: crate::media::MediaStats,
}

#[derive(Debug, Clone, Serialize)]
pub struct UsersStatus {
    pub peer: String,
    pub aors: usize,
    pub bindings: usize,
}

/// A cloneable way to ask a running host for its status.
#[derive(Clone)]
pub struct StatusHandle {
    pub(crate) shared: Arc<Shared>,
}

impl StatusHandle {
    /// The plan running now.
    pub fn plan(&self) -> Arc<sbcctl_compiler::plan::Plan> {
        self.shared.running.load().plan.clone()
    }

    /// `None` when the SIP core is not running.
    pub async fn status(&self) -> Option<HostStatus> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.shared
            .commands
            .send(crate::core::Command::Status(tx))
            .await
            .ok()?;
        let core = rx.await.ok()?;
        let running = self.shared.running.load_full();
        let counts = self.shared.transports.flow_counts();
        let interfaces = running
            .listeners
            .iter()
            .map(|(name, kind, addr)| InterfaceStatus {
                name: name.clone(),
                transport: kind.via_token().to_ascii_lowercase(),
                listen: addr.to_string(),
                flows: counts
                    .get(&(Arc::from(name.as_str()), *kind))
                    .copied()
                    .unwrap_or(0),
            })
            .collect();
        let (applies, apply_counts) = self.shared.history.snapshot();
        Some(HostStatus {
            plan_hash: running.plan.hash.clone(),
            draining: self.shared.is_draining(),
            interfaces,
            core,
            applies,
            apply_counts,
        })
    }
}
