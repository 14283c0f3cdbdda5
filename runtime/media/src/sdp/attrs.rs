//! Typed views of the attributes the SBC reasons about. Each is parsed on
//! demand from the verbatim lines, so an attribute we do not understand is
//! never lost or rewritten.

use super::{Media, Sdp};

/// `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` (RFC 8866 §6.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtpmap {
    /// Payload type.
    pub pt: u8,
    /// Encoding name as written (compare case-insensitively, RFC 4855 §3).
    pub encoding: String,
    /// Clock rate in Hz.
    pub clock: u32,
    /// Channel count for audio, if given.
    pub channels: Option<u8>,
}

impl Rtpmap {
    /// Parses the value after `a=rtpmap:`.
    pub fn parse(value: &str) -> Option<Self> {
        let (pt, rest) = value.trim().split_once(' ')?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next()?.to_owned();
        let clock = parts.next()?.trim().parse().ok()?;
        let channels = match parts.next() {
            Some(c) => Some(c.trim().parse().ok()?),
            None => None,
        };
        Some(Self {
            pt: pt.parse().ok()?,
            encoding,
            clock,
            channels,
        })
    }

    /// The attribute value, for printing.
    pub fn to_value(&self) -> String {
        match self.channels {
            Some(c) => format!("{} {}/{}/{c}", self.pt, self.encoding, self.clock),
            None => format!("{} {}/{}", self.pt, self.encoding, self.clock),
        }
    }
}

/// Stream direction (RFC 3264 §5.1, §8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// `a=sendrecv`, also the default when none is given.
    #[default]
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "sendrecv" => Self::SendRecv,
            "sendonly" => Self::SendOnly,
            "recvonly" => Self::RecvOnly,
            "inactive" => Self::Inactive,
            _ => return None,
        })
    }

    /// The direction an answerer uses for this offered direction (RFC 3264 §6.1).
    pub fn reversed(self) -> Self {
        match self {
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            d => d,
        }
    }
}

/// `a=rtcp:<port> [IN IP4 <addr>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    /// The RTCP port.
    pub port: u16,
    /// The optional connection address, as written.
    pub address: Option<String>,
}

/// `a=fingerprint:<hash> <value>` (RFC 8122 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Hash function, e.g. `sha-256`.
    pub hash: String,
    /// Colon-separated hex.
    pub value: String,
}

/// `a=setup` (RFC 4145 §4, RFC 5763 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// `active`: this side starts DTLS.
    Active,
    /// `passive`: this side waits.
    Passive,
    /// `actpass`: the offerer lets the answerer choose.
    ActPass,
    /// `holdconn`.
    HoldConn,
}

const DIRECTIONS: [&str; 4] = ["sendrecv", "sendonly", "recvonly", "inactive"];

impl Sdp {
    /// The session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        self.session
            .iter()
            .filter_map(super::Line::as_attr)
            .find_map(|(n, _)| Direction::from_name(n))
    }

    /// Session-level `a=ice-ufrag`.
    pub fn ice_ufrag(&self) -> Option<&str> {
        self.attr("ice-ufrag").flatten()
    }

    /// Session-level `a=fingerprint`.
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        self.attr("fingerprint")
            .flatten()
            .and_then(parse_fingerprint)
    }

    /// Whether the offerer is ICE-lite (RFC 8839 §5.3).
    pub fn is_ice_lite(&self) -> bool {
        self.attr("ice-lite").is_some()
    }
}

