//! Inputs and outputs of a REGISTER, in plain types the SIP glue fills from a
//! parsed message.

use super::binding::{Binding, FlowRef};
use super::error::RegisterError;
use std::net::SocketAddr;

/// One Contact of the REGISTER.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactInput {
    /// The Contact URI as sent (without the `<>` and header params).
    pub uri: String,
    /// The Contact's `expires` param.
    pub expires_param: Option<u32>,
    /// The Contact's `q` param.
    pub q: Option<f32>,
    /// `+sip.instance`.
    pub instance: Option<String>,
    /// `reg-id`.
    pub reg_id: Option<u32>,
    /// The URI's host ends in `.invalid` (RFC 7118 §5): never resolve it,
    /// reach it over the flow only.
    pub invalid_host: bool,
}

/// Whether a URI host is in the reserved `.invalid` TLD (RFC 6761 §6.4), as
/// WebSocket UAs use for their Contacts (RFC 7118 §5): such a Contact can only
/// be reached over the flow it registered on. Case-insensitive; a trailing
/// dot is tolerated.
pub fn is_invalid_host(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let len = host.len();
    len >= 8
        && host
            .get(len - 8..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(".invalid"))
        || host.eq_ignore_ascii_case("invalid")
}

/// The Contact header(s) of the REGISTER.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ContactSet {
    /// No Contact: a query for the current bindings (RFC 3261 §10.2.4).
    #[default]
    None,
    /// `Contact: *`, only valid alone and with `Expires: 0` (§10.2.2).
    Wildcard,
    /// Ordinary contacts.
    List(Vec<ContactInput>),
}

impl ContactSet {
    /// Builds the set from what the parser found, refusing `*` mixed with
    /// other Contacts (RFC 3261 §10.3 step 6 → 400).
    pub fn from_parts(
        wildcard: bool,
        list: Vec<ContactInput>,
    ) -> Result<ContactSet, RegisterError> {
        match (wildcard, list.is_empty()) {
            (true, true) => Ok(ContactSet::Wildcard),
            (true, false) => Err(RegisterError::WildcardNotAlone),
            (false, true) => Ok(ContactSet::None),
            (false, false) => Ok(ContactSet::List(list)),
        }
    }
}

/// A REGISTER, reduced to what the registrar decides on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegisterRequest {
    /// The canonical AOR from the To header (the glue normalizes it).
    pub aor: String,
    /// Call-ID.
    pub call_id: String,
    /// CSeq number.
    pub cseq: u32,
    /// The Contacts.
    pub contacts: ContactSet,
    /// The `Expires` header.
    pub expires_header: Option<u32>,
    /// The flow the request arrived on.
    pub flow: Option<FlowRef>,
    /// The flow is a WebSocket (or otherwise only reachable back over the
    /// same connection): every binding of this request is tied to it.
    pub flow_bound: bool,
    /// Source address.
    pub received: Option<SocketAddr>,
    /// User-Agent header.
    pub user_agent: Option<String>,
    /// Path header values, in order (RFC 3327 §5.3).
    pub path: Vec<String>,
}

/// Limits of a users peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrarPolicy {
    /// Shortest non-zero expiry accepted; shorter gets 423 (RFC 3261 §10.3 step 7).
    pub min_expires: u32,
    /// Longest expiry granted; longer is shortened to this.
    pub max_expires: u32,
    /// Expiry when neither the Contact nor the request says.
    pub default_expires: u32,
    /// Bindings one AOR may hold.
    pub max_contacts_per_aor: usize,
    /// Bindings in total (memory cap for the whole registrar).
    pub max_total_bindings: usize,
}

impl Default for RegistrarPolicy {
    fn default() -> Self {
        RegistrarPolicy {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 600,
            max_contacts_per_aor: 10,
            max_total_bindings: 1_000_000,
        }
    }
}

impl RegistrarPolicy {
    /// The expiry granted for a requested value: `None` means 423, `Some(0)`
    /// removal.
    pub fn grant(&self, requested: u32) -> Option<u32> {
        if requested == 0 {
            return Some(0);
        }
        let min = self.min_expires.min(self.max_expires);
        if requested < min {
            return None;
        }
        Some(requested.min(self.max_expires))
    }

    /// `default_expires`, kept within `[min, max]` so a misconfiguration cannot
    /// make a REGISTER without `expires` fail.
    pub fn effective_default(&self) -> u32 {
        let min = self.min_expires.min(self.max_expires);
        self.default_expires
            .clamp(min.max(1), self.max_expires.max(1))
    }
}

/// The result of an accepted REGISTER.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterResponse {
    /// Every current binding of the AOR (RFC 3261 §10.3 step 8: the 200 lists
    /// them all, each with its remaining expiry from
    /// [`Binding::remaining_secs`]).
    pub bindings: Vec<Binding>,
    /// Bindings this request removed or replaced (for logs and metrics).
    pub removed: Vec<Binding>,
}
