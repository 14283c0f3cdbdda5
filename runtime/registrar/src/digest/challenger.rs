//! The server side of SIP digest authentication for one realm (RFC 3261
//! §22.4, RFC 7616, RFC 8760).
//!
//! Outcome rules, chosen so a client never loops on 401:
//! - no credentials for our realm → 401 with a fresh challenge;
//! - a nonce that is not ours (forged, or from before a restart) → fresh 401;
//! - an expired nonce with a correct response → 401 `stale=true`, so the UA
//!   retries without asking its user (RFC 7616 §3.3: stale only when the
//!   response itself is right); with a wrong response → fresh 401;
//! - a fresh nonce with a correct response but an `nc` already used → fresh
//!   401 (replay, RFC 7616 §5.5);
//! - a fresh nonce with a wrong response → 403: the client already had its
//!   401 and answered it with the wrong password;
//! - an unknown user is handled exactly like a wrong password (403 on a fresh
//!   nonce, 401 otherwise), so responses do not reveal which users exist.

use super::algorithm::{
    Algorithm, HashKind, HexDigest, ResponseInput, ct_eq_ignore_ascii_case, h_joined, response,
};
use super::credential::CredentialSource;
use super::nonce::{NonceCheck, NonceMint};
use super::params::{DigestParseError, DigestResponse, parse_authorization};
use super::replay::{NcTracker, NcVerdict};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Settings of a [`Challenger`].
#[derive(Debug, Clone)]
pub struct ChallengerConfig {
    /// The realm announced and required (`realm` of the users peer).
    pub realm: String,
    /// Algorithms offered, one challenge each, in this order: RFC 8760 §2.4
    /// wants the preferred one first, but browser SIP stacks (JsSIP, SIP.js)
    /// answer only the first challenge and only with MD5, so the order is
    /// the operator's choice. Defaults to SHA-256 then MD5.
    pub algorithms: Vec<Algorithm>,
    /// How long a nonce is fresh (default 300 s).
    pub nonce_lifetime: Duration,
    /// Bound of the nc replay table (default 100 000 nonces).
    pub max_tracked_nonces: usize,
    /// An `opaque` value to put in challenges. Clients echo it; it is not
    /// checked, because the nonce already carries everything verified.
    pub opaque: Option<String>,
}

impl ChallengerConfig {
    /// Defaults for `realm`.
    pub fn new(realm: impl Into<String>) -> ChallengerConfig {
        ChallengerConfig {
            realm: realm.into(),
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            nonce_lifetime: Duration::from_secs(300),
            max_tracked_nonces: 100_000,
            opaque: None,
        }
    }
}

/// Why a request with credentials is refused with 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForbiddenReason {
    /// Wrong password, or unknown user (deliberately not told apart).
    BadCredentials,
    /// `algorithm` is one we did not offer.
    UnsupportedAlgorithm,
    /// `qop` absent or other than `auth` (RFC 2069 answers and `auth-int`).
    UnsupportedQop,
    /// `userhash=true` (RFC 7616 §3.4.4) is not supported.
    UserhashUnsupported,
    /// The user's stored HA1 does not cover the algorithm the client chose.
    NoCredentialForAlgorithm,
}

impl ForbiddenReason {
    /// A short text for logs and the 403 reason phrase.
    pub fn as_str(self) -> &'static str {
        match self {
            ForbiddenReason::BadCredentials => "bad credentials",
            ForbiddenReason::UnsupportedAlgorithm => "unsupported digest algorithm",
            ForbiddenReason::UnsupportedQop => "qop=auth required",
            ForbiddenReason::UserhashUnsupported => "userhash not supported",
            ForbiddenReason::NoCredentialForAlgorithm => "no credential for this algorithm",
        }
    }
}

/// Why a fresh challenge is sent (for logs and metrics; the 401 looks the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeCause {
    /// No credentials for this realm.
    NoCredentials,
    /// The nonce is not one we issued.
    UnknownNonce,
    /// The nonce expired; with `stale = true` the response was right.
    Expired,
    /// The nonce count was used before.
    Replay,
    /// Credentials for another realm.
    OtherRealm,
}

