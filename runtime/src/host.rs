//! A running sbcctl host: the transports bound for every interface of a plan, the ingress tap,
//! the SIP core, and the admin endpoint; hot apply and graceful drain go through it.
//!
//! Inbound messages flow transports → tap (metrics, capture, message logs, the drain gate) →
//! core. What runs now (plan, listeners) is an [`ArcSwap`] read without locks by status,
//! metrics and the tap; applies and drains are serialised by one async mutex that also owns the
//! listener handles.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};
use sbcctl_compiler::plan::Plan;
use sbcctl_sip::TxnConfig;
use sbcctl_transport::{BindError, ListenerConfig, ListenerHandle, TransportKind, Transports};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::admin::api::ApplyReport;
use crate::admin::{self, ApplyError, ApplySource, DrainReport};
use crate::capture::Observer;
use crate::core::{Command, SipCore};
use crate::listeners::{self, ListenerError};
use crate::status::{HostStatus, StatusHandle};

/// Settings of a host that are not in the plan (they belong to the machine, not the config).
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// This instance's name, recorded in bindings (which instance holds the flow).
    pub node: String,
    pub txn: TxnConfig,
    /// How long the connections of an interface removed by an apply stay open (they no longer
    /// accept new ones) before they are closed.
    pub retire_after: Duration,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            node: "sbcctl".to_owned(),
            txn: TxnConfig::default(),
            retire_after: Duration::from_secs(crate::admin::DEFAULT_DRAIN_SECS),
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
    #[error("{0}")]
    Plan(String),
}

/// What runs now; replaced whole by an apply.
pub(crate) struct Running {
    pub plan: Arc<Plan>,
    /// (name, transport, bound address) of every listener.
    pub listeners: Vec<(String, TransportKind, SocketAddr)>,
    pub admin: Option<SocketAddr>,
}

/// A bound listener with the configuration it was bound with (to restore it when an apply
/// has to be rolled back).
pub(crate) struct Bound {
    pub handle: ListenerHandle,
    pub config: ListenerConfig,
}

/// What only applies and drains touch, behind [`Shared::control`].
pub(crate) struct Control {
    pub listeners: Vec<Bound>,
    pub admin: Option<admin::http::Server>,
    /// Listeners removed by an apply whose connections close after `retire_after`.
    pub retiring: HashMap<String, JoinHandle<()>>,
}

/// State shared by the host, the admin endpoint and the tap.
pub(crate) struct Shared {
    pub transports: Transports,
    pub commands: mpsc::Sender<Command>,
    pub options: HostOptions,
    pub running: ArcSwap<Running>,
    pub control: tokio::sync::Mutex<Control>,
    pub history: admin::History,
    pub observer: Arc<Observer>,
    pub draining: Arc<AtomicBool>,
    /// The admin bearer token (`None`: the endpoint is open).
    pub token: ArcSwapOption<String>,
}

