//! Sans-IO registrar for sbcctl.
//!
//! - [`digest`]: challenges and verification of SIP digest credentials (MD5,
//!   SHA-256, `qop=auth`, nonce lifetime, nc replay protection).
//! - [`bindings`]: REGISTER processing, bindings per AOR tied to their flows,
//!   behind the [`bindings::BindingStore`] interface.
//! - [`forward`]: forward mode, the token ↔ flow mapping that keeps the SBC
//!   on the path of calls to browsers registered at an upstream registrar.
//!
//! Nothing here reads a clock, opens a socket or draws randomness on its own:
//! the caller passes `now: Instant`, secrets and random sources, so tests run
//! on a virtual clock.

pub mod bindings;
pub mod digest;
pub mod forward;