/// The verdict on one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    /// Authenticated.
    Ok {
        /// The authenticated user name.
        user: String,
        /// The algorithm used.
        algorithm: Algorithm,
        /// The digest `uri`, for the caller to compare with the Request-URI.
        uri: String,
    },
    /// Answer 401 (or 407) with [`Challenger::challenges`]`(now, stale)`.
    Challenge {
        /// Put `stale=true` in the challenges.
        stale: bool,
        /// Why (not sent to the client).
        cause: ChallengeCause,
    },
    /// Answer 403.
    Forbidden {
        /// Why (the user name is logged by the caller if it wants).
        reason: ForbiddenReason,
    },
    /// Answer 400: the credentials do not parse.
    Malformed(DigestParseError),
}

/// Issues and verifies digest challenges for one realm.
///
/// Verification needs `&mut self` for the replay table; share one challenger
/// per users peer behind a mutex (the work under the lock is a few hashes).
#[derive(Debug)]
pub struct Challenger {
    config: ChallengerConfig,
    mint: NonceMint,
    epoch: Instant,
    seq: AtomicU64,
    replay: NcTracker,
}

impl Challenger {
    /// A challenger with a per-process random `secret` (from the caller's
    /// CSPRNG) and an `epoch` instant from which its nonce clock counts.
    pub fn new(config: ChallengerConfig, secret: [u8; 32], epoch: Instant) -> Challenger {
        let replay = NcTracker::new(config.max_tracked_nonces);
        Challenger {
            config,
            mint: NonceMint::new(secret),
            epoch,
            seq: AtomicU64::new(0),
            replay,
        }
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.config.realm
    }

    /// Nonces currently tracked for replay protection (a metric).
    pub fn tracked_nonces(&self) -> usize {
        self.replay.len()
    }

    fn now_ms(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }

    fn lifetime_ms(&self) -> u64 {
        u64::try_from(self.config.nonce_lifetime.as_millis()).unwrap_or(u64::MAX)
    }

    fn offered(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.config.algorithms.iter().copied()
    }

