//! Peers: registered users, servers (proxy sets) and the built-in echo endpoint.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::plan::DigestAlgorithm;
use serde_saphyr::Spanned;

/// One peer; the key says its kind: `{ users: {...} }`, `{ server: {...} }` or `{ echo: {} }`.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PeerSpec {
    /// Registered endpoints (browsers, softphones).
    Users(UsersSpec),
    /// A proxy set: PBX, SIP trunk, SIP test peer.
    Server(ServerSpec),
    /// Built-in endpoint that answers and echoes media back.
    Echo(EchoSpec),
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct UsersSpec {
    /// Interface the users connect to.
    #[schemars(with = "String")]
    pub interface: Spanned<String>,
    /// Media realm for their media.
    #[schemars(with = "String")]
    pub realm: Spanned<String>,
    /// Media profile.
    #[schemars(with = "String")]
    pub profile: Spanned<String>,
    /// `{ local: {...} }`, `{ forward: { server: PEER } }` or `none`.
    pub registration: RegistrationSpec,
    /// Accept INVITEs without digest authentication (click-to-call buttons).
    #[serde(default)]
    pub click_to_call: bool,
    #[serde(default)]
    pub log_messages: bool,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RegistrationSpec {
    /// The SBC is the registrar.
    Local(LocalSpec),
    /// REGISTERs are relayed to a server peer's registrar.
    Forward(ForwardSpec),
    /// No registration (click-to-call only).
    None,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct LocalSpec {
    /// Digest realm; default the peer name.
    #[serde(default)]
    pub realm: Option<String>,
    /// Inline users.
    #[serde(default)]
    pub users: Vec<UserSpec>,
    /// A YAML file `{ users: [...] }` with more users (relative to the spec file).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub users_file: Option<Spanned<String>>,
    #[serde(default)]
    pub expires: Option<ExpiresSpec>,
    /// Digest algorithms offered, one challenge each, in this order; default `[sha256, md5]`
    /// (RFC 8760 order). Browser stacks (JsSIP, SIP.js) keep only the last challenge and know
    /// only MD5, so MD5 must be last for them; clients that take the first challenge they see
    /// and know only MD5 (SIPp, some desk phones) need `[md5]`.
    #[serde(default)]
    pub digest_algorithms: Option<Vec<DigestAlgorithm>>,
}

/// A user; give `password`, or `ha1_md5` and/or `ha1_sha256` (hex of H(user:realm:password)).
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub ha1_md5: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub ha1_sha256: Option<Spanned<String>>,
}

/// Registration expiry bounds in seconds.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct ExpiresSpec {
    /// Default 60; shorter requests get 423 Interval Too Brief.
    #[serde(default)]
    pub min: Option<u32>,
    /// Default 3600.
    #[serde(default)]
    pub max: Option<u32>,
    /// Used when the REGISTER gives none; default 600.
    #[serde(default)]
    pub default: Option<u32>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct ForwardSpec {
    /// A server peer whose registrar receives the REGISTERs.
    #[schemars(with = "String")]
    pub server: Spanned<String>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    #[schemars(with = "String")]
    pub interface: Spanned<String>,
    #[schemars(with = "String")]
    pub realm: Spanned<String>,
    #[schemars(with = "String")]
    pub profile: Spanned<String>,
    /// At least one.
    #[schemars(with = "Vec<ProxySpec>")]
    pub proxies: Spanned<Vec<ProxySpec>>,
    #[serde(default)]
    pub keepalive: Option<KeepaliveSpec>,
    /// Final response codes that fail over to the next proxy; default [408, 503].
    /// Transport errors and timeouts always fail over.
    #[serde(default)]
    #[schemars(with = "Option<Vec<u16>>")]
    pub failover_on: Option<Vec<Spanned<u16>>>,
    #[serde(default)]
    pub log_messages: bool,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct ProxySpec {
    /// `IP:PORT`.
    #[schemars(with = "String")]
    pub address: Spanned<String>,
    /// Lower is preferred; default 1.
    #[serde(default)]
    pub priority: Option<u16>,
    /// Share within one priority; default 1.
    #[serde(default)]
    pub weight: Option<u16>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct KeepaliveSpec {
    /// OPTIONS ping interval; default `30s`; `0` = off.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub options_interval: Option<Spanned<String>>,
    /// Failed pings before a proxy is down; default 3.
    #[serde(default)]
    pub down_after: Option<u32>,
    /// Answered pings before it is up again; default 2.
    #[serde(default)]
    pub up_after: Option<u32>,
}

#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct EchoSpec {
    /// Media profile; default a built-in one accepting WebRTC and RTP with every codec.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub profile: Option<Spanned<String>>,
}
