//! Call detail records: one JSON object per line, one line per call, on stdout or appended to a
//! file (the plan's `cdr`).
//!
//! The SIP core hands a finished call's [`CdrRecord`] to [`CdrSink::write`], which never blocks:
//! the record is queued for a writer thread (see [`writer`]). When the queue is full (the output
//! has been stalled for thousands of calls) the record is dropped and the drop is logged once per
//! burst; the SBC keeps taking calls.
//!
//! A `file` path is resolved against the spec's directory by the compiler; a plan whose path is
//! still relative (written by hand) is opened relative to the working directory of the process.
//! The file is created when absent and never truncated; its directory must exist.

mod time;
mod writer;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sbcctl_compiler::plan::Cdr;
use serde::{Serialize, Serializer};
use tracing::warn;

pub use time::rfc3339;

/// Records queued for the writer before new ones are dropped: at a few hundred bytes each this
/// bounds the queue to a few MiB while riding out seconds of a stalled output at high call rates.
const QUEUE: usize = 8192;

/// How long dropping the sink waits for the queue to drain (at shutdown). A stalled output must not
/// hold the process forever.
const DRAIN_WAIT: Duration = Duration::from_secs(2);

/// The record of one call. Times are RFC 3339 UTC with milliseconds (see [`rfc3339`]).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct CdrRecord {
    /// The SBC's own id of the call, e.g. `c-17` (the same in the logs).
    pub sbc_call_id: String,
    /// The Call-ID of the caller's INVITE.
    pub caller_call_id: String,
    /// When the INVITE arrived.
    pub start: String,
    /// When the call was answered (the 2xx), if it was.
    pub answer: Option<String>,
    pub end: String,
    /// Answered time in seconds, to the millisecond; 0 when the call was not answered.
    #[serde(serialize_with = "millis_precision")]
    pub duration_secs: f64,
    /// From the INVITE to the answer, in milliseconds.
    pub setup_ms: Option<u64>,
    pub source_peer: String,
    pub destination_peer: Option<String>,
    /// The name of the route that chose the destination.
    pub route: Option<String>,
    pub from_user: String,
    pub to_user: String,
    /// The final response code the caller got (200 for an answered call).
    pub result_code: u16,
    /// `answered`, `busy`, `cancelled`, `failed`, `no-route`, …
    pub result: String,
    /// `caller`, `callee` or `sbc`.
    pub hangup_side: Option<String>,
    pub reason: Option<String>,
}

/// `f64` rounded to milliseconds: the clocks behind it do not measure finer, and
/// `12.345000000000001` in a CDR helps no one. NaN and infinities become 0.
fn millis_precision<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    let v = if v.is_finite() {
        (v * 1000.0).round() / 1000.0
    } else {
        0.0
    };
    s.serialize_f64(v)
}

/// Where CDRs go; cheap to call from the SIP core.
pub struct CdrSink {
    queue: Option<Queue>,
}

struct Queue {
    tx: Option<SyncSender<CdrRecord>>,
    thread: Option<JoinHandle<()>>,
    /// Records dropped in the current burst of a full (or gone) queue.
    dropped: AtomicU64,
    overflowing: AtomicBool,
}

impl CdrSink {
    /// Opens the output and starts the writer thread. `Off` starts nothing. A file that cannot be
    /// opened is an error here, at start-up, rather than a lost record per call later.
    pub fn new(cdr: &Cdr) -> std::io::Result<CdrSink> {
        let output = match cdr {
            Cdr::Off => return Ok(CdrSink { queue: None }),
            Cdr::Stdout => writer::Output::Stdout,
            Cdr::File(path) => {
                let path = std::path::PathBuf::from(path);
                let file = writer::open_append(&path)?;
                writer::Output::File {
                    path,
                    file: Some(file),
                }
            }
        };
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("sbcctl-cdr".into())
            .spawn(move || writer::run(output, rx))?;
        Ok(CdrSink {
            queue: Some(Queue {
                tx: Some(tx),
                thread: Some(thread),
                dropped: AtomicU64::new(0),
                overflowing: AtomicBool::new(false),
            }),
        })
    }

    /// True when records go somewhere (the plan's `cdr` is not `off`).
    pub fn is_enabled(&self) -> bool {
        self.queue.is_some()
    }

    /// Queues one record; never blocks, never panics.
    pub fn write(&self, rec: &CdrRecord) {
        let Some(q) = &self.queue else {
            return;
        };
        let Some(tx) = &q.tx else {
            return;
        };
        match tx.try_send(rec.clone()) {
            Ok(()) => {
                if q.overflowing.swap(false, Ordering::Relaxed) {
                    let lost = q.dropped.swap(0, Ordering::Relaxed);
                    warn!(lost, "CDR queue accepts records again");
                }
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                q.dropped.fetch_add(1, Ordering::Relaxed);
                if !q.overflowing.swap(true, Ordering::Relaxed) {
                    warn!(
                        call = %rec.sbc_call_id,
                        "CDR queue is full (the output is stalled): records are dropped"
                    );
                }
            }
        }
    }
}

impl Drop for CdrSink {
    /// Lets the writer drain what is queued, waiting at most [`DRAIN_WAIT`].
    fn drop(&mut self) {
        let Some(q) = &mut self.queue else {
            return;
        };
        // Closing the channel ends the writer's loop once the queue is empty.
        q.tx = None;
        let Some(thread) = q.thread.take() else {
            return;
        };
        // std has no join with a timeout; polling is fine for a once-per-process wait.
        let deadline = Instant::now() + DRAIN_WAIT;
        while !thread.is_finished() {
            if Instant::now() >= deadline {
                warn!("CDR writer did not drain its queue in time; queued records may be lost");
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = thread.join();
    }
}
