//! The capture file writer: a thread fed through a bounded queue, so that capturing never
//! blocks the tap or the core. When the disk falls behind, messages are dropped (and counted)
//! rather than queued without bound.
//!
//! The file is appended to, never truncated: a restart adds to the capture instead of losing it.
//! A file that exists must have been written in the same format (its header is checked).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::SystemTime;

use bytes::Bytes;
use sbcctl_compiler::plan::Plan;
use tracing::warn;

use super::pcap;

/// Messages queued for the writer: a few seconds of a busy SBC.
const QUEUE: usize = 8192;

struct Frame {
    at: SystemTime,
    src: SocketAddr,
    dst: SocketAddr,
    data: Bytes,
}

pub struct PcapSink {
    path: String,
    tx: Option<SyncSender<Frame>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PcapSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapSink")
            .field("path", &self.path)
            .finish()
    }
}

impl PcapSink {
    /// The sink a plan asks for (`logging.capture.pcap`), or `None`.
    pub fn open_for(plan: &Plan) -> Result<Option<PcapSink>, String> {
        match &plan.logging.capture {
            Some(c) => PcapSink::open(&c.pcap)
                .map(Some)
                .map_err(|e| format!("capture file {}: {e}", c.pcap)),
            None => Ok(None),
        }
    }

    /// Opens (or creates) a capture file and starts its writer thread.
    pub fn open(path: &str) -> std::io::Result<PcapSink> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        let len = file.metadata()?.len();
        if len == 0 {
            file.write_all(&pcap::file_header())?;
            file.flush()?;
        } else {
            let mut header = [0u8; 24];
            let mut reader = File::open(path)?;
            reader.read_exact(&mut header)?;
            if header != pcap::file_header() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the file exists and is not a raw-IP pcap capture; name another file",
                ));
            }
        }
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let name = path.to_owned();
        let thread = std::thread::Builder::new()
            .name("sbcctl-capture".into())
            .spawn(move || write_loop(&name, BufWriter::new(file), rx))?;
        Ok(PcapSink {
            path: path.to_owned(),
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues one message; false when it was dropped (the writer is behind or gone).
    pub fn write(&self, src: SocketAddr, dst: SocketAddr, data: &Bytes) -> bool {
        let Some(tx) = &self.tx else {
            return false;
        };
        let frame = Frame {
            at: SystemTime::now(),
            src,
            dst,
            data: data.clone(),
        };
        match tx.try_send(frame) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

impl Drop for PcapSink {
    /// Writes out what is queued, then closes the file.
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Writes frames until the sink is dropped; flushes whenever the queue is empty, so a reader of
/// the file sees every message within moments.
fn write_loop(path: &str, mut out: BufWriter<File>, rx: Receiver<Frame>) {
    let mut failed = false;
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(f) = next {
            if !failed && let Err(e) = out.write_all(&pcap::record(f.at, f.src, f.dst, &f.data)) {
                warn!(path, error = %e, "capture file write failed: capture stops");
                failed = true;
            }
            next = rx.try_recv().ok();
        }
        if !failed && let Err(e) = out.flush() {
            warn!(path, error = %e, "capture file write failed: capture stops");
            failed = true;
        }
    }
    let _ = out.flush();
}
