//! From the plan's profiles to what a call's legs may carry.

use std::time::Duration;

use sbcctl_compiler::plan::{self, DtmfMode, MediaKind, Profile, ProfileId};
use sbcctl_media::codec::Codec;
use sbcctl_media::session::{LegKind, LegSpec};

/// The built-in profile (`profile: None`): every codec sbcctl knows, both
/// telephone-event clocks, either transport.
const ANY: [Codec; 6] = [
    Codec::Opus,
    Codec::Pcmu,
    Codec::Pcma,
    Codec::G722,
    Codec::TelephoneEvent(8000),
    Codec::TelephoneEvent(48000),
];

/// The leg spec for a profile. The plan's `telephone-event` has no clock: a
/// WebRTC leg allows 48000 (what browsers pair with Opus) and 8000, a plain
/// RTP leg 8000 (what PBXs use); the relay rescales between them. Without
/// RFC 4733 DTMF the events are not negotiated at all.
pub fn leg_spec(profiles: &[Profile], profile: Option<ProfileId>) -> LegSpec {
    let Some(p) = profile.and_then(|id| profiles.get(id.index())) else {
        return LegSpec {
            kind: LegKind::Auto,
            codecs: ANY.to_vec(),
        };
    };
    LegSpec {
        kind: match p.media {
            MediaKind::Webrtc => LegKind::WebRtc,
            MediaKind::Rtp => LegKind::Rtp,
        },
        codecs: codecs(p),
    }
}

/// A profile's codec list, or empty for the built-in one.
pub fn echo_codecs(profiles: &[Profile], profile: Option<ProfileId>) -> Vec<Codec> {
    profile
        .and_then(|id| profiles.get(id.index()))
        .map(codecs)
        .unwrap_or_default()
}

fn codecs(p: &Profile) -> Vec<Codec> {
    let mut out = Vec::with_capacity(p.codecs.len() + 1);
    for c in &p.codecs {
        match c {
            plan::Codec::Opus => out.push(Codec::Opus),
            plan::Codec::Pcmu => out.push(Codec::Pcmu),
            plan::Codec::Pcma => out.push(Codec::Pcma),
            plan::Codec::G722 => out.push(Codec::G722),
            plan::Codec::TelephoneEvent if p.dtmf != DtmfMode::Rfc4733 => {}
            plan::Codec::TelephoneEvent => match p.media {
                MediaKind::Webrtc => {
                    out.push(Codec::TelephoneEvent(48000));
                    out.push(Codec::TelephoneEvent(8000));
                }
                MediaKind::Rtp => out.push(Codec::TelephoneEvent(8000)),
            },
        }
    }
    out
}

/// The inactivity timeout of a call: the shortest non-zero one of its
/// profiles (0 turns it off).
pub fn timeout(profiles: &[Profile], used: &[Option<ProfileId>]) -> Option<Duration> {
    used.iter()
        .filter_map(|p| p.and_then(|id| profiles.get(id.index())))
        .map(|p| p.media_timeout_secs)
        .filter(|s| *s > 0)
        .min()
        .map(Duration::from_secs)
}
