//! Prometheus metrics of a host: rendered on each scrape from the status snapshot (counters the
//! core keeps anyway) and from the lock-free meters the tap and the call glue feed.
//!
//! Names and labels are part of the interface (dashboards and alerts use them); the snapshot test
//! `metrics_names` pins them.

pub mod calls;
pub mod sip;
mod text;

use crate::capture::Observer;
use crate::status::HostStatus;
use sip::{CLASSES, Direction, METHODS};
use text::{Exposition, Kind};

/// Renders every metric family with its HELP and TYPE lines.
pub fn render(s: &HostStatus, observer: &Observer) -> String {
    let mut e = Exposition::default();
    host(&mut e, s);
    messages(&mut e, s, observer);
    registrations(&mut e, s);
    calls(&mut e, s, observer);
    media(&mut e, s);
    let (packets, dropped) = observer.capture_counts();
    e.single(
        "sbcctl_capture_packets_total",
        "SIP messages written to the capture file.",
        Kind::Counter,
        packets,
    );
    e.single(
        "sbcctl_capture_dropped_total",
        "SIP messages not captured because the capture writer fell behind.",
        Kind::Counter,
        dropped,
    );
    e.finish()
}

fn host(e: &mut Exposition, s: &HostStatus) {
    e.family("sbcctl_build_info", "The running build.", Kind::Gauge);
    e.sample(
        "sbcctl_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1,
    );
    e.family(
        "sbcctl_plan_info",
        "The running plan (its hash).",
        Kind::Gauge,
    );
    e.sample("sbcctl_plan_info", &[("hash", &s.plan_hash)], 1);
    e.single(
        "sbcctl_draining",
        "1 while a graceful drain is in progress.",
        Kind::Gauge,
        u8::from(s.draining),
    );
    e.family(
        "sbcctl_plan_applies_total",
        "Plan applies since start, by result.",
        Kind::Counter,
    );
    let a = s.apply_counts;
    for (result, v) in [
        ("applied", a.applied),
        ("unchanged", a.unchanged),
        ("refused", a.refused),
    ] {
        e.sample("sbcctl_plan_applies_total", &[("result", result)], v);
    }
    e.family(
        "sbcctl_flows",
        "Live flows per interface: connections (TCP, TLS, WS, WSS) or UDP peers.",
        Kind::Gauge,
    );
    for i in &s.interfaces {
        e.sample(
            "sbcctl_flows",
            &[("interface", &i.name), ("transport", &i.transport)],
            i.flows,
        );
    }
}

fn messages(e: &mut Exposition, s: &HostStatus, observer: &Observer) {
    let c = &s.core.counters;
    e.single(
        "sbcctl_sip_messages_received_total",
        "SIP messages received by the core.",
        Kind::Counter,
        c.messages_in,
    );
    e.single(
        "sbcctl_sip_messages_sent_total",
        "SIP messages sent by the core.",
        Kind::Counter,
        c.messages_out,
    );
    e.family(
        "sbcctl_sip_requests_total",
        "SIP requests by direction and method.",
        Kind::Counter,
    );
    for d in [Direction::In, Direction::Out] {
        for (i, m) in METHODS.iter().enumerate() {
            let v = observer.sip.requests(d, i);
            e.sample(
                "sbcctl_sip_requests_total",
                &[("direction", d.label()), ("method", m)],
                v,
            );
        }
    }
    e.family(
        "sbcctl_sip_responses_total",
        "SIP responses by direction and class.",
        Kind::Counter,
    );
    for d in [Direction::In, Direction::Out] {
        for (i, class) in CLASSES.iter().enumerate() {
            let v = observer.sip.responses(d, i);
            e.sample(
                "sbcctl_sip_responses_total",
                &[("direction", d.label()), ("class", class)],
                v,
            );
        }
    }
    e.single(
        "sbcctl_sip_parse_errors_total",
        "Messages that did not parse (answered 400 or dropped).",
        Kind::Counter,
        c.parse_errors,
    );
    e.single(
        "sbcctl_sip_dropped_total",
        "Malformed messages dropped without an answer.",
        Kind::Counter,
        c.dropped_unanswerable,
    );
    e.single(
        "sbcctl_rate_limited_total",
        "Requests refused by the per-IP rate limit.",
        Kind::Counter,
        c.rate_limited,
    );
    e.single(
        "sbcctl_send_failures_total",
        "Messages that could not be handed to their flow.",
        Kind::Counter,
        c.send_failures,
    );
    e.single(
        "sbcctl_sip_transaction_timeouts_total",
        "Client transactions that got no final response in time.",
        Kind::Counter,
        observer
            .calls
            .transaction_timeouts
            .load(std::sync::atomic::Ordering::Relaxed),
    );
    e.family("sbcctl_transactions", "Live SIP transactions.", Kind::Gauge);
    e.sample(
        "sbcctl_transactions",
        &[("side", "client")],
        s.core.client_transactions,
    );
    e.sample(
        "sbcctl_transactions",
        &[("side", "server")],
        s.core.server_transactions,
    );
}

