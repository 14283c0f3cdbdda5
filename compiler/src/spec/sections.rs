//! Listeners, TLS, media realms, profiles and global settings.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::plan::{Codec, DtmfMode, LogFormat, LogLevel, MediaKind, TlsVersion, Transport};

/// PEM files. Relative paths are relative to the spec file.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct TlsSpec {
    /// Certificate chain (PEM), leaf first.
    #[schemars(with = "String")]
    pub cert: Spanned<String>,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[schemars(with = "String")]
    pub key: Spanned<String>,
    /// CA bundle (PEM) to verify clients and peers.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub ca: Option<Spanned<String>>,
    /// Lowest TLS version accepted; default "1.2".
    #[serde(default)]
    pub min_version: Option<TlsVersion>,
}

/// A SIP listener.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct InterfaceSpec {
    #[schemars(with = "Transport")]
    pub transport: Spanned<Transport>,
    /// `IP:PORT`, e.g. `127.0.0.1:5060` or `[::]:443`.
    #[schemars(with = "String")]
    pub listen: Spanned<String>,
    /// Name of a `tls` entry; required for `tls` and `wss`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub tls: Option<Spanned<String>>,
    /// WebSocket settings (`ws` and `wss` only).
    #[serde(default)]
    #[schemars(with = "Option<WebSocketSpec>")]
    pub websocket: Option<Spanned<WebSocketSpec>>,
    /// Overrides of the global limits for this listener.
    #[serde(default)]
    pub limits: Option<InterfaceLimitsSpec>,
    /// Log every SIP message on this listener.
    #[serde(default)]
    pub log_messages: bool,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct WebSocketSpec {
    /// HTTP path of the upgrade; default `/`.
    #[serde(default)]
    pub path: Option<String>,
    /// Accepted `Origin` values, e.g. `https://app.example.com`. Empty: any origin (warning).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Refuse upgrades without an `Origin` header. Default false: non-browser SIP clients send
    /// none, and browsers always send one, so the allow-list still protects browser users.
    #[serde(default)]
    pub require_origin: bool,
    /// Directory served over HTTP GET on this listener (relative to the spec file).
    #[serde(default)]
    pub static_dir: Option<String>,
}

#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct InterfaceLimitsSpec {
    #[serde(default)]
    pub max_message_bytes: Option<u32>,
    #[serde(default)]
    pub max_connections_per_ip: Option<u32>,
    #[serde(default)]
    pub max_connections: Option<u32>,
    /// Duration, e.g. `300s`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub idle_timeout: Option<Spanned<String>>,
    /// Duration; `0` turns keepalives off.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub keepalive_interval: Option<Spanned<String>>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct MediaRealmSpec {
    /// IP address the RTP sockets bind to.
    #[schemars(with = "String")]
    pub listen: Spanned<String>,
    /// IP address written into SDP (public address behind 1:1 NAT); default `listen`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub advertise: Option<Spanned<String>>,
    /// Inclusive range `FIRST-LAST`, FIRST even, e.g. `40000-44999`.
    #[schemars(with = "String")]
    pub ports: Spanned<String>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    pub media: MediaKind,
    /// In order of preference.
    #[schemars(with = "Vec<Codec>")]
    pub codecs: Spanned<Vec<Codec>>,
    /// Default `rfc4733`.
    #[serde(default)]
    pub dtmf: Option<DtmfMode>,
    /// End a call whose media is silent this long; default `60s`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub media_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Largest SIP message accepted; default 65535.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub max_message_bytes: Option<Spanned<u32>>,
    /// Default 100.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub max_connections_per_ip: Option<Spanned<u32>>,
    /// Default 10000.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub max_connections: Option<Spanned<u32>>,
    /// Default 50.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub requests_per_ip_per_s: Option<Spanned<u32>>,
    /// Default `300s`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub idle_timeout: Option<Spanned<String>>,
    /// Default `30s`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub keepalive_interval: Option<Spanned<String>>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct AdminSpec {
    /// `IP:PORT`; keep it on loopback or a management network.
    #[schemars(with = "String")]
    pub listen: Spanned<String>,
    /// File holding the bearer token (relative to the spec file).
    #[serde(default)]
    pub token_file: Option<String>,
}

#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct LoggingSpec {
    /// Default `info`.
    #[serde(default)]
    pub level: Option<LogLevel>,
    /// Default `human`.
    #[serde(default)]
    pub format: Option<LogFormat>,
    /// Record SIP messages in a capture file (off by default; see docs/operations.md).
    #[serde(default)]
    pub capture: Option<CaptureSpec>,
}

/// SIP capture export.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct CaptureSpec {
    /// pcap file (relative to the spec file) that SIP messages are appended to, each as a UDP
    /// datagram between the real addresses and ports whatever its transport (TLS and WebSocket
    /// messages appear decrypted and unframed). Open it with Wireshark, tshark or sngrep.
    pub pcap: String,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CdrSpec {
    Off,
    Stdout,
    /// JSON lines appended to this file.
    File(String),
}
