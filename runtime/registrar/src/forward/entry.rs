//! Entries of the forward-mode table.

use crate::bindings::FlowRef;
use std::time::Instant;

/// How the SBC inserted itself into a relayed REGISTER.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForwardMode {
    /// A `Path` header naming the flow (RFC 3327).
    Path,
    /// Contacts replaced by `sip:TOKEN@sbc`.
    ContactRewrite,
}

impl ForwardMode {
    /// Path when the upstream supports it, else contact rewriting.
    pub fn choose(upstream_supports_path: bool) -> ForwardMode {
        if upstream_supports_path {
            ForwardMode::Path
        } else {
            ForwardMode::ContactRewrite
        }
    }
}

/// Whether the upstream has confirmed an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryState {
    /// Relayed, no 2xx yet; dropped if none comes by `until`.
    Pending {
        /// Give up at this time.
        until: Instant,
    },
    /// Confirmed by the upstream's 2xx, valid until `expires_at`.
    Active {
        /// When the upstream binding lapses.
        expires_at: Instant,
    },
}

/// One browser Contact registered through the SBC.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardEntry {
    /// The per-binding token (user part of the rewritten Contact).
    pub token: String,
    /// The flow token used in the Path URI (Path mode).
    pub path_token: Option<String>,
    /// AOR (To of the REGISTER).
    pub aor: String,
    /// The browser's Contact URI as it sent it.
    pub contact: String,
    /// What the upstream was given as Contact (the browser's own in Path
    /// mode, `sip:TOKEN@sbc` otherwise).
    pub upstream_contact: String,
    /// `+sip.instance` of the Contact.
    pub instance: Option<String>,
    /// `reg-id` of the Contact.
    pub reg_id: Option<u32>,
    /// The flow the browser registered on.
    pub flow: Option<FlowRef>,
    /// Reachable only over `flow`.
    pub flow_bound: bool,
    /// How it was relayed.
    pub mode: ForwardMode,
    /// Call-ID of the last relayed REGISTER (an un-REGISTER on the browser's
    /// behalf reuses it with `cseq + 1`).
    pub call_id: String,
    /// CSeq of the last relayed REGISTER.
    pub cseq: u32,
    /// Pending or active.
    pub state: EntryState,
}

impl ForwardEntry {
    /// Whether calls may be routed to it at `now`.
    pub fn is_active(&self, now: Instant) -> bool {
        matches!(self.state, EntryState::Active { expires_at } if expires_at > now)
    }

    /// When it is due for removal (expiry or pending deadline).
    pub fn deadline(&self) -> Instant {
        match self.state {
            EntryState::Pending { until } => until,
            EntryState::Active { expires_at } => expires_at,
        }
    }
}

/// A Contact of the upstream's 2xx.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpstreamContact {
    /// The Contact URI.
    pub uri: String,
    /// Its `expires` param.
    pub expires: Option<u32>,
}

/// Where to send a request that reached the SBC for a forwarded binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The flow to send over.
    pub flow: Option<FlowRef>,
    /// The browser Contact to use as Request-URI (contact rewriting); `None`
    /// in Path mode, where the Request-URI already is the browser Contact.
    pub request_uri: Option<String>,
    /// AOR of the binding.
    pub aor: String,
}
