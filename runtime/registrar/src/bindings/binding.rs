//! One registered contact of an address-of-record.

use std::net::SocketAddr;
use std::time::Instant;

/// An opaque transport flow id (one connection, or one UDP 5-tuple), as the
/// transport layer's flow registry numbers them. Unique only within one
/// sbcctl instance, hence [`Binding::instance_node`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowRef(pub u64);

/// A binding (RFC 3261 §10.3) with what is needed to reach its UA again.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The canonical address-of-record (`sip:alice@example.com`).
    pub aor: String,
    /// The Contact URI exactly as the UA sent it (without header params).
    pub contact: String,
    /// The Contact's `q` (0.0..=1.0), if any.
    pub q: Option<f32>,
    /// `+sip.instance` (RFC 5626 §4.1), quotes and angle brackets included as sent.
    pub instance: Option<String>,
    /// `reg-id` (RFC 5626 §4.2).
    pub reg_id: Option<u32>,
    /// Seconds granted at the last refresh.
    pub expires: u32,
    /// When the binding lapses.
    pub expires_at: Instant,
    /// When it was created or last refreshed (orders equal-`q` bindings).
    pub registered_at: Instant,
    /// Call-ID of the REGISTER that last refreshed it (RFC 3261 §10.3 step 7).
    pub call_id: String,
    /// CSeq number of that REGISTER.
    pub cseq: u32,
    /// The flow the REGISTER arrived on.
    pub flow: Option<FlowRef>,
    /// The UA is reachable only over `flow` (a `.invalid` Contact, or a
    /// WebSocket flow, RFC 7118 §5): the binding goes when the flow closes.
    pub flow_bound: bool,
    /// The sbcctl instance holding `flow` (design: "Beyond one machine"); an
    /// INVITE landing on another instance is handed to this one.
    pub instance_node: String,
    /// `Path` values of the REGISTER (RFC 3327), to be used as a Route set.
    pub path: Vec<String>,
    /// Source address the REGISTER came from.
    pub received: Option<SocketAddr>,
    /// `User-Agent` of the REGISTER, for status pages.
    pub user_agent: Option<String>,
}

impl Binding {
    /// Seconds left at `now`, rounded up, for the `expires` param of the 200's
    /// Contact (RFC 3261 §10.3 step 8).
    pub fn remaining_secs(&self, now: Instant) -> u32 {
        let left = self.expires_at.saturating_duration_since(now);
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        u32::try_from(secs).unwrap_or(u32::MAX)
    }

    /// Whether the binding has lapsed at `now`.
    pub fn is_expired(&self, now: Instant) -> bool {
        self.expires_at <= now
    }

    /// `q`, with an absent value counting as 1.0 (the highest preference).
    pub fn q_value(&self) -> f32 {
        self.q.unwrap_or(1.0)
    }

    /// Whether a Contact of a new REGISTER designates this binding: the same
    /// URI (compared as sent), or the same `+sip.instance` and `reg-id`
    /// (RFC 5626 §6: a UA that reconnects with a new Contact replaces its old
    /// binding instead of adding one; RFC 5627 when there is no `reg-id`).
    pub fn matches(&self, contact: &str, instance: Option<&str>, reg_id: Option<u32>) -> bool {
        if self.contact == contact {
            return true;
        }
        match (instance, self.instance.as_deref()) {
            (Some(new), Some(old)) => new == old && reg_id == self.reg_id,
            _ => false,
        }
    }
}
