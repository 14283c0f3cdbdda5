//! Branch, tag and Call-ID generators over a caller-supplied byte source, so
//! tests are deterministic and no global RNG hides in the protocol code.
//!
//! `fill` is any function that fills a buffer with random bytes, e.g.
//! `|b| rng.fill_bytes(b)` with a `rand` RNG.

use crate::views::MAGIC_COOKIE;

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Encodes random bytes as lower-case base32 (token-safe, case-insensitive
/// safe, so it survives any comparison rule).
fn random_token<F: FnMut(&mut [u8])>(fill: &mut F, n: usize) -> String {
    let mut buf = vec![0u8; n];
    fill(&mut buf);
    buf.iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect()
}

/// A branch with the RFC 3261 §8.1.1.7 magic cookie and 120 random bits.
pub fn new_branch<F: FnMut(&mut [u8])>(mut fill: F) -> String {
    format!("{MAGIC_COOKIE}{}", random_token(&mut fill, 24))
}

/// A From/To tag with at least 32 random bits (RFC 3261 §19.3); we use 80.
pub fn new_tag<F: FnMut(&mut [u8])>(mut fill: F) -> String {
    random_token(&mut fill, 16)
}

/// A Call-ID (RFC 3261 §8.1.1.4), 120 random bits, optionally `@host`.
pub fn new_call_id<F: FnMut(&mut [u8])>(mut fill: F, host: Option<&str>) -> String {
    let id = random_token(&mut fill, 24);
    match host {
        Some(h) => format!("{id}@{h}"),
        None => id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> impl FnMut(&mut [u8]) {
        let mut n = 0u8;
        move |buf: &mut [u8]| {
            for b in buf {
                *b = n;
                n = n.wrapping_add(7);
            }
        }
    }

    #[test]
    fn deterministic_with_a_byte_source() {
        let b = new_branch(counter());
        assert!(b.starts_with("z9hG4bK"));
        assert_eq!(b, new_branch(counter()));
        assert_eq!(b.len(), 7 + 24);
        let t = new_tag(counter());
        assert!(crate::text::is_token(&t));
        assert_eq!(
            new_call_id(counter(), Some("sbc.example"))
                .split('@')
                .nth(1),
            Some("sbc.example")
        );
    }
}
