//! The codecs a plan knows, matching an offer against a profile, and the
//! payload-type map between two legs.
//!
//! sbcctl relays without transcoding, so both legs of a call must share an
//! audio codec; payload type numbers are per leg (dynamic PTs differ between
//! browsers and PBXs, RFC 3551 §3), hence the [`PtMap`].

use std::fmt;

use crate::sdp::{Media, Rtpmap};

/// A codec from the plan's profile vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// Opus, `opus/48000/2` (RFC 7587 §7).
    Opus,
    /// G.711 µ-law, static PT 0.
    Pcmu,
    /// G.711 A-law, static PT 8.
    Pcma,
    /// G.722, static PT 9, RTP clock 8000 despite 16 kHz sampling (RFC 3551 §4.5.2).
    G722,
    /// RFC 4733 telephone events at the given clock rate (8000 or 48000).
    TelephoneEvent(u32),
}

impl Codec {
    /// Encoding name as printed in `a=rtpmap`.
    pub fn encoding(self) -> &'static str {
        match self {
            Self::Opus => "opus",
            Self::Pcmu => "PCMU",
            Self::Pcma => "PCMA",
            Self::G722 => "G722",
            Self::TelephoneEvent(_) => "telephone-event",
        }
    }

    /// RTP clock rate.
    pub fn clock(self) -> u32 {
        match self {
            Self::Opus => 48000,
            Self::Pcmu | Self::Pcma | Self::G722 => 8000,
            Self::TelephoneEvent(c) => c,
        }
    }

    /// Channel count printed in `a=rtpmap` (only Opus requires it).
    pub fn channels(self) -> Option<u8> {
        matches!(self, Self::Opus).then_some(2)
    }

    /// The static payload type (RFC 3551 §6 table 4), if any.
    pub fn static_pt(self) -> Option<u8> {
        match self {
            Self::Pcmu => Some(0),
            Self::Pcma => Some(8),
            Self::G722 => Some(9),
            _ => None,
        }
    }

    /// The payload type sbcctl uses when it writes an offer.
    pub fn default_pt(self) -> u8 {
        match self {
            Self::Opus => 111,
            Self::TelephoneEvent(48000) => 110,
            Self::TelephoneEvent(_) => 101,
            c => c.static_pt().unwrap_or(0),
        }
    }

    /// `a=fmtp` parameters sbcctl writes in an offer.
    pub fn default_fmtp(self) -> Option<&'static str> {
        match self {
            Self::Opus => Some("minptime=10;useinbandfec=1"),
            Self::TelephoneEvent(_) => Some("0-16"),
            _ => None,
        }
    }

    /// True for RFC 4733 events (never the call's audio codec).
    pub fn is_dtmf(self) -> bool {
        matches!(self, Self::TelephoneEvent(_))
    }

    /// Recognises an `a=rtpmap` (encoding names are case-insensitive, RFC 4855 §3).
    pub fn from_rtpmap(r: &Rtpmap) -> Option<Self> {
        let e = r.encoding.as_str();
        let c = if e.eq_ignore_ascii_case("opus") && r.clock == 48000 {
            Self::Opus
        } else if e.eq_ignore_ascii_case("PCMU") && r.clock == 8000 {
            Self::Pcmu
        } else if e.eq_ignore_ascii_case("PCMA") && r.clock == 8000 {
            Self::Pcma
        } else if e.eq_ignore_ascii_case("G722") && r.clock == 8000 {
            Self::G722
        } else if e.eq_ignore_ascii_case("telephone-event") {
            Self::TelephoneEvent(r.clock)
        } else {
            return None;
        };
        Some(c)
    }

    /// Recognises a static payload type used without `a=rtpmap`.
    pub fn from_static_pt(pt: u8) -> Option<Self> {
        [Self::Pcmu, Self::Pcma, Self::G722]
            .into_iter()
            .find(|c| c.static_pt() == Some(pt))
    }

    /// The `a=rtpmap` for this codec at `pt`.
    pub fn rtpmap(self, pt: u8) -> Rtpmap {
        Rtpmap {
            pt,
            encoding: self.encoding().to_owned(),
            clock: self.clock(),
            channels: self.channels(),
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.encoding(), self.clock())?;
        if let Some(ch) = self.channels() {
            write!(f, "/{ch}")?;
        }
        Ok(())
    }
}

/// A codec at a payload type on one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    /// Payload type on that leg.
    pub pt: u8,
    /// The codec.
    pub codec: Codec,
}

/// What an `m=` line offers: known formats, and a printable name for each
/// payload type (known or not) for error messages.
pub fn offered(media: &Media) -> (Vec<Format>, Vec<String>) {
    let mut known = Vec::new();
    let mut names = Vec::new();
    for pt in media.mline.payload_types() {
        let map = media.rtpmap(pt);
        let codec = match &map {
            Some(r) => Codec::from_rtpmap(r),
            None => Codec::from_static_pt(pt),
        };
        match (codec, map) {
            (Some(c), _) => {
                known.push(Format { pt, codec: c });
                names.push(c.to_string());
            }
            (None, Some(r)) => names.push(format!("{}/{}", r.encoding, r.clock)),
            (None, None) => names.push(format!("PT {pt}")),
        }
    }
    (known, names)
}

