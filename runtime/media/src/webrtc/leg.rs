//! One WebRTC leg driving a str0m `Rtc` in ICE-lite, RTP mode.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::config::DtlsCert;
use str0m::format::{Codec as StrCodec, FormatParams};
use str0m::media::{Direction, Frequency, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::rtp::RtpWrite;
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};

use super::LegError;
use crate::codec::{self, Codec, Format, Negotiated};
use crate::sdp::{Sdp, Setup};

/// How to build a leg.
#[derive(Clone)]
pub struct LegConfig {
    /// The host candidate: the realm's advertised IP and the realm socket's
    /// port. Datagrams must be handed in with exactly this `to` address.
    pub local_addr: SocketAddr,
    /// Codecs with the payload types to use, in preference order (for an
    /// answer, the browser's PTs; for an offer, the SIP side's).
    pub codecs: Vec<Format>,
    /// The certificate made at start ([`super::new_dtls_cert`]).
    pub cert: DtlsCert,
}

/// An RTP packet received from the browser, already decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpIn {
    /// Payload type (browser numbering).
    pub pt: u8,
    /// Sequence number.
    pub seq: u16,
    /// Timestamp.
    pub ts: u32,
    /// The browser's SSRC.
    pub ssrc: u32,
    /// M bit.
    pub marker: bool,
    /// Payload without header.
    pub payload: Arc<[u8]>,
}

/// What the leg wants done, in order; [`LegOutput::Timeout`] ends a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegOutput {
    /// Send `bytes` to `to` from the realm socket.
    Transmit {
        /// Destination.
        to: SocketAddr,
        /// Datagram.
        bytes: Vec<u8>,
    },
    /// Media from the browser.
    Rtp(RtpIn),
    /// ICE and DTLS are up; SRTP flows.
    Connected,
    /// ICE consent expired or the leg closed (RFC 7675 §5.1): end the call.
    Disconnected,
    /// Nothing more now; call [`WebRtcLeg::handle_timeout`] at this instant.
    Timeout(Instant),
}

/// A WebRTC leg.
pub struct WebRtcLeg {
    rtc: Rtc,
    local: SocketAddr,
    mid: Option<Mid>,
    pending: Option<SdpPendingOffer>,
    negotiated: Option<Negotiated>,
    local_ufrag: Option<String>,
    last_local_sdp: Option<String>,
    events: VecDeque<LegOutput>,
    last_seq: Option<u64>,
    disconnected: bool,
    last_now: Instant,
}

impl WebRtcLeg {
    /// Builds the `Rtc`: ICE-lite (the browser is controlling, RFC 8445
    /// §6.1.1), RTP mode (payloads pass through untouched), one host
    /// candidate, only the configured codecs.
    pub fn new(now: Instant, config: LegConfig) -> Result<Self, LegError> {
        let mut cfg = Rtc::builder()
            .set_ice_lite(true)
            .set_rtp_mode(true)
            .set_dtls_cert(config.cert)
            .clear_codecs();
        let cc = cfg.codec_config();
        for f in &config.codecs {
            let (codec, clock, channels, params) = match f.codec {
                Codec::Opus => (
                    StrCodec::Opus,
                    Frequency::FORTY_EIGHT_KHZ,
                    Some(2),
                    FormatParams {
                        min_p_time: Some(10),
                        use_inband_fec: Some(true),
                        ..Default::default()
                    },
                ),
                Codec::Pcmu => (
                    StrCodec::PCMU,
                    Frequency::EIGHT_KHZ,
                    None,
                    FormatParams::default(),
                ),
                Codec::Pcma => (
                    StrCodec::PCMA,
                    Frequency::EIGHT_KHZ,
                    None,
                    FormatParams::default(),
                ),
                Codec::G722 => (
                    StrCodec::G722,
                    Frequency::EIGHT_KHZ,
                    None,
                    FormatParams::default(),
                ),
                Codec::TelephoneEvent(48000) => (
                    StrCodec::Tele,
                    Frequency::FORTY_EIGHT_KHZ,
                    None,
                    FormatParams::default(),
                ),
                Codec::TelephoneEvent(8000) => (
                    StrCodec::Tele,
                    Frequency::EIGHT_KHZ,
                    None,
                    FormatParams::default(),
                ),
                Codec::TelephoneEvent(_) => continue,
            };
            cc.add_config(f.pt.into(), None, codec, clock, channels, params);
        }
        let mut rtc = cfg.build(now);
        let cand = Candidate::host(config.local_addr, "udp")
            .map_err(|e| LegError::Candidate(e.to_string()))?;
        rtc.add_local_candidate(cand);
        Ok(Self {
            rtc,
            local: config.local_addr,
            mid: None,
            pending: None,
            negotiated: None,
            local_ufrag: None,
            last_local_sdp: None,
            events: VecDeque::new(),
            last_seq: None,
            disconnected: false,
            last_now: now,
        })
    }

