//! Media for sbcctl, sans-IO: the SDP model and its translation between legs,
//! codec negotiation, RTP/RTCP header codecs, realm port pools, the str0m
//! WebRTC leg (ICE-lite, DTLS-SRTP) and the per-call relay.
//!
//! Nothing here opens a socket or reads the clock: inputs are datagrams with
//! addresses and `now`, outputs are datagrams to send, events and the next
//! deadline. The runtime's tokio glue drives these pieces.

pub mod codec;
pub mod demux;
pub mod ports;
pub mod relay;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod session;
pub mod translate;
pub mod webrtc;
