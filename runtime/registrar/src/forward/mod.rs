//! Forward mode: the SBC relays REGISTER to a server peer's registrar and
//! stays on the path of calls toward the registered browser.
//!
//! # The choice: Path when the upstream takes it, else contact rewriting
//!
//! - **Path (RFC 3327)** when the upstream registrar supports it (the plan
//!   says so, or its responses carried `Supported: path`). The SBC adds itself
//!   as the top `Path` value, `<sip:TOKEN@sbc;lr>`, where `TOKEN` names the
//!   browser's flow (one per flow, like an RFC 5626 flow token), and leaves
//!   the Contact alone. The upstream then stores the browser's own Contact and
//!   routes calls with `Route: <sip:TOKEN@sbc;lr>`; the SBC maps the token to
//!   the flow and sends the INVITE (Request-URI unchanged, the `.invalid`
//!   Contact) over it. The glue also adds `Supported: path` to the relayed
//!   REGISTER when the UA did not (RFC 3327 §5.2).
//! - **Contact rewriting** otherwise: each Contact is replaced by a
//!   per-binding SBC URI `sip:TOKEN@sbc`, so the upstream sees a routable
//!   Contact (it could not reach `.invalid` hosts anyway) and sends calls to
//!   `sip:TOKEN@sbc`; the SBC maps the token to the browser's Contact and
//!   flow, and rewrites the Request-URI back. Tokens are stable per (AOR,
//!   Contact) so refreshes do not pile up bindings upstream.
//!
//! Both keep the same table: token → (AOR, browser Contact, flow). An entry is
//! *pending* from the relayed REGISTER until the upstream's 2xx confirms it
//! ([`ForwardTable::learn`]); only confirmed entries route calls. Challenges
//! (401/407) from the upstream are relayed unchanged by the glue: the browser
//! answers them, and the retried REGISTER (same Call-ID) reuses the pending
//! entries. When a browser's flow closes, its entries are returned by
//! [`ForwardTable::remove_flow`] so the glue can un-REGISTER them upstream
//! (`Expires: 0` on the rewritten Contact, same Call-ID, next CSeq).

mod entry;
mod table;

pub use entry::{EntryState, ForwardEntry, ForwardMode, Target, UpstreamContact};
pub use table::{
    ForwardConfig, ForwardError, ForwardRegister, ForwardRewrite, ForwardTable, LearnOutcome,
    RewrittenContact,
};
