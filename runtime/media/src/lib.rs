//! Media: SDP, RTP, WebRTC leg, relay.