    /// Header values for `WWW-Authenticate` (or `Proxy-Authenticate`), one per
    /// offered algorithm in the configured order, sharing one nonce.
    pub fn challenges(&self, now: Instant, stale: bool) -> Vec<String> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let nonce = self.mint.issue(self.now_ms(now), seq);
        self.offered()
            .map(|alg| {
                let mut v = String::with_capacity(160);
                v.push_str("Digest realm=");
                push_quoted(&mut v, &self.config.realm);
                let _ = write!(v, ", nonce=\"{nonce}\"");
                if let Some(opaque) = &self.config.opaque {
                    v.push_str(", opaque=");
                    push_quoted(&mut v, opaque);
                }
                let _ = write!(v, ", qop=\"auth\", algorithm={}", alg.token());
                if stale {
                    v.push_str(", stale=true");
                }
                v
            })
            .collect()
    }

    /// Verifies a request. `authorization` holds the values of every
    /// `Authorization` (or `Proxy-Authorization`) header of the request; the
    /// first whose realm is ours is used (RFC 3261 §22.4: others are for
    /// other hops). `method` is the request method (for HA2).
    pub fn verify<C: CredentialSource + ?Sized>(
        &mut self,
        now: Instant,
        method: &str,
        authorization: &[&str],
        users: &C,
    ) -> AuthOutcome {
        let mut saw_other_realm = false;
        let mut first_error = None;
        for value in authorization {
            match parse_authorization(value) {
                Ok(creds) if creds.realm == self.config.realm => {
                    return self.verify_parsed(now, method, &creds, users);
                }
                Ok(_) => saw_other_realm = true,
                Err(DigestParseError::NotDigest(_)) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return AuthOutcome::Malformed(e);
        }
        AuthOutcome::Challenge {
            stale: false,
            cause: if saw_other_realm {
                ChallengeCause::OtherRealm
            } else {
                ChallengeCause::NoCredentials
            },
        }
    }

    /// Verifies already parsed credentials (whose realm the caller matched).
    pub fn verify_parsed<C: CredentialSource + ?Sized>(
        &mut self,
        now: Instant,
        method: &str,
        creds: &DigestResponse,
        users: &C,
    ) -> AuthOutcome {
        let forbidden = |reason| AuthOutcome::Forbidden { reason };
        if creds.realm != self.config.realm {
            return AuthOutcome::Challenge {
                stale: false,
                cause: ChallengeCause::OtherRealm,
            };
        }
        let algorithm = match creds.algorithm.as_deref() {
            None => Algorithm::Md5,
            Some(token) => match Algorithm::from_token(token) {
                Some(a) => a,
                None => return forbidden(ForbiddenReason::UnsupportedAlgorithm),
            },
        };
        if !self.config.algorithms.contains(&algorithm) {
            return forbidden(ForbiddenReason::UnsupportedAlgorithm);
        }
        if creds
            .userhash
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case("true"))
        {
            return forbidden(ForbiddenReason::UserhashUnsupported);
        }
        let (Some(qop), Some(cnonce), Some(nc_text)) = (
            creds.qop.as_deref(),
            creds.cnonce.as_deref(),
            creds.nc.as_deref(),
        ) else {
            return forbidden(ForbiddenReason::UnsupportedQop);
        };
        if !qop.eq_ignore_ascii_case("auth") {
            return forbidden(ForbiddenReason::UnsupportedQop);
        }
        let nc = match creds.nonce_count() {
            Ok(Some(nc)) => nc,
            Ok(None) => return forbidden(ForbiddenReason::UnsupportedQop),
            Err(e) => return AuthOutcome::Malformed(e),
        };

        let now_ms = self.now_ms(now);
        let lifetime_ms = self.lifetime_ms();
        let nonce_state = self.mint.check(&creds.nonce, now_ms, lifetime_ms);
        if nonce_state == NonceCheck::Invalid {
            return AuthOutcome::Challenge {
                stale: false,
                cause: ChallengeCause::UnknownNonce,
            };
        }

        let kind = algorithm.hash();
        let ha1 = match users.credential(&creds.username) {
            Some(credential) => match credential.ha1(kind, &creds.username, &self.config.realm) {
                Some(h) => Some(h),
                None => return forbidden(ForbiddenReason::NoCredentialForAlgorithm),
            },
            None => None,
        };
        // An unknown user still costs one response computation, against a
        // dummy HA1, so timing does not tell users apart either.
        let known = ha1.is_some();
        let ha1 = ha1.unwrap_or_else(|| dummy_ha1(kind));
        let expected = response(
            algorithm,
            &ha1,
            &ResponseInput {
                method,
                uri: &creds.uri,
                nonce: &creds.nonce,
                nc: nc_text,
                cnonce,
                qop,
            },
        );
        let matches =
            ct_eq_ignore_ascii_case(expected.as_bytes(), creds.response.as_bytes()) && known;

        match nonce_state {
            NonceCheck::Invalid => AuthOutcome::Challenge {
                stale: false,
                cause: ChallengeCause::UnknownNonce,
            },
            NonceCheck::Stale => AuthOutcome::Challenge {
                stale: matches,
                cause: ChallengeCause::Expired,
            },
            NonceCheck::Fresh { issued_ms, seq } if matches => {
                let expires_ms = issued_ms.saturating_add(lifetime_ms);
                match self.replay.offer(seq, nc, expires_ms, now_ms) {
                    NcVerdict::Accepted => AuthOutcome::Ok {
                        user: creds.username.clone(),
                        algorithm,
                        uri: creds.uri.clone(),
                    },
                    NcVerdict::Replay => AuthOutcome::Challenge {
                        stale: false,
                        cause: ChallengeCause::Replay,
                    },
                }
            }
            NonceCheck::Fresh { .. } => forbidden(ForbiddenReason::BadCredentials),
        }
    }
}

fn dummy_ha1(kind: HashKind) -> HexDigest {
    h_joined(kind, &[b"\0unknown-user\0"])
}

/// Appends `s` as a quoted string, escaping `"` and `\` (RFC 3261 §25.1).
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}
