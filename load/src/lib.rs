//! The client side of sipload, reusable by tests: a lean RFC 7118 WebSocket client, an
//! independent digest client (RFC 7616 / RFC 8760) and the REGISTER dialog of one user agent.
//! Being written apart from sbcctl's registrar, it cross-checks the server in every run.

pub mod digest;
pub mod sip;
pub mod webrtc;
pub mod ws;
