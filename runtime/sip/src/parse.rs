//! The message parser (RFC 3261 §7, §18.3 for datagrams).
//!
//! One linear pass splits the start line and the header lines (following
//! folds) into slices of one shared [`Bytes`]; nothing is copied and no
//! step looks back, so the cost is linear in the input whatever its shape.
//! The headers every transaction needs are then validated so a message that
//! gets past `parse` can be matched and answered.

use bytes::Bytes;

use crate::header::{Header, Headers};
use crate::message::{Message, Request, Response};
use crate::method::Method;
use crate::text::is_token_byte;
use crate::uri::SipUri;
use crate::views::{HeaderError, Problem};

/// What made a message unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("empty message")]
    Empty,
    #[error("no end of headers")]
    NoEndOfHeaders,
    #[error("malformed start line")]
    BadStartLine,
    #[error("malformed Request-URI")]
    BadRequestUri,
    #[error("unsupported SIP version")]
    UnsupportedVersion,
    #[error("bad status code")]
    BadStatusCode,
    #[error("malformed header line")]
    BadHeaderLine,
    #[error("{0}")]
    Header(HeaderError),
    #[error("body shorter than Content-Length")]
    BodyTooShort,
    #[error("CSeq method does not match the request method")]
    CSeqMismatch,
}

/// A refused message. For a request that still carries enough to answer
/// (a parsable top Via and a CSeq line), it holds the
/// ready-made error response (400, or 505 for a bad version, RFC 3261
/// §8.2.2); otherwise the caller drops the message and counts it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ParseError {
    pub kind: ParseErrorKind,
    /// True when the start line looked like a request.
    pub is_request: bool,
    response: Option<Box<Response>>,
}

impl ParseError {
    fn new(kind: ParseErrorKind) -> ParseError {
        ParseError {
            kind,
            is_request: false,
            response: None,
        }
    }

    /// The reason phrase naming the problem, e.g.
    /// `Bad Request (missing Call-ID)`.
    pub fn reason_phrase(&self) -> String {
        match self.kind {
            ParseErrorKind::UnsupportedVersion => "Version Not Supported".to_owned(),
            ref k => format!("Bad Request ({k})"),
        }
    }

    /// The status code the refusal calls for.
    pub fn status_code(&self) -> u16 {
        match self.kind {
            ParseErrorKind::UnsupportedVersion => 505,
            _ => 400,
        }
    }

    /// The response to send back, when one can be formed.
    pub fn response(&self) -> Option<&Response> {
        self.response.as_deref()
    }

    /// An owned copy of [`ParseError::response`] (a 400, or a 505 for a
    /// bad SIP version).
    pub fn response_400(&self) -> Option<Response> {
        self.response.as_deref().cloned()
    }
}

/// Parses one message from a datagram or an already framed stream message.
/// Copies the input once into a shared buffer; use [`parse_bytes`] to avoid
/// even that.
pub fn parse(input: &[u8]) -> Result<Message, ParseError> {
    parse_bytes(Bytes::copy_from_slice(input))
}

/// Parses one message, slicing `buf` without copying.
///
/// Without Content-Length the body is the rest of the buffer (RFC 3261
/// §18.3, datagrams); with it, bytes after the body are ignored (RFC 4475
/// `dblreq`). Stream transports frame messages before calling this.
pub fn parse_bytes(buf: Bytes) -> Result<Message, ParseError> {
    // RFC 3261 §7.5: CRLFs before the start line are ignored.
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .ok_or(ParseError::new(ParseErrorKind::Empty))?;
    let (start_line, headers, body_start) = split_head(&buf, start)?;
    let headers = Headers::from_vec(headers);
    let rest = buf.slice(body_start..);
    let line = &buf[start_line.0..start_line.1];

    if line.starts_with(b"SIP/") {
        let (code, reason) = parse_status_line(line).map_err(ParseError::new)?;
        let body = body(&headers, rest).map_err(ParseError::new)?;
        check_common(&headers).map_err(ParseError::new)?;
        return Ok(Message::Response(Response {
            code,
            reason: buf.slice(start_line.1 - reason..start_line.1),
            headers,
            body,
        }));
    }

    match check_request(line, &headers, rest) {
        Ok((method, uri, body)) => Ok(Message::Request(Request {
            method,
            uri: buf.slice(start_line.0 + uri.0..start_line.0 + uri.1),
            headers,
            body,
        })),
        Err(kind) => {
            let mut err = ParseError::new(kind);
            err.is_request = true;
            err.response = error_response(&headers, &err).map(Box::new);
            Err(err)
        }
    }
}

