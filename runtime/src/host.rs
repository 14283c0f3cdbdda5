//! A running sbcctl host: the transports bound for every interface of a plan and the SIP core.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sbcctl_compiler::plan::Plan;
use sbcctl_sip::TxnConfig;
use sbcctl_transport::{BindError, ListenerHandle, Transports};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::core::{Command, SipCore};
use crate::listeners::{self, ListenerError};
use crate::status::{HostStatus, InterfaceStatus};

/// Settings of a host that are not in the plan (they belong to the machine, not the config).
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// This instance's name, recorded in bindings (which instance holds the flow).
    pub node: String,
    pub txn: TxnConfig,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            node: "sbcctl".to_owned(),
            txn: TxnConfig::default(),
        }
    }
}

/// Why a host did not start. Nothing stays bound when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Listener(#[from] ListenerError),
    #[error(transparent)]
    Bind(#[from] BindError),
}

pub struct Host {
    plan: Arc<Plan>,
    transports: Transports,
    listeners: Vec<ListenerHandle>,
    commands: mpsc::Sender<Command>,
    core: JoinHandle<()>,
}

impl Host {
    /// Binds every interface of `plan` and starts the SIP core. Must run inside a tokio runtime.
    pub async fn start(plan: Arc<Plan>, options: HostOptions) -> Result<Host, StartError> {
        // Certificates first: a bad one refuses the whole plan before any socket is bound.
        let configs = plan
            .interfaces
            .iter()
            .map(|iface| listeners::config(&plan, iface))
            .collect::<Result<Vec<_>, _>>()?;
        let (event_tx, event_rx) = mpsc::channel(16_384);
        let transports = Transports::new(event_tx);
        let mut bound = Vec::with_capacity(configs.len());
        for config in configs {
            match transports.bind(config).await {
                Ok(handle) => bound.push(handle),
                Err(e) => {
                    transports.shutdown();
                    return Err(e.into());
                }
            }
        }
        let (command_tx, command_rx) = mpsc::channel(64);
        let addrs: HashMap<String, SocketAddr> = bound
            .iter()
            .map(|l| (l.name().to_owned(), l.local_addr()))
            .collect();
        let core = SipCore::new(
            plan.clone(),
            &addrs,
            transports.clone(),
            &options.node,
            options.txn,
            Instant::now(),
        );
        let core = tokio::spawn(core.run(event_rx, command_rx));
        Ok(Host {
            plan,
            transports,
            listeners: bound,
            commands: command_tx,
            core,
        })
    }

    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// The bound address of an interface (useful when the plan asked for port 0).
    pub fn local_addr(&self, interface: &str) -> Option<SocketAddr> {
        self.listeners
            .iter()
            .find(|l| l.name() == interface)
            .map(ListenerHandle::local_addr)
    }

    pub async fn status(&self) -> Option<HostStatus> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(Command::Status(tx)).await.ok()?;
        let core = rx.await.ok()?;
        let counts = self.transports.flow_counts();
        let interfaces = self
            .listeners
            .iter()
            .map(|l| InterfaceStatus {
                name: l.name().to_owned(),
                transport: format!("{:?}", l.kind()).to_lowercase(),
                listen: l.local_addr().to_string(),
                flows: counts
                    .get(&(Arc::from(l.name()), l.kind()))
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

    /// Stops accepting, closes every flow and stops the core.
    pub async fn shutdown(self) {
        for l in &self.listeners {
            l.shutdown();
        }
        for l in &self.listeners {
            l.close_all();
        }
        let _ = self.commands.send(Command::Stop).await;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.core).await;
        self.transports.shutdown();
    }
}
