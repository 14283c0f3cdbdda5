//! The registry of live flows and the per-interface connection counters.
//!
//! The SIP layer addresses flows by [`FlowId`]; this is where an id turns
//! into the queue of the task that owns the socket (or, for UDP, into the
//! shared socket and a remote address). It also lets `send_to` reuse an
//! existing connection to a peer (RFC 3261 §18.1.1).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::cancel::Cancel;
use crate::{FlowId, FlowInfo, ListenerConfig, SendError, TransportEvent, TransportKind};

/// What a connection task writes.
#[derive(Debug)]
pub(crate) enum Out {
    /// A SIP message (a WS text frame when valid UTF-8, else binary).
    Sip(Bytes),
    /// A WebSocket pong answering a client ping.
    WsPong(Bytes),
}

/// How to reach the socket of a flow.
#[derive(Debug)]
pub(crate) enum Sink {
    Queue(mpsc::Sender<Out>),
    Udp(Arc<UdpSocket>),
}

#[derive(Debug)]
struct Entry {
    info: FlowInfo,
    sink: Sink,
    cancel: Cancel,
    /// Last inbound activity (UDP flows expire on it).
    touched: Instant,
}

type RemoteKey = (Arc<str>, TransportKind, SocketAddr);

#[derive(Debug, Default)]
struct Flows {
    by_id: HashMap<FlowId, Entry>,
    by_remote: HashMap<RemoteKey, FlowId>,
    /// Live flows per (interface, kind), kept in step with `by_id`.
    counts: BTreeMap<(Arc<str>, TransportKind), usize>,
}

/// State shared by the public handles and every task.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) events: mpsc::Sender<TransportEvent>,
    pub(crate) root: Cancel,
    flows: Mutex<Flows>,
    pub(crate) interfaces: Mutex<HashMap<Arc<str>, Arc<Interface>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave these maps inconsistent
    // in a way that matters more than stopping the whole transport layer.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn new(events: mpsc::Sender<TransportEvent>) -> Self {
        Self {
            events,
            root: Cancel::new(),
            flows: Mutex::default(),
            interfaces: Mutex::default(),
        }
    }

    pub(crate) fn interface(&self, name: &str) -> Option<Arc<Interface>> {
        lock(&self.interfaces).get(name).cloned()
    }

    /// Registers a flow and announces it.
    pub(crate) async fn open(&self, info: FlowInfo, sink: Sink, cancel: Cancel) {
        {
            let mut flows = lock(&self.flows);
            let key = (info.interface.clone(), info.kind, info.remote);
            flows.by_remote.insert(key, info.flow);
            *flows
                .counts
                .entry((info.interface.clone(), info.kind))
                .or_insert(0) += 1;
            flows.by_id.insert(
                info.flow,
                Entry {
                    info: info.clone(),
                    sink,
                    cancel,
                    touched: Instant::now(),
                },
            );
        }
        tracing::debug!(flow = %info.flow, interface = %info.interface, kind = %info.kind, remote = %info.remote, "flow opened");
        let _ = self.events.send(TransportEvent::FlowOpened(info)).await;
    }

    /// Forgets a flow without announcing it; true when it was present.
    fn forget(&self, flow: FlowId) -> Option<Entry> {
        let mut flows = lock(&self.flows);
        let entry = flows.by_id.remove(&flow)?;
        let key = (
            entry.info.interface.clone(),
            entry.info.kind,
            entry.info.remote,
        );
        if flows.by_remote.get(&key) == Some(&flow) {
            flows.by_remote.remove(&key);
        }
        let count_key = (entry.info.interface.clone(), entry.info.kind);
        if let Some(n) = flows.counts.get_mut(&count_key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                flows.counts.remove(&count_key);
            }
        }
        Some(entry)
    }

    /// Removes a flow and announces its end. Called once by the task that
    /// owned the flow (or by the UDP expiry).
    pub(crate) async fn closed(&self, info: FlowInfo) {
        if let Some(entry) = self.forget(info.flow) {
            entry.cancel.cancel();
        }
        tracing::debug!(flow = %info.flow, interface = %info.interface, remote = %info.remote, "flow closed");
        let _ = self.events.send(TransportEvent::FlowClosed(info)).await;
    }

    /// Looks up a live flow by (interface, kind, remote), refreshing its
    /// activity time.
    pub(crate) fn touch_remote(
        &self,
        interface: &Arc<str>,
        kind: TransportKind,
        remote: SocketAddr,
    ) -> Option<FlowId> {
        let mut flows = lock(&self.flows);
        let id = *flows.by_remote.get(&(interface.clone(), kind, remote))?;
        let entry = flows.by_id.get_mut(&id)?;
        if entry.cancel.is_cancelled() {
            return None;
        }
        entry.touched = Instant::now();
        Some(id)
    }

    /// The flows of `interface` idle since before `cutoff`, or closed by
    /// [`Shared::close`] (UDP flows have no task of their own to end them).
    pub(crate) fn idle_flows(&self, interface: &str, cutoff: Instant) -> Vec<FlowInfo> {
        lock(&self.flows)
            .by_id
            .values()
            .filter(|e| {
                &*e.info.interface == interface && (e.touched < cutoff || e.cancel.is_cancelled())
            })
            .map(|e| e.info.clone())
            .collect()
    }

    pub(crate) fn send(&self, flow: FlowId, data: Bytes) -> Result<(), SendError> {
        let (socket, remote) = {
            let flows = lock(&self.flows);
            let entry = flows.by_id.get(&flow).ok_or(SendError::FlowGone(flow))?;
            if entry.cancel.is_cancelled() {
                return Err(SendError::FlowGone(flow));
            }
            match &entry.sink {
                // Queueing never blocks, so it is done under the lock.
                Sink::Queue(tx) => {
                    return tx.try_send(Out::Sip(data)).map_err(|e| match e {
                        mpsc::error::TrySendError::Full(_) => SendError::QueueFull(flow),
                        mpsc::error::TrySendError::Closed(_) => SendError::FlowGone(flow),
                    });
                }
                // The system call is made outside it.
                Sink::Udp(socket) => (socket.clone(), entry.info.remote),
            }
        };
        match socket.try_send_to(&data, remote) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Err(SendError::QueueFull(flow)),
            Err(source) => Err(SendError::Io { remote, source }),
        }
    }

    pub(crate) fn close(&self, flow: FlowId) -> bool {
        match lock(&self.flows).by_id.get(&flow) {
            Some(entry) => {
                entry.cancel.cancel();
                true
            }
            None => false,
        }
    }

    pub(crate) fn close_interface(&self, interface: &str) {
        for entry in lock(&self.flows).by_id.values() {
            if &*entry.info.interface == interface {
                entry.cancel.cancel();
            }
        }
    }

    pub(crate) fn flow(&self, flow: FlowId) -> Option<FlowInfo> {
        lock(&self.flows).by_id.get(&flow).map(|e| e.info.clone())
    }

    pub(crate) fn snapshot(&self) -> Vec<FlowInfo> {
        let mut all: Vec<_> = lock(&self.flows)
            .by_id
            .values()
            .map(|e| e.info.clone())
            .collect();
        all.sort_by_key(|i| i.flow);
        all
    }

    pub(crate) fn counts(&self) -> BTreeMap<(Arc<str>, TransportKind), usize> {
        lock(&self.flows).counts.clone()
    }

    /// Live flows of one interface and kind.
    pub(crate) fn count(&self, interface: &Arc<str>, kind: TransportKind) -> usize {
        lock(&self.flows)
            .counts
            .get(&(interface.clone(), kind))
            .copied()
            .unwrap_or(0)
    }

    /// Forgets a bound interface (after its listener is shut down) so the
    /// name can be bound again.
    pub(crate) fn remove_interface(&self, iface: &Arc<Interface>) {
        let mut map = lock(&self.interfaces);
        if map.get(&iface.name).is_some_and(|i| Arc::ptr_eq(i, iface)) {
            map.remove(&iface.name);
        }
    }
}

