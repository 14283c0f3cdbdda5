//! The WebRTC leg, on str0m: ICE-lite, DTLS-SRTP, rtcp-mux, BUNDLE, raw RTP.
//!
//! One [`WebRtcLeg`] per browser call leg. All legs of a realm share one UDP
//! socket; [`LegIndex`] maps each datagram to its leg (STUN USERNAME ufrag
//! first, then the remote address learnt from it), and the glue falls back to
//! [`WebRtcLeg::accepts`] only when both miss. Each leg is sans-IO: feed it
//! datagrams and timeouts with `now`, then drain [`WebRtcLeg::poll`] until it
//! returns [`LegOutput::Timeout`].

mod index;
mod leg;

pub use index::{LegIndex, stun_local_ufrag};
pub use leg::{LegConfig, LegOutput, RtpIn, WebRtcLeg};

/// The certificate type, re-exported so the glue can hold it without naming str0m.
pub use str0m::config::DtlsCert;

/// What went wrong on a WebRTC leg.
#[derive(Debug, thiserror::Error)]
pub enum LegError {
    /// The browser's SDP did not parse or was refused by str0m (glue: 488).
    #[error("WebRTC SDP refused: {0}")]
    Sdp(String),
    /// A datagram str0m could not take (dropped by the glue, logged).
    #[error("datagram refused: {0}")]
    Input(String),
    /// Sending RTP before negotiation finished.
    #[error("no negotiated audio stream")]
    NotNegotiated,
    /// A re-offer would change nothing; resend the last SDP.
    #[error("offer would change nothing")]
    NoChange,
    /// No offer of ours is waiting for an answer.
    #[error("no pending offer")]
    NoPendingOffer,
    /// The local candidate address is not usable (unspecified, multicast...).
    #[error("unusable candidate address: {0}")]
    Candidate(String),
    /// The DTLS certificate could not be created.
    #[error("could not create the DTLS certificate")]
    Certificate,
}

/// Creates the process's DTLS certificate once at start; every leg reuses a
/// clone (key generation is far too slow to do per call, and RFC 8827 §6.5
/// does not require per-call keys).
pub fn new_dtls_cert() -> Result<DtlsCert, LegError> {
    str0m::crypto::from_feature_flags()
        .dtls_provider
        .generate_certificate()
        .ok_or(LegError::Certificate)
}

#[cfg(test)]
mod tests;
