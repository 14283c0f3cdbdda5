//! Lowering: a checked spec becomes a [`Plan`]. Runs only when the checks found no error, so
//! every lookup here succeeds; a failure still returns `None` instead of panicking.

use crate::check::{Ctx, index_of};
use crate::plan::*;
use crate::spec::*;
use crate::values;

fn id<T>(section: &Named<T>, name: &str) -> Option<u32> {
    index_of(section, name).and_then(|i| u32::try_from(i).ok())
}

fn secs(d: &Option<serde_saphyr::Spanned<String>>, default: u64) -> Option<u64> {
    match d {
        Some(d) => values::duration_secs(&d.value).ok(),
        None => Some(default),
    }
}

fn resolve_path(ctx: &Ctx<'_>, p: &str) -> String {
    ctx.file.dir.join(p).to_string_lossy().into_owned()
}

fn string_match(m: &MatchSpec) -> StringMatch {
    match m {
        MatchSpec::Exact(s) => StringMatch::Exact(s.value.clone()),
        MatchSpec::Prefix(s) => StringMatch::Prefix(s.value.clone()),
        MatchSpec::Regex(s) => StringMatch::Regex(s.value.clone()),
    }
}

fn header_tests(list: &[HeaderTestSpec]) -> Vec<HeaderTest> {
    list.iter()
        .filter_map(|h| {
            let test = if h.exists == Some(true) {
                HeaderCheck::Exists
            } else if h.absent == Some(true) {
                HeaderCheck::Absent
            } else if let Some(v) = &h.equals {
                HeaderCheck::Matches(StringMatch::Exact(v.clone()))
            } else if let Some(v) = &h.prefix {
                HeaderCheck::Matches(StringMatch::Prefix(v.clone()))
            } else {
                HeaderCheck::Matches(StringMatch::Regex(h.regex.as_ref()?.value.clone()))
            };
            Some(HeaderTest {
                name: h.name.value.to_ascii_lowercase(),
                test,
            })
        })
        .collect()
}

fn methods(list: &[serde_saphyr::Spanned<String>]) -> Vec<String> {
    let mut m: Vec<String> = list.iter().map(|m| m.value.to_ascii_uppercase()).collect();
    m.sort();
    m.dedup();
    m
}

fn user(u: &UserSpec) -> User {
    let credential = match &u.password {
        Some(p) => Credential::Plain(p.clone()),
        None => Credential::Ha1 {
            md5: u.ha1_md5.as_ref().map(|h| h.value.to_ascii_lowercase()),
            sha256: u.ha1_sha256.as_ref().map(|h| h.value.to_ascii_lowercase()),
        },
    };
    User {
        name: u.name.value.clone(),
        credential,
    }
}

