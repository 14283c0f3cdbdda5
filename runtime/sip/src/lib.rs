//! Sans-IO SIP for sbcctl: a message parser and serializer that keeps
//! headers byte-for-byte, typed header views, and RFC 3261 §17 transactions
//! driven by `(now, input)`.
//!
//! Nothing here reads the clock, touches a socket or spawns a task; the
//! runtime feeds bytes and instants in and takes bytes, events and the next
//! deadline out.

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
