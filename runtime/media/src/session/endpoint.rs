//! The SBC's end of one leg: where it listens, how it writes SDP, and where
//! it sends.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::Reject;
use crate::codec::Format;
use crate::relay::{Latch, LatchPolicy, RtcpReporter};
use crate::sdp::Direction;
use crate::translate::{LocalMedia, Origin, PendingOffer};
use crate::webrtc::{DtlsCert, LegConfig, LegError, WebRtcLeg};

/// A leg's endpoint, made the first time the leg needs one.
pub(super) enum Endpoint {
    /// Nothing yet.
    None,
    /// A plain RTP port pair.
    Rtp(Box<RtpEnd>),
    /// A str0m leg on the realm's shared socket.
    WebRtc(Box<WebRtcEnd>),
    /// The built-in echo: SDP only, no socket.
    Echo(Box<RtpEnd>),
}

impl Endpoint {
    /// The endpoint as one that writes RTP/AVP SDP (plain RTP or the echo).
    pub(super) fn rtp_like(&mut self) -> Option<&mut RtpEnd> {
        match self {
            Endpoint::Rtp(e) | Endpoint::Echo(e) => Some(e),
            _ => None,
        }
    }
}

/// A plain RTP leg: our address, our `o=` line, and where the peer is.
pub(super) struct RtpEnd {
    /// Advertised address and even RTP port (RTCP on the next one).
    pub local: SocketAddr,
    pub origin: Origin,
    pub rtp: Latch,
    pub rtcp: Latch,
    signalled: (Option<SocketAddr>, Option<SocketAddr>),
    /// Our own RTCP toward the peer when nobody else's reports reach it
    /// (the other leg is WebRTC, whose RTCP str0m terminates, or the echo).
    pub reporter: Option<RtcpReporter>,
}

impl RtpEnd {
    pub(super) fn new(local: SocketAddr, origin_id: u64, relatch_after: Duration) -> Self {
        // Any source may latch: a SIP peer's SDP often names a private
        // address behind NAT (RFC 7362 §4); a latched source is only
        // replaced after it has been silent for `relatch_after`.
        Self {
            local,
            origin: Origin::new(origin_id),
            rtp: Latch::new(LatchPolicy::Any, None, relatch_after),
            rtcp: Latch::new(LatchPolicy::Any, None, relatch_after),
            signalled: (None, None),
            reporter: None,
        }
    }

    pub(super) fn local_media(&self) -> LocalMedia {
        LocalMedia {
            ip: self.local.ip(),
            rtp_port: self.local.port(),
        }
    }

    /// New destinations from SDP: re-latch only when they changed, so a
    /// repeated or unchanged description keeps a NAT-latched source.
    pub(super) fn signalled(&mut self, rtp: Option<SocketAddr>, rtcp: Option<SocketAddr>) {
        if self.signalled.0 != rtp {
            self.rtp.renegotiated(rtp);
        }
        if self.signalled.1 != rtcp {
            self.rtcp.renegotiated(rtcp);
        }
        self.signalled = (rtp, rtcp);
    }
}

/// A WebRTC leg: the str0m leg is built when its codecs are known (at our
/// offer toward it, or at the answer to its offer).
pub(super) struct WebRtcEnd {
    local: SocketAddr,
    cert: DtlsCert,
    pub leg: Option<WebRtcLeg>,
    /// When to call `handle_timeout` next.
    pub deadline: Option<Instant>,
    /// Our last offer changed nothing and was resent, so str0m has no
    /// pending offer to match the browser's answer with.
    resent_offer: bool,
}

fn leg_reject(e: LegError) -> Reject {
    match e {
        LegError::Candidate(_) | LegError::Certificate => Reject::new(503, e.to_string()),
        _ => Reject::new(488, e.to_string()),
    }
}

impl WebRtcEnd {
    pub(super) fn new(local: SocketAddr, cert: DtlsCert) -> Self {
        Self {
            local,
            cert,
            leg: None,
            deadline: None,
            resent_offer: false,
        }
    }

    pub(super) fn ufrag(&self) -> Option<&str> {
        self.leg.as_ref().and_then(WebRtcLeg::local_ufrag)
    }

    fn ensure_leg(&mut self, now: Instant, codecs: &[Format]) -> Result<&mut WebRtcLeg, Reject> {
        let leg = match self.leg.take() {
            Some(leg) => leg,
            None => WebRtcLeg::new(
                now,
                LegConfig {
                    local_addr: self.local,
                    codecs: codecs.to_vec(),
                    cert: self.cert.clone(),
                },
            )
            .map_err(leg_reject)?,
        };
        self.deadline = Some(now);
        Ok(self.leg.insert(leg))
    }

    /// Our offer toward the browser, carrying the offerer's formats. A
    /// re-offer keeps the stream and changes only its direction.
    pub(super) fn offer(&mut self, now: Instant, pending: &PendingOffer) -> Result<String, Reject> {
        let leg = self.ensure_leg(now, &pending.offered.formats)?;
        match leg.create_offer(pending.remote.direction) {
            Ok(sdp) => {
                self.resent_offer = false;
                Ok(sdp)
            }
            Err(LegError::NoChange) => {
                let last = leg.last_local_sdp().map(str::to_owned);
                self.resent_offer = true;
                last.ok_or_else(|| Reject::new(500, "no previous WebRTC description"))
            }
            Err(e) => Err(leg_reject(e)),
        }
    }

    /// The browser's answer to [`Self::offer`].
    pub(super) fn accept_answer(&mut self, answer: &str) -> Result<(), Reject> {
        if std::mem::take(&mut self.resent_offer) {
            return Ok(());
        }
        let leg = self
            .leg
            .as_mut()
            .ok_or_else(|| Reject::new(500, "no WebRTC leg for this answer"))?;
        leg.accept_answer(answer).map_err(leg_reject)
    }

    /// Our answer to the browser's offer, with `codecs` (the browser's
    /// payload types of what the other leg accepted). On a re-offer (hold,
    /// ICE restart) the leg keeps the codecs of the first answer.
    pub(super) fn answer(
        &mut self,
        now: Instant,
        offer: &str,
        codecs: &[Format],
    ) -> Result<String, Reject> {
        let leg = self.ensure_leg(now, codecs)?;
        leg.accept_offer(offer).map_err(leg_reject)
    }

    pub(super) fn close(&mut self) {
        if let Some(leg) = &mut self.leg {
            leg.close();
        }
    }
}

/// Whether a leg that said `direction` wants our media (RFC 3264 §6.1:
/// `sendonly` and `inactive` streams are not sent to).
pub(super) fn receives(direction: Direction) -> bool {
    matches!(direction, Direction::SendRecv | Direction::RecvOnly)
}