    /// Answers a browser offer (initial, re-offer, or ICE restart with new
    /// credentials; str0m then answers with new local credentials and keeps
    /// the DTLS association and streams).
    ///
    /// DTLS role (RFC 5763 §5): str0m answers `passive` to `actpass`; we want
    /// to be `active` so the handshake starts as soon as ICE is up and the
    /// role never flips on re-offers. The offer's `actpass` is therefore
    /// presented to str0m as `passive`, which makes it answer `active`.
    pub fn accept_offer(&mut self, offer: &str) -> Result<String, LegError> {
        let mut model = Sdp::parse(offer).map_err(|e| LegError::Sdp(e.to_string()))?;
        for m in &mut model.media {
            if m.setup() == Some(Setup::ActPass) {
                m.remove_attr("setup");
                m.push_attr("setup", Some("passive"));
            }
        }
        let offer = SdpOffer::from_sdp_string(&model.to_string())
            .map_err(|e| LegError::Sdp(e.to_string()))?;
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| LegError::Sdp(e.to_string()))?
            .to_sdp_string();
        self.learn_local(&answer);
        self.learn_negotiated(&answer);
        Ok(answer)
    }

    /// Creates an offer toward a browser (`a=setup:actpass`, ICE-lite, one
    /// audio stream). On a re-offer the stream is kept and only its direction
    /// changes (hold/resume relayed from the SIP side). An offer that would
    /// change nothing gives [`LegError::NoChange`]: resend
    /// [`Self::last_local_sdp`] instead.
    pub fn create_offer(&mut self, direction: crate::sdp::Direction) -> Result<String, LegError> {
        let dir = match direction {
            crate::sdp::Direction::SendRecv => Direction::SendRecv,
            crate::sdp::Direction::SendOnly => Direction::SendOnly,
            crate::sdp::Direction::RecvOnly => Direction::RecvOnly,
            crate::sdp::Direction::Inactive => Direction::Inactive,
        };
        let mut api = self.rtc.sdp_api();
        match self.mid {
            None => self.mid = Some(api.add_media(MediaKind::Audio, dir, None, None, None)),
            Some(mid) => api.set_direction(mid, dir),
        }
        let (offer, pending) = api.apply().ok_or(LegError::NoChange)?;
        self.pending = Some(pending);
        let offer = offer.to_sdp_string();
        self.learn_local(&offer);
        Ok(offer)
    }

    /// Takes the browser's answer to [`Self::create_offer`].
    pub fn accept_answer(&mut self, answer: &str) -> Result<(), LegError> {
        let parsed =
            SdpAnswer::from_sdp_string(answer).map_err(|e| LegError::Sdp(e.to_string()))?;
        let pending = self.pending.take().ok_or(LegError::NoPendingOffer)?;
        self.rtc
            .sdp_api()
            .accept_answer(pending, parsed)
            .map_err(|e| LegError::Sdp(e.to_string()))?;
        self.learn_negotiated(answer);
        Ok(())
    }

    /// The last SDP this leg produced (offer or answer).
    pub fn last_local_sdp(&self) -> Option<&str> {
        self.last_local_sdp.as_deref()
    }

    fn learn_local(&mut self, sdp: &str) {
        self.last_local_sdp = Some(sdp.to_owned());
        if let Ok(model) = Sdp::parse(sdp) {
            let ufrag = model
                .ice_ufrag()
                .or_else(|| model.media.iter().find_map(|m| m.ice_ufrag()));
            self.local_ufrag = ufrag.map(str::to_owned);
        }
    }

    fn learn_negotiated(&mut self, sdp: &str) {
        let Ok(model) = Sdp::parse(sdp) else { return };
        if let Some((_, audio)) = model.audio().filter(|(_, m)| m.mline.port != 0) {
            let (formats, _) = codec::offered(audio);
            self.negotiated = Some(Negotiated { formats });
        }
    }

    /// Formats on this leg (browser PTs) after the last offer/answer.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// Our current ICE ufrag, for [`super::LegIndex::insert_ufrag`].
    pub fn local_ufrag(&self) -> Option<&str> {
        self.local_ufrag.as_deref()
    }

    /// The host candidate address this leg expects as `to`.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Whether this leg takes the datagram (str0m's own check: nominated
    /// address, STUN ufrag, viable remote candidate).
    pub fn accepts(&self, now: Instant, from: SocketAddr, bytes: &[u8]) -> bool {
        Receive::new(Protocol::Udp, from, self.local, bytes)
            .is_ok_and(|r| self.rtc.accepts(&Input::Receive(now, r)))
    }

    /// Feeds a datagram received on the realm socket. `to` must be the
    /// advertised candidate address (not the socket's bind address).
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        to: SocketAddr,
        bytes: &[u8],
    ) -> Result<(), LegError> {
        self.last_now = self.last_now.max(now);
        let r = Receive::new(Protocol::Udp, from, to, bytes)
            .map_err(|e| LegError::Input(e.to_string()))?;
        self.rtc
            .handle_input(Input::Receive(now, r))
            .map_err(|e| LegError::Input(e.to_string()))
    }

    /// Advances timers (ICE consent, DTLS retransmits, RTCP reports).
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), LegError> {
        self.last_now = self.last_now.max(now);
        self.rtc
            .handle_input(Input::Timeout(now))
            .map_err(|e| LegError::Input(e.to_string()))
    }

    /// Sends one RTP packet to the browser (SRTP-protected by str0m). `seq`
    /// is the 16-bit number on this leg; the rollover is tracked here.
    pub fn send_rtp(
        &mut self,
        now: Instant,
        pt: u8,
        seq: u16,
        ts: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), LegError> {
        self.last_now = self.last_now.max(now);
        let mid = self.mid.ok_or(LegError::NotNegotiated)?;
        let ext = extend_seq(self.last_seq, seq);
        let mut api = self.rtc.direct_api();
        let tx = api
            .stream_tx_by_mid(mid, None)
            .ok_or(LegError::NotNegotiated)?;
        tx.write_rtp(
            RtpWrite::new(pt.into(), ext.into(), ts, now, payload.to_vec()).marker(marker),
        );
        self.last_seq = Some(ext);
        Ok(())
    }

    /// Closes the leg; [`Self::poll`] then reports `Disconnected` once.
    pub fn close(&mut self) {
        self.rtc.disconnect();
    }

    /// The next output. Call after every input until it returns `Timeout`.
    pub fn poll(&mut self) -> LegOutput {
        if let Some(e) = self.events.pop_front() {
            return e;
        }
        loop {
            if !self.rtc.is_alive() {
                if !self.disconnected {
                    self.disconnected = true;
                    return LegOutput::Disconnected;
                }
                return LegOutput::Timeout(self.last_now + IDLE);
            }
            let out = match self.rtc.poll_output() {
                Ok(o) => o,
                Err(e) => {
                    tracing::debug!(error = %e, "str0m poll failed; closing leg");
                    self.rtc.disconnect();
                    continue;
                }
            };
            match out {
                Output::Timeout(t) => return LegOutput::Timeout(t),
                Output::Transmit(t) => {
                    return LegOutput::Transmit {
                        to: t.destination,
                        bytes: t.contents.to_vec(),
                    };
                }
                Output::Event(Event::Connected) => return LegOutput::Connected,
                Output::Event(Event::MediaAdded(m)) if m.kind == MediaKind::Audio => {
                    self.mid.get_or_insert(m.mid);
                }
                Output::Event(Event::IceConnectionStateChange(
                    IceConnectionState::Disconnected,
                )) => {
                    self.rtc.disconnect();
                }
                Output::Event(Event::RtpPacket(p)) => {
                    return LegOutput::Rtp(RtpIn {
                        pt: *p.header.payload_type,
                        seq: p.header.sequence_number,
                        ts: p.header.timestamp,
                        ssrc: *p.header.ssrc,
                        marker: p.header.marker,
                        payload: p.payload,
                    });
                }
                Output::Event(_) => {}
            }
        }
    }
}

/// The "no deadline" of a closed leg.
const IDLE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Extends a 16-bit sequence number to the 64-bit counter str0m keeps
/// (RFC 3711 §3.3.1 index estimation), nearest to the previous value.
fn extend_seq(last: Option<u64>, seq: u16) -> u64 {
    let Some(last) = last else {
        return u64::from(seq);
    };
    let roc = last >> 16;
    [roc.checked_sub(1), Some(roc), roc.checked_add(1)]
        .into_iter()
        .flatten()
        .map(|r| (r << 16) | u64::from(seq))
        .min_by_key(|c| c.abs_diff(last))
        .unwrap_or(u64::from(seq))
}

#[cfg(test)]
mod seq_tests {
    use super::extend_seq;

    #[test]
    fn extends_across_wrap() {
        assert_eq!(extend_seq(None, 65535), 65535);
        assert_eq!(extend_seq(Some(65535), 0), 65536);
        assert_eq!(extend_seq(Some(65536), 65535), 65535);
        assert_eq!(extend_seq(Some(3 << 16 | 10), 11), 3 << 16 | 11);
        assert_eq!(
            extend_seq(Some(5), 65534),
            65534,
            "no negative index at start"
        );
    }
}
