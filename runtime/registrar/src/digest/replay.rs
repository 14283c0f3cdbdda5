//! Nonce-count replay protection (RFC 7616 §3.4 `nc`, §5.5).
//!
//! For each nonce that authenticated at least once, the highest `nc` accepted
//! so far. A request whose `nc` is not greater is a replay (or a confused
//! client) and gets a fresh challenge. Entries are keyed by the nonce's
//! sequence number, so the map is ordered by issue time: expired entries and,
//! past the size bound, the oldest ones are dropped from the front. An evicted
//! nonce must not become replayable, so the highest evicted sequence is kept
//! as a watermark: a nonce at or below it without an entry is refused.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy)]
struct Entry {
    last_nc: u32,
    expires_ms: u64,
}

/// Result of offering one `nc` for a nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NcVerdict {
    /// Higher than anything seen for this nonce; recorded.
    Accepted,
    /// Not higher than the last accepted value, or the nonce was evicted.
    Replay,
}

/// Highest nonce count per nonce, bounded.
#[derive(Debug, Clone)]
pub struct NcTracker {
    entries: BTreeMap<u64, Entry>,
    capacity: usize,
    evicted_upto: Option<u64>,
}

impl NcTracker {
    /// A tracker holding at most `capacity` nonces (at least one).
    pub fn new(capacity: usize) -> NcTracker {
        NcTracker {
            entries: BTreeMap::new(),
            capacity: capacity.max(1),
            evicted_upto: None,
        }
    }

    /// Number of nonces tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Offers `nc` for the nonce `seq` that expires at `expires_ms`.
    pub fn offer(&mut self, seq: u64, nc: u32, expires_ms: u64, now_ms: u64) -> NcVerdict {
        self.prune(now_ms);
        if let Some(entry) = self.entries.get_mut(&seq) {
            if nc <= entry.last_nc {
                return NcVerdict::Replay;
            }
            entry.last_nc = nc;
            return NcVerdict::Accepted;
        }
        if self.evicted_upto.is_some_and(|w| seq <= w) {
            return NcVerdict::Replay;
        }
        if nc == 0 {
            // RFC 7616: the first request with a nonce carries nc=00000001.
            return NcVerdict::Replay;
        }
        while self.entries.len() >= self.capacity {
            match self.entries.pop_first() {
                Some((old, _)) => {
                    self.evicted_upto = Some(self.evicted_upto.map_or(old, |w| w.max(old)));
                }
                None => break,
            }
        }
        self.entries.insert(
            seq,
            Entry {
                last_nc: nc,
                expires_ms,
            },
        );
        NcVerdict::Accepted
    }

    /// Drops entries whose nonce has expired: a stale nonce never reaches the
    /// replay check, so its entry is dead weight.
    pub fn prune(&mut self, now_ms: u64) {
        while let Some(entry) = self.entries.first_entry() {
            if entry.get().expires_ms > now_ms {
                break;
            }
            entry.remove();
        }
    }
}