/// No audio codec in common: the glue answers `488 Not Acceptable Here`
/// (RFC 3261 §21.4.26) with this text as reason phrase and `Warning: 305`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no common codec: offered [{offered}], allowed [{allowed}]")]
pub struct NoCommonCodec {
    /// The offer's codecs, comma separated.
    pub offered: String,
    /// The profile's codecs, comma separated.
    pub allowed: String,
}

/// The result of negotiating one leg: formats in the profile's order, audio
/// codecs first, telephone-event entries after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Accepted formats with the offerer's payload types.
    pub formats: Vec<Format>,
}

impl Negotiated {
    /// The preferred audio format (the first in profile order).
    pub fn primary(&self) -> Option<Format> {
        self.formats.iter().copied().find(|f| !f.codec.is_dtmf())
    }

    /// The payload type of `codec` on this leg.
    pub fn pt_of(&self, codec: Codec) -> Option<u8> {
        self.formats.iter().find(|f| f.codec == codec).map(|f| f.pt)
    }

    /// The codec at `pt` on this leg.
    pub fn codec_of(&self, pt: u8) -> Option<Codec> {
        self.formats.iter().find(|f| f.pt == pt).map(|f| f.codec)
    }

    /// The audio codecs, in order.
    pub fn audio(&self) -> impl Iterator<Item = Codec> + '_ {
        self.formats
            .iter()
            .map(|f| f.codec)
            .filter(|c| !c.is_dtmf())
    }
}

/// Matches the formats offered in `media` against `profile` (ordered by
/// preference). At least one non-DTMF codec must match.
pub fn negotiate(media: &Media, profile: &[Codec]) -> Result<Negotiated, NoCommonCodec> {
    let (known, names) = offered(media);
    negotiate_formats(&known, &names, profile)
}

/// [`negotiate`] on an already extracted format list.
pub fn negotiate_formats(
    known: &[Format],
    offered_names: &[String],
    profile: &[Codec],
) -> Result<Negotiated, NoCommonCodec> {
    let mut formats: Vec<Format> = profile
        .iter()
        .filter(|c| !c.is_dtmf())
        .filter_map(|c| known.iter().find(|f| f.codec == *c).copied())
        .collect();
    if formats.is_empty() {
        return Err(NoCommonCodec {
            offered: offered_names.join(", "),
            allowed: join(profile),
        });
    }
    let before = formats.len();
    formats.extend(
        profile
            .iter()
            .filter(|c| c.is_dtmf())
            .filter_map(|c| known.iter().find(|f| f.codec == *c).copied()),
    );
    // DTMF is one capability whatever its clock: when the profile allows
    // telephone-event but not at the offered clock, accept the offered one;
    // the relay rescales between 48000 and 8000 (RFC 4733 §2.1).
    if formats.len() == before && profile.iter().any(|c| c.is_dtmf()) {
        formats.extend(known.iter().find(|f| f.codec.is_dtmf()).copied());
    }
    Ok(Negotiated { formats })
}

/// The codecs allowed by both profiles, in `first`'s order. Telephone-event
/// counts as allowed when `second` allows it at any clock (it is rescaled).
pub fn common(first: &[Codec], second: &[Codec]) -> Vec<Codec> {
    let second_dtmf = second.iter().any(|c| c.is_dtmf());
    first
        .iter()
        .copied()
        .filter(|c| second.contains(c) || (c.is_dtmf() && second_dtmf))
        .collect()
}

fn join(list: &[Codec]) -> String {
    list.iter()
        .map(Codec::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a packet of one payload type goes on the other leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtRoute {
    /// Payload type on the outgoing leg.
    pub out_pt: u8,
    /// RTP clock of the incoming format.
    pub in_clock: u32,
    /// RTP clock of the outgoing format (differs only for telephone-event).
    pub out_clock: u32,
    /// RFC 4733 event payload (its `duration` field is rescaled with the clock).
    pub dtmf: bool,
}

/// Payload-type map for one direction, indexed by the incoming PT (O(1),
/// allocation-free lookups on the relay path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtMap {
    routes: [Option<PtRoute>; 128],
}

impl PtMap {
    /// Map from leg `from` to leg `to`: same codec on both sides; a
    /// telephone-event prefers the same clock and otherwise maps to the
    /// other clock, which the relay rescales (8000 ↔ 48000).
    pub fn between(from: &Negotiated, to: &Negotiated) -> Self {
        let mut routes = [None; 128];
        for f in &from.formats {
            let target = to.formats.iter().find(|t| t.codec == f.codec).or_else(|| {
                f.codec
                    .is_dtmf()
                    .then(|| to.formats.iter().find(|t| t.codec.is_dtmf()))
                    .flatten()
            });
            if let (Some(t), Some(slot)) = (target, routes.get_mut(usize::from(f.pt))) {
                *slot = Some(PtRoute {
                    out_pt: t.pt,
                    in_clock: f.codec.clock(),
                    out_clock: t.codec.clock(),
                    dtmf: f.codec.is_dtmf(),
                });
            }
        }
        Self { routes }
    }

    /// The route for incoming payload type `pt`.
    #[inline]
    pub fn get(&self, pt: u8) -> Option<PtRoute> {
        self.routes.get(usize::from(pt)).copied().flatten()
    }
}

#[cfg(test)]
mod tests;
