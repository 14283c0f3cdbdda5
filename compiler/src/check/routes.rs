//! Routes and manipulations: references, destinations, methods, header tests, regexes,
//! protected headers and shadowed routes.

use std::collections::HashMap;

use serde_saphyr::Spanned;

use super::Ctx;
use super::names::server_names;
use crate::diag::{Code, Diagnostics};
use crate::source::Span;
use crate::spec::{ActionSpec, DestinationSpec, HeaderTestSpec, MatchSpec, PeerSpec};
use crate::values;

/// Headers whose edits would break transaction or dialog matching (RFC 3261 §8.1.1, §16.6),
/// with their compact forms (§7.3.3).
pub const PROTECTED_HEADERS: &[&str] = &[
    "via",
    "v",
    "cseq",
    "call-id",
    "i",
    "max-forwards",
    "content-length",
    "l",
    "route",
    "record-route",
];

pub fn check(ctx: &mut Ctx<'_>, diags: &mut Diagnostics) {
    let spec = ctx.spec;
    // The first catch-all route per source (None = any source).
    let mut catch_all: HashMap<Option<&str>, Span> = HashMap::new();
    for route in &spec.routes {
        if let Some(from) = &route.from {
            ctx.resolve(diags, &spec.peers, "peer", "peers", from);
        }
        match &route.to {
            DestinationSpec::Peer(p) => {
                if ctx
                    .resolve(diags, &spec.peers, "peer", "peers", p)
                    .is_some()
                    && matches!(ctx.peer(&p.value), Some(PeerSpec::Users(_)))
                {
                    diags.push(
                        ctx.diag(
                            Code::WrongPeerKind,
                            format!("`{}` is a users peer", p.value),
                        )
                        .label(
                            ctx.file.inner(Span::of(p)),
                            "calls to users go to their registrations",
                        )
                        .help(format!(
                            "write `to: {{ registered: {} }}`; {}",
                            p.value,
                            server_names(ctx)
                        )),
                    );
                }
            }
            DestinationSpec::Registered(p) => {
                if ctx
                    .resolve(diags, &spec.peers, "peer", "peers", p)
                    .is_some()
                    && !matches!(ctx.peer(&p.value), Some(PeerSpec::Users(_)))
                {
                    diags.push(
                        ctx.diag(
                            Code::WrongPeerKind,
                            format!("`{}` is not a users peer", p.value),
                        )
                        .label(ctx.file.inner(Span::of(p)), "has no registrations")
                        .help(format!("write `to: {{ peer: {} }}`", p.value)),
                    );
                }
            }
            DestinationSpec::Reject(r) => {
                if !(400..=699).contains(&r.code.value) {
                    diags.push(
                        ctx.diag(
                            Code::BadRule,
                            format!("{} is not an error response code", r.code.value),
                        )
                        .label(Span::of(&r.code), "expected 400-699"),
                    );
                }
            }
        }
        methods(ctx, diags, &route.when.methods);
        for m in [
            &route.when.request_user,
            &route.when.request_host,
            &route.when.from_user,
            &route.when.to_user,
        ]
        .into_iter()
        .flatten()
        {
            if let MatchSpec::Regex(r) = m {
                regex(ctx, diags, r);
            }
        }
        headers(ctx, diags, &route.when.headers);

        let source = route.from.as_ref().map(|f| f.value.as_str());
        let shadow = catch_all
            .get(&None)
            .or_else(|| source.and_then(|s| catch_all.get(&Some(s))));
        if let Some(earlier) = shadow {
            diags.push(
                ctx.diag(
                    Code::ShadowedRoute,
                    format!("route `{}` can never match", route.name.value),
                )
                .label(
                    ctx.file.inner(Span::of(&route.name)),
                    "this route is never reached",
                )
                .label(
                    *earlier,
                    "this earlier route matches every request it could",
                )
                .help("move it above the catch-all route, or remove it"),
            );
        }
        let w = &route.when;
        let is_catch_all = w.methods.is_empty()
            && w.request_user.is_none()
            && w.request_host.is_none()
            && w.from_user.is_none()
            && w.to_user.is_none()
            && w.headers.is_empty();
        if is_catch_all {
            catch_all
                .entry(source)
                .or_insert_with(|| ctx.file.inner(Span::of(&route.name)));
        }
    }

    for m in &spec.manipulations {
        if let Some(p) = &m.when.peer {
            ctx.resolve(diags, &spec.peers, "peer", "peers", p);
        }
        methods(ctx, diags, &m.when.methods);
        headers(ctx, diags, &m.when.headers);
        for action in &m.actions {
            let header = match action {
                ActionSpec::AddHeader(h) | ActionSpec::SetHeader(h) => Some(&h.name),
                ActionSpec::RemoveHeader(h) => Some(&h.name),
                ActionSpec::RegexReplace(r) => {
                    regex(ctx, diags, &r.pattern);
                    None
                }
                _ => None,
            };
            if let Some(h) = header {
                header_name(ctx, diags, h);
                if PROTECTED_HEADERS.contains(&h.value.to_ascii_lowercase().as_str()) {
                    diags.push(
                        ctx.diag(Code::ProtectedHeader, format!("manipulation `{}` edits `{}`", m.name.value, h.value))
                            .label(ctx.file.inner(Span::of(h)), "this header identifies transactions and dialogs")
                            .help("the B2BUA rewrites Via, CSeq, Call-ID, Max-Forwards, Content-Length, Route and Record-Route itself"),
                    );
                }
            }
        }
    }
}

