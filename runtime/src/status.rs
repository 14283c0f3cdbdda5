//! A snapshot of what the host is doing, for `sbcctl status`, the admin API and tests.

use serde::Serialize;

use crate::core::Counters;

#[derive(Debug, Clone, Serialize)]
pub struct HostStatus {
    pub plan_hash: String,
    pub interfaces: Vec<InterfaceStatus>,
    pub core: CoreStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct InterfaceStatus {
    pub name: String,
    pub transport: String,
    pub listen: String,
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

/// A cloneable way to ask a running host for its status (the admin endpoint holds one).
#[derive(Clone)]
pub struct StatusHandle {
    pub(crate) plan: std::sync::Arc<sbcctl_compiler::plan::Plan>,
    pub(crate) commands: tokio::sync::mpsc::Sender<crate::core::Command>,
    pub(crate) transports: sbcctl_transport::Transports,
    /// (name, transport, bound address) of every listener.
    pub(crate) listeners: Vec<(
        String,
        sbcctl_transport::TransportKind,
        std::net::SocketAddr,
    )>,
}

impl StatusHandle {
    pub fn plan(&self) -> &sbcctl_compiler::plan::Plan {
        &self.plan
    }

    /// `None` when the SIP core is not running.
    pub async fn status(&self) -> Option<HostStatus> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.commands
            .send(crate::core::Command::Status(tx))
            .await
            .ok()?;
        let core = rx.await.ok()?;
        let counts = self.transports.flow_counts();
        let interfaces = self
            .listeners
            .iter()
            .map(|(name, kind, addr)| InterfaceStatus {
                name: name.clone(),
                transport: kind.via_token().to_ascii_lowercase(),
                listen: addr.to_string(),
                flows: counts
                    .get(&(std::sync::Arc::from(name.as_str()), *kind))
                    .copied()
                    .unwrap_or(0),
            })
            .collect();
        Some(HostStatus {
            plan_hash: self.plan.hash.clone(),
            interfaces,
            core,
        })
    }
}
