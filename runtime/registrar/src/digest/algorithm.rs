//! Digest algorithms and the hash arithmetic of RFC 7616 §3.4.
//!
//! Every hash here is fed piece by piece (`a`, `:`, `b`, …) straight into the
//! hasher and written as lowercase hex into a fixed stack buffer, so verifying
//! one response allocates nothing.

use md5::{Digest as _, Md5};
use sha2::Sha256;
use std::fmt;

/// A digest algorithm the registrar can offer and verify.
///
/// RFC 8760 adds SHA-256 to SIP; the `-sess` variants (RFC 7616 §3.4.2) fold
/// the nonce and cnonce into HA1 and cost one extra hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// `SHA-256` (RFC 7616, RFC 8760).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `MD5` (RFC 2617, the default when `algorithm` is absent).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
}

impl Algorithm {
    /// The token used in `algorithm=` (RFC 7616 §3.3).
    pub fn token(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
        }
    }

    /// Parses an `algorithm=` token, ignoring ASCII case as RFC 7616 §3.3 asks.
    pub fn from_token(token: &str) -> Option<Algorithm> {
        [
            Algorithm::Sha256,
            Algorithm::Sha256Sess,
            Algorithm::Md5,
            Algorithm::Md5Sess,
        ]
        .into_iter()
        .find(|a| a.token().eq_ignore_ascii_case(token))
    }

    /// The underlying hash function, without the session flag.
    pub fn hash(self) -> HashKind {
        match self {
            Algorithm::Sha256 | Algorithm::Sha256Sess => HashKind::Sha256,
            Algorithm::Md5 | Algorithm::Md5Sess => HashKind::Md5,
        }
    }

    /// Whether HA1 is the session variant `H(H(user:realm:pw):nonce:cnonce)`.
    pub fn is_sess(self) -> bool {
        matches!(self, Algorithm::Sha256Sess | Algorithm::Md5Sess)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// The hash function behind an [`Algorithm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashKind {
    /// MD5, 32 hex characters.
    Md5,
    /// SHA-256, 64 hex characters.
    Sha256,
}

impl HashKind {
    /// Length of the lowercase hex digest.
    pub fn hex_len(self) -> usize {
        match self {
            HashKind::Md5 => 32,
            HashKind::Sha256 => 64,
        }
    }
}

/// A lowercase hex digest kept on the stack (at most SHA-256's 64 characters).
#[derive(Clone, Copy)]
pub struct HexDigest {
    buf: [u8; 64],
    len: usize,
}

impl HexDigest {
    /// The hex characters.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The hex characters as text (always ASCII).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    fn from_raw(raw: &[u8]) -> HexDigest {
        let mut buf = [0u8; 64];
        let len = (raw.len() * 2).min(64);
        // `encode_to_slice` only fails on a length mismatch, which the slice
        // bounds above rule out; an empty digest would simply never match.
        let ok = match (buf.get_mut(..len), raw.get(..len / 2)) {
            (Some(out), Some(inp)) => hex::encode_to_slice(inp, out).is_ok(),
            _ => false,
        };
        HexDigest {
            buf,
            len: if ok { len } else { 0 },
        }
    }
}

impl fmt::Debug for HexDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for HexDigest {
    fn eq(&self, other: &Self) -> bool {
        ct_eq_ignore_ascii_case(self.as_bytes(), other.as_bytes())
    }
}

/// `H(p0 ":" p1 ":" … )`: the parts are joined with colons as every digest
/// formula in RFC 7616 §3.4 does.
pub fn h_joined(kind: HashKind, parts: &[&[u8]]) -> HexDigest {
    match kind {
        HashKind::Md5 => {
            let mut h = Md5::new();
            feed(&mut h, parts);
            HexDigest::from_raw(&h.finalize())
        }
        HashKind::Sha256 => {
            let mut h = Sha256::new();
            feed(&mut h, parts);
            HexDigest::from_raw(&h.finalize())
        }
    }
}

fn feed<D: md5::Digest>(h: &mut D, parts: &[&[u8]]) {
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b":");
        }
        h.update(p);
    }
}

/// HA1 from a plaintext password: `H(username:realm:password)` (RFC 7616 §3.4.2).
pub fn ha1(kind: HashKind, username: &str, realm: &str, password: &str) -> HexDigest {
    h_joined(
        kind,
        &[username.as_bytes(), realm.as_bytes(), password.as_bytes()],
    )
}

/// The inputs of one `qop=auth` response computation.
#[derive(Debug, Clone, Copy)]
pub struct ResponseInput<'a> {
    /// The request method (`REGISTER`).
    pub method: &'a str,
    /// The `uri` parameter as the client sent it.
    pub uri: &'a str,
    /// The server nonce.
    pub nonce: &'a str,
    /// The nonce count exactly as sent (8 hex digits).
    pub nc: &'a str,
    /// The client nonce.
    pub cnonce: &'a str,
    /// The quality of protection (`auth`).
    pub qop: &'a str,
}

/// `KD(HA1, nonce:nc:cnonce:qop:HA2)` with `HA2 = H(method:uri)` (RFC 7616
/// §3.4.1 and §3.4.3). `ha1_base` is `H(user:realm:password)`; for a `-sess`
/// algorithm it is rehashed with the nonce and cnonce first.
pub fn response(alg: Algorithm, ha1_base: &HexDigest, input: &ResponseInput<'_>) -> HexDigest {
    let kind = alg.hash();
    let ha1 = if alg.is_sess() {
        h_joined(
            kind,
            &[
                ha1_base.as_bytes(),
                input.nonce.as_bytes(),
                input.cnonce.as_bytes(),
            ],
        )
    } else {
        *ha1_base
    };
    let ha2 = h_joined(kind, &[input.method.as_bytes(), input.uri.as_bytes()]);
    h_joined(
        kind,
        &[
            ha1.as_bytes(),
            input.nonce.as_bytes(),
            input.nc.as_bytes(),
            input.cnonce.as_bytes(),
            input.qop.as_bytes(),
            ha2.as_bytes(),
        ],
    )
}

/// Parses a stored hex HA1 (either case) for `kind`; `None` when it has the
/// wrong length or is not hex.
pub fn parse_ha1(kind: HashKind, hex_text: &str) -> Option<HexDigest> {
    let text = hex_text.trim();
    if text.len() != kind.hex_len() || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut buf = [0u8; 64];
    for (dst, src) in buf.iter_mut().zip(text.bytes()) {
        *dst = src.to_ascii_lowercase();
    }
    Some(HexDigest {
        buf,
        len: text.len(),
    })
}

/// Compares two byte strings in time that depends only on their lengths,
/// folding ASCII case (hex digests may arrive in upper case).
pub fn ct_eq_ignore_ascii_case(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| {
        acc | (x.to_ascii_lowercase() ^ y.to_ascii_lowercase())
    });
    std::hint::black_box(diff) == 0
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}
