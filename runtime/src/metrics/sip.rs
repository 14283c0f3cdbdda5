//! SIP message counts by direction, request method and response class.
//!
//! Counting sits on the path of every message, so it reads only the first bytes of the start
//! line (a method token or `SIP/2.0 NNN`) and bumps a relaxed atomic in a fixed array: no
//! parsing, no allocation, no lock, no map lookup.

use std::sync::atomic::{AtomicU64, Ordering};

/// Methods with a series of their own; anything else counts as `other`.
pub const METHODS: [&str; 15] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "INFO",
    "UPDATE",
    "PRACK",
    "REFER",
    "NOTIFY",
    "SUBSCRIBE",
    "MESSAGE",
    "PUBLISH",
    "other",
];
const OTHER: usize = METHODS.len() - 1;

/// Response classes `1xx` … `6xx`.
pub const CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "6xx"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
    fn index(self) -> usize {
        match self {
            Direction::In => 0,
            Direction::Out => 1,
        }
    }
}

/// What a message's start line says, as indices into [`METHODS`] and [`CLASSES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine {
    Request(usize),
    Response(usize),
}

/// Classifies a message from its first bytes; `None` for something that is neither (it fails
/// parsing later and is counted there).
pub fn start_line(data: &[u8]) -> Option<StartLine> {
    if let Some(rest) = data.strip_prefix(b"SIP/2.0 ") {
        return match rest.first() {
            Some(d @ b'1'..=b'6') => Some(StartLine::Response(usize::from(d - b'1'))),
            _ => None,
        };
    }
    let end = data.iter().take(16).position(|&b| b == b' ')?;
    let token = &data[..end];
    let index = METHODS[..OTHER]
        .iter()
        .position(|m| m.as_bytes() == token)
        .unwrap_or(OTHER);
    Some(StartLine::Request(index))
}

#[derive(Default)]
pub struct SipMeter {
    requests: [[AtomicU64; METHODS.len()]; 2],
    responses: [[AtomicU64; CLASSES.len()]; 2],
}

impl SipMeter {
    pub fn count(&self, direction: Direction, data: &[u8]) {
        let d = direction.index();
        match start_line(data) {
            Some(StartLine::Request(m)) => self.requests[d][m].fetch_add(1, Ordering::Relaxed),
            Some(StartLine::Response(c)) => self.responses[d][c].fetch_add(1, Ordering::Relaxed),
            None => return,
        };
    }

    /// Requests counted for a direction and method index.
    pub fn requests(&self, direction: Direction, method: usize) -> u64 {
        self.requests[direction.index()]
            .get(method)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Responses counted for a direction and class index.
    pub fn responses(&self, direction: Direction, class: usize) -> u64 {
        self.responses[direction.index()]
            .get(class)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_lines_are_classified_without_parsing() {
        assert_eq!(
            start_line(b"INVITE sip:a@b SIP/2.0\r\n"),
            Some(StartLine::Request(0))
        );
        assert_eq!(
            start_line(b"REGISTER sip:b SIP/2.0\r\n"),
            Some(StartLine::Request(5))
        );
        assert_eq!(
            start_line(b"FOO sip:b SIP/2.0\r\n"),
            Some(StartLine::Request(OTHER))
        );
        assert_eq!(
            start_line(b"SIP/2.0 180 Ringing\r\n"),
            Some(StartLine::Response(0))
        );
        assert_eq!(
            start_line(b"SIP/2.0 503 Busy\r\n"),
            Some(StartLine::Response(4))
        );
        assert_eq!(start_line(b"SIP/2.0 999 What\r\n"), None);
        assert_eq!(start_line(b"\r\n\r\n"), None);
        assert_eq!(start_line(b""), None);
    }

    #[test]
    fn counts_by_direction() {
        let m = SipMeter::default();
        m.count(Direction::In, b"OPTIONS sip:x SIP/2.0\r\n");
        m.count(Direction::In, b"OPTIONS sip:x SIP/2.0\r\n");
        m.count(Direction::Out, b"SIP/2.0 200 OK\r\n");
        assert_eq!(m.requests(Direction::In, 4), 2);
        assert_eq!(m.requests(Direction::Out, 4), 0);
        assert_eq!(m.responses(Direction::Out, 1), 1);
    }
}
