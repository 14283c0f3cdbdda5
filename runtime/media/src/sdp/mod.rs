//! A tolerant SDP model (RFC 8866).
//!
//! An SBC rewrites a handful of lines (`c=`, `m=`, direction, codecs) and must
//! keep everything else exactly as the peer wrote it, so the model is a list of
//! `(type, value)` lines per section, in order, with typed accessors parsed on
//! demand (see [`attrs`]). Only `v=` and `m=` are validated when parsing: an
//! `m=` line is needed to negotiate anything, everything else is tolerated.
//! Parsing never panics; a malformed description gives an [`SdpError`] that the
//! signalling glue answers with `488 Not Acceptable Here` (or `400`).

pub mod attrs;

use std::fmt;
use std::net::IpAddr;

pub use attrs::{Direction, Fingerprint, Rtcp, Rtpmap, Setup};

/// Why a session description could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// No `v=` line first (RFC 8866 §5: the description starts with `v=0`).
    #[error("SDP must start with v=0")]
    MissingVersion,
    /// A line that is not `<letter>=<value>`.
    #[error("SDP line {line} is not of the form <type>=<value>")]
    BadLine { line: usize },
    /// An `m=` line that does not have media, port, proto and formats.
    #[error("SDP line {line}: malformed m= line: {reason}")]
    BadMedia { line: usize, reason: &'static str },
    /// Not valid UTF-8.
    #[error("SDP is not valid UTF-8")]
    NotUtf8,
}

/// One `<type>=<value>` line, kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The single-letter type (`v`, `o`, `c`, `a`, ...).
    pub kind: char,
    /// Everything after `=`.
    pub value: String,
}

impl Line {
    /// A new line of type `kind`.
    pub fn new(kind: char, value: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }

    /// An `a=` attribute line.
    pub fn attr(name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => Self::new('a', format!("{name}:{v}")),
            None => Self::new('a', name),
        }
    }

    /// For an `a=` line: the attribute name and its value (after the first `:`).
    pub fn as_attr(&self) -> Option<(&str, Option<&str>)> {
        if self.kind != 'a' {
            return None;
        }
        Some(match self.value.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (self.value.as_str(), None),
        })
    }
}

/// The `m=` line (RFC 8866 §5.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLine {
    /// `audio`, `video`, `application`, ...
    pub media: String,
    /// Transport port; `0` rejects/disables the stream (RFC 3264 §6).
    pub port: u16,
    /// The optional `/<number of ports>`.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `UDP/TLS/RTP/SAVPF`, ...
    pub proto: String,
    /// Payload types (as text, as other protos have non-numeric formats).
    pub fmts: Vec<String>,
}

impl MediaLine {
    fn parse(value: &str, line: usize) -> Result<Self, SdpError> {
        let bad = |reason| SdpError::BadMedia { line, reason };
        let mut it = value.split_ascii_whitespace();
        let media = it.next().ok_or(bad("missing media"))?.to_owned();
        let port_s = it.next().ok_or(bad("missing port"))?;
        let (port, port_count) = match port_s.split_once('/') {
            Some((p, n)) => (p, Some(n.parse().map_err(|_| bad("bad port count"))?)),
            None => (port_s, None),
        };
        let port = port.parse().map_err(|_| bad("bad port"))?;
        let proto = it.next().ok_or(bad("missing proto"))?.to_owned();
        let fmts: Vec<String> = it.map(str::to_owned).collect();
        if fmts.is_empty() {
            return Err(bad("no formats"));
        }
        Ok(Self {
            media,
            port,
            port_count,
            proto,
            fmts,
        })
    }

    /// Numeric payload types (non-numeric formats are skipped).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.fmts.iter().filter_map(|f| f.parse().ok())
    }

    /// True for the RTP/AVP family without DTLS (what SIP peers speak).
    pub fn is_plain_rtp(&self) -> bool {
        self.proto.eq_ignore_ascii_case("RTP/AVP") || self.proto.eq_ignore_ascii_case("RTP/AVPF")
    }
}

