//! Why a REGISTER is refused, with the status the glue answers.

use super::store::StoreError;
use thiserror::Error;

/// A refused REGISTER (or a failed registrar operation).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegisterError {
    /// A non-zero expiry below the minimum (→ 423 with `Min-Expires`).
    #[error("interval too brief (minimum {min} s)")]
    IntervalTooBrief {
        /// The `Min-Expires` value to send.
        min: u32,
    },
    /// `Contact: *` together with other Contacts (→ 400).
    #[error("wildcard contact must be alone")]
    WildcardNotAlone,
    /// `Contact: *` without `Expires: 0` (→ 400).
    #[error("wildcard contact requires Expires: 0")]
    WildcardNeedsExpiresZero,
    /// Same Call-ID as a binding, but a CSeq not higher (RFC 3261 §10.3
    /// step 7: the update is aborted → 500).
    #[error("out of order REGISTER (CSeq {cseq} not above {stored})")]
    OutOfOrder {
        /// CSeq of the request.
        cseq: u32,
        /// CSeq already stored.
        stored: u32,
    },
    /// The AOR would hold more bindings than allowed (→ 403).
    #[error("too many contacts for this address (limit {max})")]
    TooManyContacts {
        /// The limit.
        max: usize,
    },
    /// The registrar holds its maximum number of bindings (→ 503).
    #[error("registrar full (limit {max})")]
    RegistrarFull {
        /// The limit.
        max: usize,
    },
    /// A `q` outside 0..=1 (→ 400).
    #[error("invalid q value")]
    InvalidQ,
    /// A Contact that is reachable only over its flow arrived without one (→ 400).
    #[error("contact needs a flow but the request has none")]
    FlowRequired,
    /// An empty AOR or Contact URI (→ 400).
    #[error("empty address-of-record or contact")]
    Empty,
    /// The store failed (→ 500, or 503 for a remote store that is down).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RegisterError {
    /// The SIP status code to answer with.
    pub fn status(&self) -> u16 {
        match self {
            RegisterError::IntervalTooBrief { .. } => 423,
            RegisterError::WildcardNotAlone
            | RegisterError::WildcardNeedsExpiresZero
            | RegisterError::InvalidQ
            | RegisterError::FlowRequired
            | RegisterError::Empty => 400,
            RegisterError::OutOfOrder { .. } => 500,
            RegisterError::TooManyContacts { .. } => 403,
            RegisterError::RegistrarFull { .. } => 503,
            RegisterError::Store(StoreError::Unavailable(_)) => 503,
            RegisterError::Store(StoreError::Corrupt(_)) => 500,
        }
    }

    /// A reason phrase.
    pub fn reason(&self) -> &'static str {
        match self {
            RegisterError::IntervalTooBrief { .. } => "Interval Too Brief",
            RegisterError::WildcardNotAlone => "Bad Request (wildcard contact not alone)",
            RegisterError::WildcardNeedsExpiresZero => {
                "Bad Request (wildcard contact needs Expires: 0)"
            }
            RegisterError::InvalidQ => "Bad Request (invalid q)",
            RegisterError::FlowRequired => "Bad Request (contact unreachable)",
            RegisterError::Empty => "Bad Request (empty contact or AOR)",
            RegisterError::OutOfOrder { .. } => "Server Internal Error (out of order)",
            RegisterError::TooManyContacts { .. } => "Forbidden (too many contacts)",
            RegisterError::RegistrarFull { .. } => "Service Unavailable",
            RegisterError::Store(StoreError::Unavailable(_)) => {
                "Service Unavailable (registration store)"
            }
            RegisterError::Store(StoreError::Corrupt(_)) => {
                "Server Internal Error (registration store)"
            }
        }
    }
}