impl Media {
    /// Every `a=rtpmap` that parses, in order.
    pub fn rtpmaps(&self) -> impl Iterator<Item = Rtpmap> + '_ {
        self.attr_values("rtpmap").filter_map(Rtpmap::parse)
    }

    /// The `a=rtpmap` of payload type `pt`.
    pub fn rtpmap(&self, pt: u8) -> Option<Rtpmap> {
        self.rtpmaps().find(|r| r.pt == pt)
    }

    /// The `a=fmtp` parameters of payload type `pt` (RFC 8866 §6.15).
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.attr_values("fmtp").find_map(|v| {
            let (p, params) = v.split_once(' ')?;
            (p.trim().parse::<u8>().ok()? == pt).then_some(params.trim())
        })
    }

    /// `a=ptime` in milliseconds.
    pub fn ptime(&self) -> Option<u32> {
        self.attr("ptime").flatten()?.trim().parse().ok()
    }

    /// `a=maxptime` in milliseconds.
    pub fn maxptime(&self) -> Option<u32> {
        self.attr("maxptime").flatten()?.trim().parse().ok()
    }

    /// The media-level direction attribute only.
    pub fn direction_attr(&self) -> Option<Direction> {
        self.lines
            .iter()
            .filter_map(super::Line::as_attr)
            .find_map(|(n, _)| Direction::from_name(n))
    }

    /// The effective direction: media level, then session level, then sendrecv.
    pub fn direction(&self, sdp: &Sdp) -> Direction {
        self.direction_attr()
            .or_else(|| sdp.direction())
            .unwrap_or_default()
    }

    /// Replaces any direction attribute with `dir`.
    pub fn set_direction(&mut self, dir: Direction) {
        self.lines.retain(|l| {
            l.as_attr()
                .is_none_or(|(n, _)| !DIRECTIONS.iter().any(|d| d.eq_ignore_ascii_case(n)))
        });
        self.push_attr(dir.as_str(), None);
    }

    /// Hold: `sendonly`/`inactive`, or a `c=0.0.0.0` connection (RFC 3264 §8.4).
    /// With ICE, `c=0.0.0.0` is only the placeholder of RFC 8839 §4.2.1.1 (the
    /// real addresses are in the candidates), so it is not hold there.
    pub fn is_hold(&self, sdp: &Sdp) -> bool {
        let uses_ice = self.ice_ufrag().is_some() || sdp.ice_ufrag().is_some();
        matches!(
            self.direction(sdp),
            Direction::SendOnly | Direction::Inactive
        ) || (!uses_ice && self.effective_connection(sdp).is_some_and(|c| c.is_hold()))
    }

    /// `a=rtcp` (RFC 3605).
    pub fn rtcp(&self) -> Option<Rtcp> {
        let v = self.attr("rtcp").flatten()?.trim();
        let (port, addr) = match v.split_once(' ') {
            Some((p, a)) => (p, Some(a.trim().to_owned())),
            None => (v, None),
        };
        Some(Rtcp {
            port: port.parse().ok()?,
            address: addr,
        })
    }

    /// `a=rtcp-mux` present (RFC 5761).
    pub fn rtcp_mux(&self) -> bool {
        self.attr("rtcp-mux").is_some()
    }

    /// `a=mid` (RFC 5888).
    pub fn mid(&self) -> Option<&str> {
        self.attr("mid").flatten().map(str::trim)
    }

    /// `a=ice-ufrag` at media level.
    pub fn ice_ufrag(&self) -> Option<&str> {
        self.attr("ice-ufrag").flatten()
    }

    /// `a=ice-pwd` at media level.
    pub fn ice_pwd(&self) -> Option<&str> {
        self.attr("ice-pwd").flatten()
    }

    /// `a=ice-options` tokens (e.g. `trickle`).
    pub fn ice_options(&self) -> Vec<&str> {
        self.attr("ice-options")
            .flatten()
            .map(|v| v.split_ascii_whitespace().collect())
            .unwrap_or_default()
    }

    /// `a=fingerprint` at media level.
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        self.attr("fingerprint")
            .flatten()
            .and_then(parse_fingerprint)
    }

    /// `a=setup`.
    pub fn setup(&self) -> Option<Setup> {
        Some(
            match self
                .attr("setup")
                .flatten()?
                .trim()
                .to_ascii_lowercase()
                .as_str()
            {
                "active" => Setup::Active,
                "passive" => Setup::Passive,
                "actpass" => Setup::ActPass,
                "holdconn" => Setup::HoldConn,
                _ => return None,
            },
        )
    }

    /// `a=candidate` values, verbatim (RFC 8839 §5.1).
    pub fn candidates(&self) -> impl Iterator<Item = &str> {
        self.attr_values("candidate")
    }

    /// `a=ssrc` values, verbatim (RFC 5576).
    pub fn ssrcs(&self) -> impl Iterator<Item = &str> {
        self.attr_values("ssrc")
    }

    /// `a=extmap` values, verbatim (RFC 8285).
    pub fn extmaps(&self) -> impl Iterator<Item = &str> {
        self.attr_values("extmap")
    }

    /// `a=rtcp-fb` values, verbatim (RFC 4585).
    pub fn rtcp_fbs(&self) -> impl Iterator<Item = &str> {
        self.attr_values("rtcp-fb")
    }
}

fn parse_fingerprint(v: &str) -> Option<Fingerprint> {
    let (hash, value) = v.trim().split_once(' ')?;
    Some(Fingerprint {
        hash: hash.to_owned(),
        value: value.trim().to_owned(),
    })
}
