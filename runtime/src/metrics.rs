//! Prometheus text exposition (format 0.0.4) of a host's status.

use std::fmt::Write as _;

use crate::status::HostStatus;

/// Renders every metric with its HELP and TYPE lines; label values are escaped.
pub fn render(s: &HostStatus) -> String {
    let mut out = String::with_capacity(2048);
    let c = &s.core.counters;
    counter(
        &mut out,
        "sbcctl_sip_messages_received_total",
        "SIP messages received.",
        &[(vec![], c.messages_in)],
    );
    counter(
        &mut out,
        "sbcctl_sip_messages_sent_total",
        "SIP messages sent.",
        &[(vec![], c.messages_out)],
    );
    counter(
        &mut out,
        "sbcctl_sip_parse_errors_total",
        "Messages that did not parse (answered 400 or dropped).",
        &[(vec![], c.parse_errors)],
    );
    counter(
        &mut out,
        "sbcctl_sip_dropped_total",
        "Malformed messages dropped without an answer.",
        &[(vec![], c.dropped_unanswerable)],
    );
    counter(
        &mut out,
        "sbcctl_rate_limited_total",
        "Requests refused by the per-IP rate limit.",
        &[(vec![], c.rate_limited)],
    );
    counter(
        &mut out,
        "sbcctl_send_failures_total",
        "Messages that could not be handed to their flow.",
        &[(vec![], c.send_failures)],
    );
    counter(
        &mut out,
        "sbcctl_registrations_total",
        "REGISTER outcomes at local registrars.",
        &[
            (vec![("result", "accepted")], c.register.accepted),
            (vec![("result", "challenged")], c.register.challenged),
            (vec![("result", "refused")], c.register.refused),
        ],
    );
    let bindings: Vec<(Vec<(&str, &str)>, u64)> = s
        .core
        .users
        .iter()
        .map(|u| (vec![("peer", u.peer.as_str())], u.bindings as u64))
        .collect();
    gauge(
        &mut out,
        "sbcctl_registered_bindings",
        "Bindings held per users peer.",
        &bindings,
    );
    let flows: Vec<(Vec<(&str, &str)>, u64)> = s
        .interfaces
        .iter()
        .map(|i| {
            (
                vec![
                    ("interface", i.name.as_str()),
                    ("transport", i.transport.as_str()),
                ],
                i.flows as u64,
            )
        })
        .collect();
    gauge(
        &mut out,
        "sbcctl_flows",
        "Live flows (connections, or UDP peers) per interface.",
        &flows,
    );
    gauge(
        &mut out,
        "sbcctl_transactions",
        "Live SIP transactions.",
        &[
            (vec![("side", "client")], s.core.client_transactions as u64),
            (vec![("side", "server")], s.core.server_transactions as u64),
        ],
    );
    out
}

fn counter(out: &mut String, name: &str, help: &str, samples: &[(Vec<(&str, &str)>, u64)]) {
    family(out, name, help, "counter", samples);
}

fn gauge(out: &mut String, name: &str, help: &str, samples: &[(Vec<(&str, &str)>, u64)]) {
    family(out, name, help, "gauge", samples);
}

fn family(
    out: &mut String,
    name: &str,
    help: &str,
    kind: &str,
    samples: &[(Vec<(&str, &str)>, u64)],
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let rendered: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = writeln!(out, "{name}{{{}}} {value}", rendered.join(","));
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
