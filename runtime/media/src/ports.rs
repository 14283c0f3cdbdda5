//! A realm's RTP port pool: even RTP ports with RTP+1 for RTCP (RFC 3550
//! §11), from an inclusive range.
//!
//! Free pairs form a FIFO so a released port is reused as late as possible
//! (late packets of an ended call then do not reach the next call). Allocate
//! and release are O(1); a bitmap catches double releases.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// The range holds no free pair: the glue answers `503 Service Unavailable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("RTP port range {min}-{max} exhausted ({pairs} pairs in use)")]
pub struct PortsExhausted {
    /// Range start.
    pub min: u16,
    /// Range end.
    pub max: u16,
    /// Pairs in use.
    pub pairs: usize,
}

/// An allocated pair: `rtp` is even, RTCP is `rtp + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortPair {
    /// The RTP port.
    pub rtp: u16,
}

impl PortPair {
    /// The RTCP port (RTP + 1).
    pub fn rtcp(self) -> u16 {
        self.rtp + 1
    }
}

/// Counts for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Pairs in the range.
    pub capacity: usize,
    /// Pairs allocated.
    pub in_use: usize,
}

/// The pool. Not thread-safe by itself; see [`SharedPortPool`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortPool {
    min: u16,
    max: u16,
    /// First even port of the range.
    base: u16,
    pairs: usize,
    free: VecDeque<u16>,
    in_use: Vec<u64>,
    used: usize,
}

impl PortPool {
    /// A pool over `min..=max`; pairs start at the first even port. An odd
    /// `max` lets the last pair end exactly at it.
    pub fn new(min: u16, max: u16) -> Self {
        let base = min.saturating_add(min & 1);
        let mut free = VecDeque::new();
        let mut p = u32::from(base);
        while p < u32::from(max) {
            free.push_back(p as u16);
            p += 2;
        }
        let words = free.len().div_ceil(64);
        Self {
            min,
            max,
            base,
            pairs: free.len(),
            free,
            in_use: vec![0; words],
            used: 0,
        }
    }

    fn bit(&self, rtp: u16) -> Option<(usize, u64)> {
        let idx = usize::from(rtp.checked_sub(self.base)? / 2);
        if rtp & 1 != 0 || idx >= self.capacity() {
            return None;
        }
        Some((idx / 64, 1u64 << (idx % 64)))
    }

    /// Takes the least recently released pair.
    pub fn allocate(&mut self) -> Result<PortPair, PortsExhausted> {
        let rtp = self.free.pop_front().ok_or(PortsExhausted {
            min: self.min,
            max: self.max,
            pairs: self.used,
        })?;
        if let Some((w, m)) = self.bit(rtp)
            && let Some(word) = self.in_use.get_mut(w)
        {
            *word |= m;
        }
        self.used += 1;
        Ok(PortPair { rtp })
    }

    /// Returns a pair. Returns false (and changes nothing) for a pair that is
    /// not allocated from this pool.
    pub fn release(&mut self, pair: PortPair) -> bool {
        let Some((w, m)) = self.bit(pair.rtp) else {
            return false;
        };
        match self.in_use.get_mut(w) {
            Some(word) if *word & m != 0 => *word &= !m,
            _ => return false,
        }
        self.used -= 1;
        self.free.push_back(pair.rtp);
        true
    }

    /// Pairs in the range.
    pub fn capacity(&self) -> usize {
        self.pairs
    }

    /// Counts for metrics.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            capacity: self.capacity(),
            in_use: self.used,
        }
    }
}

/// A pool shared by the calls of a realm; leases release on drop.
#[derive(Debug, Clone)]
pub struct SharedPortPool(Arc<Mutex<PortPool>>);

impl SharedPortPool {
    /// Wraps a pool.
    pub fn new(pool: PortPool) -> Self {
        Self(Arc::new(Mutex::new(pool)))
    }

