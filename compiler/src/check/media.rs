//! Media realms (addresses, port ranges and their overlaps), profiles, durations.

use std::net::IpAddr;

use serde_saphyr::Spanned;

use super::Ctx;
use crate::diag::{Code, Diagnostics};
use crate::source::Span;
use crate::values;

pub fn check(ctx: &mut Ctx<'_>, diags: &mut Diagnostics) {
    let spec = ctx.spec;
    let mut ranges: Vec<(IpAddr, u16, u16, Span, &str)> = Vec::new();
    for (name, realm) in &spec.media_realms {
        let listen = ip(ctx, diags, &realm.listen);
        if let Some(a) = &realm.advertise {
            ip(ctx, diags, a);
        }
        let range = match values::port_range(&realm.ports.value) {
            Ok(r) => Some(r),
            Err(e) => {
                diags.push(
                    ctx.diag(Code::BadPortRange, format!("invalid port range: {e}"))
                        .label(ctx.file.inner(Span::of(&realm.ports)), "here")
                        .help("for example `40000-44999`"),
                );
                None
            }
        };
        if let (Some(ip), Some((lo, hi))) = (listen, range) {
            for (oip, olo, ohi, ospan, oname) in &ranges {
                let same_host = *oip == ip || oip.is_unspecified() || ip.is_unspecified();
                if same_host && lo <= *ohi && *olo <= hi {
                    diags.push(
                        ctx.diag(
                            Code::OverlappingPorts,
                            format!(
                                "media realms `{oname}` and `{}` share ports {}-{}",
                                name.value,
                                lo.max(*olo),
                                hi.min(*ohi)
                            ),
                        )
                        .label(ctx.file.inner(Span::of(&realm.ports)), "this range")
                        .label(*ospan, "overlaps this one")
                        .help("give each realm on one address its own port range"),
                    );
                }
            }
            ranges.push((
                ip,
                lo,
                hi,
                ctx.file.inner(Span::of(&realm.ports)),
                &name.value,
            ));
        }
    }
    for (name, profile) in &spec.profiles {
        if profile.codecs.value.is_empty() {
            diags.push(
                ctx.diag(
                    Code::BadValue,
                    format!("profile `{}` lists no codecs", name.value),
                )
                .label(Span::of(&profile.codecs), "empty"),
            );
        }
        if let Some(d) = &profile.media_timeout {
            duration(ctx, diags, d);
        }
    }
    for (_, iface) in &spec.interfaces {
        if let Some(l) = &iface.limits {
            for d in [&l.idle_timeout, &l.keepalive_interval]
                .into_iter()
                .flatten()
            {
                duration(ctx, diags, d);
            }
        }
    }
    if let Some(l) = &spec.limits {
        for d in [&l.idle_timeout, &l.keepalive_interval]
            .into_iter()
            .flatten()
        {
            duration(ctx, diags, d);
        }
        for v in [
            &l.max_message_bytes,
            &l.max_connections_per_ip,
            &l.max_connections,
            &l.requests_per_ip_per_s,
        ]
        .into_iter()
        .flatten()
        {
            if v.value == 0 {
                diags.push(
                    ctx.diag(Code::BadValue, "a limit of 0 would refuse all traffic")
                        .label(Span::of(v), "must be at least 1"),
                );
            }
        }
    }
    for (_, peer) in &spec.peers {
        if let crate::spec::PeerSpec::Server(s) = peer
            && let Some(k) = &s.keepalive
            && let Some(d) = &k.options_interval
        {
            duration(ctx, diags, d);
        }
    }
}

fn ip(ctx: &Ctx<'_>, diags: &mut Diagnostics, s: &Spanned<String>) -> Option<IpAddr> {
    match values::ip_addr(&s.value) {
        Ok(a) => Some(a),
        Err(e) => {
            diags.push(
                ctx.diag(Code::BadAddress, format!("invalid address: {e}"))
                    .label(ctx.file.inner(Span::of(s)), "expected an IP address")
                    .help("a realm address is a bare IP such as `127.0.0.1` (no port)"),
            );
            None
        }
    }
}

pub fn duration(ctx: &Ctx<'_>, diags: &mut Diagnostics, s: &Spanned<String>) -> Option<u64> {
    match values::duration_ms(&s.value) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.push(
                ctx.diag(Code::BadDuration, format!("invalid duration: {e}"))
                    .label(ctx.file.inner(Span::of(s)), "here")
                    .help("write a whole number with an optional unit: `250ms`, `30s`, `5m`, `1h`"),
            );
            None
        }
    }
}
