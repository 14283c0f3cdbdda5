//! Counting outcomes and latencies, and printing them in one comparable format.

use std::time::Duration;

use hdrhistogram::Histogram;

/// What one worker measured; merged at the end.
pub struct Tally {
    pub ok: u64,
    pub failed: u64,
    pub latency_us: Histogram<u64>,
}

impl Tally {
    pub fn new() -> Self {
        Tally {
            ok: 0,
            failed: 0,
            latency_us: Histogram::new_with_bounds(1, 60_000_000, 3)
                .expect("constant histogram bounds are valid"),
        }
    }

    pub fn success(&mut self, latency: Duration) {
        self.ok += 1;
        let us = (latency.as_micros() as u64).clamp(1, 60_000_000);
        let _ = self.latency_us.record(us);
    }

    pub fn merge(&mut self, other: &Tally) {
        self.ok += other.ok;
        self.failed += other.failed;
        let _ = self.latency_us.add(&other.latency_us);
    }

    /// One line a person can read and a script can grep.
    pub fn print(&self, scenario: &str, connections: usize, elapsed: Duration) {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let q = |p: f64| self.latency_us.value_at_quantile(p) as f64 / 1000.0;
        println!(
            "{scenario}: connections={connections} ok={} failed={} elapsed={secs:.1}s rate={:.0}/s p50={:.2}ms p99={:.2}ms max={:.2}ms",
            self.ok,
            self.failed,
            self.ok as f64 / secs,
            q(0.50),
            q(0.99),
            self.latency_us.max() as f64 / 1000.0,
        );
    }
}
