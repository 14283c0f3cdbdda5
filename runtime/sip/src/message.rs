//! Requests, responses and their serialization (RFC 3261 §7).

use bytes::Bytes;

use crate::header::Headers;
use crate::method::Method;
use crate::uri::{SipUri, UriError};

pub(crate) const SIP_2_0: &[u8] = b"SIP/2.0";

/// A SIP request. The Request-URI is kept as received and parsed on demand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) uri: Bytes,
    pub headers: Headers,
    pub(crate) body: Bytes,
}

/// A SIP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub(crate) code: u16,
    pub(crate) reason: Bytes,
    pub headers: Headers,
    pub(crate) body: Bytes,
}

/// Either kind of message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

impl Request {
    /// A request with no headers; the caller adds Via, From, To, Call-ID,
    /// CSeq, Max-Forwards (RFC 3261 §8.1.1).
    pub fn new(method: Method, uri: &SipUri) -> Request {
        Request {
            method,
            uri: Bytes::from(uri.to_string()),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The Request-URI bytes as received.
    pub fn uri_bytes(&self) -> &Bytes {
        &self.uri
    }

    /// The Request-URI, parsed.
    pub fn uri(&self) -> Result<SipUri, UriError> {
        let s = std::str::from_utf8(&self.uri).map_err(|_| UriError::BadChar)?;
        SipUri::parse(s)
    }

    /// Replaces the Request-URI (e.g. retargeting to a registered contact).
    pub fn set_uri(&mut self, uri: &SipUri) {
        self.uri = Bytes::from(uri.to_string());
    }

    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Replaces the body and sets Content-Length to match.
    pub fn set_body(&mut self, body: impl Into<Bytes>) {
        self.body = body.into();
        self.headers
            .set("Content-Length", self.body.len().to_string());
    }

    /// Serializes into `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.reserve(self.estimate_len());
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(&self.uri);
        out.push(b' ');
        out.extend_from_slice(SIP_2_0);
        out.extend_from_slice(b"\r\n");
        self.headers.write_to(out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out.into()
    }

    fn estimate_len(&self) -> usize {
        64 + self.uri.len() + self.body.len() + self.headers.len() * 48
    }
}

impl Response {
    /// A response with no headers.
    pub fn new(code: u16, reason: &str) -> Response {
        Response {
            code,
            reason: Bytes::copy_from_slice(reason.as_bytes()),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// RFC 3261 §8.2.6.2: a response copies every Via (in order), From, To,
    /// Call-ID and CSeq from the request, byte-for-byte. Ends with
    /// `Content-Length: 0`. Use [`Response::set_to_tag_if_absent`] for the
    /// To tag a UAS adds.
    pub fn for_request(req: &Request, code: u16, reason: &str) -> Response {
        let mut resp = Response::new(code, reason);
        for h in req.headers.iter() {
            if h.is("Via") {
                resp.headers.push(h.clone());
            }
        }
        for name in ["From", "To", "Call-ID", "CSeq"] {
            if let Some(h) = req.headers.get(name) {
                resp.headers.push(h.clone());
            }
        }
        resp.headers.append("Content-Length", "0");
        resp
    }

    /// Adds `;tag=<tag>` to To when it has no tag (RFC 3261 §8.2.6.2).
    /// Returns false when To is missing or malformed.
    pub fn set_to_tag_if_absent(&mut self, tag: &str) -> bool {
        let Ok(to) = self.headers.to() else {
            return false;
        };
        if to.tag().is_none() {
            let Some(value) = self.headers.get("To").and_then(|h| h.value_str()) else {
                return false;
            };
            let value = format!("{};tag={tag}", value.trim_end());
            self.headers.set("To", value);
        }
        true
    }

    pub fn code(&self) -> u16 {
        self.code
    }

    /// The reason phrase bytes (UTF-8 is allowed, RFC 4475 `unreason`).
    pub fn reason(&self) -> &Bytes {
        &self.reason
    }

    pub fn set_reason(&mut self, reason: &str) {
        self.reason = Bytes::copy_from_slice(reason.as_bytes());
    }

    pub fn is_provisional(&self) -> bool {
        self.code < 200
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.code)
    }

    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Replaces the body and sets Content-Length to match.
    pub fn set_body(&mut self, body: impl Into<Bytes>) {
        self.body = body.into();
        self.headers
            .set("Content-Length", self.body.len().to_string());
    }

    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.reserve(64 + self.body.len() + self.headers.len() * 48);
        out.extend_from_slice(SIP_2_0);
        out.push(b' ');
        // Codes are 100..=699 when parsed; clamp what callers build.
        let code = self.code.clamp(100, 999);
        out.extend_from_slice(code.to_string().as_bytes());
        out.push(b' ');
        out.extend_from_slice(&self.reason);
        out.extend_from_slice(b"\r\n");
        self.headers.write_to(out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out.into()
    }
}

impl Message {
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    pub fn body(&self) -> &Bytes {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Message::Request(r) => r.write_to(out),
            Message::Response(r) => r.write_to(out),
        }
    }

    pub fn to_bytes(&self) -> Bytes {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Message {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Message {
        Message::Response(r)
    }
}
