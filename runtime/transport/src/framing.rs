//! Content-Length framing of SIP over stream transports (RFC 3261 §18.3).
//!
//! Pure and incremental: feed bytes as they arrive with [`StreamFramer::push`]
//! and take frames with [`StreamFramer::next_frame`]. The result does not
//! depend on how the byte stream was split into reads.

use bytes::{Buf, Bytes, BytesMut};

const CRLFCRLF: &[u8] = b"\r\n\r\n";

/// One unit of a SIP byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole SIP message: header section, blank line and body.
    Message(Bytes),
    /// A double-CRLF keepalive ping (RFC 5626 §3.5.1); answer with a single
    /// CRLF pong. It never reaches the SIP layer.
    KeepAlivePing,
}

/// The stream cannot be framed; the connection must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("header section exceeds {limit} bytes")]
    HeaderTooLarge { limit: usize },
    #[error("message of {len} bytes exceeds {limit} bytes")]
    MessageTooLarge { len: usize, limit: usize },
    /// RFC 3261 §18.3: Content-Length is mandatory on stream transports.
    #[error("message without Content-Length on a stream transport")]
    MissingContentLength,
    #[error("invalid Content-Length `{0}`")]
    BadContentLength(String),
    #[error("conflicting Content-Length values")]
    ConflictingContentLength,
}

/// Incremental framer with a cap on message size.
#[derive(Debug)]
pub struct StreamFramer {
    buf: BytesMut,
    max_message: usize,
    /// Where to resume the search for the end of the header section, so a
    /// header dribbled byte by byte is not rescanned from the start.
    scanned: usize,
    /// Total length of the message at the front, once its header is known.
    pending: Option<usize>,
}

