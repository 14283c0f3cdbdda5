//! Warnings: things that compile but are probably mistakes.

use super::Ctx;
use crate::diag::{Code, Diagnostics};
use crate::source::Span;
use crate::spec::{DestinationSpec, PeerSpec};

pub fn check(ctx: &mut Ctx<'_>, diags: &mut Diagnostics) {
    let spec = ctx.spec;
    for (name, iface) in &spec.interfaces {
        if !iface.transport.value.is_websocket() {
            continue;
        }
        let empty = iface
            .websocket
            .as_ref()
            .is_none_or(|w| w.value.allowed_origins.is_empty());
        if empty {
            let at = iface
                .websocket
                .as_ref()
                .map_or(Span::of(&iface.transport), Span::of);
            diags.push(
                ctx.diag(
                    Code::MissingOrigins,
                    format!("WebSocket interface `{}` accepts any origin", name.value),
                )
                .label(at, "no `allowed_origins`")
                .help("add `websocket: { allowed_origins: [https://app.example.com] }`"),
            );
        }
    }
    for (name, peer) in &spec.peers {
        let PeerSpec::Users(u) = peer else { continue };
        if u.click_to_call {
            continue;
        }
        let reachable = spec
            .routes
            .iter()
            .any(|r| matches!(&r.to, DestinationSpec::Registered(p) if p.value == name.value));
        if !reachable {
            diags.push(
                ctx.diag(Code::UnreachableUsers, format!("users of `{}` can never receive calls", name.value))
                    .label(ctx.file.inner(Span::of(name)), "no route has `to: { registered: ... }` for this peer")
                    .help(format!("add a route with `to: {{ registered: {} }}`, or set `click_to_call: true` if they only call out", name.value)),
            );
        }
    }
}