impl Shared {
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

pub struct Host {
    shared: Arc<Shared>,
    core: JoinHandle<()>,
    tap: JoinHandle<()>,
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
            Some(admin) => read_token(admin).map_err(|reason| StartError::Admin {
                listen: admin.listen,
                reason,
            })?,
            None => None,
        };
        let observer = Arc::new(Observer::new(&plan).map_err(StartError::Plan)?);
        let (event_tx, event_rx) = mpsc::channel(16_384);
        let (core_tx, core_rx) = mpsc::channel(16_384);
        let transports = Transports::new(event_tx);
        let mut bound = Vec::with_capacity(configs.len());
        for config in configs {
            match transports.bind(config.clone()).await {
                Ok(handle) => bound.push(Bound { handle, config }),
                Err(e) => {
                    transports.shutdown();
                    return Err(e.into());
                }
            }
        }
        let (command_tx, command_rx) = mpsc::channel(64);
        let addrs = bound_addrs(&bound);
        observer.set_plan(&plan, &addrs);
        let core = SipCore::new(
            plan.clone(),
            &addrs,
            transports.clone(),
            &options.node,
            options.txn.clone(),
            Instant::now(),
        )
        .with_observer(observer.clone());
        let core = tokio::spawn(core.run(core_rx, command_rx));
        let draining = Arc::new(AtomicBool::new(false));
        let tap = tokio::spawn(crate::capture::tap::run(
            event_rx,
            core_tx,
            observer.clone(),
            draining.clone(),
            transports.clone(),
        ));
        let shared = Arc::new(Shared {
            transports: transports.clone(),
            commands: command_tx,
            options,
            running: ArcSwap::from_pointee(Running {
                plan: plan.clone(),
                listeners: listener_view(&bound),
                admin: None,
            }),
            control: tokio::sync::Mutex::new(Control {
                listeners: bound,
                admin: None,
                retiring: HashMap::new(),
            }),
            history: admin::History::default(),
            observer,
            draining,
            token: ArcSwapOption::from(admin_token.map(Arc::new)),
        });
        if let Some(admin) = &plan.admin {
            let server = match admin::http::Server::bind(admin.listen).await {
                Ok(s) => s.serve(Arc::downgrade(&shared)),
                Err(e) => {
                    core.abort();
                    tap.abort();
                    transports.shutdown();
                    return Err(StartError::Admin {
                        listen: admin.listen,
                        reason: e.to_string(),
                    });
                }
            };
            let addr = server.addr;
            shared.control.lock().await.admin = Some(server);
            let current = shared.running.load_full();
            shared.running.store(Arc::new(Running {
                plan: current.plan.clone(),
                listeners: current.listeners.clone(),
                admin: Some(addr),
            }));
        }
        shared.history.started(&plan);
        Ok(Host { shared, core, tap })
    }

    /// The plan running now (an apply replaces it).
    pub fn plan(&self) -> Arc<Plan> {
        self.shared.running.load().plan.clone()
    }

    /// The bound address of an interface (useful when the plan asked for port 0).
    pub fn local_addr(&self, interface: &str) -> Option<SocketAddr> {
        self.shared
            .running
            .load()
            .listeners
            .iter()
            .find(|(name, _, _)| name == interface)
            .map(|(_, _, addr)| *addr)
    }

    pub async fn status(&self) -> Option<HostStatus> {
        self.status_handle().status().await
    }

    /// A cloneable handle for status queries.
    pub fn status_handle(&self) -> StatusHandle {
        StatusHandle {
            shared: self.shared.clone(),
        }
    }

    /// The admin endpoint's bound address, when the plan has one.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.shared.running.load().admin
    }

    /// Applies a new plan without dropping calls or registrations (see `admin::apply`); a plan
    /// that cannot be applied is refused whole and the running one stays.
    pub async fn apply(&self, plan: Plan, source: ApplySource) -> Result<ApplyReport, ApplyError> {
        admin::apply(&self.shared, plan, source, None).await
    }

    /// Records an apply that failed before it reached the host (a reload whose spec does not
    /// compile), so that the history shows it.
    pub fn record_refused(&self, source: ApplySource, reason: &str) {
        let running = self.shared.running.load();
        self.shared.history.record(
            source.as_str(),
            "refused",
            "",
            &running.plan.hash,
            reason.to_owned(),
        );
    }

    /// Graceful drain: stop accepting, turn new calls away with 503, wait up to `grace` for
    /// calls to end, then end the rest. Call [`Host::shutdown`] afterwards.
    pub async fn drain(&self, grace: Duration) -> DrainReport {
        admin::drain(&self.shared, grace).await
    }

    /// Stops accepting, closes every flow and stops the core.
    pub async fn shutdown(self) {
        let mut control = self.shared.control.lock().await;
        for b in &control.listeners {
            b.handle.shutdown();
        }
        for b in &control.listeners {
            b.handle.close_all();
        }
        if let Some(server) = control.admin.take() {
            server.stop();
        }
        for (_, task) in control.retiring.drain() {
            task.abort();
        }
        drop(control);
        let _ = self.shared.commands.send(Command::Stop).await;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.core).await;
        self.tap.abort();
        self.shared.transports.shutdown();
    }
}

/// Each listener's bound address by interface name (what Via and Contact say).
pub(crate) fn bound_addrs(bound: &[Bound]) -> HashMap<String, SocketAddr> {
    bound
        .iter()
        .map(|b| (b.handle.name().to_owned(), b.handle.local_addr()))
        .collect()
}

pub(crate) fn listener_view(bound: &[Bound]) -> Vec<(String, TransportKind, SocketAddr)> {
    bound
        .iter()
        .map(|b| {
            (
                b.handle.name().to_owned(),
                b.handle.kind(),
                b.handle.local_addr(),
            )
        })
        .collect()
}

/// The bearer token from the admin section's token file (`None` without a file).
pub(crate) fn read_token(admin: &sbcctl_compiler::plan::Admin) -> Result<Option<String>, String> {
    let Some(path) = &admin.token_file else {
        return Ok(None);
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read token file {path}: {e}"))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("token file {path} is empty"));
    }
    Ok(Some(token.to_owned()))
}
