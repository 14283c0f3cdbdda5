//! Session timers (RFC 4028), kept per leg so that neither side drops a long call.
//!
//! A leg: a caller that asks for a session timer (`Session-Expires` and `timer` in Supported
//! or Require) is made the refresher (`refresher=uac`) in the 2xx, with `Require: timer`.
//! Each 2xx to a re-INVITE or UPDATE on the A leg restarts the timer; a body-less UPDATE from
//! the caller is answered here. If no refresh comes before the expiry (§10: SE minus the
//! smaller of 32 s and SE/3), both legs get a BYE. A caller that sends `Session-Expires`
//! without supporting the extension cannot refresh; §9 would make the B2BUA the refresher,
//! which it cannot do without an offer of its own, so no timer is negotiated on that leg.
//!
//! B leg: the B2BUA offers no timer, so the callee never expects refreshes. A callee whose
//! 2xx makes the B2BUA the refresher anyway gets a body-less UPDATE every half interval.

use std::time::{Duration, Instant};

use sbcctl_sip::{Headers, Method, Response};

use super::{Call, Output, has_option};
use crate::causes::EndCause;
use crate::leg::Side;

/// The smallest interval allowed (RFC 4028 §4, the default and floor of Min-SE).
const MIN_SE: u32 = 90;

/// Delay before retrying a refresh refused with 491 (RFC 3261 §14.1 picks 2.1–4 s for the
/// owner of the Call-ID; a fixed value keeps the machine deterministic).
const GLARE_RETRY: Duration = Duration::from_secs(3);

/// `Session-Expires: delta;refresher=uac|uas` (RFC 4028 §4).
fn session_expires(h: &Headers) -> Option<(u32, Option<String>)> {
    let v = h.get("Session-Expires")?.value_str()?;
    let mut parts = v.split(';');
    let secs = parts.next()?.trim().parse().ok()?;
    let refresher = parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("refresher"))
        .map(|(_, v)| v.trim().to_ascii_lowercase());
    Some((secs, refresher))
}

fn min_se(h: &Headers) -> u32 {
    h.get("Min-SE")
        .and_then(|v| v.value_str())
        .and_then(|v| v.split(';').next()?.trim().parse().ok())
        .unwrap_or(MIN_SE)
}

/// When a session with interval `secs` expires, counted from its last refresh (§10).
fn expiry(secs: u32) -> Duration {
    let secs = u64::from(secs);
    Duration::from_secs(secs - (secs / 3).min(32))
}

/// Session-timer state of both legs.
#[derive(Clone, Debug, Default)]
pub(super) struct SessionTimers {
    /// The caller's interval (s) when it refreshes; `None`: no timer on the A leg.
    a_interval: Option<u32>,
    a_expires_at: Option<Instant>,
    /// The callee's interval (s) when the callee made us the refresher.
    b_interval: Option<u32>,
    b_refresh_at: Option<Instant>,
    /// CSeq of our refreshing UPDATE in flight on B.
    b_refresh_cseq: Option<u32>,
}

impl SessionTimers {
    /// The caller's INVITE: a timer only when it can refresh.
    pub fn from_caller(h: &Headers) -> SessionTimers {
        let supported = has_option(h, "Supported", "timer") || has_option(h, "Require", "timer");
        let a_interval = match session_expires(h) {
            Some((secs, _)) if supported => Some(secs.max(min_se(h)).max(MIN_SE)),
            _ => None,
        };
        SessionTimers {
            a_interval,
            ..SessionTimers::default()
        }
    }

    pub fn stop(&mut self) {
        *self = SessionTimers::default();
    }

