//! Hot apply of a new plan: everything that can fail is prepared first (route and manipulation
//! tables, the CDR output, the capture file, the admin token, certificates, addresses), then the
//! listeners are switched (with rollback), then the SIP core swaps its tables in one step.
//!
//! A plan that cannot be applied is refused whole: the old plan keeps running, no listener is
//! touched, and the refusal is recorded in the history with its reason. New requests, calls and
//! registrations use the new plan; established calls keep the plan they started with and
//! bindings survive when their users peer still exists (see `core::apply`).

use std::sync::Arc;
use std::time::Duration;

use sbcctl_compiler::diff::diff;
use sbcctl_compiler::plan::Plan;
use sbcctl_compiler::route_table::RouteTable;
use tokio::sync::oneshot;
use tracing::{info, warn};

use super::api::{ApplyReport, ApplyResult, InterfaceChanges};
use super::http;
use super::rebind::Rebind;
use crate::core::Command;
use crate::core::apply::{CoreApplied, CoreApply};
use crate::host::{Running, Shared, bound_addrs, listener_view, read_token};

/// Who asked for an apply (recorded in the history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplySource {
    /// `POST /plan` on the admin endpoint.
    Admin,
    /// SIGHUP: the spec file read again.
    Reload,
}

impl ApplySource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ApplySource::Admin => "admin",
            ApplySource::Reload => "reload",
        }
    }
}

/// Why an apply did not happen. In every case the running plan is untouched.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The plan cannot run here (address in use, unreadable certificate or token, bad regex).
    #[error("plan refused: {0}")]
    Refused(String),
    /// `If-Match` named another plan than the one running (someone applied in between).
    #[error("the running plan is {running}, not {expected}")]
    Conflict { expected: String, running: String },
    #[error("the host is draining")]
    Draining,
    #[error("the SIP core is not running")]
    CoreGone,
}

