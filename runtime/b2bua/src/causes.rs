//! Mapping of final responses and failures between legs, and call-end causes
//! for CDRs.

use crate::leg::Side;

/// Why a call ended, for CDRs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndCause {
    /// A BYE from this side ended an answered call.
    HangUp(Side),
    /// The caller cancelled before an answer (RFC 3261 §9).
    Cancelled,
    /// The call failed with this final status sent to the caller.
    Failed(u16),
    /// A leg died (transaction timeout or transport error).
    LegLost(Side),
    /// The SBC ended the call (media failure or timeout, shutdown); the code is what the
    /// caller got when the call was not answered yet.
    Terminated(u16),
    /// The refresher did not refresh the session in time (RFC 4028 §10): both legs got BYE.
    SessionExpired,
}

/// The status relayed to the caller for a final failure on the B leg.
///
/// Codes that only make sense hop by hop are not relayed as-is: 401/407
/// challenge the SBC, not the caller (RFC 3261 §22.3), 408 and 503 from the
/// next hop become 480/502 per RFC 3261 §16.7 step 6 and RFC 3261 §21.5.4
/// (a 503 must not be forwarded upstream as is).
pub fn map_failure(code: u16) -> (u16, &'static str) {
    match code {
        401 | 407 => (403, "Forbidden"),
        408 => (408, "Request Timeout"),
        503 => (502, "Bad Gateway"),
        486 => (486, "Busy Here"),
        480 => (480, "Temporarily Unavailable"),
        404 => (404, "Not Found"),
        487 => (487, "Request Terminated"),
        600..=699 => (code, "Global Failure"),
        500..=599 => (code, "Server Error"),
        400..=499 => (code, "Request Failure"),
        _ => (code, "Redirection Not Followed"),
    }
}