impl fmt::Display for MediaLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.media, self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        write!(f, " {}", self.proto)?;
        for fmt in &self.fmts {
            write!(f, " {fmt}")?;
        }
        Ok(())
    }
}

/// The `c=` line (RFC 8866 §5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `IP4` or `IP6`.
    pub addr_type: String,
    /// Address as written (may carry `/ttl` for multicast, or be a name).
    pub address: String,
}

impl Connection {
    /// Parses `IN IP4 192.0.2.1`.
    pub fn parse(value: &str) -> Option<Self> {
        let mut it = value.split_ascii_whitespace();
        if !it.next()?.eq_ignore_ascii_case("IN") {
            return None;
        }
        let addr_type = it.next()?.to_owned();
        let address = it.next()?.to_owned();
        Some(Self { addr_type, address })
    }

    /// A connection line for `ip`.
    pub fn from_ip(ip: IpAddr) -> Self {
        let addr_type = if ip.is_ipv4() { "IP4" } else { "IP6" };
        Self {
            addr_type: addr_type.to_owned(),
            address: ip.to_string(),
        }
    }

    /// The address as an IP, if it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.split('/').next()?.parse().ok()
    }

    /// RFC 3264 §8.4 (and RFC 2543 before it): `0.0.0.0` puts the stream on hold.
    pub fn is_hold(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IN {} {}", self.addr_type, self.address)
    }
}

/// One media section: its `m=` line and the lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// The parsed `m=` line.
    pub mline: MediaLine,
    /// Lines after `m=` (`i=`, `c=`, `b=`, `k=`, `a=`), in order.
    pub lines: Vec<Line>,
}

/// A whole session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    /// Session-level lines, starting with `v=`, in order.
    pub session: Vec<Line>,
    /// Media sections, in order.
    pub media: Vec<Media>,
}

impl Sdp {
    /// Parses a description. Accepts CRLF or bare LF line ends and blank lines.
    pub fn parse(text: &str) -> Result<Self, SdpError> {
        let mut session = Vec::new();
        let mut media: Vec<Media> = Vec::new();
        for (idx, raw) in text.split('\n').enumerate() {
            let line_no = idx + 1;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if raw.trim().is_empty() {
                continue;
            }
            let mut chars = raw.chars();
            let kind = chars.next().ok_or(SdpError::BadLine { line: line_no })?;
            if !kind.is_ascii_alphabetic() || chars.next() != Some('=') {
                return Err(SdpError::BadLine { line: line_no });
            }
            let value = chars.as_str();
            if session.is_empty() && media.is_empty() && kind != 'v' {
                return Err(SdpError::MissingVersion);
            }
            if kind == 'm' {
                media.push(Media {
                    mline: MediaLine::parse(value, line_no)?,
                    lines: Vec::new(),
                });
            } else if let Some(m) = media.last_mut() {
                m.lines.push(Line::new(kind, value));
            } else {
                session.push(Line::new(kind, value));
            }
        }
        if session.is_empty() {
            return Err(SdpError::MissingVersion);
        }
        Ok(Self { session, media })
    }

    /// Parses raw bytes (a SIP body).
    pub fn parse_bytes(body: &[u8]) -> Result<Self, SdpError> {
        Self::parse(std::str::from_utf8(body).map_err(|_| SdpError::NotUtf8)?)
    }

    /// The session-level `c=` line.
    pub fn connection(&self) -> Option<Connection> {
        find_value(&self.session, 'c').and_then(Connection::parse)
    }

    /// Session-level `a=` attribute value (`Some(None)` for a flag).
    pub fn attr(&self, name: &str) -> Option<Option<&str>> {
        find_attr(&self.session, name)
    }

