//! Listeners, TLS material, media realms, profiles and peers.

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use super::ids::{InterfaceId, PeerId, ProfileId, RealmId, TlsId};
use super::settings::InterfaceLimits;

/// TLS material. Paths are the spec's paths joined to the spec file's directory (absolute
/// paths stay as written), so the runtime opens them without knowing where the spec was.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    pub name: String,
    pub cert: String,
    pub key: String,
    /// CA bundle used to verify clients (on listeners) and peers (on outbound TLS).
    pub ca: Option<String>,
    pub min_version: TlsVersion,
}

#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
pub enum TlsVersion {
    #[serde(rename = "1.2")]
    V1_2,
    #[serde(rename = "1.3")]
    V1_3,
}

#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Ws,
    Wss,
}

impl Transport {
    pub fn is_websocket(self) -> bool {
        matches!(self, Transport::Ws | Transport::Wss)
    }
    pub fn needs_tls(self) -> bool {
        matches!(self, Transport::Tls | Transport::Wss)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
            Transport::Ws => "ws",
            Transport::Wss => "wss",
        }
    }
}

/// A SIP listener.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    pub name: String,
    pub transport: Transport,
    pub listen: SocketAddr,
    /// Set for `tls` and `wss` (the compiler rejects those without it).
    pub tls: Option<TlsId>,
    /// Set for `ws` and `wss` only.
    pub websocket: Option<WebSocket>,
    /// Effective limits: the interface's own values, else the global `limits`.
    pub limits: InterfaceLimits,
    /// Log every SIP message received or sent on this interface.
    pub log_messages: bool,
}

/// WebSocket settings (RFC 7118).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct WebSocket {
    /// HTTP path of the upgrade; default `/`.
    pub path: String,
    /// Exact `Origin` values accepted (scheme://host[:port]); empty = any origin.
    pub allowed_origins: Vec<String>,
    /// Whether an upgrade without an `Origin` header is refused. Default `false`: non-browser
    /// clients (SIP phones, test tools) send none, and browsers always send one, so the
    /// allow-list still protects browser users.
    pub require_origin: bool,
    /// Directory served over plain HTTP GET on this listener (the demo page), resolved
    /// against the spec's directory. It may not exist yet; the runtime then serves a hint.
    pub static_dir: Option<String>,
}

/// Where media for a peer is anchored.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct MediaRealm {
    pub name: String,
    pub listen: IpAddr,
    /// Address written into SDP; defaults to `listen`.
    pub advertise: IpAddr,
    /// Inclusive RTP port range; `port_min` is even (RTP on even, RTCP on odd, RFC 3550 §11).
    pub port_min: u16,
    pub port_max: u16,
}

#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// ICE + DTLS-SRTP (RFC 8827).
    Webrtc,
    /// Plain RTP/AVP.
    Rtp,
}

#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Codec {
    Opus,
    Pcmu,
    Pcma,
    G722,
    TelephoneEvent,
}

#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DtmfMode {
    /// RTP telephone-event (RFC 4733).
    Rfc4733,
    /// SIP INFO with application/dtmf-relay.
    SipInfo,
    /// Tones inside the audio.
    Inband,
}

/// Media policy of a peer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub media: MediaKind,
    /// Offer/answer preference order.
    pub codecs: Vec<Codec>,
    pub dtmf: DtmfMode,
    /// A call whose media stays silent this long (no packets in either direction) is ended.
    pub media_timeout_secs: u64,
}

/// A party the SBC talks to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    pub name: String,
    pub kind: PeerKind,
    /// Log every SIP message to or from this peer.
    pub log_messages: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PeerKind {
    /// Endpoints that register (browsers, softphones).
    Users(UsersPeer),
    /// A proxy set (PBX, trunk).
    Server(ServerPeer),
    /// Built-in endpoint that answers and echoes media back.
    Echo(EchoPeer),
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct UsersPeer {
    pub interface: InterfaceId,
    pub realm: RealmId,
    pub profile: ProfileId,
    pub registration: Registration,
    /// INVITEs from this peer are accepted without digest authentication (click-to-call).
    pub click_to_call: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Registration {
    /// The SBC is the registrar and authenticates with these users.
    Local(LocalRegistrar),
    /// REGISTERs are relayed to this server peer; the SBC keeps the binding to reach the flow.
    Forward { server: PeerId },
    /// No registration at all (click-to-call only).
    None,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct LocalRegistrar {
    /// Digest realm (RFC 8760 §2); defaults to the peer name.
    pub realm: String,
    /// Challenges offered, in this order (default SHA-256 then MD5).
    pub digest_algorithms: Vec<DigestAlgorithm>,
    /// Sorted by name.
    pub users: Vec<User>,
    pub expires: Expires,
}

/// A digest algorithm (RFC 7616, RFC 8760).
#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DigestAlgorithm {
    Sha256,
    Md5,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    pub credential: Credential,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Credential {
    Plain(String),
    /// Precomputed H(user:realm:password); at least one is set. Lower-case hex.
    Ha1 {
        md5: Option<String>,
        sha256: Option<String>,
    },
}

/// Registration expiry bounds in seconds (RFC 3261 §10.3 step 7; 423 below `min`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Expires {
    pub min: u32,
    pub max: u32,
    pub default: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct ServerPeer {
    pub interface: InterfaceId,
    pub realm: RealmId,
    pub profile: ProfileId,
    /// Lowest priority value first; weight shares load within one priority (RFC 2782 style).
    pub proxies: Vec<Proxy>,
    pub keepalive: Keepalive,
    /// Final response codes that make the B2BUA try the next proxy; transport errors and
    /// timeouts always do.
    pub failover_on: Vec<u16>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Proxy {
    pub address: SocketAddr,
    pub priority: u16,
    pub weight: u16,
}

/// OPTIONS health checks of each proxy.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Keepalive {
    /// 0 = no OPTIONS pings; proxies are then always considered up.
    pub options_interval_secs: u64,
    /// Consecutive failed pings before a proxy is marked down.
    pub down_after: u32,
    /// Consecutive answered pings before a down proxy is up again.
    pub up_after: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct EchoPeer {
    /// `None`: the built-in profile that accepts both WebRTC and RTP offers with any of the
    /// known codecs.
    pub profile: Option<ProfileId>,
}
