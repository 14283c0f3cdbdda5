//! Digest authentication for the local-mode registrar: RFC 7616 (which
//! updates RFC 2617), with SHA-256 for SIP per RFC 8760 and `qop=auth`.

mod algorithm;
mod challenger;
mod credential;
mod nonce;
mod params;
mod replay;

pub use algorithm::{Algorithm, HashKind, HexDigest, ResponseInput, ha1, response};
pub use challenger::{AuthOutcome, ChallengeCause, Challenger, ChallengerConfig, ForbiddenReason};
pub use credential::{Credential, CredentialSource};
pub use nonce::{NONCE_HEX_LEN, NonceCheck, NonceMint, hmac_sha256};
pub use params::{DigestParseError, DigestResponse, parse_authorization};
pub use replay::{NcTracker, NcVerdict};
