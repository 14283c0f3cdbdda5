//! Reading an answer back, and writing the answer for an RTP/AVP offerer.

use std::net::SocketAddr;

use super::{
    LocalMedia, Origin, PendingOffer, TranslateError, active_audio, build_audio_sdp, remote_media,
};
use crate::codec::{self, Format, Negotiated, NoCommonCodec, PtMap};
use crate::sdp::{Direction, Line, Media, MediaLine, Sdp};

/// One side's media destination as its SDP states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteMedia {
    /// RTP destination; `None` with ICE (learnt from checks) or on
    /// `c=0.0.0.0` hold. Symmetric-RTP latching may replace it.
    pub rtp: Option<SocketAddr>,
    /// RTCP destination (`a=rtcp`, RTP + 1, or RTP with rtcp-mux).
    pub rtcp: Option<SocketAddr>,
    /// Effective direction from that side's point of view.
    pub direction: Direction,
    /// The side put the stream on hold (direction or `c=0.0.0.0`).
    pub hold: bool,
}

/// The outcome of an offer/answer: formats on each leg and where to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPlan {
    /// Formats on the offerer's leg (offerer PTs), in the answer's order.
    pub offerer: Negotiated,
    /// Formats on the answerer's leg (answerer PTs), in the answer's order.
    pub answerer: Negotiated,
    /// The offerer's destination.
    pub offerer_remote: RemoteMedia,
    /// The answerer's destination.
    pub answerer_remote: RemoteMedia,
}

impl MediaPlan {
    /// PT map for packets from the offerer to the answerer.
    pub fn offerer_to_answerer(&self) -> PtMap {
        PtMap::between(&self.offerer, &self.answerer)
    }

    /// PT map for packets from the answerer to the offerer.
    pub fn answerer_to_offerer(&self) -> PtMap {
        PtMap::between(&self.answerer, &self.offerer)
    }
}

/// Reads the answer to an offer made with [`super::rtp_offer`]. The answer
/// may only use codecs we offered (RFC 3264 §6.1); its order wins.
pub fn accept_answer(answer: &Sdp, pending: &PendingOffer) -> Result<MediaPlan, TranslateError> {
    let (_, audio) = active_audio(answer)?;
    let (known, names) = codec::offered(audio);
    let answerer: Vec<Format> = known
        .into_iter()
        .filter(|f| pending.offered.formats.iter().any(|o| o.codec == f.codec))
        .collect();
    if !answerer.iter().any(|f| !f.codec.is_dtmf()) {
        return Err(NoCommonCodec {
            offered: names.join(", "),
            allowed: pending
                .offerer
                .audio()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into());
    }
    // Same codec on both legs; telephone-event may differ in clock only.
    let offerer = answerer
        .iter()
        .filter_map(|a| {
            let offered = &pending.offerer.formats;
            let same = offered.iter().find(|o| o.codec == a.codec);
            let dtmf = || {
                offered
                    .iter()
                    .find(|o| a.codec.is_dtmf() && o.codec.is_dtmf())
            };
            same.or_else(dtmf).copied()
        })
        .collect();
    Ok(MediaPlan {
        offerer: Negotiated { formats: offerer },
        answerer: Negotiated { formats: answerer },
        offerer_remote: pending.remote,
        answerer_remote: remote_media(answer, audio),
    })
}

/// Writes the answer for an RTP/AVP offerer: the offer's m-lines mirrored,
/// the audio one on `local` with `formats` (offerer PTs) and `direction`, the
/// others rejected with port 0 (RFC 3264 §6).
pub fn rtp_answer(
    pending: &PendingOffer,
    formats: &Negotiated,
    direction: Direction,
    local: LocalMedia,
    origin: &mut Origin,
) -> Result<Sdp, TranslateError> {
    if formats.primary().is_none() {
        return Err(TranslateError::AnswerMismatch(
            "no audio format to answer with",
        ));
    }
    let fmtp = |pt: u8| {
        pending
            .fmtps
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, v)| v.clone())
    };
    let mut audio = build_audio_sdp(local, formats, fmtp, pending.ptime, None, direction);
    let mut section = audio.media.pop().ok_or(TranslateError::NoAudio)?;
    let mut media = Vec::with_capacity(pending.mlines.len());
    for (i, offered) in pending.mlines.iter().enumerate() {
        let mid = offered.mid.as_deref();
        if i == pending.audio {
            section.mline.proto.clone_from(&offered.mline.proto);
            if let Some(mid) = mid {
                section.lines.insert(0, Line::attr("mid", Some(mid)));
            }
            media.push(std::mem::replace(
                &mut section,
                rejected(&offered.mline, None),
            ));
        } else {
            media.push(rejected(&offered.mline, mid));
        }
    }
    audio.media = media;
    origin.stamp(&mut audio, local.ip);
    Ok(audio)
}

fn rejected(offered: &MediaLine, mid: Option<&str>) -> Media {
    let mut m = Media {
        mline: MediaLine {
            media: offered.media.clone(),
            port: 0,
            port_count: None,
            proto: offered.proto.clone(),
            fmts: offered.fmts.iter().take(1).cloned().collect(),
        },
        lines: Vec::new(),
    };
    if let Some(mid) = mid {
        m.push_attr("mid", Some(mid));
    }
    m
}
