//! What a call's session asks the engine for: port pairs and the realm's
//! WebRTC socket, bound here and handed to the call's task.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use sbcctl_media::session::{Leg, Reject, Resources};
use sbcctl_media::webrtc::DtlsCert;
use tokio::sync::mpsc::UnboundedSender;

use super::realm::{Realm, lock_routes};
use super::task::Cmd;

pub(super) struct CallResources<'a> {
    pub realms: &'a [Realm],
    pub leg_realms: [usize; 2],
    pub cert: Option<&'a DtlsCert>,
    pub cmd: &'a UnboundedSender<Cmd>,
    pub call: u64,
}

fn gone() -> Reject {
    Reject {
        code: 500,
        reason: "media task ended".into(),
    }
}

impl CallResources<'_> {
    fn realm(&self, leg: Leg) -> Result<&Realm, Reject> {
        self.realms
            .get(self.leg_realms[leg.index()])
            .ok_or_else(|| Reject {
                code: 500,
                reason: "unknown media realm".into(),
            })
    }
}

impl Resources for CallResources<'_> {
    fn rtp_ports(&mut self, leg: Leg) -> Result<SocketAddr, Reject> {
        let realm = self.realm(leg)?;
        let (rtp, rtcp, lease) = realm.bind_pair()?;
        let addr = SocketAddr::new(realm.advertise, lease.pair().rtp);
        self.cmd
            .send(Cmd::Pair {
                leg,
                rtp,
                rtcp,
                lease,
            })
            .map_err(|_| gone())?;
        Ok(addr)
    }

    fn webrtc(&mut self, leg: Leg) -> Result<(SocketAddr, DtlsCert), Reject> {
        let cert = self.cert.cloned().ok_or_else(|| Reject {
            code: 503,
            reason: "no DTLS certificate".into(),
        })?;
        let shared = self.realm(leg)?.shared()?;
        lock_routes(&shared.routes)
            .calls
            .insert(self.call, self.cmd.clone());
        self.cmd
            .send(Cmd::Shared {
                leg,
                socket: shared.socket.clone(),
            })
            .map_err(|_| gone())?;
        Ok((shared.advertised, cert))
    }

    fn advertise(&self, leg: Leg) -> IpAddr {
        self.realm(leg)
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |r| r.advertise)
    }
}
