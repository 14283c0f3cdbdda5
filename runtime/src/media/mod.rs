//! The media engine: owns the sockets and tasks that anchor each call's media, and keeps each
//! call's offer/answer state. The SIP core calls it from its single task.
//!
//! This first version only fixes the public API; the bodies are placeholders.

use bytes::Bytes;
use sbcctl_compiler::plan::{Plan, ProfileId, RealmId};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

/// A = caller leg, B = callee leg.
pub use sbcctl_b2bua::Side;

/// Where one leg's media lives: its realm, and the profile that says what it may carry.
#[derive(Clone, Copy, Debug)]
pub struct LegMedia {
    pub realm: RealmId,
    /// `None`: the built-in any-codec profile.
    pub profile: Option<ProfileId>,
}

/// The media shape of one call.
#[derive(Clone, Copy, Debug)]
pub enum CallLegs {
    /// Media relayed between the caller (`a`) and the callee (`b`).
    Relay { a: LegMedia, b: LegMedia },
    /// The caller's media echoed back to it by the built-in echo endpoint.
    Echo {
        a: LegMedia,
        echo_profile: Option<ProfileId>,
    },
}

/// Why an SDP body was refused: 488 no common codec, 503 ports exhausted, 400 bad SDP.
#[derive(Clone, Debug)]
pub struct MediaReject {
    pub code: u16,
    pub reason: String,
}

/// Something the engine tells the SIP core on its own.
#[derive(Clone, Debug)]
pub enum MediaEvent {
    /// No media either way for the profile's `media_timeout_secs`.
    Timeout { call: u64 },
}

/// Counters for the admin status and metrics.
#[derive(Serialize, Clone, Debug, Default)]
pub struct MediaStats {
    pub sessions: u64,
    pub ports_in_use: Vec<RealmPorts>,
    pub packets_relayed: u64,
    pub bytes_relayed: u64,
    pub dropped: u64,
    pub lost: u64,
}

/// Ports in use in one realm.
#[derive(Serialize, Clone, Debug, Default)]
pub struct RealmPorts {
    pub realm: String,
    pub in_use: u64,
}

/// Anchors the media of every call.
pub struct MediaEngine {
    _events: UnboundedSender<MediaEvent>,
}

impl MediaEngine {
    /// Called inside a tokio runtime. Binds one shared UDP socket per realm used by WebRTC legs
    /// lazily or here.
    pub fn new(_plan: &Plan, events: UnboundedSender<MediaEvent>) -> MediaEngine {
        MediaEngine { _events: events }
    }

    /// Starts tracking a call; ports are taken when its first SDP arrives.
    pub fn open(&mut self, _call: u64, _legs: CallLegs) {}

    /// An SDP body arriving from leg `from` (in a request when `!is_response`, in a response
    /// when `is_response`; an ACK body counts as a request). Returns the body to send on the
    /// other leg.
    pub fn on_sdp(
        &mut self,
        _call: u64,
        _from: Side,
        _is_response: bool,
        sdp: &[u8],
    ) -> Result<Bytes, MediaReject> {
        Ok(Bytes::copy_from_slice(sdp))
    }

    /// For [`CallLegs::Echo`]: the SDP answer the built-in echo endpoint gives to the offer it
    /// received (the offer is what `on_sdp(call, A, ..)` returned). Feeding it to
    /// `on_sdp(call, B, true, ..)` then yields A's answer.
    pub fn echo_answer(&mut self, _call: u64, offer: &[u8]) -> Result<Bytes, MediaReject> {
        Ok(Bytes::copy_from_slice(offer))
    }

    /// Releases the call's ports and sockets and stops its tasks; idempotent.
    pub fn close(&mut self, _call: u64) {}

    pub fn stats(&self) -> MediaStats {
        MediaStats::default()
    }
}