pub fn lower(ctx: &Ctx<'_>) -> Option<Plan> {
    let spec = ctx.spec;
    let lim = spec.limits.as_ref();
    let d = Limits::default();
    let get = |v: Option<&serde_saphyr::Spanned<u32>>, def: u32| v.map_or(def, |v| v.value);
    let limits = Limits {
        max_message_bytes: get(
            lim.and_then(|l| l.max_message_bytes.as_ref()),
            d.max_message_bytes,
        ),
        max_connections_per_ip: get(
            lim.and_then(|l| l.max_connections_per_ip.as_ref()),
            d.max_connections_per_ip,
        ),
        max_connections: get(
            lim.and_then(|l| l.max_connections.as_ref()),
            d.max_connections,
        ),
        requests_per_ip_per_s: get(
            lim.and_then(|l| l.requests_per_ip_per_s.as_ref()),
            d.requests_per_ip_per_s,
        ),
        idle_timeout_secs: secs(
            &lim.and_then(|l| l.idle_timeout.clone()),
            d.idle_timeout_secs,
        )?,
        keepalive_interval_secs: secs(
            &lim.and_then(|l| l.keepalive_interval.clone()),
            d.keepalive_interval_secs,
        )?,
    };

    let tls = spec
        .tls
        .iter()
        .map(|(name, t)| Tls {
            name: name.value.clone(),
            cert: resolve_path(ctx, &t.cert.value),
            key: resolve_path(ctx, &t.key.value),
            ca: t.ca.as_ref().map(|c| resolve_path(ctx, &c.value)),
            min_version: t.min_version.unwrap_or(TlsVersion::V1_2),
        })
        .collect();

    let mut interfaces = Vec::new();
    for (name, i) in &spec.interfaces {
        let transport = i.transport.value;
        let tls = match &i.tls {
            Some(t) => Some(TlsId(id(&spec.tls, &t.value)?)),
            None => None,
        };
        let websocket = transport.is_websocket().then(|| {
            let ws = i.websocket.as_ref().map(|w| &w.value);
            WebSocket {
                path: ws
                    .and_then(|w| w.path.clone())
                    .unwrap_or_else(|| "/".into()),
                allowed_origins: ws.map(|w| w.allowed_origins.clone()).unwrap_or_default(),
                require_origin: ws.is_some_and(|w| w.require_origin),
                static_dir: ws
                    .and_then(|w| w.static_dir.as_deref())
                    .map(|p| resolve_path(ctx, p)),
            }
        });
        let own = i.limits.as_ref();
        interfaces.push(Interface {
            name: name.value.clone(),
            transport,
            listen: values::socket_addr(&i.listen.value).ok()?,
            tls,
            websocket,
            limits: InterfaceLimits {
                max_message_bytes: own
                    .and_then(|l| l.max_message_bytes)
                    .unwrap_or(limits.max_message_bytes),
                max_connections_per_ip: own
                    .and_then(|l| l.max_connections_per_ip)
                    .unwrap_or(limits.max_connections_per_ip),
                max_connections: own
                    .and_then(|l| l.max_connections)
                    .unwrap_or(limits.max_connections),
                idle_timeout_secs: secs(
                    &own.and_then(|l| l.idle_timeout.clone()),
                    limits.idle_timeout_secs,
                )?,
                keepalive_interval_secs: secs(
                    &own.and_then(|l| l.keepalive_interval.clone()),
                    limits.keepalive_interval_secs,
                )?,
            },
            log_messages: i.log_messages,
        });
    }

    let mut media_realms = Vec::new();
    for (name, r) in &spec.media_realms {
        let listen = values::ip_addr(&r.listen.value).ok()?;
        let advertise = match &r.advertise {
            Some(a) => values::ip_addr(&a.value).ok()?,
            None => listen,
        };
        let (port_min, port_max) = values::port_range(&r.ports.value).ok()?;
        media_realms.push(MediaRealm {
            name: name.value.clone(),
            listen,
            advertise,
            port_min,
            port_max,
        });
    }

    let mut profiles = Vec::new();
    for (name, p) in &spec.profiles {
        let mut codecs: Vec<Codec> = Vec::new();
        for c in &p.codecs.value {
            if !codecs.contains(c) {
                codecs.push(*c);
            }
        }
        profiles.push(Profile {
            name: name.value.clone(),
            media: p.media,
            codecs,
            dtmf: p.dtmf.unwrap_or(DtmfMode::Rfc4733),
            media_timeout_secs: secs(&p.media_timeout, 60)?,
        });
    }

    let mut peers = Vec::new();
    for (name, p) in &spec.peers {
        let (kind, log_messages) = match p {
            PeerSpec::Users(u) => {
                let registration = match &u.registration {
                    RegistrationSpec::None => Registration::None,
                    RegistrationSpec::Forward(f) => Registration::Forward {
                        server: PeerId(id(&spec.peers, &f.server.value)?),
                    },
                    RegistrationSpec::Local(l) => {
                        let mut users: Vec<User> = l.users.iter().map(user).collect();
                        if let Some((_, more)) = ctx.users_files.get(&name.value) {
                            users.extend(more.iter().map(user));
                        }
                        users.sort_by(|a, b| a.name.cmp(&b.name));
                        let e = l.expires.as_ref();
                        let min = e.and_then(|e| e.min).unwrap_or(60);
                        let max = e.and_then(|e| e.max).unwrap_or(3600);
                        let default = e
                            .and_then(|e| e.default)
                            .unwrap_or(600)
                            .clamp(min, max.max(min));
                        Registration::Local(LocalRegistrar {
                            realm: l.realm.clone().unwrap_or_else(|| name.value.clone()),
                            digest_algorithms: match &l.digest_algorithms {
                                Some(list) if !list.is_empty() => {
                                    let mut seen = Vec::with_capacity(list.len());
                                    for a in list {
                                        if !seen.contains(a) {
                                            seen.push(*a);
                                        }
                                    }
                                    seen
                                }
                                _ => vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5],
                            },
                            users,
                            expires: Expires { min, max, default },
                        })
                    }
                };
                (
                    PeerKind::Users(UsersPeer {
                        interface: InterfaceId(id(&spec.interfaces, &u.interface.value)?),
                        realm: RealmId(id(&spec.media_realms, &u.realm.value)?),
                        profile: ProfileId(id(&spec.profiles, &u.profile.value)?),
                        registration,
                        click_to_call: u.click_to_call,
                    }),
                    u.log_messages,
                )
            }
            PeerSpec::Server(s) => {
                let mut proxies = Vec::new();
                for p in &s.proxies.value {
                    proxies.push(Proxy {
                        address: values::socket_addr(&p.address.value).ok()?,
                        priority: p.priority.unwrap_or(1),
                        weight: p.weight.unwrap_or(1),
                    });
                }
                let k = s.keepalive.as_ref();
                let mut failover_on: Vec<u16> = match &s.failover_on {
                    Some(list) => list.iter().map(|c| c.value).collect(),
                    None => vec![408, 503],
                };
                failover_on.sort_unstable();
                failover_on.dedup();
                (
                    PeerKind::Server(ServerPeer {
                        interface: InterfaceId(id(&spec.interfaces, &s.interface.value)?),
                        realm: RealmId(id(&spec.media_realms, &s.realm.value)?),
                        profile: ProfileId(id(&spec.profiles, &s.profile.value)?),
                        proxies,
                        keepalive: Keepalive {
                            options_interval_secs: secs(
                                &k.and_then(|k| k.options_interval.clone()),
                                30,
                            )?,
                            down_after: k.and_then(|k| k.down_after).unwrap_or(3),
                            up_after: k.and_then(|k| k.up_after).unwrap_or(2),
                        },
                        failover_on,
                    }),
                    s.log_messages,
                )
            }
            PeerSpec::Echo(e) => {
                let profile = match &e.profile {
                    Some(p) => Some(ProfileId(id(&spec.profiles, &p.value)?)),
                    None => None,
                };
                (PeerKind::Echo(EchoPeer { profile }), false)
            }
        };
        peers.push(Peer {
            name: name.value.clone(),
            kind,
            log_messages,
        });
    }

    let mut routes = Vec::new();
    for r in &spec.routes {
        let from = match &r.from {
            Some(f) => Some(PeerId(id(&spec.peers, &f.value)?)),
            None => None,
        };
        let to = match &r.to {
            DestinationSpec::Peer(p) => Destination::Peer(PeerId(id(&spec.peers, &p.value)?)),
            DestinationSpec::Registered(p) => {
                Destination::Registered(PeerId(id(&spec.peers, &p.value)?))
            }
            DestinationSpec::Reject(rj) => Destination::Reject {
                code: rj.code.value,
                reason: rj
                    .reason
                    .clone()
                    .unwrap_or_else(|| default_reason(rj.code.value).into()),
            },
        };
        let w = &r.when;
        routes.push(Route {
            name: r.name.value.clone(),
            from,
            when: RouteMatch {
                methods: methods(&w.methods),
                request_user: w.request_user.as_ref().map(string_match),
                request_host: w.request_host.as_ref().map(string_match),
                from_user: w.from_user.as_ref().map(string_match),
                to_user: w.to_user.as_ref().map(string_match),
                headers: header_tests(&w.headers),
            },
            to,
        });
    }

    let mut manipulations = Vec::new();
    for m in &spec.manipulations {
        let peer = match &m.when.peer {
            Some(p) => Some(PeerId(id(&spec.peers, &p.value)?)),
            None => None,
        };
        let actions = m
            .actions
            .iter()
            .map(|a| match a {
                ActionSpec::AddHeader(h) => Action::AddHeader {
                    name: h.name.value.clone(),
                    value: h.value.clone(),
                },
                ActionSpec::SetHeader(h) => Action::SetHeader {
                    name: h.name.value.clone(),
                    value: h.value.clone(),
                },
                ActionSpec::RemoveHeader(h) => Action::RemoveHeader {
                    name: h.name.value.clone(),
                },
                ActionSpec::AddPrefix(p) => Action::AddPrefix {
                    field: p.field,
                    prefix: p.prefix.clone(),
                },
                ActionSpec::StripPrefix(p) => Action::StripPrefix {
                    field: p.field,
                    prefix: p.prefix.clone(),
                },
                ActionSpec::RegexReplace(r) => Action::RegexReplace {
                    field: r.field,
                    pattern: r.pattern.value.clone(),
                    replacement: r.replacement.clone(),
                },
                ActionSpec::SetDisplayName(d) => Action::SetDisplayName {
                    field: d.field,
                    value: d.value.clone(),
                },
            })
            .collect();
        manipulations.push(Manipulation {
            name: m.name.value.clone(),
            when: ManipulationMatch {
                direction: m.when.direction,
                peer,
                methods: methods(&m.when.methods),
                headers: header_tests(&m.when.headers),
            },
            actions,
        });
    }

    let admin = match &spec.admin {
        Some(a) => Some(Admin {
            listen: values::socket_addr(&a.listen.value).ok()?,
            token_file: a.token_file.as_deref().map(|p| resolve_path(ctx, p)),
        }),
        None => None,
    };
    let logging = spec
        .logging
        .as_ref()
        .map_or_else(Logging::default, |l| Logging {
            level: l.level.unwrap_or(LogLevel::Info),
            format: l.format.unwrap_or(LogFormat::Human),
            capture: l.capture.as_ref().map(|c| Capture {
                pcap: resolve_path(ctx, &c.pcap),
            }),
        });
    let cdr = match &spec.cdr {
        None | Some(CdrSpec::Off) => Cdr::Off,
        Some(CdrSpec::Stdout) => Cdr::Stdout,
        Some(CdrSpec::File(p)) => Cdr::File(resolve_path(ctx, p)),
    };

    let mut plan = Plan {
        format_version: FORMAT_VERSION,
        hash: String::new(),
        tls,
        interfaces,
        media_realms,
        profiles,
        peers,
        routes,
        manipulations,
        limits,
        admin,
        logging,
        cdr,
    };
    plan.seal();
    Some(plan)
}

/// RFC 3261 §21 reason phrases for the codes a reject route is likely to use.
fn default_reason(code: u16) -> &'static str {
    match code {
        403 => "Forbidden",
        404 => "Not Found",
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        488 => "Not Acceptable Here",
        503 => "Service Unavailable",
        603 => "Decline",
        _ => "Rejected",
    }
}
