//! SIP transports for sbcctl: UDP, TCP, TLS (RFC 3261 §18), WS and WSS
//! (RFC 7118), and the registry of live flows.
//!
//! This crate moves whole SIP messages as bytes and does not parse SIP.
//! Every inbound message comes with its flow, transport and remote address
//! so the SIP layer can stamp Via `received`/`rport` and answer over the
//! same flow. See [`Transports`] for the entry point.

mod cancel;
mod config;
mod error;
mod event;
pub mod framing;
mod kind;
mod registry;
mod static_files;
mod stream;
pub mod tls;
mod transports;
mod udp;
mod ws;

pub use config::{Limits, ListenerConfig, WsConfig};
pub use error::{BindError, SendError};
pub use event::{FlowInfo, Inbound, TransportEvent};
pub use kind::{FlowId, TransportKind};
pub use transports::{ListenerHandle, Transports};
