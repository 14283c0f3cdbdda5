//! Watching SIP traffic: message counts for metrics, the pcap capture file, and full-message
//! logs for the interfaces and peers that ask for them.
//!
//! The [`Observer`] is shared (it is `Sync`): the tap calls it for every inbound message, and the
//! send path of the core is meant to call [`Observer::outbound`] for every message it sends.
//! What it does per message is a few relaxed atomic increments, one boolean check for logging,
//! and, only when a capture file is set, a reference-counted clone of the bytes into a bounded
//! queue.

mod log;
pub(crate) mod pcap;
mod sink;
pub(crate) mod tap;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};
use bytes::Bytes;
use sbcctl_compiler::plan::Plan;
use sbcctl_transport::Inbound;

pub use sink::PcapSink;

use crate::metrics::calls::CallMeter;
use crate::metrics::sip::{Direction, SipMeter};
use log::LogFilter;

/// Plan-dependent parts, replaced on apply.
#[derive(Default)]
struct View {
    log: LogFilter,
    /// Each interface's bound address (the local end of outbound messages in the capture).
    local: HashMap<String, SocketAddr>,
}

pub struct Observer {
    pub sip: SipMeter,
    pub calls: CallMeter,
    view: ArcSwap<View>,
    pcap: ArcSwapOption<PcapSink>,
    captured: AtomicU64,
    capture_dropped: AtomicU64,
}

impl Observer {
    /// Opens the plan's capture file, if any.
    pub fn new(plan: &Plan) -> Result<Observer, String> {
        let observer = Observer::detached();
        observer.set_capture(PcapSink::open_for(plan)?);
        Ok(observer)
    }

    /// An observer that captures and logs nothing yet (the core's until the host hands over
    /// the shared one).
    pub fn detached() -> Observer {
        Observer {
            sip: SipMeter::default(),
            calls: CallMeter::default(),
            view: ArcSwap::from_pointee(View::default()),
            pcap: ArcSwapOption::empty(),
            captured: AtomicU64::new(0),
            capture_dropped: AtomicU64::new(0),
        }
    }

    /// The plan's logging choices and the interfaces' bound addresses.
    pub fn set_plan(&self, plan: &Plan, bound: &HashMap<String, SocketAddr>) {
        self.view.store(std::sync::Arc::new(View {
            log: LogFilter::new(plan),
            local: bound.clone(),
        }));
    }

    /// Replaces the capture file (the old one is written out and closed).
    pub fn set_capture(&self, sink: Option<PcapSink>) {
        self.pcap.store(sink.map(std::sync::Arc::new));
    }

    /// A message received on a flow.
    pub fn inbound(&self, m: &Inbound) {
        self.sip.count(Direction::In, &m.data);
        self.capture(m.remote, m.local, &m.data);
        let view = self.view.load();
        if let Some(peer) = view.log.wants(&m.interface, m.remote) {
            log_message("in", &m.interface, m.remote, peer, &m.data);
        }
    }

    /// A message sent on `interface` to `remote`.
    pub fn outbound(&self, interface: &str, remote: SocketAddr, data: &Bytes) {
        self.sip.count(Direction::Out, data);
        let view = self.view.load();
        if self.pcap.load().is_some() {
            let local = view
                .local
                .get(interface)
                .copied()
                .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
            self.capture(local, remote, data);
        }
        if let Some(peer) = view.log.wants(interface, remote) {
            log_message("out", interface, remote, peer, data);
        }
    }

    /// A call ended (route `-` when none was chosen); `setup` is INVITE-to-answer.
    pub fn call_ended(&self, route: &str, result: &str, setup: Option<Duration>) {
        self.calls.call_ended(route, result, setup);
    }

    /// A client transaction timed out.
    pub fn transaction_timeout(&self) {
        self.calls.transaction_timeout();
    }

    /// (messages queued to the capture file, messages dropped by it).
    pub fn capture_counts(&self) -> (u64, u64) {
        (
            self.captured.load(Ordering::Relaxed),
            self.capture_dropped.load(Ordering::Relaxed),
        )
    }

    fn capture(&self, src: SocketAddr, dst: SocketAddr, data: &Bytes) {
        let pcap = self.pcap.load();
        let Some(sink) = pcap.as_ref() else {
            return;
        };
        if sink.write(src, dst, data) {
            self.captured.fetch_add(1, Ordering::Relaxed);
        } else {
            self.capture_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn log_message(direction: &str, interface: &str, remote: SocketAddr, peer: &str, data: &[u8]) {
    tracing::info!(
        target: "sbcctl::sip_message",
        direction,
        interface,
        %remote,
        peer,
        "\n{}",
        String::from_utf8_lossy(data)
    );
}