fn check_request(
    line: &[u8],
    headers: &Headers,
    rest: Bytes,
) -> Result<(Method, Span, Bytes), ParseErrorKind> {
    let (method, uri) = parse_request_line(line)?;
    let body = body(headers, rest)?;
    check_common(headers)?;
    let cseq = headers.cseq().map_err(ParseErrorKind::Header)?;
    if cseq.method != method {
        return Err(ParseErrorKind::CSeqMismatch);
    }
    Ok((method, uri, body))
}

type Span = (usize, usize);

/// Splits the start line and the header lines; returns where the body starts.
fn split_head(buf: &Bytes, start: usize) -> Result<(Span, Vec<Header>, usize), ParseError> {
    let mut pos = start;
    let start_line =
        next_line(buf, &mut pos).ok_or(ParseError::new(ParseErrorKind::NoEndOfHeaders))?;
    let mut headers: Vec<Header> = Vec::with_capacity(16);
    // (line start, name end, value start, content end, next line start)
    let mut current: Option<(usize, usize, usize, usize, usize)> = None;
    loop {
        let line_start = pos;
        let (s, e) =
            next_line(buf, &mut pos).ok_or(ParseError::new(ParseErrorKind::NoEndOfHeaders))?;
        if s == e {
            if let Some(c) = current.take() {
                headers.push(make_header(buf, c));
            }
            return Ok((start_line, headers, pos));
        }
        let first = buf[s];
        if first == b' ' || first == b'\t' {
            // RFC 3261 §7.3.1 folding: continuation of the previous header.
            let c = current
                .as_mut()
                .ok_or(ParseError::new(ParseErrorKind::BadHeaderLine))?;
            c.3 = e;
            c.4 = pos;
            continue;
        }
        if let Some(c) = current.take() {
            headers.push(make_header(buf, c));
        }
        let line = &buf[s..e];
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(ParseError::new(ParseErrorKind::BadHeaderLine))?;
        let name = trim_end(&line[..colon]);
        if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
            return Err(ParseError::new(ParseErrorKind::BadHeaderLine));
        }
        current = Some((line_start, s + name.len(), s + colon + 1, e, pos));
    }
}

/// The next line's content span (without CR LF); advances `pos` past it.
fn next_line(buf: &[u8], pos: &mut usize) -> Option<Span> {
    let rest = buf.get(*pos..)?;
    let lf = rest.iter().position(|&b| b == b'\n')?;
    let s = *pos;
    let mut e = s + lf;
    if e > s && buf[e - 1] == b'\r' {
        e -= 1;
    }
    *pos = s + lf + 1;
    Some((s, e))
}

fn make_header(
    buf: &Bytes,
    (line_start, name_end, value_start, end, next): (usize, usize, usize, usize, usize),
) -> Header {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let v = &buf[value_start..end];
    let lead = v.iter().position(|b| !is_space(b)).unwrap_or(v.len());
    let trail = v.iter().rev().position(|b| !is_space(b)).unwrap_or(0);
    let (vs, ve) = if lead == v.len() {
        (value_start, value_start)
    } else {
        (value_start + lead, end - trail)
    };
    Header::parsed(
        buf.slice(line_start..name_end),
        buf.slice(vs..ve),
        buf.slice(line_start..next),
    )
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rev()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    &s[..s.len() - n]
}