fn methods(ctx: &Ctx<'_>, diags: &mut Diagnostics, list: &[Spanned<String>]) {
    for m in list {
        if !values::is_token(&m.value) {
            diags.push(
                ctx.diag(
                    Code::BadRule,
                    format!("`{}` is not a SIP method name", m.value),
                )
                .label(ctx.file.inner(Span::of(m)), "not a token")
                .help("for example INVITE, MESSAGE, OPTIONS"),
            );
        }
    }
}

fn header_name(ctx: &Ctx<'_>, diags: &mut Diagnostics, name: &Spanned<String>) {
    if !values::is_token(&name.value) {
        diags.push(
            ctx.diag(
                Code::BadRule,
                format!("`{}` is not a header name", name.value),
            )
            .label(ctx.file.inner(Span::of(name)), "not a token"),
        );
    }
}

fn headers(ctx: &Ctx<'_>, diags: &mut Diagnostics, list: &[HeaderTestSpec]) {
    for h in list {
        header_name(ctx, diags, &h.name);
        let tests = [
            h.exists.is_some(),
            h.absent.is_some(),
            h.equals.is_some(),
            h.prefix.is_some(),
            h.regex.is_some(),
        ]
        .iter()
        .filter(|t| **t)
        .count();
        if tests != 1 || h.exists == Some(false) || h.absent == Some(false) {
            diags.push(
                ctx.diag(Code::BadRule, format!("header test on `{}` needs exactly one test", h.name.value))
                    .label(ctx.file.inner(Span::of(&h.name)), "this test")
                    .help("use one of `exists: true`, `absent: true`, `equals: V`, `prefix: V`, `regex: R`"),
            );
        }
        if let Some(r) = &h.regex {
            regex(ctx, diags, r);
        }
    }
}

/// Checks a regex; the label points at the offending part inside the string when the source
/// text is the value verbatim (plain or simply quoted scalars).
pub fn regex(ctx: &Ctx<'_>, diags: &mut Diagnostics, r: &Spanned<String>) {
    let whole = ctx.file.inner(Span::of(r));
    let (message, at) = match regex_syntax::Parser::new().parse(&r.value) {
        Ok(_) => match regex::Regex::new(&r.value) {
            Ok(_) => return,
            Err(e) => (e.to_string(), whole),
        },
        Err(e) => {
            let (kind, span) = match &e {
                regex_syntax::Error::Parse(p) => (p.kind().to_string(), Some(*p.span())),
                regex_syntax::Error::Translate(t) => (t.kind().to_string(), Some(*t.span())),
                _ => (e.to_string(), None),
            };
            let at = match span {
                Some(s) if ctx.file.is_verbatim(Span::of(r), &r.value) => Span::new(
                    whole.offset + s.start.offset,
                    (s.end.offset - s.start.offset).max(1),
                ),
                _ => whole,
            };
            (kind, at)
        }
    };
    diags.push(
        ctx.diag(Code::BadRegex, format!("invalid regex: {message}"))
            .label(at, "here")
            .help("the syntax is Rust's regex crate: no look-around or back-references"),
    );
}