impl StreamFramer {
    pub fn new(max_message: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            max_message,
            scanned: 0,
            pending: None,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The read buffer, for reading directly into it (`read_buf`).
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Bytes received but not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FramingError> {
        if self.pending.is_none() {
            // RFC 3261 §7.5: CRLFs before a start line are ignored; a double
            // CRLF there is a keepalive ping (RFC 5626 §3.5.1).
            while let Some(&first) = self.buf.first() {
                if first != b'\r' && first != b'\n' {
                    break;
                }
                if self.buf.starts_with(CRLFCRLF) {
                    self.buf.advance(CRLFCRLF.len());
                    return Ok(Some(Frame::KeepAlivePing));
                }
                if self.buf.len() < CRLFCRLF.len() && CRLFCRLF.starts_with(&self.buf) {
                    return Ok(None);
                }
                let skip = if self.buf.starts_with(b"\r\n") { 2 } else { 1 };
                self.buf.advance(skip);
            }
            if self.buf.is_empty() {
                self.scanned = 0;
                return Ok(None);
            }
            let from = self.scanned.saturating_sub(CRLFCRLF.len() - 1);
            let tail = self.buf.get(from..).unwrap_or_default();
            let Some(pos) = find(tail, CRLFCRLF).map(|p| p + from) else {
                self.scanned = self.buf.len();
                if self.buf.len() > self.max_message {
                    return Err(FramingError::HeaderTooLarge {
                        limit: self.max_message,
                    });
                }
                return Ok(None);
            };
            let header_len = pos + CRLFCRLF.len();
            if header_len > self.max_message {
                return Err(FramingError::HeaderTooLarge {
                    limit: self.max_message,
                });
            }
            let body = content_length(self.buf.get(..pos).unwrap_or_default())?;
            let total = header_len.saturating_add(body);
            if total > self.max_message {
                return Err(FramingError::MessageTooLarge {
                    len: total,
                    limit: self.max_message,
                });
            }
            self.pending = Some(total);
            self.scanned = 0;
        }
        match self.pending {
            Some(total) if self.buf.len() >= total => {
                self.pending = None;
                Ok(Some(Frame::Message(self.buf.split_to(total).freeze())))
            }
            _ => Ok(None),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads Content-Length (or its compact form `l`, RFC 3261 §7.3.3) from a
/// header section; names are case-insensitive (§7.3.1).
fn content_length(header: &[u8]) -> Result<usize, FramingError> {
    let mut found: Option<usize> = None;
    // Skip the start line.
    for line in header.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            continue; // continuation of a folded header
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let name = name.trim_ascii();
        if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let value = value.get(1..).unwrap_or_default().trim_ascii();
        let bad = || FramingError::BadContentLength(String::from_utf8_lossy(value).into_owned());
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let n = std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or_else(bad)?;
        match found {
            Some(prev) if prev != n => return Err(FramingError::ConflictingContentLength),
            _ => found = Some(n),
        }
    }
    found.ok_or(FramingError::MissingContentLength)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REG: &[u8] = b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 4\r\n\r\nbody";
    const OPT: &[u8] = b"OPTIONS sip:a SIP/2.0\r\nl:0\r\n\r\n";

    fn drain(f: &mut StreamFramer) -> Result<Vec<Frame>, FramingError> {
        let mut out = Vec::new();
        while let Some(frame) = f.next_frame()? {
            out.push(frame);
        }
        Ok(out)
    }

    fn frame_all(chunks: &[&[u8]], max: usize) -> Result<Vec<Frame>, FramingError> {
        let mut f = StreamFramer::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            f.push(chunk);
            out.extend(drain(&mut f)?);
        }
        Ok(out)
    }

    #[test]
    fn two_messages_in_one_read() {
        let data = [REG, OPT].concat();
        let frames = frame_all(&[&data], 4096).unwrap();
        assert_eq!(
            frames,
            vec![
                Frame::Message(Bytes::from_static(REG)),
                Frame::Message(Bytes::from_static(OPT))
            ]
        );
    }

    #[test]
    fn keepalive_ping_and_stray_crlf() {
        let data = [b"\r\n\r\n".as_slice(), b"\r\n", OPT].concat();
        let frames = frame_all(&[&data], 4096).unwrap();
        assert_eq!(
            frames,
            vec![
                Frame::KeepAlivePing,
                Frame::Message(Bytes::from_static(OPT))
            ]
        );
    }

    #[test]
    fn missing_and_bad_content_length() {
        let no_cl = b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n";
        assert_eq!(
            frame_all(&[no_cl], 4096),
            Err(FramingError::MissingContentLength)
        );
        let bad = b"OPTIONS sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n";
        assert!(matches!(
            frame_all(&[bad], 4096),
            Err(FramingError::BadContentLength(_))
        ));
        let twice = b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab";
        assert_eq!(
            frame_all(&[twice], 4096),
            Err(FramingError::ConflictingContentLength)
        );
    }

    #[test]
    fn oversize_header_and_body_are_refused() {
        let endless = vec![b'a'; 200];
        assert_eq!(
            frame_all(&[&endless], 100),
            Err(FramingError::HeaderTooLarge { limit: 100 })
        );
        let big = b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 1000\r\n\r\n";
        assert_eq!(
            frame_all(&[big], 100),
            Err(FramingError::MessageTooLarge {
                len: big.len() + 1000,
                limit: 100
            })
        );
    }

    #[test]
    fn waits_for_the_whole_body() {
        let mut f = StreamFramer::new(4096);
        f.push(&REG[..REG.len() - 1]);
        assert_eq!(f.next_frame(), Ok(None));
        f.push(&REG[REG.len() - 1..]);
        assert_eq!(
            f.next_frame(),
            Ok(Some(Frame::Message(Bytes::from_static(REG))))
        );
        assert_eq!(f.buffered(), 0);
    }

    proptest! {
        #[test]
        fn split_points_do_not_change_the_result(
            prefix_pings in 0usize..3,
            cuts in proptest::collection::vec(0usize..200, 0..8),
        ) {
            let mut data = Vec::new();
            for _ in 0..prefix_pings {
                data.extend_from_slice(b"\r\n\r\n");
            }
            data.extend_from_slice(REG);
            data.extend_from_slice(b"\r\n\r\n");
            data.extend_from_slice(OPT);
            data.extend_from_slice(REG);
            let whole = frame_all(&[&data], 4096);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (data.len() + 1)).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut start = 0;
            for cut in cuts {
                chunks.push(&data[start..cut]);
                start = cut;
            }
            chunks.push(&data[start..]);
            prop_assert_eq!(frame_all(&chunks, 4096), whole);
        }

        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = frame_all(&[&data], 256);
        }
    }
}