    /// The `a=group:BUNDLE` mids, if any (RFC 8843).
    pub fn bundle_group(&self) -> Option<Vec<&str>> {
        self.session
            .iter()
            .filter_map(Line::as_attr)
            .find_map(|(n, v)| {
                let rest = v?.strip_prefix("BUNDLE")?;
                (n == "group").then(|| rest.split_ascii_whitespace().collect())
            })
    }

    /// Replaces (or inserts after `o=`/`s=`) the session-level `c=` line.
    pub fn set_connection(&mut self, c: &Connection) {
        set_or_insert(
            &mut self.session,
            'c',
            c.to_string(),
            &['o', 's', 'i', 'u', 'e', 'p'],
        );
    }

    /// Removes every session-level `a=name` line.
    pub fn remove_attr(&mut self, name: &str) {
        self.session.retain(|l| {
            l.as_attr()
                .is_none_or(|(n, _)| !n.eq_ignore_ascii_case(name))
        });
    }

    /// The first audio section, with its index.
    pub fn audio(&self) -> Option<(usize, &Media)> {
        self.media
            .iter()
            .enumerate()
            .find(|(_, m)| m.mline.media == "audio")
    }
}

impl Media {
    /// The media-level `c=` line.
    pub fn connection(&self) -> Option<Connection> {
        find_value(&self.lines, 'c').and_then(Connection::parse)
    }

    /// The effective connection: media-level, else session-level (RFC 8866 §5.7).
    pub fn effective_connection(&self, sdp: &Sdp) -> Option<Connection> {
        self.connection().or_else(|| sdp.connection())
    }

    /// Media-level `a=` attribute value (`Some(None)` for a flag).
    pub fn attr(&self, name: &str) -> Option<Option<&str>> {
        find_attr(&self.lines, name)
    }

    /// Every value of `a=name` in order (candidates, ssrc, extmap, rtcp-fb...).
    pub fn attr_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines
            .iter()
            .filter_map(Line::as_attr)
            .filter_map(move |(n, v)| {
                if n.eq_ignore_ascii_case(name) {
                    v
                } else {
                    None
                }
            })
    }

    /// Replaces (or inserts first) the media-level `c=` line.
    pub fn set_connection(&mut self, c: &Connection) {
        set_or_insert(&mut self.lines, 'c', c.to_string(), &['i']);
    }

    /// Removes every `a=name` line.
    pub fn remove_attr(&mut self, name: &str) {
        self.lines.retain(|l| {
            l.as_attr()
                .is_none_or(|(n, _)| !n.eq_ignore_ascii_case(name))
        });
    }

    /// Appends an `a=` line.
    pub fn push_attr(&mut self, name: &str, value: Option<&str>) {
        self.lines.push(Line::attr(name, value));
    }
}

fn find_value(lines: &[Line], kind: char) -> Option<&str> {
    lines
        .iter()
        .find(|l| l.kind == kind)
        .map(|l| l.value.as_str())
}

fn find_attr<'a>(lines: &'a [Line], name: &str) -> Option<Option<&'a str>> {
    lines
        .iter()
        .filter_map(Line::as_attr)
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Replaces the first `kind` line, or inserts one after the last line whose
/// type is in `after` (RFC 8866 §5 fixes the order of session/media lines).
fn set_or_insert(lines: &mut Vec<Line>, kind: char, value: String, after: &[char]) {
    if let Some(l) = lines.iter_mut().find(|l| l.kind == kind) {
        l.value = value;
        return;
    }
    let pos = lines
        .iter()
        .rposition(|l| after.contains(&l.kind))
        .map_or(0, |p| p + 1);
    lines.insert(pos, Line::new(kind, value));
}

impl fmt::Display for Sdp {
    /// Prints with CRLF line ends (RFC 8866 §5).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.session {
            write!(f, "{}={}\r\n", l.kind, l.value)?;
        }
        for m in &self.media {
            write!(f, "m={}\r\n", m.mline)?;
            for l in &m.lines {
                write!(f, "{}={}\r\n", l.kind, l.value)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
