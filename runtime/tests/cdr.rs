//! The CDR writer: JSON lines appended to a file, `off`, stdout, and failures that are logged once
//! per burst.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, UNIX_EPOCH};

use sbcctl_compiler::plan::Cdr;
use sbcctl_runtime::cdr::{CdrRecord, CdrSink, rfc3339};
use serde_json::Value;

fn record(n: u32) -> CdrRecord {
    let t0 = UNIX_EPOCH + Duration::from_millis(1_767_225_600_250);
    CdrRecord {
        sbc_call_id: format!("c-{n}"),
        caller_call_id: format!("a84b4c76e66710-{n}@192.0.2.4"),
        start: rfc3339(t0),
        answer: Some(rfc3339(t0 + Duration::from_millis(2_150))),
        end: rfc3339(t0 + Duration::from_millis(65_400)),
        duration_secs: 63.250_000_000_000_01,
        setup_ms: Some(2_150),
        source_peer: "web-phones".into(),
        destination_peer: Some("pbx".into()),
        route: Some("web-to-pbx".into()),
        from_user: "alice".into(),
        to_user: "+4930123456".into(),
        result_code: 200,
        result: "answered".into(),
        hangup_side: Some("caller".into()),
        reason: None,
    }
}

fn unanswered(n: u32) -> CdrRecord {
    CdrRecord {
        answer: None,
        duration_secs: 0.0,
        setup_ms: None,
        destination_peer: None,
        route: None,
        result_code: 404,
        result: "no-route".into(),
        hangup_side: None,
        reason: Some("no route matched".into()),
        ..record(n)
    }
}

/// A fresh directory per test (tests run in parallel in one process).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sbcctl-cdr-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.is_empty() || text.ends_with('\n'), "whole lines only");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn file_sink(path: &Path) -> CdrSink {
    CdrSink::new(&Cdr::File(path.to_string_lossy().into_owned()))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn file_sink_appends_one_parseable_json_line_per_call() {
    let path = scratch("lines").join("cdr.jsonl");
    let sink = file_sink(&path);
    assert!(sink.is_enabled());
    sink.write(&record(1));
    sink.write(&unanswered(2));
    sink.write(&record(3));
    // Dropping the sink drains its queue.
    drop(sink);
    let got = lines(&path);
    assert_eq!(got.len(), 3);
    let ids: Vec<&str> = got
        .iter()
        .filter_map(|v| v["sbc_call_id"].as_str())
        .collect();
    assert_eq!(ids, ["c-1", "c-2", "c-3"]);
    assert_eq!(got[0]["start"], "2026-01-01T00:00:00.250Z");
    assert_eq!(got[0]["answer"], "2026-01-01T00:00:02.400Z");
    assert_eq!(got[0]["duration_secs"], 63.25);
    assert_eq!(got[1]["answer"], Value::Null);
    assert_eq!(got[1]["result"], "no-route");
    assert_eq!(got[1]["result_code"], 404);

    // A second sink (a restart) appends; it never truncates.
    let again = file_sink(&path);
    again.write(&record(4));
    drop(again);
    let got = lines(&path);
    assert_eq!(got.len(), 4);
    assert_eq!(got[0]["sbc_call_id"], "c-1");
    assert_eq!(got[3]["sbc_call_id"], "c-4");
}

#[test]
fn a_line_has_every_field_snapshot() {
    let path = scratch("shape").join("cdr.jsonl");
    let sink = file_sink(&path);
    sink.write(&record(17));
    sink.write(&unanswered(18));
    drop(sink);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots/runtime"));
    settings.bind(|| insta::assert_snapshot!("cdr_lines", text));
}

#[test]
fn many_records_all_arrive_in_order() {
    let path = scratch("many").join("cdr.jsonl");
    let sink = file_sink(&path);
    let n = 5_000;
    let started = Instant::now();
    for i in 0..n {
        sink.write(&record(i));
    }
    let queued = started.elapsed();
    drop(sink);
    let got = lines(&path);
    assert_eq!(got.len(), n as usize);
    for (i, v) in got.iter().enumerate() {
        assert_eq!(v["sbc_call_id"], format!("c-{i}"));
    }
    eprintln!("queued {n} CDRs in {queued:?} ({:?} each)", queued / n);
}

#[test]
fn off_writes_nothing_and_costs_nothing() {
    let dir = scratch("off");
    let sink = CdrSink::new(&Cdr::Off).unwrap_or_else(|e| panic!("{e}"));
    assert!(!sink.is_enabled());
    sink.write(&record(1));
    drop(sink);
    let entries = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(entries, 0);
}

#[test]
fn stdout_sink_is_constructible_and_writes() {
    let sink = CdrSink::new(&Cdr::Stdout).unwrap_or_else(|e| panic!("{e}"));
    assert!(sink.is_enabled());
    sink.write(&unanswered(99));
}

#[test]
fn a_file_that_cannot_be_opened_fails_at_start() {
    let path = scratch("missing").join("no-such-dir").join("cdr.jsonl");
    assert!(CdrSink::new(&Cdr::File(path.to_string_lossy().into_owned())).is_err());
}

/// Counts the WARN events whose message starts with a given text, from any thread.
struct WarnCounter {
    prefix: &'static str,
    hits: Arc<AtomicUsize>,
}

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for WarnCounter {
    fn enabled(&self, meta: &tracing::Metadata<'_>) -> bool {
        *meta.level() == tracing::Level::WARN
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut m = Message(String::new());
        event.record(&mut m);
        if m.0.starts_with(self.prefix) {
            self.hits.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// The process-wide subscriber (the writer logs from its own thread), installed once.
fn write_failures() -> Arc<AtomicUsize> {
    static HITS: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
    HITS.get_or_init(|| {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = WarnCounter {
            prefix: "CDR write failed",
            hits: hits.clone(),
        };
        tracing::subscriber::set_global_default(counter)
            .unwrap_or_else(|e| panic!("subscriber: {e}"));
        hits
    })
    .clone()
}

#[test]
fn a_failing_output_is_logged_once_per_burst_and_never_panics() {
    // Opening /dev/full works; every write to it fails with ENOSPC.
    if !Path::new("/dev/full").exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let hits = write_failures();
    let sink = CdrSink::new(&Cdr::File("/dev/full".into())).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..200 {
        sink.write(&record(i));
    }
    drop(sink);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
