//! The data plane of one call: datagrams in, datagrams out.
//!
//! Plain RTP from a leg's port pair is relayed through the call's
//! [`crate::relay::RelayDirection`] into the caller's buffer (no allocation
//! on the RTP↔RTP path); media from and to a WebRTC leg goes through str0m,
//! whose datagrams are queued as [`Output::Transmit`]. RTCP between two
//! plain RTP legs is relayed with SSRCs rewritten; toward a plain RTP leg
//! whose other side is WebRTC or the echo the SBC sends its own reports.

use std::net::SocketAddr;
use std::time::Instant;

use super::endpoint::{Endpoint, receives};
use super::{CallMedia, Leg, Output, Port, Send, Via};
use crate::demux::{PacketKind, classify};
use crate::relay::{LatchVerdict, relay_rtcp};
use crate::rtp::{self, FIXED_HEADER_LEN, RtpHeader};
use crate::webrtc::{LegOutput, RtpIn};

/// What became of a datagram.
enum Fate {
    /// Relay it now.
    Send(Send),
    /// Handed to str0m; its datagrams are queued.
    Queued,
    /// Dropped (counted).
    Drop,
}

impl CallMedia {
    /// A datagram on leg `leg`'s own port pair. A packet to relay at once is
    /// written into `out` and returned; anything else is queued.
    pub fn on_socket(
        &mut self,
        now: Instant,
        leg: Leg,
        port: Port,
        from: SocketAddr,
        data: &[u8],
        out: &mut [u8],
    ) -> Option<Send> {
        if self.closed {
            return None;
        }
        let fate = match classify(data) {
            PacketKind::Rtp if port == Port::Rtp => self.rtp_in(now, leg, from, data, out),
            PacketKind::Rtcp => return self.rtcp_in(now, leg, port, from, data, out),
            _ => Fate::Drop,
        };
        match fate {
            Fate::Send(s) => Some(s),
            Fate::Queued => None,
            Fate::Drop => {
                self.counters.dropped += 1;
                None
            }
        }
    }

    /// Whether `leg` currently wants media sent to it.
    fn receives(&self, leg: Leg) -> bool {
        self.leg(leg).remote.is_some_and(|r| receives(r.direction))
    }

    fn count(&mut self, len: usize) {
        self.counters.packets += 1;
        self.counters.bytes += len as u64;
    }

    fn rtp_in(
        &mut self,
        now: Instant,
        leg: Leg,
        from: SocketAddr,
        data: &[u8],
        out: &mut [u8],
    ) -> Fate {
        let Endpoint::Rtp(end) = &mut self.legs[leg.index()].endpoint else {
            return Fate::Drop;
        };
        if end.rtp.on_packet(now, from) == LatchVerdict::Reject {
            return Fate::Drop;
        }
        let back_to = end.rtp.destination();
        self.last_activity = Some(now);
        let other = leg.other();
        if !self.receives(if self.echo_mode { leg } else { other }) {
            return Fate::Drop;
        }
        if self.echo_mode {
            let Ok(view) = rtp::parse(data) else {
                return Fate::Drop;
            };
            let echoed = self
                .echo_header(now, view.header, view.payload.len())
                .and_then(|h| rtp::write_packet(&h, view.payload, out).ok());
            return match (echoed, back_to) {
                (Some(len), Some(to)) => {
                    self.count(len);
                    Fate::Send(Send {
                        via: Via::Rtp(leg),
                        to,
                        len,
                    })
                }
                _ => Fate::Drop,
            };
        }
        let Ok((h, len)) = self.dirs[leg.index()].relay_datagram(now, data, out) else {
            return Fate::Drop;
        };
        match &mut self.legs[other.index()].endpoint {
            Endpoint::Rtp(o) => match o.rtp.destination() {
                Some(to) => {
                    self.count(len);
                    Fate::Send(Send {
                        via: Via::Rtp(other),
                        to,
                        len,
                    })
                }
                None => Fate::Drop,
            },
            Endpoint::WebRtc(_) => {
                let body = out.get(FIXED_HEADER_LEN..len).unwrap_or(&[]);
                if self.send_webrtc(now, other, h, body) {
                    self.process_rtp_work(now);
                    Fate::Queued
                } else {
                    Fate::Drop
                }
            }
            _ => Fate::Drop,
        }
    }

    /// The echo's header for a packet from A, counting what A sent.
    fn echo_header(&mut self, now: Instant, h: RtpHeader, len: usize) -> Option<RtpHeader> {
        let echo = self.echo.as_mut()?;
        self.echo_in.record_seq_only(h.seq, len);
        echo.count(len);
        Some(echo.map(now, h))
    }

