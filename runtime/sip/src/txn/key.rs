//! Transaction matching keys (RFC 3261 §17.1.3, §17.2.3).

use crate::message::{Request, Response};
use crate::method::Method;
use crate::views::HeaderError;

/// Client side: top Via branch plus CSeq method (§17.1.3). CANCEL and the
/// INVITE it cancels share a branch but not a method, so they stay apart.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    branch: String,
    method: Method,
}

impl ClientKey {
    pub(crate) fn for_request(req: &Request) -> Result<Option<ClientKey>, HeaderError> {
        let via = req.headers.top_via()?;
        if !via.has_rfc3261_branch() {
            return Ok(None);
        }
        Ok(via.branch().map(|b| ClientKey {
            branch: b.to_owned(),
            method: req.method.clone(),
        }))
    }

    pub(crate) fn for_response(resp: &Response) -> Option<ClientKey> {
        let via = resp.headers.top_via().ok()?;
        let cseq = resp.headers.cseq().ok()?;
        Some(ClientKey {
            branch: via.branch()?.to_owned(),
            method: cseq.method,
        })
    }
}

/// Server side.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ServerKey {
    /// §17.2.3: branch, sent-by and method, where ACK matches INVITE.
    Rfc3261 {
        branch: String,
        sent_by: String,
        method: Method,
    },
    /// §17.2.3 RFC 2543 fallback (branch without the magic cookie, RFC 4475
    /// `badbranch`): Request-URI, From tag, Call-ID, CSeq number, top Via
    /// and method. The To tag is left out so the ACK, which carries the tag
    /// of our response, still matches its INVITE.
    Rfc2543 {
        uri: Vec<u8>,
        from_tag: Option<String>,
        call_id: String,
        cseq: u32,
        via: String,
        method: Method,
    },
}

impl ServerKey {
    pub(crate) fn for_request(req: &Request) -> Result<ServerKey, HeaderError> {
        Self::with_method(req, &req.method)
    }

    /// The key of the transaction `req` would belong to if its method were
    /// `method` (ACK → INVITE, CANCEL → the INVITE it cancels, §9.2).
    pub(crate) fn with_method(req: &Request, method: &Method) -> Result<ServerKey, HeaderError> {
        let method = if *method == Method::Ack {
            Method::Invite
        } else {
            method.clone()
        };
        let via = req.headers.top_via()?;
        if via.has_rfc3261_branch()
            && let Some(branch) = via.branch()
        {
            return Ok(ServerKey::Rfc3261 {
                branch: branch.to_owned(),
                sent_by: via.sent_by(),
                method,
            });
        }
        Ok(ServerKey::Rfc2543 {
            uri: req.uri.to_vec(),
            from_tag: req.headers.from()?.tag().map(str::to_owned),
            call_id: req.headers.call_id()?,
            cseq: req.headers.cseq()?.seq,
            via: via.to_string(),
            method,
        })
    }
}
