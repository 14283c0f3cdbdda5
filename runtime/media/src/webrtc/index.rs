//! Dispatch of datagrams on a shared realm socket to WebRTC legs.
//!
//! A browser's connectivity check carries `USERNAME = <our ufrag>:<its
//! ufrag>` (RFC 8445 §7.2.2), so the first STUN request names the leg; the
//! source address is then learnt, and DTLS, SRTP and later checks from it
//! map by address (a hash lookup each, no scan).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::SocketAddr;

const STUN_HEADER: usize = 20;
const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xa4, 0x42];
const ATTR_USERNAME: u16 = 0x0006;

/// The local (our) ufrag from a STUN message's USERNAME attribute
/// (RFC 8489 §14.3), or `None` for anything else.
pub fn stun_local_ufrag(datagram: &[u8]) -> Option<&str> {
    let header = datagram.get(..STUN_HEADER)?;
    if header[0] & 0xc0 != 0 || header[4..8] != MAGIC_COOKIE {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let mut attrs = datagram.get(STUN_HEADER..STUN_HEADER + len)?;
    while attrs.len() >= 4 {
        let ty = u16::from_be_bytes([attrs[0], attrs[1]]);
        let alen = usize::from(u16::from_be_bytes([attrs[2], attrs[3]]));
        let value = attrs.get(4..4 + alen)?;
        if ty == ATTR_USERNAME {
            let user = std::str::from_utf8(value).ok()?;
            return user.split(':').next();
        }
        attrs = attrs.get(4 + alen.div_ceil(4) * 4..).unwrap_or(&[]);
    }
    None
}

/// Maps datagrams to legs identified by `K`.
#[derive(Debug, Clone)]
pub struct LegIndex<K> {
    by_ufrag: HashMap<String, K>,
    by_addr: HashMap<SocketAddr, K>,
}

impl<K> Default for LegIndex<K> {
    fn default() -> Self {
        Self {
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
        }
    }
}

impl<K: Copy + Eq + Hash> LegIndex<K> {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a leg's local ufrag (again after each ICE restart; the old
    /// ufrag may stay until [`Self::remove`]).
    pub fn insert_ufrag(&mut self, ufrag: &str, key: K) {
        self.by_ufrag.insert(ufrag.to_owned(), key);
    }

    /// The leg for a datagram: STUN USERNAME first (and then the source is
    /// learnt for that leg), else the source address.
    pub fn lookup(&mut self, from: SocketAddr, datagram: &[u8]) -> Option<K> {
        if let Some(key) = stun_local_ufrag(datagram)
            .and_then(|u| self.by_ufrag.get(u))
            .copied()
        {
            self.by_addr.insert(from, key);
            return Some(key);
        }
        self.by_addr.get(&from).copied()
    }

    /// Associates an address with a leg (after a fallback `accepts` scan).
    pub fn learn(&mut self, from: SocketAddr, key: K) {
        self.by_addr.insert(from, key);
    }

    /// Forgets everything about a leg.
    pub fn remove(&mut self, key: K) {
        self.by_ufrag.retain(|_, k| *k != key);
        self.by_addr.retain(|_, k| *k != key);
    }

    /// Number of (ufrag, address) entries, for metrics and leak tests.
    pub fn len(&self) -> (usize, usize) {
        (self.by_ufrag.len(), self.by_addr.len())
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_ufrag.is_empty() && self.by_addr.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding_request(username: &[u8]) -> Vec<u8> {
        let mut m = vec![0x00, 0x01, 0, 0];
        m.extend_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(&[7; 12]);
        // An unrelated attribute first (PRIORITY), then USERNAME, padded.
        m.extend_from_slice(&[0x00, 0x24, 0, 4, 1, 2, 3, 4]);
        m.extend_from_slice(&ATTR_USERNAME.to_be_bytes());
        m.extend_from_slice(&(username.len() as u16).to_be_bytes());
        m.extend_from_slice(username);
        while m.len() % 4 != 0 {
            m.push(0);
        }
        let len = (m.len() - STUN_HEADER) as u16;
        m[2..4].copy_from_slice(&len.to_be_bytes());
        m
    }

    #[test]
    fn username_parsing() {
        assert_eq!(
            stun_local_ufrag(&binding_request(b"abcd:wxyz")),
            Some("abcd")
        );
        assert_eq!(stun_local_ufrag(&binding_request(b"abc")), Some("abc"));
        let mut no_cookie = binding_request(b"abcd:wxyz");
        no_cookie[4] = 0;
        assert_eq!(stun_local_ufrag(&no_cookie), None);
        assert_eq!(stun_local_ufrag(&[0x80, 0, 0, 0]), None);
        let mut truncated = binding_request(b"abcd:wxyz");
        truncated.truncate(30);
        assert_eq!(stun_local_ufrag(&truncated), None);
    }

    #[test]
    fn ufrag_first_then_address() {
        let mut idx = LegIndex::new();
        idx.insert_ufrag("leg1", 1u32);
        idx.insert_ufrag("leg2", 2u32);
        let a: SocketAddr = "198.51.100.1:5000".parse().unwrap();
        let b: SocketAddr = "198.51.100.2:5000".parse().unwrap();
        assert_eq!(
            idx.lookup(a, &[0x80, 0x60]),
            None,
            "RTP from an unknown address"
        );
        assert_eq!(idx.lookup(a, &binding_request(b"leg2:x")), Some(2));
        assert_eq!(
            idx.lookup(a, &[22, 254, 253]),
            Some(2),
            "DTLS by learnt address"
        );
        // The same browser address moves to another leg by ufrag.
        assert_eq!(idx.lookup(a, &binding_request(b"leg1:y")), Some(1));
        assert_eq!(idx.lookup(b, &binding_request(b"nobody:z")), None);
        idx.learn(b, 2);
        assert_eq!(idx.lookup(b, &[0x80, 0]), Some(2));
        idx.remove(2);
        idx.remove(1);
        assert!(idx.is_empty());
    }
}
