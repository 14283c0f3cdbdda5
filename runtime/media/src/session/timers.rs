//! The timers of one call: str0m's (ICE consent, DTLS retransmits, its
//! RTCP), the SBC's own RTCP reports toward plain RTP legs, and the media
//! inactivity timeout.

use std::time::Instant;

use super::endpoint::Endpoint;
use super::{CallMedia, Leg, Output, Via};
use crate::relay::ntp_from_unix;

impl CallMedia {
    /// The earliest instant [`Self::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let mut next: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for l in &self.legs {
            match &l.endpoint {
                Endpoint::WebRtc(w) => consider(w.deadline),
                Endpoint::Rtp(r) => consider(r.reporter.as_ref().map(|r| r.poll_timeout())),
                _ => {}
            }
        }
        if !self.timed_out {
            consider(
                self.media_timeout
                    .zip(self.last_activity)
                    .map(|(t, l)| l + t),
            );
        }
        next
    }

    /// Timers: str0m's (ICE consent, DTLS, RTCP), our RTCP reports on plain
    /// legs, and the media inactivity timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        for leg in [Leg::A, Leg::B] {
            if let Endpoint::WebRtc(w) = &mut self.legs[leg.index()].endpoint
                && w.deadline.is_some_and(|d| d <= now)
                && let Some(l) = w.leg.as_mut()
            {
                // A timer failure is str0m closing the leg; poll reports it.
                let _ = l.handle_timeout(now);
                self.drain_webrtc(now, leg);
            }
        }
        self.process_rtp_work(now);
        for leg in [Leg::A, Leg::B] {
            self.report(now, leg);
        }
        if let (Some(t), Some(last)) = (self.media_timeout, self.last_activity)
            && !self.timed_out
            && now >= last + t
        {
            self.timed_out = true;
            self.outputs.push_back(Output::MediaTimeout);
        }
    }

    /// Our RTCP report toward a plain leg, when due.
    fn report(&mut self, now: Instant, leg: Leg) {
        let since_epoch = self.wall_clock.1 + now.saturating_duration_since(self.wall_clock.0);
        let ntp = ntp_from_unix(since_epoch);
        let mut buf = [0u8; 512];
        let (sending, receiving) = if self.echo_mode {
            let Some(echo) = &self.echo else { return };
            let src = echo.out_stream().source();
            (echo.out_stream(), src.map(|s| (&self.echo_in, s)))
        } else {
            let incoming = &self.dirs[leg.index()];
            let src = incoming.out_stream().source();
            (
                self.dirs[leg.other().index()].out_stream(),
                src.map(|s| (incoming.stats(), s)),
            )
        };
        let Endpoint::Rtp(end) = &mut self.legs[leg.index()].endpoint else {
            return;
        };
        let Some(reporter) = end.reporter.as_mut() else {
            return;
        };
        let written = reporter.on_timeout(now, sending, receiving, ntp, &mut buf);
        if let (Ok(Some(len)), Some(to)) = (written, end.rtcp.destination()) {
            self.outputs.push_back(Output::Transmit {
                via: Via::Rtcp(leg),
                to,
                bytes: buf[..len].to_vec(),
            });
        }
    }
}
