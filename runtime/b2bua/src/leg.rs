//! One leg of a call: the SBC's half of one dialog (RFC 3261 §12).
//!
//! Each leg has its own Call-ID, local tag, CSeq space, Via and Contact so
//! that nothing of one side's dialog state can leak into the other side
//! (topology hiding). Requests the B2BUA originates on a leg are built here
//! from the leg's own state only.

use sbcctl_sip::{Host, Method, NameAddr, Request, SipUri, Transport, Via};

/// Which side of the call a leg faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The inbound leg: the caller, where the SBC is the UAS.
    A,
    /// The outbound leg: the callee, where the SBC is the UAC.
    B,
}

impl Side {
    /// The other leg.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// The SBC's own address on one leg's interface, given by the glue: what it
/// puts in Via and Contact of messages it sends on that leg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegAddr {
    /// Contact URI of the SBC on this interface (RFC 3261 §12.1.1).
    pub contact: SipUri,
    /// Via sent-by host.
    pub via_host: Host,
    /// Via sent-by port.
    pub via_port: Option<u16>,
    /// Via transport.
    pub transport: Transport,
}

/// Dialog state of one leg, from the SBC's point of view.
#[derive(Clone, Debug)]
pub(crate) struct Leg {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: Option<String>,
    /// Our URI (From of our requests, tag added from `local_tag`).
    pub local_uri: NameAddr,
    /// The peer's URI (To of our requests).
    pub remote_uri: NameAddr,
    /// Where in-dialog requests go (the peer's Contact, RFC 3261 §12.2.1.1).
    pub remote_target: SipUri,
    /// Last CSeq number we used on this leg.
    pub local_cseq: u32,
    pub addr: LegAddr,
}

impl Leg {
    /// Builds a request of this dialog with the given CSeq and Via branch.
    pub fn build(&self, method: Method, cseq: u32, branch: &str, max_forwards: u8) -> Request {
        let mut r = Request::new(method.clone(), &self.remote_target);
        let via = Via::new(
            self.addr.transport.clone(),
            self.addr.via_host.clone(),
            self.addr.via_port,
            branch,
        );
        r.headers.append("Via", via.to_string());
        r.headers.append("Max-Forwards", max_forwards.to_string());
        let mut from = self.local_uri.clone();
        from.params.set("tag", Some(&self.local_tag));
        r.headers.append("From", from.to_string());
        let mut to = self.remote_uri.clone();
        to.params.remove("tag");
        if let Some(tag) = &self.remote_tag {
            to.params.set("tag", Some(tag));
        }
        r.headers.append("To", to.to_string());
        r.headers.append("Call-ID", self.call_id.clone());
        r.headers.append("CSeq", format!("{cseq} {method}"));
        if matches!(
            method,
            Method::Invite | Method::Update | Method::Refer | Method::Subscribe | Method::Notify
        ) {
            r.headers
                .append("Contact", format!("<{}>", self.addr.contact));
        }
        r.headers.append("Content-Length", "0");
        r
    }

    /// Next CSeq number for a new request on this leg (RFC 3261 §12.2.1.1).
    pub fn next_cseq(&mut self) -> u32 {
        self.local_cseq = self.local_cseq.saturating_add(1);
        self.local_cseq
    }
}
