//! Global settings: limits, admin endpoint, logging, call detail records.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// Effective per-interface limits.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct InterfaceLimits {
    pub max_message_bytes: u32,
    pub max_connections_per_ip: u32,
    pub max_connections: u32,
    /// Connection-oriented transports close a flow idle this long.
    pub idle_timeout_secs: u64,
    /// WebSocket ping / CRLF keepalive interval (RFC 5626 §4.4.1); 0 = none.
    pub keepalive_interval_secs: u64,
}

/// Global limits; interfaces inherit them unless they override a field.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_message_bytes: u32,
    pub max_connections_per_ip: u32,
    pub max_connections: u32,
    /// Token bucket rate per source IP; excess requests get 503 with Retry-After.
    pub requests_per_ip_per_s: u32,
    pub idle_timeout_secs: u64,
    pub keepalive_interval_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Far above a 4.7 kB WebRTC offer, below a UDP datagram's maximum.
            max_message_bytes: 65_535,
            max_connections_per_ip: 100,
            max_connections: 10_000,
            requests_per_ip_per_s: 50,
            idle_timeout_secs: 300,
            keepalive_interval_secs: 30,
        }
    }
}

/// The admin HTTP endpoint (apply / status / metrics).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Admin {
    pub listen: SocketAddr,
    /// File holding the bearer token, resolved against the spec's directory.
    pub token_file: Option<String>,
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
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
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
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    pub level: LogLevel,
    pub format: LogFormat,
    /// SIP capture export; absent from the JSON when off, so plans without it keep their hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<Capture>,
}

impl Default for Logging {
    fn default() -> Self {
        Logging {
            level: LogLevel::Info,
            format: LogFormat::Human,
            capture: None,
        }
    }
}

/// Where SIP messages are recorded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// pcap file appended to (resolved against the spec's directory).
    pub pcap: String,
}

/// Where call detail records go.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cdr {
    #[default]
    Off,
    Stdout,
    /// JSON lines appended to this file (resolved against the spec's directory).
    File(String),
}