    fn lock(&self) -> MutexGuard<'_, PortPool> {
        // A panic elsewhere cannot leave the pool inconsistent mid-update
        // (each method is a few assignments), so poisoning is ignored.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Allocates a pair released when the lease drops.
    pub fn lease(&self) -> Result<PortLease, PortsExhausted> {
        let pair = self.lock().allocate()?;
        Ok(PortLease {
            pool: self.clone(),
            pair,
        })
    }

    /// Counts for metrics.
    pub fn stats(&self) -> PoolStats {
        self.lock().stats()
    }
}

/// A pair held by a call; returned to the pool on drop.
#[derive(Debug)]
pub struct PortLease {
    pool: SharedPortPool,
    pair: PortPair,
}

impl PortLease {
    /// The leased pair.
    pub fn pair(&self) -> PortPair {
        self.pair
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        self.pool.lock().release(self.pair);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_even_and_inside_the_range() {
        let mut p = PortPool::new(10001, 10010);
        assert_eq!(p.capacity(), 4); // 10002, 10004, 10006, 10008 (10010 has no 10011)
        let got: Vec<_> = (0..4).map(|_| p.allocate().unwrap()).collect();
        assert_eq!(
            got.iter().map(|p| p.rtp).collect::<Vec<_>>(),
            [10002, 10004, 10006, 10008]
        );
        assert_eq!(got[0].rtcp(), 10003);
        let err = p.allocate().unwrap_err();
        assert_eq!(err.pairs, 4);
        assert_eq!(
            err.to_string(),
            "RTP port range 10001-10010 exhausted (4 pairs in use)"
        );
        assert_eq!(PortPool::new(10000, 10001).capacity(), 1);
        assert_eq!(PortPool::new(65534, 65535).capacity(), 1);
        assert_eq!(PortPool::new(65535, 65535).capacity(), 0);
    }

    #[test]
    fn release_is_checked_and_fifo() {
        let mut p = PortPool::new(20000, 20007);
        let a = p.allocate().unwrap();
        let b = p.allocate().unwrap();
        assert!(p.release(a));
        assert!(!p.release(a), "double release");
        assert!(!p.release(PortPair { rtp: 20001 }), "odd port");
        assert!(!p.release(PortPair { rtp: 30000 }), "outside range");
        assert_eq!(
            p.stats(),
            PoolStats {
                capacity: 4,
                in_use: 1
            }
        );
        // a went to the back of the queue: the next two are the untouched pairs.
        assert_eq!(p.allocate().unwrap().rtp, 20004);
        assert_eq!(p.allocate().unwrap().rtp, 20006);
        assert_eq!(p.allocate().unwrap(), a);
        assert!(p.release(b));
    }

    #[test]
    fn ten_thousand_cycles_leave_the_pool_as_it_was() {
        let mut p = PortPool::new(30000, 30099);
        let before = p.clone();
        let cap_before = p.free.capacity();
        for i in 0..10_000 {
            let n = 1 + i % 50;
            let pairs: Vec<_> = (0..n).map(|_| p.allocate().unwrap()).collect();
            for pair in pairs {
                assert!(p.release(pair));
            }
            // Rotate back to the original order: allocate/release the rest once.
            let rest: Vec<_> = (0..p.capacity() - n)
                .map(|_| p.allocate().unwrap())
                .collect();
            for pair in rest {
                assert!(p.release(pair));
            }
        }
        assert_eq!(p, before);
        assert_eq!(p.free.capacity(), cap_before);
    }

    #[test]
    fn leases_release_on_drop() {
        let pool = SharedPortPool::new(PortPool::new(40000, 40003));
        let a = pool.lease().unwrap();
        let b = pool.lease().unwrap();
        assert!(pool.lease().is_err());
        assert_eq!(pool.stats().in_use, 2);
        assert_ne!(a.pair(), b.pair());
        drop(a);
        assert_eq!(pool.stats().in_use, 1);
        let c = pool.lease().unwrap();
        drop((b, c));
        assert_eq!(
            pool.stats(),
            PoolStats {
                capacity: 2,
                in_use: 0
            }
        );
    }
}