    fn rtcp_in(
        &mut self,
        now: Instant,
        leg: Leg,
        port: Port,
        from: SocketAddr,
        data: &[u8],
        out: &mut [u8],
    ) -> Option<Send> {
        let Endpoint::Rtp(end) = &mut self.legs[leg.index()].endpoint else {
            return None;
        };
        let latch = if port == Port::Rtcp {
            &mut end.rtcp
        } else {
            &mut end.rtp
        };
        if latch.on_packet(now, from) == LatchVerdict::Reject {
            self.counters.dropped += 1;
            return None;
        }
        self.last_activity = Some(now);
        let other = leg.other();
        // RTCP keeps flowing on held streams (RFC 3264 §8.4), so no
        // direction check; reports toward a WebRTC leg or the echo are
        // consumed (str0m and our reporter make their own).
        let Endpoint::Rtp(o) = &self.legs[other.index()].endpoint else {
            return None;
        };
        let to = o.rtcp.destination()?;
        let (a, b) = (&self.dirs[leg.index()], &self.dirs[other.index()]);
        match relay_rtcp(data, out, a, b) {
            Ok(len) => {
                self.count(len);
                Some(Send {
                    via: Via::Rtcp(other),
                    to,
                    len,
                })
            }
            Err(_) => {
                self.counters.dropped += 1;
                None
            }
        }
    }

    /// A datagram for leg `leg` from the realm's shared WebRTC socket.
    pub fn on_webrtc(&mut self, now: Instant, leg: Leg, from: SocketAddr, data: &[u8]) {
        if self.closed {
            return;
        }
        let Endpoint::WebRtc(w) = &mut self.legs[leg.index()].endpoint else {
            self.counters.dropped += 1;
            return;
        };
        let Some(l) = w.leg.as_mut() else {
            self.counters.dropped += 1;
            return;
        };
        let to = l.local_addr();
        if l.handle_datagram(now, from, to, data).is_err() {
            self.counters.dropped += 1;
        }
        self.drain_webrtc(now, leg);
        self.process_rtp_work(now);
    }

    /// Collects a WebRTC leg's outputs until its next deadline.
    pub(super) fn drain_webrtc(&mut self, _now: Instant, leg: Leg) {
        let Endpoint::WebRtc(w) = &mut self.legs[leg.index()].endpoint else {
            return;
        };
        let Some(l) = w.leg.as_mut() else { return };
        loop {
            match l.poll() {
                LegOutput::Timeout(t) => {
                    w.deadline = Some(t);
                    return;
                }
                LegOutput::Transmit { to, bytes } => self.outputs.push_back(Output::Transmit {
                    via: Via::WebRtc(leg),
                    to,
                    bytes,
                }),
                LegOutput::Rtp(p) => self.rtp_work.push_back((leg, p)),
                LegOutput::Connected => {}
                LegOutput::Disconnected => self.outputs.push_back(Output::Disconnected(leg)),
            }
        }
    }

    /// Relays the media that WebRTC legs handed over.
    pub(super) fn process_rtp_work(&mut self, now: Instant) {
        while let Some((leg, p)) = self.rtp_work.pop_front() {
            if !self.closed && !self.rtp_from_webrtc(now, leg, &p) {
                self.counters.dropped += 1;
            }
        }
    }

    fn rtp_from_webrtc(&mut self, now: Instant, leg: Leg, p: &RtpIn) -> bool {
        self.last_activity = Some(now);
        let header = RtpHeader {
            marker: p.marker,
            pt: p.pt,
            seq: p.seq,
            ts: p.ts,
            ssrc: p.ssrc,
        };
        if self.echo_mode {
            if !self.receives(leg) {
                return false;
            }
            let Some(h) = self.echo_header(now, header, p.payload.len()) else {
                return false;
            };
            return self.send_webrtc(now, leg, h, &p.payload);
        }
        let other = leg.other();
        if !self.receives(other) {
            return false;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        let relayed = self.dirs[leg.index()].relay(now, header, &p.payload, &mut scratch);
        let ok = match relayed {
            Ok((h, len)) => match &self.legs[other.index()].endpoint {
                Endpoint::Rtp(o) => match (o.rtp.destination(), scratch.get(..len)) {
                    (Some(to), Some(bytes)) => {
                        self.outputs.push_back(Output::Transmit {
                            via: Via::Rtp(other),
                            to,
                            bytes: bytes.to_vec(),
                        });
                        self.count(len);
                        true
                    }
                    _ => false,
                },
                Endpoint::WebRtc(_) => {
                    let body = scratch.get(FIXED_HEADER_LEN..len).unwrap_or(&[]).to_vec();
                    self.send_webrtc(now, other, h, &body)
                }
                _ => false,
            },
            Err(_) => false,
        };
        self.scratch = scratch;
        ok
    }

    fn send_webrtc(&mut self, now: Instant, leg: Leg, h: RtpHeader, payload: &[u8]) -> bool {
        let Endpoint::WebRtc(w) = &mut self.legs[leg.index()].endpoint else {
            return false;
        };
        let Some(l) = w.leg.as_mut() else {
            return false;
        };
        if l.send_rtp(now, h.pt, h.seq, h.ts, h.marker, payload)
            .is_err()
        {
            return false;
        }
        self.count(FIXED_HEADER_LEN + payload.len());
        self.drain_webrtc(now, leg);
        true
    }
}
