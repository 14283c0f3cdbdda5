//! SIP transports for sbcctl: UDP, TCP, TLS (RFC 3261 §18), WS and WSS
//! (RFC 7118), and the registry of live flows.
//!
//! This crate moves whole SIP messages as bytes and does not parse SIP.
//! Every inbound message comes with its flow, transport and remote address
//! so the SIP layer can stamp Via `received`/`rport` and answer over the
//! same flow. See [`Transports`] for the entry point.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sbcctl_transport::{ListenerConfig, TransportEvent, TransportKind, Transports, WsConfig};
//!
//! let (tx, mut events) = tokio::sync::mpsc::channel(1024);
//! let transports = Transports::new(tx);
//! let mut web = ListenerConfig::new("web", TransportKind::Ws, "0.0.0.0:8080".parse()?);
//! web.ws = Some(WsConfig::default());
//! let handle = transports.bind(web).await?;
//! println!("listening on {}", handle.local_addr());
//! while let Some(event) = events.recv().await {
//!     match event {
//!         TransportEvent::Message(m) => {
//!             // Parse m.data as SIP; stamp Via received/rport from m.remote;
//!             // answer over the same flow.
//!             let _ = transports.send(m.flow, m.data);
//!         }
//!         TransportEvent::FlowOpened(_) => {}
//!         TransportEvent::FlowClosed(info) => {
//!             // Drop registrations bound to info.flow (RFC 5626, RFC 7118 §5).
//!             let _ = info;
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```

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
mod ws_handshake;

pub use config::{Limits, ListenerConfig, WsConfig};
pub use error::{BindError, SendError};
pub use event::{FlowInfo, Inbound, TransportEvent};
pub use kind::{FlowId, TransportKind};
pub use transports::{ListenerHandle, Transports};
