//! A running sbcctl host: the transports bound for every interface of a plan and the SIP core.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sbcctl_compiler::plan::Plan;
use sbcctl_sip::TxnConfig;
use sbcctl_transport::{BindError, ListenerHandle, Transports};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::core::{Command, SipCore};
use crate::listeners::{self, ListenerError};
use crate::status::{HostStatus, StatusHandle};

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
    #[error("admin endpoint {listen}: {reason}")]
    Admin { listen: SocketAddr, reason: String },
}

pub struct Host {
    plan: Arc<Plan>,
    transports: Transports,
    listeners: Vec<ListenerHandle>,
    commands: mpsc::Sender<Command>,
    core: JoinHandle<()>,
    status: StatusHandle,
    admin: Option<(SocketAddr, JoinHandle<()>)>,
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
        // The admin token too: an unreadable token file refuses the plan before anything binds.
        let admin_token = match &plan.admin {
            Some(admin) => read_token(admin)?,
            None => None,
        };
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
        let status = StatusHandle {
            plan: plan.clone(),
            commands: command_tx.clone(),
            transports: transports.clone(),
            listeners: bound
                .iter()
                .map(|l| (l.name().to_owned(), l.kind(), l.local_addr()))
                .collect(),
        };
        let admin = match (&plan.admin, admin_token) {
            (Some(admin), token) => {
                match crate::admin::start(admin.listen, token, status.clone()).await {
                    Ok(bound_admin) => Some(bound_admin),
                    Err(e) => {
                        core.abort();
                        transports.shutdown();
                        return Err(StartError::Admin {
                            listen: admin.listen,
                            reason: e.to_string(),
                        });
                    }
                }
            }
            (None, _) => None,
        };
        Ok(Host {
            plan,
            transports,
            listeners: bound,
            commands: command_tx,
            core,
            status,
            admin,
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
        self.status.status().await
    }

    /// A cloneable handle for status queries (the admin endpoint uses one).
    pub fn status_handle(&self) -> StatusHandle {
        self.status.clone()
    }

    /// The admin endpoint's bound address, when the plan has one.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().map(|(addr, _)| *addr)
    }

    /// Stops accepting, closes every flow and stops the core.
    pub async fn shutdown(self) {
        for l in &self.listeners {
            l.shutdown();
        }
        for l in &self.listeners {
            l.close_all();
        }
        if let Some((_, task)) = &self.admin {
            task.abort();
        }
        let _ = self.commands.send(Command::Stop).await;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.core).await;
        self.transports.shutdown();
    }
}

/// The bearer token from the admin section's token file (`None` without a file).
fn read_token(admin: &sbcctl_compiler::plan::Admin) -> Result<Option<String>, StartError> {
    let Some(path) = &admin.token_file else {
        return Ok(None);
    };
    let failed = |reason: String| StartError::Admin {
        listen: admin.listen,
        reason,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| failed(format!("cannot read token file {path}: {e}")))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(failed(format!("token file {path} is empty")));
    }
    Ok(Some(token.to_owned()))
}
