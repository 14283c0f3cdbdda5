//! The `o=` line of the SDP the SBC sends on one leg (RFC 8866 §5.2).
//!
//! Each leg has its own origin (topology hiding: the other side's username,
//! session id and address never pass through). RFC 3264 §8 requires the
//! version to grow by one exactly when the description changes, so the
//! previous body is remembered.

use std::net::IpAddr;

use crate::sdp::{Connection, Sdp};

/// Session id and version for one leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    id: u64,
    version: u64,
    last: Option<String>,
}

impl Origin {
    /// A new origin; `id` should be random (the glue draws it).
    pub fn new(id: u64) -> Self {
        Self {
            id,
            version: id,
            last: None,
        }
    }

    /// Current version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Sets the `o=` line of `sdp`, bumping the version if the rest of the
    /// description differs from the last one stamped.
    pub fn stamp(&mut self, sdp: &mut Sdp, ip: IpAddr) {
        if let Some(o) = sdp.session.iter_mut().find(|l| l.kind == 'o') {
            o.value.clear();
        }
        let body = sdp.to_string();
        if self.last.as_ref().is_some_and(|l| *l != body) {
            self.version = self.version.wrapping_add(1);
        }
        self.last = Some(body);
        let c = Connection::from_ip(ip);
        if let Some(o) = sdp.session.iter_mut().find(|l| l.kind == 'o') {
            o.value = format!(
                "sbcctl {} {} IN {} {}",
                self.id, self.version, c.addr_type, c.address
            );
        }
    }
}
