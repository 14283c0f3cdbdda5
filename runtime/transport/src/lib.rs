//! SIP transports.
