//! Listeners and TLS: addresses, duplicate binds, TLS presence, certificate and key files.

use std::collections::HashMap;
use std::net::SocketAddr;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_saphyr::Spanned;

use super::Ctx;
use crate::diag::{Code, Diagnostics};
use crate::source::Span;
use crate::values;

/// Two listeners collide when they bind the same address with the same socket type.
fn socket_kind(t: crate::plan::Transport) -> &'static str {
    if t == crate::plan::Transport::Udp {
        "UDP"
    } else {
        "TCP"
    }
}

pub fn check(ctx: &mut Ctx<'_>, diags: &mut Diagnostics) {
    let spec = ctx.spec;
    let mut bound: HashMap<(SocketAddr, &str), (Span, &str)> = HashMap::new();
    for (name, iface) in &spec.interfaces {
        let transport = iface.transport.value;
        if let Some(addr) = address(ctx, diags, &iface.listen) {
            if addr.port() == 0 {
                // Port 0 asks the OS for a free port: such listeners never collide.
                continue;
            }
            let key = (addr, socket_kind(transport));
            if let Some((first, other)) = bound.get(&key) {
                diags.push(
                    ctx.diag(
                        Code::DuplicateListen,
                        format!(
                            "interfaces `{other}` and `{}` both listen on {} {addr}",
                            name.value, key.1
                        ),
                    )
                    .label(ctx.file.inner(Span::of(&iface.listen)), "second listener")
                    .label(ctx.file.inner(*first), "first listener")
                    .help("give each listener its own port"),
                );
            } else {
                bound.insert(key, (Span::of(&iface.listen), name.value.as_str()));
            }
        }
        match (&iface.tls, transport.needs_tls()) {
            (None, true) => diags.push(
                ctx.diag(
                    Code::MissingTls,
                    format!(
                        "interface `{}` uses {} but names no TLS entry",
                        name.value,
                        transport.as_str()
                    ),
                )
                .label(Span::of(&iface.transport), "needs `tls: NAME`")
                .help(crate::diag::list_defined(
                    "TLS entries",
                    spec.tls.keys().map(|k| k.value.as_str()),
                )),
            ),
            (Some(t), false) => diags.push(
                ctx.diag(
                    Code::MissingTls,
                    format!(
                        "interface `{}` uses {}, which does not take a TLS entry",
                        name.value,
                        transport.as_str()
                    ),
                )
                .label(ctx.file.inner(Span::of(t)), "not used by this transport")
                .help("use transport `tls` or `wss`, or remove `tls`"),
            ),
            _ => {}
        }
        if let Some(ws) = &iface.websocket
            && !transport.is_websocket()
        {
            diags.push(
                ctx.diag(
                    Code::BadValue,
                    format!(
                        "interface `{}` is {}, not a WebSocket",
                        name.value,
                        transport.as_str()
                    ),
                )
                .label(Span::of(ws), "only for `ws` and `wss`"),
            );
        }
    }
    if let Some(admin) = &spec.admin
        && let Some(addr) = address(ctx, diags, &admin.listen)
        && let Some((first, other)) = bound.get(&(addr, "TCP"))
    {
        diags.push(
            ctx.diag(
                Code::DuplicateListen,
                format!("admin and interface `{other}` both listen on TCP {addr}"),
            )
            .label(ctx.file.inner(Span::of(&admin.listen)), "admin listener")
            .label(ctx.file.inner(*first), "interface listener"),
        );
    }
    for (_, peer) in &spec.peers {
        if let crate::spec::PeerSpec::Server(s) = peer {
            if s.proxies.value.is_empty() {
                diags.push(
                    ctx.diag(Code::BadValue, "a server peer needs at least one proxy")
                        .label(Span::of(&s.proxies), "empty"),
                );
            }
            for p in &s.proxies.value {
                address(ctx, diags, &p.address);
            }
            for code in s.failover_on.iter().flatten() {
                if !(300..=699).contains(&code.value) {
                    diags.push(
                        ctx.diag(
                            Code::BadValue,
                            format!("{} is not a final error response code", code.value),
                        )
                        .label(Span::of(code), "expected 300-699"),
                    );
                }
            }
        }
    }
    if !ctx.pure {
        for (_, tls) in &spec.tls {
            pem_file(ctx, diags, &tls.cert, Pem::Certs);
            pem_file(ctx, diags, &tls.key, Pem::Key);
            if let Some(ca) = &tls.ca {
                pem_file(ctx, diags, ca, Pem::Certs);
            }
        }
    }
}

pub fn address(ctx: &Ctx<'_>, diags: &mut Diagnostics, s: &Spanned<String>) -> Option<SocketAddr> {
    match values::socket_addr(&s.value) {
        Ok(a) => Some(a),
        Err(e) => {
            diags.push(
                ctx.diag(Code::BadAddress, format!("invalid address: {e}"))
                    .label(ctx.file.inner(Span::of(s)), "expected IP:PORT")
                    .help(
                        "for example `127.0.0.1:5060` or `[::1]:5060`; host names are not resolved",
                    ),
            );
            None
        }
    }
}

enum Pem {
    Certs,
    Key,
}

fn pem_file(ctx: &Ctx<'_>, diags: &mut Diagnostics, path: &Spanned<String>, kind: Pem) {
    let full = ctx.file.dir.join(&path.value);
    let at = ctx.file.inner(Span::of(path));
    let problem = match std::fs::read(&full) {
        Err(e) => Some(format!("cannot read `{}`: {e}", path.value)),
        Ok(bytes) => match kind {
            Pem::Certs => {
                let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&bytes).collect();
                match certs {
                    Ok(c) if !c.is_empty() => None,
                    Ok(_) => Some(format!("`{}` holds no PEM certificate", path.value)),
                    Err(e) => Some(format!("`{}` is not valid PEM: {e}", path.value)),
                }
            }
            Pem::Key => match PrivateKeyDer::from_pem_slice(&bytes) {
                Ok(_) => None,
                Err(e) => Some(format!("`{}` holds no usable private key: {e}", path.value)),
            },
        },
    };
    if let Some(message) = problem {
        diags.push(
            ctx.diag(Code::BadCertificate, message)
                .label(at, "this file")
                .help("paths are relative to the spec file; use `sbcctl validate --pure` to skip file checks"),
        );
    }
}
