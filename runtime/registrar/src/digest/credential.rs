//! Credentials from the plan: a plaintext password or precomputed HA1 values.

use super::algorithm::{HashKind, HexDigest, ha1, parse_ha1};
use std::collections::{BTreeMap, HashMap};

/// What the plan stores for one user.
///
/// HA1 (`H(username:realm:password)`, RFC 7616 §3.4.2) lets an operator keep
/// passwords out of the plan; it is tied to the realm, so the plan must use
/// the realm the challenger announces. An HA1 can only answer the algorithm
/// it was computed with, hence one optional value per hash.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// The password itself.
    Plain(String),
    /// Hex HA1 values; either may be absent.
    Ha1 {
        /// `MD5(user:realm:password)` in hex.
        md5: Option<String>,
        /// `SHA-256(user:realm:password)` in hex.
        sha256: Option<String>,
    },
}

impl std::fmt::Debug for Credential {
    /// Never prints the secret (logs stay safe).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Plain(_) => f.write_str("Credential::Plain(<redacted>)"),
            Credential::Ha1 { md5, sha256 } => f
                .debug_struct("Credential::Ha1")
                .field("md5", &md5.as_ref().map(|_| "<redacted>"))
                .field("sha256", &sha256.as_ref().map(|_| "<redacted>"))
                .finish(),
        }
    }
}

impl Credential {
    /// The base HA1 for `kind`, or `None` when this credential cannot answer
    /// that hash (an HA1 for the other algorithm only, or malformed hex).
    pub fn ha1(&self, kind: HashKind, username: &str, realm: &str) -> Option<HexDigest> {
        match self {
            Credential::Plain(password) => Some(ha1(kind, username, realm, password)),
            Credential::Ha1 { md5, sha256 } => {
                let stored = match kind {
                    HashKind::Md5 => md5.as_deref(),
                    HashKind::Sha256 => sha256.as_deref(),
                }?;
                parse_ha1(kind, stored)
            }
        }
    }
}

/// Where the challenger looks users up; implemented for the usual maps so the
/// glue can hand over the plan's user table as is.
pub trait CredentialSource {
    /// The credential of `username`, if the user exists.
    fn credential(&self, username: &str) -> Option<&Credential>;
}

impl<S: std::hash::BuildHasher> CredentialSource for HashMap<String, Credential, S> {
    fn credential(&self, username: &str) -> Option<&Credential> {
        self.get(username)
    }
}

impl CredentialSource for BTreeMap<String, Credential> {
    fn credential(&self, username: &str) -> Option<&Credential> {
        self.get(username)
    }
}
