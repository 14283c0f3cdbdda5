//! Stream framing for TCP and TLS (RFC 3261 §18.3): where one message ends
//! in a byte stream, so the transport can hand exactly one message to
//! [`crate::parse_bytes`]. WebSocket needs none of this (one SIP message per
//! frame, RFC 7118 §5), but shares the keepalive rule.

use crate::header::names_equal;

/// What the start of a stream buffer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// Not enough bytes yet; read more.
    Incomplete,
    /// `n` bytes of CRLF keepalive (RFC 5626 §3.5.1: a double CRLF ping is
    /// answered with a single CRLF pong); drop them.
    Keepalive(usize),
    /// A complete message of `n` bytes (headers and body).
    Message(usize),
}

/// Why the stream cannot be framed; the transport should close it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("message larger than {0} bytes")]
    TooLarge(usize),
    /// §18.3: Content-Length is mandatory on stream transports.
    #[error("missing Content-Length on a stream transport")]
    NoContentLength,
    #[error("malformed or repeated Content-Length")]
    BadContentLength,
}

/// Finds the first frame in `buf`, refusing messages over `max_size`.
/// Linear in the bytes looked at; call again after more bytes arrive.
pub fn stream_frame(buf: &[u8], max_size: usize) -> Result<Frame, FrameError> {
    let crlfs = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    if crlfs > 0 {
        return Ok(Frame::Keepalive(crlfs));
    }
    let Some(head_end) = find_head_end(buf, max_size) else {
        return if buf.len() > max_size {
            Err(FrameError::TooLarge(max_size))
        } else {
            Ok(Frame::Incomplete)
        };
    };
    let head = &buf[..head_end];
    let mut length = None;
    for line in head.split(|&b| b == b'\n').skip(1) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        if names_equal(name, b"Content-Length") {
            let value = std::str::from_utf8(line[colon + 1..].trim_ascii())
                .ok()
                .and_then(crate::text::parse_decimal)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(FrameError::BadContentLength)?;
            if length.replace(value).is_some() {
                return Err(FrameError::BadContentLength);
            }
        }
    }
    let length = length.ok_or(FrameError::NoContentLength)?;
    let total = head_end
        .checked_add(length)
        .ok_or(FrameError::TooLarge(max_size))?;
    if total > max_size {
        return Err(FrameError::TooLarge(max_size));
    }
    Ok(if buf.len() >= total {
        Frame::Message(total)
    } else {
        Frame::Incomplete
    })
}

/// Index just past the blank line ending the headers (CRLFCRLF or LFLF).
fn find_head_end(buf: &[u8], max_size: usize) -> Option<usize> {
    let limit = buf.len().min(max_size.saturating_add(4));
    let window = &buf[..limit];
    let mut i = 0;
    while i < window.len() {
        if window[i] == b'\n' {
            match window.get(i + 1) {
                Some(b'\n') => return Some(i + 2),
                Some(b'\r') if window.get(i + 2) == Some(&b'\n') => return Some(i + 3),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nl: 5\r\nVia: x\r\n\r\nhello";

    #[test]
    fn frames_by_content_length() {
        assert_eq!(stream_frame(MSG, 1000), Ok(Frame::Message(MSG.len())));
        let mut two = MSG.to_vec();
        two.extend_from_slice(MSG);
        assert_eq!(stream_frame(&two, 1000), Ok(Frame::Message(MSG.len())));
        for cut in 0..MSG.len() {
            assert_eq!(
                stream_frame(&MSG[..cut], 1000),
                Ok(Frame::Incomplete),
                "{cut}"
            );
        }
    }

    #[test]
    fn keepalives_and_errors() {
        assert_eq!(stream_frame(b"\r\n\r\nOPT", 1000), Ok(Frame::Keepalive(4)));
        assert_eq!(stream_frame(MSG, 20), Err(FrameError::TooLarge(20)));
        assert_eq!(
            stream_frame(&[b'a'; 100], 50),
            Err(FrameError::TooLarge(50))
        );
        assert_eq!(
            stream_frame(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", 1000),
            Err(FrameError::NoContentLength)
        );
        assert_eq!(
            stream_frame(
                b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\nx",
                1000
            ),
            Err(FrameError::BadContentLength)
        );
        assert_eq!(
            stream_frame(b"OPTIONS sip:a@b SIP/2.0\r\nl: -1\r\n\r\n", 1000),
            Err(FrameError::BadContentLength)
        );
    }
}