fn registrations(e: &mut Exposition, s: &HostStatus) {
    let r = &s.core.counters.register;
    e.family(
        "sbcctl_registrations_total",
        "REGISTER outcomes at local registrars: accepted, challenged (401), refused (403 and other errors).",
        Kind::Counter,
    );
    for (result, v) in [
        ("accepted", r.accepted),
        ("challenged", r.challenged),
        ("refused", r.refused),
    ] {
        e.sample("sbcctl_registrations_total", &[("result", result)], v);
    }
    e.family(
        "sbcctl_registered_bindings",
        "Bindings held per users peer.",
        Kind::Gauge,
    );
    for u in &s.core.users {
        e.sample(
            "sbcctl_registered_bindings",
            &[("peer", &u.peer)],
            u.bindings,
        );
    }
    e.family(
        "sbcctl_registered_aors",
        "Addresses of record with at least one binding, per users peer.",
        Kind::Gauge,
    );
    for u in &s.core.users {
        e.sample("sbcctl_registered_aors", &[("peer", &u.peer)], u.aors);
    }
    e.family(
        "sbcctl_proxy_up",
        "Proxy health from OPTIONS keepalive: 1 up, 0 down (unmonitored proxies are up).",
        Kind::Gauge,
    );
    for p in &s.core.proxies {
        let address = p.address.to_string();
        e.sample(
            "sbcctl_proxy_up",
            &[("peer", &p.peer), ("address", &address)],
            u8::from(p.up),
        );
    }
}

fn calls(e: &mut Exposition, s: &HostStatus, observer: &Observer) {
    let c = &s.core.counters.calls;
    e.single(
        "sbcctl_calls_started_total",
        "Calls routed to a destination.",
        Kind::Counter,
        c.started,
    );
    e.single(
        "sbcctl_calls_answered_total",
        "Calls answered.",
        Kind::Counter,
        c.answered,
    );
    e.single(
        "sbcctl_calls_failed_total",
        "Calls that ended without an answer.",
        Kind::Counter,
        c.failed,
    );
    e.single(
        "sbcctl_calls_active",
        "Calls set up and not ended yet.",
        Kind::Gauge,
        s.core.active_calls,
    );
    e.family(
        "sbcctl_calls_ended_total",
        "Ended calls by route and result.",
        Kind::Counter,
    );
    for ((route, result), v) in observer.calls.ended() {
        e.sample(
            "sbcctl_calls_ended_total",
            &[("route", &route), ("result", &result)],
            v,
        );
    }
    let (buckets, count, sum) = observer.calls.setup.snapshot();
    e.histogram(
        "sbcctl_call_setup_seconds",
        "From the INVITE to the answer, for answered calls.",
        &buckets,
        count,
        sum,
    );
}

fn media(e: &mut Exposition, s: &HostStatus) {
    let m = &s.core.media;
    e.single(
        "sbcctl_media_sessions",
        "Calls with a media session.",
        Kind::Gauge,
        m.sessions,
    );
    e.single(
        "sbcctl_media_packets_relayed_total",
        "RTP/RTCP packets relayed or echoed.",
        Kind::Counter,
        m.packets_relayed,
    );
    e.single(
        "sbcctl_media_bytes_relayed_total",
        "Bytes of the packets relayed or echoed.",
        Kind::Counter,
        m.bytes_relayed,
    );
    e.single(
        "sbcctl_media_packets_dropped_total",
        "Media packets dropped (unknown source, bad payload type, malformed).",
        Kind::Counter,
        m.dropped,
    );
    e.single(
        "sbcctl_media_packets_lost_total",
        "Media packets lost upstream (sequence gaps).",
        Kind::Counter,
        m.lost,
    );
    e.family(
        "sbcctl_media_ports_in_use",
        "Port pairs in use per media realm.",
        Kind::Gauge,
    );
    for r in &m.ports_in_use {
        e.sample(
            "sbcctl_media_ports_in_use",
            &[("realm", &r.realm)],
            r.in_use,
        );
    }
    e.family(
        "sbcctl_media_ports_capacity",
        "Port pairs available per media realm.",
        Kind::Gauge,
    );
    for r in &m.ports_in_use {
        e.sample(
            "sbcctl_media_ports_capacity",
            &[("realm", &r.realm)],
            r.capacity,
        );
    }
}
