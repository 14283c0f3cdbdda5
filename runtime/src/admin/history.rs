//! The apply history: the last applies with their outcome (for `GET /status`), and counts of
//! every apply since start (for metrics).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::SystemTime;

use sbcctl_compiler::plan::Plan;
use serde::Serialize;

use super::api::ApplyRecord;

/// Entries kept: enough to see the last rollouts and their refusals, small enough for status.
const KEEP: usize = 20;

/// Applies since start, by outcome (the initial plan is not counted).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct ApplyCounts {
    pub applied: u64,
    pub unchanged: u64,
    pub refused: u64,
}

#[derive(Default)]
pub(crate) struct History {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    records: VecDeque<ApplyRecord>,
    counts: ApplyCounts,
}

impl History {
    /// The plan the host started with.
    pub fn started(&self, plan: &Plan) {
        self.push(ApplyRecord {
            at: now(),
            source: "start".into(),
            result: "applied".into(),
            hash: plan.hash.clone(),
            previous_hash: String::new(),
            message: "initial plan".into(),
        });
    }

    /// Records one apply; `result` is `applied`, `unchanged` or `refused`.
    pub fn record(&self, source: &str, result: &str, hash: &str, previous: &str, message: String) {
        {
            let mut inner = self.lock();
            match result {
                "applied" => inner.counts.applied += 1,
                "unchanged" => inner.counts.unchanged += 1,
                _ => inner.counts.refused += 1,
            }
        }
        self.push(ApplyRecord {
            at: now(),
            source: source.into(),
            result: result.into(),
            hash: hash.into(),
            previous_hash: previous.into(),
            message,
        });
    }

    /// The kept records, oldest first, and the counts.
    pub fn snapshot(&self) -> (Vec<ApplyRecord>, ApplyCounts) {
        let inner = self.lock();
        (inner.records.iter().cloned().collect(), inner.counts)
    }

    fn push(&self, record: ApplyRecord) {
        let mut inner = self.lock();
        if inner.records.len() == KEEP {
            inner.records.pop_front();
        }
        inner.records.push_back(record);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves plain data behind; keep using it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now() -> String {
    crate::cdr::rfc3339(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_entries_and_counts_every_apply() {
        let h = History::default();
        for i in 0..30 {
            let result = if i % 3 == 0 { "refused" } else { "applied" };
            h.record("admin", result, &format!("h{i}"), "", String::new());
        }
        let (records, counts) = h.snapshot();
        assert_eq!(records.len(), KEEP);
        assert_eq!(records.first().map(|r| r.hash.as_str()), Some("h10"));
        assert_eq!(records.last().map(|r| r.hash.as_str()), Some("h29"));
        assert_eq!(counts.refused, 10);
        assert_eq!(counts.applied, 20);
    }
}
