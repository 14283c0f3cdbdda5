//! Offer/answer per call (RFC 3264), across two legs.
//!
//! A body is classified by where it comes from and what is pending:
//!
//! * a request body is an offer, and its answer is the next response body
//!   from the other leg;
//! * a response body with no offer pending from the other leg is a late
//!   offer (INVITE without SDP), answered by the other leg's ACK body;
//! * a response body from the leg that answered last, with no new offer
//!   since, repeats that answer (183 then 200): it is applied again and the
//!   rewritten answer returned again (unchanged bytes if nothing changed).
//!
//! Ports and WebRTC legs are made once per leg, so re-offers (hold, resume,
//! codec change, ICE restart) from either side renegotiate in place. The
//! core cannot tell us whether a re-INVITE carried no body; a re-INVITE
//! without SDP whose 200 carries a new offer from the leg that answered last
//! is therefore taken as a repeated answer.

use std::net::SocketAddr;
use std::time::Instant;

use super::endpoint::{Endpoint, RtpEnd, WebRtcEnd};
use super::{CallMedia, Leg, LegKind, Reject, Resources};
use crate::codec::{self, Codec, Negotiated};
use crate::relay::{Echo, RtcpReporter};
use crate::sdp::Sdp;
use crate::translate::{
    self, MediaPlan, PendingOffer, TranslateError, accept_answer, rtp_answer, rtp_offer,
};

/// The port written in the echo's SDP: it has no socket of its own (9 is
/// the discard port, the customary placeholder).
const ECHO_PORT: u16 = 9;

/// Where the call is in offer/answer.
pub(super) enum Exchange {
    /// No offer yet.
    Idle,
    /// An offer from `from` was sent on to the other leg.
    Offered(Round),
    /// The last offer from `from` was answered.
    Answered(Round),
}

pub(super) struct Round {
    from: Leg,
    /// The offer came in a response (late offer): the answer is in the ACK.
    in_response: bool,
    pending: PendingOffer,
    /// A WebRTC offerer's SDP, kept for str0m to answer.
    offer: Option<String>,
    /// What we answered the offerer with (for repeated answers).
    answer: Option<String>,
}

enum Role {
    Offer,
    Answer,
    Reanswer,
}

fn translate_reject(e: TranslateError) -> Reject {
    Reject::new(488, e.to_string())
}

/// A WebRTC description: DTLS-SRTP on its audio stream (RFC 8827).
fn is_webrtc(sdp: &Sdp) -> bool {
    sdp.audio()
        .is_some_and(|(_, m)| m.mline.proto.to_ascii_uppercase().contains("TLS"))
}

impl CallMedia {
    /// An SDP body from leg `from` (a request body when `!is_response`; an
    /// ACK body counts as a request). Returns the body for the other leg.
    pub fn on_sdp(
        &mut self,
        now: Instant,
        from: Leg,
        is_response: bool,
        body: &[u8],
        res: &mut dyn Resources,
    ) -> Result<String, Reject> {
        if self.closed {
            return Err(Reject::new(481, "media session closed"));
        }
        let sdp = Sdp::parse_bytes(body).map_err(|e| Reject::new(400, e.to_string()))?;
        let text = String::from_utf8_lossy(body);
        let role = match &self.exchange {
            Exchange::Offered(r) if r.from != from && r.in_response != is_response => Role::Answer,
            Exchange::Answered(r) if r.from != from && is_response && !r.in_response => {
                Role::Reanswer
            }
            _ => Role::Offer,
        };
        match role {
            Role::Offer => self.offer(now, from, is_response, &sdp, &text, res),
            Role::Answer => self.answer(now, from, &sdp, &text),
            Role::Reanswer => self.reanswer(now, &sdp),
        }
    }

    /// The built-in echo's answer to `offer` (what [`Self::on_sdp`] sent
    /// toward leg B): the preferred audio codec plus telephone-event, the
    /// offer's direction reversed, on the realm's address.
    pub fn echo_answer(&mut self, offer: &[u8]) -> Result<String, Reject> {
        if !self.echo_mode {
            return Err(Reject::new(500, "not an echo call"));
        }
        let sdp = Sdp::parse_bytes(offer).map_err(|e| Reject::new(400, e.to_string()))?;
        let (_, audio) = translate::active_audio(&sdp).map_err(translate_reject)?;
        let allowed: Vec<Codec> = if self.echo_codecs.is_empty() {
            codec::offered(audio).0.iter().map(|f| f.codec).collect()
        } else {
            self.echo_codecs.clone()
        };
        let pending = PendingOffer::from_offer(&sdp, &allowed).map_err(translate_reject)?;
        let neg = &pending.offerer;
        let formats = Negotiated {
            formats: neg
                .primary()
                .into_iter()
                .chain(neg.formats.iter().copied().filter(|f| f.codec.is_dtmf()))
                .collect(),
        };
        let direction = pending.remote.direction.reversed();
        let Some(end) = self.leg_mut(Leg::B).endpoint.rtp_like() else {
            return Err(Reject::new(500, "no echo offer to answer"));
        };
        let local = end.local_media();
        let answer = rtp_answer(&pending, &formats, direction, local, &mut end.origin)
            .map_err(translate_reject)?;
        Ok(answer.to_string())
    }

