//! Building the SBC's own responses (RFC 3261 §8.2.6).

use rand::RngCore;
use rand::rngs::StdRng;
use sbcctl_sip::{Request, Response, new_tag};

/// The `Server` header of every response the SBC originates.
pub const SERVER: &str = concat!("sbcctl/", env!("CARGO_PKG_VERSION"));

/// Methods the SBC accepts (OPTIONS answers and 405s list them).
pub const ALLOW: &str =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, PRACK, REFER, NOTIFY";

/// Option tags the SBC understands in `Require` (RFC 3327 path, RFC 5626 outbound, RFC 3262
/// reliable provisionals and RFC 4028 session timers, both terminated per leg by the B2BUA).
pub const SUPPORTED: &[&str] = &["path", "outbound", "100rel", "timer"];

/// A response to `req` with a fresh To tag unless the request had one, and a `Server` header.
pub fn reply(req: &Request, code: u16, reason: &str, rng: &mut StdRng) -> Response {
    let mut resp = Response::for_request(req, code, reason);
    if code > 100 {
        let tag = new_tag(|buf| rng.fill_bytes(buf));
        resp.set_to_tag_if_absent(&tag);
    }
    add(&mut resp, "Server", SERVER);
    resp
}

/// Appends a header, keeping `Content-Length` last so traces read naturally.
pub fn add(resp: &mut Response, name: &str, value: impl Into<bytes::Bytes>) {
    let length = resp.headers.remove_first("Content-Length");
    resp.headers.append(name, value);
    if let Some(length) = length {
        resp.headers.push(length);
    }
}
