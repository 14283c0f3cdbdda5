//! Version, duplicate names, references between sections and the kinds they must have, users.

use std::collections::HashMap;
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::Ctx;
use crate::diag::{Code, Diagnostics};
use crate::source::{SourceFile, Span, parse};
use crate::spec::{PeerSpec, RegistrationSpec, UserSpec, UsersFileSpec};

pub fn check(ctx: &mut Ctx<'_>, diags: &mut Diagnostics) {
    let spec = ctx.spec;
    if spec.version.value != 1 {
        diags.push(
            ctx.diag(
                Code::BadVersion,
                format!("spec version {} is not supported", spec.version.value),
            )
            .label(ctx.span(&spec.version), "expected 1")
            .help("set `version: 1`"),
        );
    }
    duplicates(ctx, diags, "route", spec.routes.iter().map(|r| &r.name));
    duplicates(
        ctx,
        diags,
        "manipulation",
        spec.manipulations.iter().map(|m| &m.name),
    );
    for (name, iface) in &spec.interfaces {
        if let Some(t) = &iface.tls {
            ctx.resolve(diags, &spec.tls, "TLS entry", "TLS entries", t);
        }
        let _ = name;
    }
    for (name, peer) in &spec.peers {
        match peer {
            PeerSpec::Users(u) => {
                ctx.resolve(
                    diags,
                    &spec.interfaces,
                    "interface",
                    "interfaces",
                    &u.interface,
                );
                ctx.resolve(
                    diags,
                    &spec.media_realms,
                    "media realm",
                    "media realms",
                    &u.realm,
                );
                ctx.resolve(diags, &spec.profiles, "profile", "profiles", &u.profile);
                match &u.registration {
                    RegistrationSpec::Forward(f) => {
                        if ctx
                            .resolve(diags, &spec.peers, "peer", "peers", &f.server)
                            .is_some()
                            && !matches!(ctx.peer(&f.server.value), Some(PeerSpec::Server(_)))
                        {
                            diags.push(
                                ctx.diag(
                                    Code::WrongPeerKind,
                                    format!("`{}` is not a server peer", f.server.value),
                                )
                                .label(
                                    ctx.file.inner(Span::of(&f.server)),
                                    "registrations can only be forwarded to a server peer",
                                )
                                .help(server_names(ctx)),
                            );
                        }
                    }
                    RegistrationSpec::Local(l) => {
                        users(ctx, diags, &name.value, l.users.iter(), ctx.file);
                        if let Some(path) = &l.users_file {
                            load_users_file(ctx, diags, &name.value, path);
                        }
                        if let Some(e) = &l.expires {
                            let min = e.min.unwrap_or(60);
                            let max = e.max.unwrap_or(3600);
                            let def = e.default.unwrap_or(600.clamp(min.min(max), max.max(min)));
                            if min > max || def < min || def > max || min == 0 {
                                diags.push(
                                    ctx.diag(Code::BadValue, format!("expires of `{}` need 0 < min <= default <= max (got min {min}, default {def}, max {max})", name.value))
                                        .label(Span::of(name), "in this peer"),
                                );
                            }
                        }
                    }
                    RegistrationSpec::None => {}
                }
            }
            PeerSpec::Server(s) => {
                ctx.resolve(
                    diags,
                    &spec.interfaces,
                    "interface",
                    "interfaces",
                    &s.interface,
                );
                ctx.resolve(
                    diags,
                    &spec.media_realms,
                    "media realm",
                    "media realms",
                    &s.realm,
                );
                ctx.resolve(diags, &spec.profiles, "profile", "profiles", &s.profile);
            }
            PeerSpec::Echo(e) => {
                if let Some(p) = &e.profile {
                    ctx.resolve(diags, &spec.profiles, "profile", "profiles", p);
                }
            }
        }
    }
}

pub fn server_names(ctx: &Ctx<'_>) -> String {
    let names: Vec<&str> = ctx
        .spec
        .peers
        .iter()
        .filter(|(_, p)| matches!(p, PeerSpec::Server(_)))
        .map(|(k, _)| k.value.as_str())
        .collect();
    crate::diag::list_defined("server peers", names)
}

fn duplicates<'a>(
    ctx: &Ctx<'_>,
    diags: &mut Diagnostics,
    kind: &str,
    names: impl Iterator<Item = &'a Spanned<String>>,
) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for n in names {
        if let Some(first) = seen.get(n.value.as_str()) {
            diags.push(
                ctx.diag(
                    Code::DuplicateName,
                    format!("duplicate {kind} name `{}`", n.value),
                )
                .label(ctx.file.inner(Span::of(n)), "used again here")
                .label(ctx.file.inner(*first), "first used here")
                .help(format!("give every {kind} a unique name")),
            );
        } else {
            seen.insert(&n.value, Span::of(n));
        }
    }
}

fn users<'a>(
    ctx: &Ctx<'_>,
    diags: &mut Diagnostics,
    peer: &str,
    list: impl Iterator<Item = &'a UserSpec>,
    file: &Arc<SourceFile>,
) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for u in list {
        let at = file.inner(Span::of(&u.name));
        if let Some(first) = seen.get(u.name.value.as_str()) {
            diags.push(
                crate::diag::Diagnostic::new(
                    Code::DuplicateName,
                    file,
                    format!("user `{}` is listed twice in `{peer}`", u.name.value),
                )
                .label(at, "listed again here")
                .label(*first, "first listed here"),
            );
        } else {
            seen.insert(&u.name.value, at);
        }
        if u.password.is_none() && u.ha1_md5.is_none() && u.ha1_sha256.is_none() {
            diags.push(
                crate::diag::Diagnostic::new(
                    Code::BadValue,
                    file,
                    format!("user `{}` has no credential", u.name.value),
                )
                .label(at, "this user")
                .help("give `password`, or `ha1_md5` / `ha1_sha256`"),
            );
        }
        for (h, len, what) in [
            (&u.ha1_md5, 32, "ha1_md5"),
            (&u.ha1_sha256, 64, "ha1_sha256"),
        ] {
            if let Some(h) = h
                && (h.value.len() != len || !h.value.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                diags.push(
                    crate::diag::Diagnostic::new(
                        Code::BadValue,
                        file,
                        format!(
                            "`{what}` of user `{}` is not {len} hex digits",
                            u.name.value
                        ),
                    )
                    .label(file.inner(Span::of(h)), "not a hash of the right length"),
                );
            }
        }
    }
    let _ = ctx;
}

fn load_users_file(ctx: &mut Ctx<'_>, diags: &mut Diagnostics, peer: &str, path: &Spanned<String>) {
    let full = ctx.file.dir.join(&path.value);
    let text = match std::fs::read_to_string(&full) {
        Ok(t) => t,
        Err(e) => {
            diags.push(
                ctx.diag(
                    Code::UsersFile,
                    format!("cannot read users file `{}`: {e}", path.value),
                )
                .label(ctx.file.inner(Span::of(path)), "this file")
                .help("the path is relative to the spec file"),
            );
            return;
        }
    };
    let file = SourceFile::new(full.display().to_string(), ctx.file.dir.clone(), text);
    match parse::<UsersFileSpec>(&file) {
        Ok(list) => {
            users(ctx, diags, peer, list.users.iter(), &file);
            ctx.users_files.insert(peer.to_owned(), (file, list.users));
        }
        Err(e) => diags.push(
            crate::diag::Diagnostic::new(
                Code::UsersFile,
                &file,
                format!("users file is not valid: {}", e.message),
            )
            .label(e.span, "here")
            .help("expected `users: [ { name: alice, password: ... } ]`"),
        ),
    }
}