    pub fn deadline(&self) -> Option<Instant> {
        match (self.a_expires_at, self.b_refresh_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A 2xx to the caller's INVITE, re-INVITE or UPDATE: states the interval (a refresh
    /// request may change it, never below its Min-SE) and restarts the timer.
    pub fn a_refreshed(&mut self, now: Instant, request: &Headers, response: &mut Response) {
        let Some(mut secs) = self.a_interval else {
            return;
        };
        if let Some((asked, _)) = session_expires(request) {
            secs = asked.max(min_se(request)).max(MIN_SE);
        }
        self.a_interval = Some(secs);
        self.a_expires_at = Some(now + expiry(secs));
        response
            .headers
            .append("Session-Expires", format!("{secs};refresher=uac"));
        response.headers.append("Require", "timer");
    }

    /// A refresh on the A leg that the callee's side started (a relayed re-INVITE or UPDATE
    /// the caller answered 2xx): the session is alive, the interval stays.
    pub fn a_touched(&mut self, now: Instant) {
        if let Some(secs) = self.a_interval {
            self.a_expires_at = Some(now + expiry(secs));
        }
    }

    /// A refresh on the B leg that the callee started: our next refresh moves with it.
    pub fn b_touched(&mut self, now: Instant) {
        if let Some(secs) = self.b_interval
            && self.b_refresh_cseq.is_none()
        {
            self.b_refresh_at = Some(now + Duration::from_secs(u64::from(secs / 2)));
        }
    }

    /// A 2xx on the B leg (the answer, or any re-INVITE/UPDATE): if it makes us the
    /// refresher, the next refresh is due in half the interval (§10).
    pub fn b_refreshed(&mut self, now: Instant, response: &Response) {
        match session_expires(&response.headers) {
            Some((secs, Some(r))) if r == "uac" => {
                let secs = secs.max(MIN_SE);
                self.b_interval = Some(secs);
                self.b_refresh_at = Some(now + Duration::from_secs(u64::from(secs / 2)));
            }
            Some(_) => {
                self.b_interval = None;
                self.b_refresh_at = None;
            }
            None => {
                if let Some(secs) = self.b_interval {
                    self.b_refresh_at = Some(now + Duration::from_secs(u64::from(secs / 2)));
                }
            }
        }
    }
}

impl Call {
    /// Session-timer deadlines: the caller's expiry, our refresh of the callee.
    pub(super) fn session_timeout(
        &mut self,
        now: Instant,
        out: &mut Vec<Output>,
        fill: &mut dyn FnMut(&mut [u8]),
    ) {
        if self.session.a_expires_at.is_some_and(|t| t <= now) {
            self.hang_up_both(now, EndCause::SessionExpired, out, fill);
            return;
        }
        if self.session.b_refresh_at.is_some_and(|t| t <= now)
            && let Some(secs) = self.session.b_interval
        {
            self.session.b_refresh_at = None;
            let seq = self.b.next_cseq();
            let branch = sbcctl_sip::new_branch(&mut *fill);
            let mut update = self.b.build(Method::Update, seq, &branch, 70);
            update
                .headers
                .append("Session-Expires", format!("{secs};refresher=uac"));
            update.headers.append("Supported", "timer");
            self.session.b_refresh_cseq = Some(seq);
            self.send(out, Side::B, self.target_of(Side::B), update);
        }
    }

    /// The response to our refreshing UPDATE on B; false when `seq` is not one.
    pub(super) fn on_refresh_response(&mut self, now: Instant, seq: u32, resp: &Response) -> bool {
        if self.session.b_refresh_cseq != Some(seq) || resp.code() < 200 {
            return self.session.b_refresh_cseq == Some(seq);
        }
        self.session.b_refresh_cseq = None;
        match resp.code() {
            200..=299 => self.session.b_refreshed(now, resp),
            // §6: too small for the callee: retry at once with its Min-SE.
            422 => {
                let floor = min_se(&resp.headers);
                self.session.b_interval = self.session.b_interval.map(|s| s.max(floor));
                self.session.b_refresh_at = Some(now);
            }
            491 => self.session.b_refresh_at = Some(now + GLARE_RETRY),
            // UPDATE refused (405/501, …): refreshing would take a re-INVITE with an offer
            // of our own; stop rather than risk the media. The callee's own expiry decides.
            _ => {
                self.session.b_interval = None;
                self.session.b_refresh_at = None;
            }
        }
        true
    }
}
