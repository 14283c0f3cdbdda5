//! Sans-IO SIP for sbcctl: a message parser and serializer that keeps
//! headers byte-for-byte, typed header views, and RFC 3261 §17 transactions
//! driven by `(now, input)`.
//!
//! Nothing here reads the clock, touches a socket or spawns a task; the
//! runtime feeds bytes and instants in and takes bytes, events and the next
//! deadline out.
//!
//! ```
//! use std::time::Instant;
//! use sbcctl_sip::{Event, Message, Response, TransactionLayer, TxnConfig, parse};
//!
//! let bytes = b"OPTIONS sip:sbc.example.com SIP/2.0\r\n\
//! Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK776asdhds\r\n\
//! Max-Forwards: 70\r\n\
//! To: <sip:sbc.example.com>\r\n\
//! From: <sip:alice@sbc.example.com>;tag=1928301774\r\n\
//! Call-ID: a84b4c76e66710\r\n\
//! CSeq: 63104 OPTIONS\r\n\
//! Content-Length: 0\r\n\r\n";
//!
//! // The runtime's destination type: here a flow number.
//! let mut layer: TransactionLayer<u64> = TransactionLayer::new(TxnConfig::default());
//! let now = Instant::now();
//! match parse(bytes) {
//!     Ok(msg) => layer.handle_incoming(now, msg, 7, true),
//!     // A 400 naming the problem when the request can be answered.
//!     Err(e) => { let _reply = e.response_400(); }
//! }
//! while let Some(event) = layer.poll_event() {
//!     if let Event::Request { txn, request, .. } = event {
//!         let mut ok = Response::for_request(&request, 200, "OK");
//!         ok.set_to_tag_if_absent("sbc1");
//!         ok.headers.append("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS");
//!         layer.send_response(now, txn, &ok).unwrap();
//!     }
//! }
//! let out = layer.poll_transmit().unwrap();
//! assert_eq!(out.to, 7);
//! assert!(out.bytes.starts_with(b"SIP/2.0 200 OK\r\n"));
//! // Reliable transport, non-INVITE: Timer J is zero, nothing left to wait for.
//! assert_eq!(layer.poll_timeout(), None);
//! ```

mod dialog;
mod framing;
mod generate;
mod header;
mod message;
mod method;
mod params;
mod parse;
mod text;
pub mod txn;
mod uri;
pub mod views;

pub use dialog::DialogId;
pub use framing::{Frame, FrameError, stream_frame};
pub use generate::{new_branch, new_call_id, new_tag};
pub use header::{Header, Headers, expand_compact, names_equal};
pub use message::{Message, Request, Response};
pub use method::Method;
pub use params::{Host, Params};
pub use parse::{ParseError, ParseErrorKind, parse, parse_bytes};
pub use txn::{Event, TransactionLayer, Transmit, TxnConfig, TxnError, TxnId};
pub use uri::{Scheme, SipUri, UriError};
pub use views::{
    AuthHeader, AuthParam, CSeq, Contact, HeaderError, MAGIC_COOKIE, MediaType, NameAddr, Problem,
    Transport, Via,
};