    /// The codecs an offer from `x` may carry to the other leg, in the
    /// receiving leg's order.
    fn allowed(&self, x: Leg) -> Vec<Codec> {
        let (ours, theirs) = (&self.leg(x).codecs, &self.leg(x.other()).codecs);
        if self.echo_mode && theirs.is_empty() {
            return ours.clone();
        }
        codec::common(theirs, ours)
    }

    /// A refused offer. When the two legs' profiles share no codec the
    /// reason names the receiving leg's list rather than an empty one.
    fn offer_reject(&self, x: Leg, e: TranslateError) -> Reject {
        match e {
            TranslateError::NoCommonCodec(mut n)
                if !self.allowed(x).iter().any(|c| !c.is_dtmf()) =>
            {
                let theirs = &self.leg(x.other()).codecs;
                n.allowed = theirs
                    .iter()
                    .map(Codec::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                Reject::new(488, n.to_string())
            }
            e => translate_reject(e),
        }
    }

    /// Settles an `Auto` leg from its SDP, and checks a fixed kind matches.
    fn check_kind(&mut self, leg: Leg, sdp: &Sdp) -> Result<(), Reject> {
        let webrtc = is_webrtc(sdp);
        let state = self.leg_mut(leg);
        match (state.kind, webrtc) {
            (LegKind::Auto, true) => state.kind = LegKind::WebRtc,
            (LegKind::Auto, false) => state.kind = LegKind::Rtp,
            (LegKind::WebRtc, false) => {
                return Err(Reject::new(
                    488,
                    "WebRTC profile: DTLS-SRTP (UDP/TLS/RTP/SAVPF) required",
                ));
            }
            (LegKind::Rtp, true) => {
                return Err(Reject::new(
                    488,
                    "RTP profile: plain RTP/AVP required, got DTLS-SRTP",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn ensure_endpoint(&mut self, leg: Leg, res: &mut dyn Resources) -> Result<(), Reject> {
        if !matches!(self.leg(leg).endpoint, Endpoint::None) {
            return Ok(());
        }
        let origin_id = self.origin_ids[leg.index()];
        let endpoint = if self.echo_mode && leg == Leg::B {
            let local = SocketAddr::new(res.advertise(leg), ECHO_PORT);
            Endpoint::Echo(Box::new(RtpEnd::new(local, origin_id, self.relatch_after)))
        } else {
            match self.leg(leg).kind {
                LegKind::WebRtc => {
                    let (local, cert) = res.webrtc(leg)?;
                    Endpoint::WebRtc(Box::new(WebRtcEnd::new(local, cert)))
                }
                LegKind::Rtp | LegKind::Auto => {
                    let local = res.rtp_ports(leg)?;
                    Endpoint::Rtp(Box::new(RtpEnd::new(local, origin_id, self.relatch_after)))
                }
            }
        };
        self.leg_mut(leg).endpoint = endpoint;
        Ok(())
    }

    fn offer(
        &mut self,
        now: Instant,
        x: Leg,
        in_response: bool,
        sdp: &Sdp,
        text: &str,
        res: &mut dyn Resources,
    ) -> Result<String, Reject> {
        let y = x.other();
        if !(self.echo_mode && x == Leg::B) {
            self.check_kind(x, sdp)?;
        }
        let allowed = self.allowed(x);
        // Refuse before allocating anything.
        PendingOffer::from_offer(sdp, &allowed).map_err(|e| self.offer_reject(x, e))?;
        self.ensure_endpoint(x, res)?;
        self.ensure_endpoint(y, res)?;
        let endpoint = &mut self.legs[y.index()].endpoint;
        let (out, pending) = match endpoint {
            Endpoint::WebRtc(w) => {
                let pending = PendingOffer::from_offer(sdp, &allowed).map_err(translate_reject)?;
                (w.offer(now, &pending)?, pending)
            }
            other => {
                let end = other
                    .rtp_like()
                    .ok_or_else(|| Reject::new(500, "no endpoint"))?;
                let local = end.local_media();
                let o =
                    rtp_offer(sdp, &allowed, local, &mut end.origin).map_err(translate_reject)?;
                (o.sdp.to_string(), o.pending)
            }
        };
        self.drain_webrtc(now, y);
        let offer = self.is_webrtc(x).then(|| text.to_owned());
        self.exchange = Exchange::Offered(Round {
            from: x,
            in_response,
            pending,
            offer,
            answer: None,
        });
        Ok(out)
    }

    fn answer(&mut self, now: Instant, y: Leg, sdp: &Sdp, text: &str) -> Result<String, Reject> {
        let Exchange::Offered(round) = std::mem::replace(&mut self.exchange, Exchange::Idle) else {
            return Err(Reject::new(500, "no pending offer"));
        };
        let result = self.settle(now, y, sdp, text, &round, true);
        match result {
            Ok(out) => {
                self.exchange = Exchange::Answered(Round {
                    answer: Some(out.clone()),
                    ..round
                });
                Ok(out)
            }
            Err(e) => {
                // A refused answer leaves the offer pending, as it was.
                self.exchange = Exchange::Offered(round);
                Err(e)
            }
        }
    }

    fn reanswer(&mut self, now: Instant, sdp: &Sdp) -> Result<String, Reject> {
        let Exchange::Answered(round) = std::mem::replace(&mut self.exchange, Exchange::Idle)
        else {
            return Err(Reject::new(500, "no answered offer"));
        };
        let y = round.from.other();
        let result = self.settle(now, y, sdp, "", &round, false);
        let answer = result
            .as_ref()
            .ok()
            .cloned()
            .or_else(|| round.answer.clone());
        self.exchange = Exchange::Answered(Round { answer, ..round });
        result
    }

    /// Takes leg `y`'s answer to `round`'s offer, applies it to the data
    /// plane and writes the answer toward the offerer. `first` is false for a
    /// repeated answer, which str0m (on either side) has already taken.
    fn settle(
        &mut self,
        now: Instant,
        y: Leg,
        sdp: &Sdp,
        text: &str,
        round: &Round,
        first: bool,
    ) -> Result<String, Reject> {
        let x = round.from;
        let plan = accept_answer(sdp, &round.pending).map_err(translate_reject)?;
        if first && let Endpoint::WebRtc(w) = &mut self.leg_mut(y).endpoint {
            w.accept_answer(text)?;
        }
        let out = match &mut self.legs[x.index()].endpoint {
            Endpoint::WebRtc(w) => match (&round.answer, first, round.offer.as_deref()) {
                (Some(previous), false, _) => previous.clone(),
                (_, _, Some(offer)) => w.answer(now, offer, &plan.offerer.formats)?,
                (_, _, None) => return Err(Reject::new(500, "WebRTC offer lost")),
            },
            other => {
                let end = other
                    .rtp_like()
                    .ok_or_else(|| Reject::new(500, "no endpoint"))?;
                let local = end.local_media();
                rtp_answer(
                    &round.pending,
                    &plan.offerer,
                    plan.answerer_remote.direction,
                    local,
                    &mut end.origin,
                )
                .map_err(translate_reject)?
                .to_string()
            }
        };
        self.apply(now, x, &plan);
        self.drain_webrtc(now, x);
        self.drain_webrtc(now, y);
        self.process_rtp_work(now);
        Ok(out)
    }

    /// Points the data plane at a completed offer/answer (offerer `x`).
    fn apply(&mut self, now: Instant, x: Leg, plan: &MediaPlan) {
        let y = x.other();
        for (leg, remote) in [(x, plan.offerer_remote), (y, plan.answerer_remote)] {
            if let Endpoint::Rtp(end) = &mut self.leg_mut(leg).endpoint {
                end.signalled(remote.rtp, remote.rtcp);
            }
            self.leg_mut(leg).remote = Some(remote);
        }
        self.dirs[x.index()].set_map(plan.offerer_to_answerer());
        self.dirs[y.index()].set_map(plan.answerer_to_offerer());
        if self.echo_mode {
            let a_side = if x == Leg::A {
                &plan.offerer
            } else {
                &plan.answerer
            };
            let clock = a_side.primary().map_or(8000, |f| f.codec.clock());
            match &mut self.echo {
                Some(e) => e.set_clock(clock),
                None => self.echo = Some(Echo::new(self.ssrcs[0], clock)),
            }
        }
        // Our own RTCP toward a plain RTP leg whose peer's reports cannot
        // be relayed (a WebRTC leg or the echo).
        for leg in [Leg::A, Leg::B] {
            let other_is_rtp = matches!(self.leg(leg.other()).endpoint, Endpoint::Rtp(_));
            let (interval, cname) = (self.rtcp_interval, self.cname.clone());
            if let Endpoint::Rtp(end) = &mut self.leg_mut(leg).endpoint
                && !other_is_rtp
                && end.reporter.is_none()
            {
                end.reporter = Some(RtcpReporter::new(now, &cname, interval));
            }
        }
        self.last_activity.get_or_insert(now);
    }
}
