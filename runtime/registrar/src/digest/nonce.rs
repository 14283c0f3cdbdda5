//! Stateless, unforgeable nonces (RFC 7616 §5.4–5.5).
//!
//! A nonce is `hex(issued_ms ‖ seq ‖ HMAC-SHA256(secret, issued_ms ‖ seq)[..16])`:
//! the issue time on the challenger's own millisecond clock (derived from
//! `now - epoch`, never from the wall clock), a per-process sequence number
//! that makes every nonce unique (and orders them for the replay table), and a
//! truncated MAC. The server keeps no state per challenge, so a flood of
//! unauthenticated REGISTERs costs nothing but the 401s. A restart draws a new
//! secret: nonces from before it fail the MAC and get a fresh challenge.

use sha2::{Digest as _, Sha256};

/// Bytes of MAC kept in the nonce (128 bits).
const MAC_LEN: usize = 16;
/// Raw nonce length: 8 bytes of time, 8 of sequence, the MAC.
const RAW_LEN: usize = 16 + MAC_LEN;
/// How far in the future an issue time may lie and still count as "just
/// issued": worker threads read `now` before taking the challenger's lock, so
/// a verification can carry an instant a little older than the challenge.
const FUTURE_SLACK_MS: u64 = 2_000;
/// Length of the hex nonce.
pub const NONCE_HEX_LEN: usize = RAW_LEN * 2;

/// HMAC-SHA256 (RFC 2104) over `msg` with a 32-byte key.
///
/// RFC 2104 is a dozen lines over `sha2`, so it is written out here rather
/// than adding a dependency; the RFC 4231 test vector in the tests pins it.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k0 = [0u8; BLOCK];
    if key.len() > BLOCK {
        let digest = Sha256::digest(key);
        for (d, s) in k0.iter_mut().zip(digest.iter()) {
            *d = *s;
        }
    } else {
        for (d, s) in k0.iter_mut().zip(key) {
            *d = *s;
        }
    }
    let mut ipad = [0u8; BLOCK];
    let mut opad = [0u8; BLOCK];
    for ((i, o), k) in ipad.iter_mut().zip(opad.iter_mut()).zip(k0) {
        *i = k ^ 0x36;
        *o = k ^ 0x5c;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// What a nonce turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// Ours and within its lifetime.
    Fresh {
        /// Issue time on the challenger clock (ms).
        issued_ms: u64,
        /// Unique sequence number.
        seq: u64,
    },
    /// Ours but older than the lifetime (→ `stale=true` if the response is right).
    Stale,
    /// Not ours: bad length, not hex, wrong MAC, or issued in the future.
    Invalid,
}

/// Mints and checks nonces with one secret.
#[derive(Clone)]
pub struct NonceMint {
    secret: [u8; 32],
}

impl std::fmt::Debug for NonceMint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceMint(<secret>)")
    }
}

impl NonceMint {
    /// A mint keyed with `secret` (draw it from a CSPRNG once per process).
    pub fn new(secret: [u8; 32]) -> NonceMint {
        NonceMint { secret }
    }

    fn mac(&self, head: &[u8; 16]) -> [u8; 32] {
        hmac_sha256(&self.secret, head)
    }

    /// A nonce for `issued_ms` and the unique `seq`.
    pub fn issue(&self, issued_ms: u64, seq: u64) -> String {
        let mut raw = [0u8; RAW_LEN];
        let mut head = [0u8; 16];
        head[..8].copy_from_slice(&issued_ms.to_be_bytes());
        head[8..].copy_from_slice(&seq.to_be_bytes());
        let mac = self.mac(&head);
        raw[..16].copy_from_slice(&head);
        raw[16..].copy_from_slice(&mac[..MAC_LEN]);
        hex::encode(raw)
    }

    /// Checks the MAC, then the age against `lifetime_ms` at `now_ms`.
    pub fn check(&self, nonce: &str, now_ms: u64, lifetime_ms: u64) -> NonceCheck {
        let mut raw = [0u8; RAW_LEN];
        if nonce.len() != NONCE_HEX_LEN || hex::decode_to_slice(nonce, &mut raw).is_err() {
            return NonceCheck::Invalid;
        }
        let mut head = [0u8; 16];
        head.copy_from_slice(&raw[..16]);
        let mac = self.mac(&head);
        if !super::algorithm::ct_eq(&mac[..MAC_LEN], &raw[16..]) {
            return NonceCheck::Invalid;
        }
        let mut t = [0u8; 8];
        t.copy_from_slice(&head[..8]);
        let issued_ms = u64::from_be_bytes(t);
        t.copy_from_slice(&head[8..]);
        let seq = u64::from_be_bytes(t);
        if issued_ms > now_ms.saturating_add(FUTURE_SLACK_MS) {
            // Only our own clock writes this field, so a time well in the
            // future means a secret reused across processes with other epochs.
            return NonceCheck::Invalid;
        }
        if now_ms.saturating_sub(issued_ms) >= lifetime_ms {
            NonceCheck::Stale
        } else {
            NonceCheck::Fresh { issued_ms, seq }
        }
    }
}
