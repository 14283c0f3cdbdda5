//! SDP translation between the two legs of a call.
//!
//! The SBC terminates media on each leg, so what one side receives is built
//! from the parsed model of what the other side sent, never by editing lines
//! we do not understand:
//!
//! * toward a SIP (RTP/AVP) leg, [`rtp_offer`] turns any offer (a PBX's
//!   RTP/AVP or a browser's UDP/TLS/RTP/SAVPF) into a plain audio offer on the
//!   realm's advertised address and the call's allocated port pair, with only
//!   the allowed codecs in the allowed order and none of the browser-only
//!   attributes (ICE, DTLS, extmap, rtcp-fb, ssrc, msid, BUNDLE);
//! * [`accept_answer`] reads the SIP answer back into a [`MediaPlan`] (remote
//!   addresses and the per-leg formats the relay maps between), and
//!   [`rtp_answer`] writes the answer for an RTP/AVP offerer;
//! * toward a browser, str0m writes the SDP (see `webrtc`); this module gives
//!   it the codec list ([`MediaPlan::offerer`] formats, or
//!   [`PendingOffer::from_offer`] for a SIP offer) and writes the SIP answer
//!   from what the browser chose ([`rtp_answer`]).
//!
//! Audio only: any other m-line (video, data) is not offered to the SIP side
//! and is answered with port 0, keeping its `a=mid` so BUNDLE stays
//! consistent (RFC 8843 §7.3.3). Relaying video is left for later.

mod answer;
mod origin;

pub use answer::{MediaPlan, RemoteMedia, accept_answer, rtp_answer};
pub use origin::Origin;

use std::net::{IpAddr, SocketAddr};

use crate::codec::{self, Codec, Negotiated, NoCommonCodec};
use crate::sdp::{Connection, Direction, Line, Media, MediaLine, Sdp};

/// Why an SDP could not be translated. The glue answers `488`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// No active audio m-line.
    #[error("no audio stream in SDP")]
    NoAudio,
    /// The codec lists do not intersect.
    #[error(transparent)]
    NoCommonCodec(#[from] NoCommonCodec),
    /// The answer's m-lines do not match the offer (RFC 3264 §6).
    #[error("SDP answer does not match the offer: {0}")]
    AnswerMismatch(&'static str),
}

/// The SBC's side of one leg: the realm's advertised address and the RTP
/// port allocated for the call (RTCP on `rtp_port + 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalMedia {
    /// Advertised IP of the realm.
    pub ip: IpAddr,
    /// Even RTP port from the realm's pool.
    pub rtp_port: u16,
}

/// What an offer left behind for its answer: the offer's m-line layout (the
/// answer must mirror it, RFC 3264 §6) and the offerer's side of the media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOffer {
    /// Each offered m-line: kind, proto and mid (for port-0 answers).
    pub mlines: Vec<OfferedLine>,
    /// Index of the audio m-line we carry.
    pub audio: usize,
    /// The offerer's formats we offered on, with the offerer's PTs.
    pub offerer: Negotiated,
    /// What we offer on the other leg: the same, except that a
    /// telephone-event at a clock the allowed list lacks is offered at the
    /// allowed clock (same PT), e.g. a browser's /48000 as /8000 to a PBX.
    pub offered: Negotiated,
    /// The offerer's RTP destination and direction.
    pub remote: RemoteMedia,
    /// The offerer's `a=ptime`, echoed in the answer.
    pub ptime: Option<u32>,
    /// The offerer's `a=fmtp` parameters by payload type, echoed in the answer.
    pub fmtps: Vec<(u8, String)>,
}

/// One m-line of an offer, enough to reject it in the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedLine {
    /// The parsed line.
    pub mline: MediaLine,
    /// Its `a=mid`, if any.
    pub mid: Option<String>,
}

/// An offer for the other leg and what its answer will need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpOffer {
    /// The RTP/AVP offer to send.
    pub sdp: Sdp,
    /// Keep until the answer arrives.
    pub pending: PendingOffer,
}

/// Finds the first audio m-line with a non-zero port.
pub fn active_audio(sdp: &Sdp) -> Result<(usize, &Media), TranslateError> {
    sdp.media
        .iter()
        .enumerate()
        .find(|(_, m)| m.mline.media.eq_ignore_ascii_case("audio") && m.mline.port != 0)
        .ok_or(TranslateError::NoAudio)
}