/// Applies `plan` unless it is refused. `expect` is the hash the caller believes is running.
pub(crate) async fn apply(
    shared: &Arc<Shared>,
    plan: Plan,
    source: ApplySource,
    expect: Option<&str>,
) -> Result<ApplyReport, ApplyError> {
    let mut control = shared.control.lock().await;
    let old = shared.running.load_full();
    let new_hash = plan.hash.clone();
    let refuse = |e: ApplyError| {
        let message = e.to_string();
        warn!(source = source.as_str(), hash = %new_hash, reason = %message, "apply refused");
        shared.history.record(
            source.as_str(),
            "refused",
            &new_hash,
            &old.plan.hash,
            message,
        );
        Err(e)
    };
    if shared.is_draining() {
        return refuse(ApplyError::Draining);
    }
    if let Some(expected) = expect
        && expected != old.plan.hash
    {
        return refuse(ApplyError::Conflict {
            expected: expected.to_owned(),
            running: old.plan.hash.clone(),
        });
    }
    if plan.hash == old.plan.hash {
        shared.history.record(
            source.as_str(),
            "unchanged",
            &plan.hash,
            &old.plan.hash,
            "no changes".into(),
        );
        return Ok(ApplyReport {
            result: ApplyResult::Unchanged,
            previous_hash: old.plan.hash.clone(),
            hash: plan.hash.clone(),
            added: 0,
            changed: 0,
            removed: 0,
            interfaces: InterfaceChanges {
                unchanged: plan.interfaces.iter().map(|i| i.name.clone()).collect(),
                ..InterfaceChanges::default()
            },
            core: CoreApplied::default(),
        });
    }
    let plan = Arc::new(plan);
    let prepared = match prepare(&old.plan, &plan) {
        Ok(p) => p,
        Err(reason) => return refuse(ApplyError::Refused(reason)),
    };
    // A new admin address is bound before any SIP listener moves, so its failure refuses
    // the plan with nothing changed.
    let new_admin = match (&old.plan.admin, &plan.admin) {
        (Some(a), Some(b)) if a.listen == b.listen => None,
        (_, Some(b)) => match http::Server::bind(b.listen).await {
            Ok(s) => Some(s),
            Err(e) => {
                return refuse(ApplyError::Refused(format!(
                    "admin endpoint {}: {e}",
                    b.listen
                )));
            }
        },
        (_, None) => None,
    };
    let removed = match prepared
        .rebind
        .commit(&shared.transports, &mut control.listeners)
        .await
    {
        Ok(removed) => removed,
        Err(reason) => return refuse(ApplyError::Refused(reason)),
    };
    let bound = bound_addrs(&control.listeners);
    let (reply_tx, reply_rx) = oneshot::channel();
    let command = Command::Apply(Box::new(CoreApply {
        plan: plan.clone(),
        bound: bound.clone(),
        routes: prepared.routes,
        manipulator: prepared.manipulator,
        cdr: prepared.cdr,
        reply: reply_tx,
    }));
    if shared.commands.send(command).await.is_err() {
        return refuse(ApplyError::CoreGone);
    }
    let Ok(core) = reply_rx.await else {
        return refuse(ApplyError::CoreGone);
    };

    // Committed: publish the new state.
    shared.observer.set_plan(&plan, &bound);
    if let Some(capture) = prepared.capture {
        shared.observer.set_capture(capture);
    }
    if let Some(token) = prepared.token {
        shared.token.store(token.map(Arc::new));
    }
    let mut admin_addr = old.admin;
    if let Some(server) = new_admin {
        if let Some(previous) = control.admin.take() {
            previous.stop();
        }
        let server = server.serve(Arc::downgrade(shared));
        admin_addr = Some(server.addr);
        control.admin = Some(server);
    } else if plan.admin.is_none()
        && let Some(previous) = control.admin.take()
    {
        previous.stop();
        admin_addr = None;
    }
    for name in prepared
        .rebind
        .add
        .iter()
        .chain(&prepared.rebind.rebind)
        .map(|c| &c.name)
    {
        if let Some(task) = control.retiring.remove(name) {
            task.abort();
        }
    }
    let retire_after = shared.options.retire_after;
    for b in removed {
        let name = b.handle.name().to_owned();
        control
            .retiring
            .insert(name, tokio::spawn(retire(b.handle, retire_after)));
    }
    shared.running.store(Arc::new(Running {
        plan: plan.clone(),
        listeners: listener_view(&control.listeners),
        admin: admin_addr,
    }));
    let d = diff(&old.plan, &plan);
    let (added, changed, removed) = d.counts();
    let summary = format!("{added} added, {changed} changed, {removed} removed");
    info!(source = source.as_str(), from = %old.plan.hash, to = %plan.hash, %summary, bindings_kept = core.bindings_kept, calls_kept = core.calls_kept, "plan applied");
    shared.history.record(
        source.as_str(),
        "applied",
        &plan.hash,
        &old.plan.hash,
        summary,
    );
    Ok(ApplyReport {
        result: ApplyResult::Applied,
        previous_hash: old.plan.hash.clone(),
        hash: plan.hash.clone(),
        added,
        changed,
        removed,
        interfaces: prepared.rebind.changes(),
        core,
    })
}

/// What an apply builds before touching anything.
struct Prepared {
    rebind: Rebind,
    routes: RouteTable,
    manipulator: crate::manipulate::Manipulator,
    cdr: Option<Option<crate::cdr::CdrSink>>,
    capture: Option<Option<crate::capture::PcapSink>>,
    token: Option<Option<String>>,
}

fn prepare(old: &Plan, new: &Arc<Plan>) -> Result<Prepared, String> {
    let routes = RouteTable::build(new).map_err(|e| format!("route table: {e}"))?;
    let manipulator = crate::manipulate::Manipulator::new(new.clone())
        .map_err(|e| format!("manipulation table: {e}"))?;
    let cdr = if old.cdr == new.cdr {
        None
    } else {
        let sink = crate::cdr::CdrSink::new(&new.cdr).map_err(|e| format!("cdr output: {e}"))?;
        Some(Some(sink))
    };
    let capture = if old.logging.capture == new.logging.capture {
        None
    } else {
        Some(crate::capture::PcapSink::open_for(new)?)
    };
    let token = match (&old.admin, &new.admin) {
        (Some(a), Some(b)) if a.token_file == b.token_file => None,
        (_, Some(b)) => {
            Some(read_token(b).map_err(|e| format!("admin endpoint {}: {e}", b.listen))?)
        }
        (_, None) => Some(None),
    };
    let rebind = Rebind::plan(old, new)?;
    Ok(Prepared {
        rebind,
        routes,
        manipulator,
        cdr,
        capture,
        token,
    })
}

/// A removed interface: no longer accepting; its connections are closed after `after`.
async fn retire(handle: sbcctl_transport::ListenerHandle, after: Duration) {
    tokio::time::sleep(after).await;
    info!(
        interface = handle.name(),
        "removed interface: closing its remaining connections"
    );
    handle.close_all();
}