/// `SIP-Version SP Status-Code SP Reason-Phrase`; returns the code and the
/// reason's length (the reason starts after `SIP/2.0 NNN `).
fn parse_status_line(line: &[u8]) -> Result<(u16, usize), ParseErrorKind> {
    let version = line.get(..7).ok_or(ParseErrorKind::BadStartLine)?;
    if !version.eq_ignore_ascii_case(crate::message::SIP_2_0) {
        return Err(ParseErrorKind::UnsupportedVersion);
    }
    if line.get(7) != Some(&b' ') {
        return Err(ParseErrorKind::BadStartLine);
    }
    let code = line.get(8..11).ok_or(ParseErrorKind::BadStatusCode)?;
    if !code.iter().all(u8::is_ascii_digit) || !matches!(line.get(11), None | Some(b' ')) {
        // Also refuses RFC 4475 `bigcode` (4294967301).
        return Err(ParseErrorKind::BadStatusCode);
    }
    let code = code
        .iter()
        .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    if !(100..=699).contains(&code) {
        return Err(ParseErrorKind::BadStatusCode);
    }
    Ok((code, line.len().saturating_sub(12)))
}

/// `Method SP Request-URI SP SIP-Version`, exactly one space each (RFC 3261
/// §7.1). Extra whitespace is refused rather than guessed at (RFC 4475
/// `lwsstart`, `trws`, `lwsruri`).
fn parse_request_line(line: &[u8]) -> Result<(Method, Span), ParseErrorKind> {
    let sp1 = line
        .iter()
        .position(|&b| b == b' ')
        .ok_or(ParseErrorKind::BadStartLine)?;
    let sp2 = line
        .iter()
        .rposition(|&b| b == b' ')
        .ok_or(ParseErrorKind::BadStartLine)?;
    if sp2 <= sp1 {
        return Err(ParseErrorKind::BadStartLine);
    }
    let method = std::str::from_utf8(&line[..sp1])
        .ok()
        .and_then(Method::from_token)
        .ok_or(ParseErrorKind::BadStartLine)?;
    let version = &line[sp2 + 1..];
    if version.len() < 4 || !version[..4].eq_ignore_ascii_case(b"SIP/") {
        return Err(ParseErrorKind::BadStartLine);
    }
    if !version.eq_ignore_ascii_case(crate::message::SIP_2_0) {
        return Err(ParseErrorKind::UnsupportedVersion);
    }
    let uri = &line[sp1 + 1..sp2];
    std::str::from_utf8(uri)
        .ok()
        .and_then(|u| SipUri::parse(u).ok())
        .ok_or(ParseErrorKind::BadRequestUri)?;
    Ok((method, (sp1 + 1, sp2)))
}

fn body(headers: &Headers, rest: Bytes) -> Result<Bytes, ParseErrorKind> {
    match headers.content_length().map_err(ParseErrorKind::Header)? {
        None => Ok(rest),
        Some(n) if n <= rest.len() => Ok(rest.slice(..n)),
        Some(_) => Err(ParseErrorKind::BodyTooShort),
    }
}

/// Checks the headers transactions and dialogs rely on (RFC 3261 §8.1.1).
fn check_common(h: &Headers) -> Result<(), ParseErrorKind> {
    let e = ParseErrorKind::Header;
    h.vias().map_err(e)?;
    if h.get("Via").is_none() {
        return Err(e(HeaderError {
            header: "Via",
            problem: Problem::Missing,
        }));
    }
    h.from().map_err(e)?;
    h.to().map_err(e)?;
    h.call_id().map_err(e)?;
    h.cseq().map_err(e)?;
    h.max_forwards().map_err(e)?;
    h.contacts().map_err(e)?;
    Ok(())
}

/// Builds the refusal when the request can be answered: the top Via must be
/// usable to route the response and a CSeq line must be there, since the
/// client matches responses on branch and CSeq method (RFC 3261 §17.1.3).
/// From, To and Call-ID are copied when present (RFC 3261 §8.2.6.2); a
/// request missing them still gets its 400 (RFC 4475 `insuf`).
fn error_response(h: &Headers, err: &ParseError) -> Option<Response> {
    h.top_via().ok()?;
    h.get("CSeq")?;
    let mut resp = Response::new(err.status_code(), &err.reason_phrase());
    for header in h.iter().filter(|x| x.is("Via")) {
        resp.headers.push(header.clone());
    }
    for name in ["From", "To", "Call-ID", "CSeq"] {
        if let Some(header) = h.get(name) {
            resp.headers.push(header.clone());
        }
    }
    resp.headers.append("Content-Length", "0");
    Some(resp)
}