/// The offerer's RTP and RTCP destinations and effective direction. Without
/// ICE these come from `c=`/`m=`/`a=rtcp`; with ICE the address is learnt from
/// connectivity checks, so `rtp` is `None`. `c=0.0.0.0` hold maps to a
/// direction (RFC 3264 §8.4): sendrecv becomes sendonly, recvonly inactive.
pub fn remote_media(sdp: &Sdp, media: &Media) -> RemoteMedia {
    let uses_ice = media.ice_ufrag().is_some() || sdp.ice_ufrag().is_some();
    let conn = media.effective_connection(sdp);
    let mut direction = media.direction(sdp);
    let ip = conn.as_ref().and_then(Connection::ip);
    let held_by_address = !uses_ice && ip.is_some_and(|ip| ip.is_unspecified());
    if held_by_address {
        direction = match direction {
            Direction::SendRecv | Direction::SendOnly => Direction::SendOnly,
            Direction::RecvOnly | Direction::Inactive => Direction::Inactive,
        };
    }
    let usable = ip.filter(|ip| !ip.is_unspecified() && !uses_ice);
    let rtp = usable.map(|ip| SocketAddr::new(ip, media.mline.port));
    let rtcp = usable.map(|ip| {
        let port = if media.rtcp_mux() {
            media.mline.port
        } else {
            media
                .rtcp()
                .map_or(media.mline.port.wrapping_add(1), |r| r.port)
        };
        let ip = media
            .rtcp()
            .and_then(|r| r.address)
            .and_then(|a| Connection::parse(&a))
            .and_then(|c| c.ip())
            .unwrap_or(ip);
        SocketAddr::new(ip, port)
    });
    RemoteMedia {
        rtp,
        rtcp,
        direction,
        hold: held_by_address || matches!(direction, Direction::SendOnly | Direction::Inactive),
    }
}

/// Translates an offer into an RTP/AVP audio offer for the other leg.
/// `allowed` is the codec list in the outgoing profile's order (for a
/// WebRTC→SIP call, [`codec::common`] of the SIP and WebRTC profiles).
pub fn rtp_offer(
    offer: &Sdp,
    allowed: &[Codec],
    local: LocalMedia,
    origin: &mut Origin,
) -> Result<RtpOffer, TranslateError> {
    let pending = PendingOffer::from_offer(offer, allowed)?;
    let audio = offer
        .media
        .get(pending.audio)
        .ok_or(TranslateError::NoAudio)?;
    let mut sdp = build_audio_sdp(
        local,
        &pending.offered,
        |pt| audio.fmtp(pt).map(str::to_owned),
        pending.ptime,
        audio.maxptime(),
        pending.remote.direction,
    );
    origin.stamp(&mut sdp, local.ip);
    Ok(RtpOffer { sdp, pending })
}

impl PendingOffer {
    /// Reads an offer: its layout, the offerer's side of the audio stream and
    /// the offered formats allowed by `allowed` (in `allowed`'s order).
    pub fn from_offer(offer: &Sdp, allowed: &[Codec]) -> Result<Self, TranslateError> {
        let (audio_idx, audio) = active_audio(offer)?;
        let offerer = codec::negotiate(audio, allowed)?;
        let allowed_dtmf = allowed.iter().copied().find(|c| c.is_dtmf());
        let offered = Negotiated {
            formats: offerer
                .formats
                .iter()
                .map(|f| match allowed_dtmf {
                    Some(d) if f.codec.is_dtmf() && !allowed.contains(&f.codec) => {
                        codec::Format { pt: f.pt, codec: d }
                    }
                    _ => *f,
                })
                .collect(),
        };
        let mlines = offer
            .media
            .iter()
            .map(|m| OfferedLine {
                mline: m.mline.clone(),
                mid: m.mid().map(str::to_owned),
            })
            .collect();
        Ok(Self {
            mlines,
            audio: audio_idx,
            offerer,
            offered,
            remote: remote_media(offer, audio),
            ptime: audio.ptime(),
            fmtps: audio
                .attr_values("fmtp")
                .filter_map(|v| {
                    let (pt, params) = v.split_once(' ')?;
                    Some((pt.trim().parse().ok()?, params.trim().to_owned()))
                })
                .collect(),
        })
    }
}

/// Writes a single-audio-stream RTP/AVP description.
/// The caller stamps the `o=` line with its leg's [`Origin`].
pub(crate) fn build_audio_sdp(
    local: LocalMedia,
    formats: &Negotiated,
    fmtp: impl Fn(u8) -> Option<String>,
    ptime: Option<u32>,
    maxptime: Option<u32>,
    direction: Direction,
) -> Sdp {
    let conn = Connection::from_ip(local.ip);
    let session = vec![
        Line::new('v', "0"),
        Line::new('o', ""),
        Line::new('s', "-"),
        Line::new('c', conn.to_string()),
        Line::new('t', "0 0"),
    ];
    let mut media = Media {
        mline: MediaLine {
            media: "audio".to_owned(),
            port: local.rtp_port,
            port_count: None,
            proto: "RTP/AVP".to_owned(),
            fmts: formats.formats.iter().map(|f| f.pt.to_string()).collect(),
        },
        lines: Vec::new(),
    };
    for f in &formats.formats {
        media.push_attr("rtpmap", Some(&f.codec.rtpmap(f.pt).to_value()));
        let params = fmtp(f.pt).or_else(|| f.codec.default_fmtp().map(str::to_owned));
        if let Some(p) = params {
            media.push_attr("fmtp", Some(&format!("{} {p}", f.pt)));
        }
    }
    if let Some(p) = ptime {
        media.push_attr("ptime", Some(&p.to_string()));
    }
    if let Some(p) = maxptime {
        media.push_attr("maxptime", Some(&p.to_string()));
    }
    // RFC 3605: state the RTCP port explicitly; it is always RTP + 1 here.
    media.push_attr("rtcp", Some(&local.rtp_port.wrapping_add(1).to_string()));
    media.push_attr(direction.as_str(), None);
    Sdp {
        session,
        media: vec![media],
    }
}

#[cfg(test)]
mod tests;
