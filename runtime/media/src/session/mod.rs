//! One call's media, sans-IO: the RFC 3264 offer/answer state kept per call,
//! the endpoint of each leg (a plain RTP port pair, a str0m WebRTC leg, or the
//! built-in echo) and the data plane between them.
//!
//! The runtime owns the sockets, the clock and the tasks. It feeds a
//! [`CallMedia`] with SDP bodies ([`CallMedia::on_sdp`]), datagrams
//! ([`CallMedia::on_socket`] for a leg's own port pair,
//! [`CallMedia::on_webrtc`] for the realm's shared WebRTC socket) and
//! timeouts, then sends what [`CallMedia::poll_output`] returns. Ports and
//! the WebRTC socket address are asked for through [`Resources`] the first
//! time a leg needs them, so a re-offer never re-allocates.

mod dataplane;
mod endpoint;
mod negotiate;
mod timers;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::codec::{Codec, Negotiated, PtMap};
use crate::relay::{Echo, RelayDirection, StreamStats};
use crate::translate::RemoteMedia;
use crate::webrtc::{DtlsCert, RtpIn};

use endpoint::Endpoint;
use negotiate::Exchange;

/// One of the two legs of a call: A is the caller's, B the callee's (or the
/// built-in echo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leg {
    /// The caller's leg.
    A,
    /// The callee's leg, or the echo endpoint.
    B,
}

impl Leg {
    /// The leg on the other side of the call.
    pub fn other(self) -> Leg {
        match self {
            Leg::A => Leg::B,
            Leg::B => Leg::A,
        }
    }

    /// 0 for A, 1 for B.
    pub fn index(self) -> usize {
        match self {
            Leg::A => 0,
            Leg::B => 1,
        }
    }
}

/// How a leg carries media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegKind {
    /// Plain RTP/AVP on an RTP/RTCP port pair.
    Rtp,
    /// ICE-lite, DTLS-SRTP, rtcp-mux on the realm's shared socket.
    WebRtc,
    /// Whatever the leg's own SDP is (the built-in any-codec profile); a leg
    /// we must offer to first gets plain RTP.
    Auto,
}

/// What one leg may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegSpec {
    /// Transport.
    pub kind: LegKind,
    /// Allowed codecs in preference order.
    pub codecs: Vec<Codec>,
}

/// The media shape of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A's media relayed to B and back.
    Relay {
        /// The caller's leg.
        a: LegSpec,
        /// The callee's leg.
        b: LegSpec,
    },
    /// A's media echoed back to A by the built-in echo (leg B has no socket).
    Echo {
        /// The caller's leg.
        a: LegSpec,
        /// Codecs the echo accepts; empty: any codec A offers, in A's order.
        codecs: Vec<Codec>,
    },
}

/// Everything a call needs that the glue draws or decides.
#[derive(Debug, Clone)]
pub struct CallConfig {
    /// The legs.
    pub shape: Shape,
    /// End the call after this long without a packet either way.
    pub media_timeout: Option<Duration>,
    /// The SSRC we send as toward A (index 0) and toward B (index 1); random.
    pub ssrcs: [u32; 2],
    /// `o=` session ids of the SDP we write toward A and toward B; random.
    pub origin_ids: [u64; 2],
    /// RTCP CNAME of the SBC's own reports.
    pub cname: String,
    /// RTCP report interval on plain RTP legs (the glue randomises it,
    /// RFC 3550 §6.2).
    pub rtcp_interval: Duration,
    /// A silent latched source may be replaced by another after this long.
    pub relatch_after: Duration,
    /// A wall-clock reading `(instant, time since the Unix epoch)`, for the
    /// NTP timestamps of sender reports.
    pub wall_clock: (Instant, Duration),
}

/// Why an SDP body was refused, as a SIP status: 400 unparsable SDP, 488 not
/// acceptable (no common codec, no audio, wrong transport), 503 no resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// SIP status code.
    pub code: u16,
    /// Reason phrase.
    pub reason: String,
}

impl Reject {
    pub(crate) fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

/// What the glue provides when a leg first needs it.
pub trait Resources {
    /// Binds an RTP/RTCP port pair for `leg` (RTP even, RTCP next) and
    /// returns the advertised RTP address.
    fn rtp_ports(&mut self, leg: Leg) -> Result<SocketAddr, Reject>;
    /// The advertised address of the realm's shared WebRTC socket for `leg`,
    /// and the DTLS certificate made at start.
    fn webrtc(&mut self, leg: Leg) -> Result<(SocketAddr, DtlsCert), Reject>;
    /// The advertised address of `leg`'s realm (for the echo's SDP).
    fn advertise(&self, leg: Leg) -> IpAddr;
}

/// The socket a datagram leaves from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The leg's RTP port.
    Rtp(Leg),
    /// The leg's RTCP port.
    Rtcp(Leg),
    /// The realm's shared WebRTC socket.
    WebRtc(Leg),
}

/// Which port of a leg's pair a datagram came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    /// The even RTP port.
    Rtp,
    /// The odd RTCP port.
    Rtcp,
}

/// A packet written into the caller's buffer by [`CallMedia::on_socket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Send {
    /// Socket to send from.
    pub via: Via,
    /// Destination.
    pub to: SocketAddr,
    /// Bytes of the buffer to send.
    pub len: usize,
}

