//! The thread that turns CDRs into JSON lines on stdout or in a file.
//!
//! A file write can stall (a full disk, a slow network mount) and stdout can block on a full
//! pipe; neither may stall the SIP core, so the lines are written here, on a thread of their own,
//! fed by a bounded channel the core only ever `try_send`s into.
//!
//! Failures come in bursts (the disk stays full for a while), so the first failure of a burst is
//! logged, the next ones are only counted, and the end of the burst is logged with the count.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use tracing::warn;

use super::CdrRecord;

/// Where the lines go.
pub(super) enum Output {
    Stdout,
    /// The file is reopened after a failed write, so a file removed or a disk remounted under
    /// the SBC is picked up again on the next record.
    File {
        path: PathBuf,
        file: Option<File>,
    },
}

/// Opens `path` for appending, creating it when absent (never truncating: CDRs are records).
pub(super) fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl Output {
    fn describe(&self) -> String {
        match self {
            Output::Stdout => "stdout".to_owned(),
            Output::File { path, .. } => path.display().to_string(),
        }
    }

    /// Writes one whole line and flushes it, so a reader tailing the output never sees half a
    /// record and a crash loses at most the records still queued.
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(line)?;
                out.flush()
            }
            Output::File { path, file } => {
                let f = match file {
                    Some(f) => f,
                    None => file.insert(open_append(path)?),
                };
                let result = f.write_all(line).and_then(|()| f.flush());
                if result.is_err() {
                    *file = None;
                }
                result
            }
        }
    }
}

/// Runs until every sender is gone and the queue is drained.
pub(super) fn run(mut output: Output, records: Receiver<CdrRecord>) {
    let mut lost_in_burst: u64 = 0;
    for record in records {
        let mut line = match serde_json::to_vec(&record) {
            Ok(line) => line,
            Err(error) => {
                // Plain strings and numbers always serialize; kept so nothing here can panic.
                warn!(%error, call = %record.sbc_call_id, "CDR cannot be serialized");
                continue;
            }
        };
        line.push(b'\n');
        match output.write_line(&line) {
            Ok(()) if lost_in_burst > 0 => {
                warn!(
                    output = %output.describe(),
                    lost = lost_in_burst,
                    "CDR writing works again; records were lost while it failed"
                );
                lost_in_burst = 0;
            }
            Ok(()) => {}
            Err(error) => {
                if lost_in_burst == 0 {
                    warn!(
                        output = %output.describe(),
                        %error,
                        "CDR write failed; records are lost until it works again"
                    );
                }
                lost_in_burst += 1;
            }
        }
    }
    if lost_in_burst > 0 {
        warn!(output = %output.describe(), lost = lost_in_burst, "CDR writer stopped while writes were failing");
    }
}