/// A bound interface.
#[derive(Debug)]
pub(crate) struct Interface {
    pub(crate) name: Arc<str>,
    pub(crate) config: ListenerConfig,
    pub(crate) local: SocketAddr,
    /// Stops accepting (listener shutdown); flows use the root's children.
    pub(crate) accept: Cancel,
    pub(crate) udp: Option<Arc<UdpSocket>>,
    slots: Mutex<SlotCounts>,
}

#[derive(Debug, Default)]
struct SlotCounts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LimitRefusal {
    PerIp(usize),
    Total(usize),
}

impl std::fmt::Display for LimitRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::PerIp(n) => write!(f, "too many connections from this address (limit {n})"),
            Self::Total(n) => write!(f, "too many connections on this interface (limit {n})"),
        }
    }
}

impl Interface {
    pub(crate) fn new(
        config: ListenerConfig,
        local: SocketAddr,
        accept: Cancel,
        udp: Option<Arc<UdpSocket>>,
    ) -> Self {
        Self {
            name: Arc::from(config.name.as_str()),
            config,
            local,
            accept,
            udp,
            slots: Mutex::default(),
        }
    }

    /// Takes a connection slot, or says which limit is reached.
    pub(crate) fn try_slot(self: &Arc<Self>, ip: IpAddr) -> Result<ConnSlot, LimitRefusal> {
        let limits = &self.config.limits;
        let mut slots = lock(&self.slots);
        if slots.total >= limits.max_connections {
            return Err(LimitRefusal::Total(limits.max_connections));
        }
        let per_ip = slots.per_ip.entry(ip).or_insert(0);
        if *per_ip >= limits.max_connections_per_ip {
            return Err(LimitRefusal::PerIp(limits.max_connections_per_ip));
        }
        *per_ip += 1;
        slots.total += 1;
        Ok(ConnSlot {
            iface: self.clone(),
            ip,
        })
    }
}

/// A counted connection; released on drop.
#[derive(Debug)]
pub(crate) struct ConnSlot {
    iface: Arc<Interface>,
    ip: IpAddr,
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let mut slots = lock(&self.iface.slots);
        slots.total = slots.total.saturating_sub(1);
        if let Some(n) = slots.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                slots.per_ip.remove(&self.ip);
            }
        }
    }
}
