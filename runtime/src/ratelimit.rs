//! Requests-per-second limit per source IP (the plan's `limits.requests_per_ip_per_s`).
//!
//! A token bucket per address, refilled from `now` (sans-IO: the caller passes the clock). The
//! table is bounded: when it is full, buckets that have refilled completely are dropped first
//! (forgetting them changes nothing), then the least recently heard address, so a flood from many
//! addresses costs bounded memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// One address's bucket: `tokens` available as of `at`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    max_addresses: usize,
    buckets: HashMap<IpAddr, Bucket>,
}

impl RateLimiter {
    /// `per_second` sustained with a burst of one second's worth; 0 disables the limit.
    pub fn new(per_second: u32, max_addresses: usize) -> Self {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(per_second.max(1)),
            max_addresses: max_addresses.max(16),
            buckets: HashMap::new(),
        }
    }

    /// True when a request from `ip` at `now` is within the limit (and takes a token).
    pub fn allow(&mut self, now: Instant, ip: IpAddr) -> bool {
        if self.per_second <= 0.0 {
            return true;
        }
        if !self.buckets.contains_key(&ip) && self.buckets.len() >= self.max_addresses {
            self.evict_idle(now);
        }
        let (rate, burst) = (self.per_second, self.burst);
        let bucket = self.buckets.entry(ip).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How many addresses are tracked.
    #[cfg(test)]
    pub fn tracked(&self) -> usize {
        self.buckets.len()
    }

    /// Drops buckets that would be full again by `now`: forgetting them changes nothing.
    fn evict_idle(&mut self, now: Instant) {
        let refill = Duration::from_secs_f64(self.burst / self.per_second);
        self.buckets
            .retain(|_, b| now.saturating_duration_since(b.at) < refill);
        if self.buckets.len() >= self.max_addresses {
            // Every address is active: forget the one heard from longest ago.
            if let Some(oldest) = self
                .buckets
                .iter()
                .min_by_key(|(_, b)| b.at)
                .map(|(ip, _)| *ip)
            {
                self.buckets.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, n])
    }

    #[test]
    fn burst_then_refill() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(10, 100);
        let allowed = (0..15).filter(|_| rl.allow(t0, ip(1))).count();
        assert_eq!(allowed, 10, "a burst of one second's worth");
        assert!(!rl.allow(t0, ip(1)));
        assert!(
            rl.allow(t0 + Duration::from_millis(100), ip(1)),
            "one token back after 100 ms"
        );
        assert!(rl.allow(t0, ip(2)), "other addresses are not affected");
    }

    #[test]
    fn zero_disables() {
        let mut rl = RateLimiter::new(0, 100);
        let t0 = Instant::now();
        assert!((0..10_000).all(|_| rl.allow(t0, ip(1))));
        assert_eq!(rl.tracked(), 0);
    }

    #[test]
    fn table_is_bounded() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(5, 16);
        for _ in 0..5 {
            assert!(rl.allow(t0, ip(1)));
        }
        assert!(!rl.allow(t0, ip(1)));
        for n in 2..200u8 {
            rl.allow(t0 + Duration::from_millis(u64::from(n)), ip(n));
        }
        assert!(rl.tracked() <= 16);
    }
}
