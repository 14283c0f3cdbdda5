//! Via (RFC 3261 §20.42, §18.2.1; RFC 3581 rport; RFC 7118 WS/WSS).

use std::fmt;

use crate::params::{Host, Params, parse_hostport};
use crate::text::is_token;

/// RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// The transport in a Via's sent-protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Sctp,
    /// RFC 7118 §5.
    Ws,
    Wss,
    /// Any other token, upper-cased.
    Other(String),
}

impl Transport {
    pub fn parse(s: &str) -> Option<Transport> {
        if !is_token(s) {
            return None;
        }
        Some(match s.to_ascii_uppercase().as_str() {
            "UDP" => Transport::Udp,
            "TCP" => Transport::Tcp,
            "TLS" => Transport::Tls,
            "SCTP" => Transport::Sctp,
            "WS" => Transport::Ws,
            "WSS" => Transport::Wss,
            other => Transport::Other(other.to_owned()),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
            Transport::Other(s) => s,
        }
    }

    /// RFC 3261 §17.1.1.2: retransmission timers run only on unreliable
    /// transports.
    pub fn is_reliable(&self) -> bool {
        !matches!(self, Transport::Udp | Transport::Other(_))
    }
}

/// One Via value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via {
    /// Protocol name and version, normally `SIP` and `2.0`.
    pub protocol: String,
    pub version: String,
    pub transport: Transport,
    pub host: Host,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    /// A new `SIP/2.0/<transport>` Via with a branch.
    pub fn new(transport: Transport, host: Host, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::new();
        params.set("branch", Some(branch));
        Via {
            protocol: "SIP".into(),
            version: "2.0".into(),
            transport,
            host,
            port,
            params,
        }
    }

    /// Parses one via-parm. Whitespace is allowed around the slashes
    /// (`SLASH = SWS "/" SWS`, RFC 4475 `wsinv`).
    pub fn parse(s: &str) -> Option<Via> {
        let mut parts = s.splitn(3, '/');
        let protocol = parts.next()?.trim();
        let version = parts.next()?.trim();
        let rest = parts.next()?.trim_start();
        if !is_token(protocol) || !is_token(version) {
            return None;
        }
        let t_end = rest.find([' ', '\t'])?;
        let transport = Transport::parse(rest.get(..t_end)?)?;
        let rest = rest.get(t_end..)?.trim_start();
        let hp_end = rest.find([';', ' ', '\t']).unwrap_or(rest.len());
        let (host, port) = parse_hostport(rest.get(..hp_end)?)?;
        let params = Params::parse_header_params(rest.get(hp_end..)?)?;
        Some(Via {
            protocol: protocol.to_owned(),
            version: version.to_owned(),
            transport,
            host,
            port,
            params,
        })
    }

    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch").flatten()
    }

    /// True when the branch starts with the RFC 3261 magic cookie; otherwise
    /// transactions fall back to RFC 2543 matching (§17.2.3).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.len() > MAGIC_COOKIE.len() && b.starts_with(MAGIC_COOKIE))
    }

    /// `received` (RFC 3261 §18.2.1).
    pub fn received(&self) -> Option<&str> {
        self.params.get("received").flatten()
    }

    /// `rport` (RFC 3581): `None` when absent, `Some(None)` when present
    /// without a value (a request asking for it), `Some(Some(port))` when
    /// filled in. An unparsable value reads as absent.
    pub fn rport(&self) -> Option<Option<u16>> {
        match self.params.get("rport")? {
            None => Some(None),
            Some(v) => v.parse().ok().map(Some),
        }
    }

    /// `sent-by` as `host[:port]`, the key used in transaction matching.
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.to_string(),
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{} {}{}",
            self.protocol,
            self.version,
            self.transport.as_str(),
            self.sent_by(),
            self.params
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_whitespace_via() {
        let v = Via::parse("SIP  /   2.0  /UDP     192.0.2.2;branch=390skdjuw");
        let v = v.as_ref();
        assert_eq!(v.map(|v| v.transport.clone()), Some(Transport::Udp));
        assert_eq!(v.and_then(|v| v.branch()), Some("390skdjuw"));
        assert_eq!(v.map(|v| v.has_rfc3261_branch()), Some(false));
    }

    #[test]
    fn browser_via() {
        let v = Via::parse("SIP/2.0/WSS df7jal23ls0d.invalid;rport;branch=z9hG4bKabc");
        assert!(v.as_ref().is_some_and(|v| v.host.is_invalid_tld()));
        assert_eq!(v.as_ref().and_then(|v| v.rport()), Some(None));
        assert_eq!(
            v.as_ref().map(|v| v.transport.clone()),
            Some(Transport::Wss)
        );
        assert_eq!(
            v.map(|v| v.to_string()).as_deref(),
            Some("SIP/2.0/WSS df7jal23ls0d.invalid;rport;branch=z9hG4bKabc")
        );
    }

    #[test]
    fn ipv6_and_received() {
        let v = Via::parse(
            "SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKx;received=2001:db8::9:255;rport=4000",
        );
        assert_eq!(v.as_ref().map(|v| v.port), Some(Some(5070)));
        assert_eq!(
            v.as_ref().and_then(|v| v.received()),
            Some("2001:db8::9:255")
        );
        assert_eq!(v.as_ref().and_then(|v| v.rport()), Some(Some(4000)));
        assert_eq!(
            v.map(|v| v.sent_by()).as_deref(),
            Some("[2001:db8::9:1]:5070")
        );
    }

    #[test]
    fn refusals() {
        assert!(Via::parse("SIP/2.0/UDP 192.0.2.15;;").is_none());
        assert!(Via::parse("SIP/2.0/UDP").is_none());
        assert!(Via::parse("SIP/2.0 host").is_none());
        assert!(Via::parse("").is_none());
    }
}
