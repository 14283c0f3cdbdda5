//! Dialog identity (RFC 3261 §12): Call-ID plus local and remote tags.

use crate::message::{Request, Response};
use crate::views::HeaderError;

/// Identifies a dialog from one side's point of view.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DialogId {
    pub call_id: String,
    pub local_tag: String,
    /// Empty until the remote side has tagged (early dialog on the UAC).
    pub remote_tag: String,
}

impl DialogId {
    /// As the UAS sees a request: local = To tag, remote = From tag
    /// (§12.2.2). `None` tags read as empty.
    pub fn uas(req: &Request) -> Result<DialogId, HeaderError> {
        let h = &req.headers;
        Ok(DialogId {
            call_id: h.call_id()?,
            local_tag: h.to()?.tag().unwrap_or_default().to_owned(),
            remote_tag: h.from()?.tag().unwrap_or_default().to_owned(),
        })
    }

    /// As the UAC sees a response: local = From tag, remote = To tag
    /// (§12.1.2).
    pub fn uac(resp: &Response) -> Result<DialogId, HeaderError> {
        let h = &resp.headers;
        Ok(DialogId {
            call_id: h.call_id()?,
            local_tag: h.from()?.tag().unwrap_or_default().to_owned(),
            remote_tag: h.to()?.tag().unwrap_or_default().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Message, parse};

    #[test]
    fn both_sides_agree() {
        let req = b"BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=caller\r\nTo: <sip:c@d>;tag=callee\r\nCall-ID: x@y\r\nCSeq: 2 BYE\r\n\r\n";
        let Ok(Message::Request(req)) = parse(req) else {
            panic!("parse")
        };
        let uas = DialogId::uas(&req);
        let resp = Response::for_request(&req, 200, "OK");
        let uac = DialogId::uac(&resp);
        assert_eq!(uas.as_ref().map(|d| d.local_tag.as_str()), Ok("callee"));
        assert_eq!(uac.as_ref().map(|d| d.local_tag.as_str()), Ok("caller"));
        assert_eq!(uas.map(|d| d.remote_tag), uac.map(|d| d.local_tag));
    }
}
