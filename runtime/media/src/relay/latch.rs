//! Symmetric RTP latching (RFC 4961; the NAT traversal practice of RFC 7362
//! §4): send to where the peer's packets come from, not to what its SDP says,
//! but only accept a source allowed by policy, so a stranger cannot hijack
//! the stream by sending first.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Which sources may be latched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatchPolicy {
    /// Any source (a users peer behind unknown NATs).
    Any,
    /// Only this IP (the SDP's or the server peer's address), any port.
    Address(IpAddr),
    /// Only this network (a trunk's address range).
    Network {
        /// Network address.
        addr: IpAddr,
        /// Prefix length.
        prefix: u8,
    },
}

impl LatchPolicy {
    /// Whether `ip` is allowed.
    pub fn allows(&self, ip: IpAddr) -> bool {
        match *self {
            Self::Any => true,
            Self::Address(a) => a == ip,
            Self::Network { addr, prefix } => in_network(addr, prefix, ip),
        }
    }
}

fn in_network(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let p = u32::from(prefix.min(32));
            let mask = u32::MAX.checked_shl(32 - p).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let p = u32::from(prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - p).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// What to do with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatchVerdict {
    /// From the latched source: relay.
    Accept,
    /// Latched (or re-latched) to this source: relay, and send there from now on.
    Latched(SocketAddr),
    /// Not allowed, or another source while the latched one is alive: drop.
    Reject,
}

/// The latch of one leg.
#[derive(Debug, Clone)]
pub struct Latch {
    policy: LatchPolicy,
    signalled: Option<SocketAddr>,
    latched: Option<SocketAddr>,
    last_rx: Option<Instant>,
    relatch_after: Duration,
}

impl Latch {
    /// A latch; another allowed source takes over once the latched one has
    /// been silent for `relatch_after` (a NAT rebinding, a PBX moving media).
    pub fn new(
        policy: LatchPolicy,
        signalled: Option<SocketAddr>,
        relatch_after: Duration,
    ) -> Self {
        Self {
            policy,
            signalled,
            latched: None,
            last_rx: None,
            relatch_after,
        }
    }

    /// A new offer/answer: the next allowed packet may latch at once.
    pub fn renegotiated(&mut self, signalled: Option<SocketAddr>) {
        self.signalled = signalled;
        self.latched = None;
        self.last_rx = None;
    }

    /// Where to send: the latched source, else the SDP's address.
    pub fn destination(&self) -> Option<SocketAddr> {
        self.latched.or(self.signalled)
    }

    /// Classifies a packet from `from`.
    pub fn on_packet(&mut self, now: Instant, from: SocketAddr) -> LatchVerdict {
        if !self.policy.allows(from.ip()) {
            return LatchVerdict::Reject;
        }
        match self.latched {
            Some(l) if l == from => {
                self.last_rx = Some(now);
                LatchVerdict::Accept
            }
            Some(_)
                if self
                    .last_rx
                    .is_some_and(|t| now.saturating_duration_since(t) < self.relatch_after) =>
            {
                LatchVerdict::Reject
            }
            _ => {
                self.latched = Some(from);
                self.last_rx = Some(now);
                LatchVerdict::Latched(from)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn latches_first_allowed_source_and_relatches_after_silence() {
        let t0 = Instant::now();
        let policy = LatchPolicy::Network {
            addr: "203.0.113.0".parse().unwrap(),
            prefix: 24,
        };
        let mut l = Latch::new(policy, Some(sa("203.0.113.5:4000")), Duration::from_secs(2));
        assert_eq!(l.destination(), Some(sa("203.0.113.5:4000")));
        assert_eq!(
            l.on_packet(t0, sa("198.51.100.1:4000")),
            LatchVerdict::Reject,
            "outside range"
        );
        assert_eq!(
            l.on_packet(t0, sa("203.0.113.9:5555")),
            LatchVerdict::Latched(sa("203.0.113.9:5555"))
        );
        assert_eq!(l.destination(), Some(sa("203.0.113.9:5555")));
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(
            l.on_packet(t1, sa("203.0.113.9:5555")),
            LatchVerdict::Accept
        );
        assert_eq!(
            l.on_packet(t1, sa("203.0.113.10:6000")),
            LatchVerdict::Reject,
            "latched source alive"
        );
        let t2 = t1 + Duration::from_secs(3);
        assert_eq!(
            l.on_packet(t2, sa("203.0.113.10:6000")),
            LatchVerdict::Latched(sa("203.0.113.10:6000"))
        );
        l.renegotiated(Some(sa("203.0.113.20:7000")));
        assert_eq!(l.destination(), Some(sa("203.0.113.20:7000")));
        assert_eq!(
            l.on_packet(t2, sa("203.0.113.20:7000")),
            LatchVerdict::Latched(sa("203.0.113.20:7000"))
        );
    }

    #[test]
    fn policies() {
        assert!(LatchPolicy::Any.allows("192.0.2.1".parse().unwrap()));
        let one = LatchPolicy::Address("192.0.2.1".parse().unwrap());
        assert!(one.allows("192.0.2.1".parse().unwrap()));
        assert!(!one.allows("192.0.2.2".parse().unwrap()));
        let v6 = LatchPolicy::Network {
            addr: "2001:db8::".parse().unwrap(),
            prefix: 32,
        };
        assert!(v6.allows("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.allows("2001:db9::5".parse().unwrap()));
        assert!(!v6.allows("192.0.2.1".parse().unwrap()));
        let all = LatchPolicy::Network {
            addr: "10.0.0.0".parse().unwrap(),
            prefix: 0,
        };
        assert!(all.allows("8.8.8.8".parse().unwrap()));
    }
}