/// Work for the glue, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send `bytes` to `to` from `via`.
    Transmit {
        /// Socket to send from.
        via: Via,
        /// Destination.
        to: SocketAddr,
        /// Datagram.
        bytes: Vec<u8>,
    },
    /// No packet either way for the media timeout: end the call.
    MediaTimeout,
    /// A WebRTC leg lost ICE consent or closed (RFC 7675): end the call.
    Disconnected(Leg),
}

/// Packet counters of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Packets relayed or echoed.
    pub packets: u64,
    /// Bytes of those packets as sent.
    pub bytes: u64,
    /// Packets dropped (unknown source or payload type, malformed, no
    /// destination, or toward a leg that does not receive).
    pub dropped: u64,
}

/// The state of one leg.
struct LegState {
    kind: LegKind,
    codecs: Vec<Codec>,
    endpoint: Endpoint,
    /// The leg's own side of the media after the last offer/answer.
    remote: Option<RemoteMedia>,
}

/// One call's media.
pub struct CallMedia {
    echo_mode: bool,
    echo_codecs: Vec<Codec>,
    media_timeout: Option<Duration>,
    ssrcs: [u32; 2],
    origin_ids: [u64; 2],
    cname: String,
    rtcp_interval: Duration,
    relatch_after: Duration,
    wall_clock: (Instant, Duration),
    legs: [LegState; 2],
    exchange: Exchange,
    /// `dirs[l]` relays packets arriving from leg `l` to the other leg.
    dirs: [RelayDirection; 2],
    echo: Option<Echo>,
    echo_in: StreamStats,
    outputs: VecDeque<Output>,
    rtp_work: VecDeque<(Leg, RtpIn)>,
    scratch: Vec<u8>,
    counters: Counters,
    last_activity: Option<Instant>,
    timed_out: bool,
    closed: bool,
}

/// Room for one relayed packet (audio packets are far smaller).
const SCRATCH: usize = 2048;

impl CallMedia {
    /// A call with no media yet; nothing is allocated until the first SDP.
    pub fn new(config: CallConfig) -> Self {
        let (a, b, echo_mode, echo_codecs) = match config.shape {
            Shape::Relay { a, b } => (a, b, false, Vec::new()),
            Shape::Echo { a, codecs } => {
                let b = LegSpec {
                    kind: LegKind::Rtp,
                    codecs: codecs.clone(),
                };
                (a, b, true, codecs)
            }
        };
        let leg = |spec: LegSpec| LegState {
            kind: spec.kind,
            codecs: spec.codecs,
            endpoint: Endpoint::None,
            remote: None,
        };
        let empty = PtMap::between(
            &Negotiated { formats: vec![] },
            &Negotiated { formats: vec![] },
        );
        // dirs[A] sends toward B with B's SSRC, and the other way round.
        let dirs = [
            RelayDirection::new(empty.clone(), config.ssrcs[1]),
            RelayDirection::new(empty, config.ssrcs[0]),
        ];
        Self {
            echo_mode,
            echo_codecs,
            media_timeout: config.media_timeout.filter(|t| !t.is_zero()),
            ssrcs: config.ssrcs,
            origin_ids: config.origin_ids,
            cname: config.cname,
            rtcp_interval: config.rtcp_interval,
            relatch_after: config.relatch_after,
            wall_clock: config.wall_clock,
            legs: [leg(a), leg(b)],
            exchange: Exchange::Idle,
            dirs,
            echo: None,
            echo_in: StreamStats::default(),
            outputs: VecDeque::new(),
            rtp_work: VecDeque::new(),
            scratch: vec![0; SCRATCH],
            counters: Counters::default(),
            last_activity: None,
            timed_out: false,
            closed: false,
        }
    }

    fn leg(&self, leg: Leg) -> &LegState {
        &self.legs[leg.index()]
    }

    fn leg_mut(&mut self, leg: Leg) -> &mut LegState {
        &mut self.legs[leg.index()]
    }

    /// The current local ICE ufrag of a WebRTC leg, for the realm's
    /// dispatch index (it changes on an ICE restart).
    pub fn webrtc_ufrag(&self, leg: Leg) -> Option<&str> {
        match &self.leg(leg).endpoint {
            Endpoint::WebRtc(w) => w.ufrag(),
            _ => None,
        }
    }

    /// Whether the leg has a WebRTC endpoint.
    pub fn is_webrtc(&self, leg: Leg) -> bool {
        matches!(self.leg(leg).endpoint, Endpoint::WebRtc(_))
    }

    /// Packet counters so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Packets lost on the way in, over both directions (RFC 3550 §6.4.1).
    pub fn lost(&self) -> i64 {
        self.dirs.iter().map(|d| d.stats().lost()).sum::<i64>() + self.echo_in.lost()
    }

    /// Stops all media: nothing is relayed any more and WebRTC legs close.
    pub fn close(&mut self) {
        self.closed = true;
        for l in &mut self.legs {
            if let Endpoint::WebRtc(w) = &mut l.endpoint {
                w.close();
            }
        }
        self.outputs.clear();
        self.rtp_work.clear();
    }

    /// The next piece of work for the glue.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }
}

#[cfg(test)]
mod tests;
