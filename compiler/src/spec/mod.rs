//! Serde types that mirror the YAML spec one to one. `Spanned` wraps every node a diagnostic
//! may point at. Enums are externally tagged (`{ users: {...} }`), never internally tagged or
//! untagged, because serde-saphyr loses spans inside buffered enums.

mod peers;
mod rules;
mod sections;

pub use peers::*;
pub use rules::*;
pub use sections::*;

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A name-keyed section; keys keep their spans and their order.
pub type Named<T> = IndexMap<Spanned<String>, T>;

/// An sbcctl spec (version 1): listeners, media, peers, routing and policy of one SBC.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schemars(title = "sbcctl spec")]
pub struct Spec {
    /// Spec language version; must be 1.
    #[schemars(with = "u32")]
    pub version: Spanned<u32>,
    /// Certificates and keys, referenced by name from interfaces.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, TlsSpec>")]
    pub tls: Named<TlsSpec>,
    /// SIP listeners.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, InterfaceSpec>")]
    pub interfaces: Named<InterfaceSpec>,
    /// Where media is anchored: addresses and RTP port ranges.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, MediaRealmSpec>")]
    pub media_realms: Named<MediaRealmSpec>,
    /// Media policies (WebRTC or plain RTP, codecs, DTMF).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ProfileSpec>")]
    pub profiles: Named<ProfileSpec>,
    /// Parties the SBC talks to: registered users, servers (PBX, trunk), the echo endpoint.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PeerSpec>")]
    pub peers: Named<PeerSpec>,
    /// Ordered routing rules: the first match wins; no match answers 404.
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    /// Ordered header and URI edits, applied on ingress (before routing) and egress.
    #[serde(default)]
    pub manipulations: Vec<ManipulationSpec>,
    /// Global limits; interfaces may override them.
    #[serde(default)]
    pub limits: Option<LimitsSpec>,
    /// Admin HTTP endpoint (apply, status, metrics).
    #[serde(default)]
    pub admin: Option<AdminSpec>,
    #[serde(default)]
    pub logging: Option<LoggingSpec>,
    /// Call detail records: `off` (default), `stdout`, or `{ file: PATH }`.
    #[serde(default)]
    pub cdr: Option<CdrSpec>,
}

/// A separate users file named by `registration.local.users_file`.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct UsersFileSpec {
    pub users: Vec<UserSpec>,
}
