//! Per-call metrics: ended calls by route and result, call setup time, transaction timeouts.
//!
//! These are counted once per call or per failed transaction, far from the per-message path, so
//! a short mutex over a small map is fine for the (route, result) pairs, whose number is bounded
//! by the plan.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the call setup histogram, in seconds: from an automatic answer (tens of
/// milliseconds) to a person picking up after a minute of ringing.
pub const SETUP_BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

/// A cumulative histogram with fixed buckets (Prometheus semantics).
pub struct Histogram {
    counts: [AtomicU64; SETUP_BUCKETS.len()],
    count: AtomicU64,
    /// Sum in microseconds (an integer, so it can be an atomic).
    sum_us: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn observe(&self, value: Duration) {
        let secs = value.as_secs_f64();
        for (bound, count) in SETUP_BUCKETS.iter().zip(&self.counts) {
            if secs <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// (upper bound, cumulative count) per bucket, then the total count and the sum in seconds.
    pub fn snapshot(&self) -> (Vec<(f64, u64)>, u64, f64) {
        let buckets = SETUP_BUCKETS
            .iter()
            .zip(&self.counts)
            .map(|(b, c)| (*b, c.load(Ordering::Relaxed)))
            .collect();
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        (buckets, self.count.load(Ordering::Relaxed), sum)
    }
}

#[derive(Default)]
pub struct CallMeter {
    ended: Mutex<BTreeMap<(String, String), u64>>,
    pub setup: Histogram,
    pub transaction_timeouts: AtomicU64,
}

impl CallMeter {
    /// A call ended: its route (`-` when none was chosen), its result (`answered`, `busy`,
    /// `cancelled`, `failed`, …) and, when it was answered, how long setup took.
    pub fn call_ended(&self, route: &str, result: &str, setup: Option<Duration>) {
        {
            let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
            *ended
                .entry((route.to_owned(), result.to_owned()))
                .or_default() += 1;
        }
        if let Some(setup) = setup {
            self.setup.observe(setup);
        }
    }

    pub fn transaction_timeout(&self) {
        self.transaction_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// ((route, result), count), sorted.
    pub fn ended(&self) -> Vec<((String, String), u64)> {
        let ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        ended.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let h = Histogram::default();
        h.observe(Duration::from_millis(80));
        h.observe(Duration::from_secs(3));
        let (buckets, count, sum) = h.snapshot();
        assert_eq!(count, 2);
        assert!((sum - 3.08).abs() < 1e-9, "{sum}");
        let at = |b: f64| buckets.iter().find(|(x, _)| *x == b).map(|(_, c)| *c);
        assert_eq!(at(0.05), Some(0));
        assert_eq!(at(0.1), Some(1));
        assert_eq!(at(2.5), Some(1));
        assert_eq!(at(5.0), Some(2));
        assert_eq!(at(60.0), Some(2));
    }

    #[test]
    fn calls_are_counted_by_route_and_result() {
        let m = CallMeter::default();
        m.call_ended("out", "answered", Some(Duration::from_secs(1)));
        m.call_ended("out", "answered", Some(Duration::from_secs(2)));
        m.call_ended("out", "busy", None);
        let ended = m.ended();
        assert_eq!(ended[0], (("out".into(), "answered".into()), 2));
        assert_eq!(ended[1], (("out".into(), "busy".into()), 1));
        assert_eq!(m.setup.snapshot().1, 2);
    }
}
