//! A media realm at run time: its port pool, binding of port pairs, and the
//! one UDP socket all WebRTC legs of the realm share, with the task that
//! dispatches its datagrams to calls (STUN USERNAME ufrag first, then the
//! source address learnt from it).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sbcctl_compiler::plan::MediaRealm;
use sbcctl_media::ports::{PortLease, PortPool, SharedPortPool};
use sbcctl_media::session::{Leg, Reject};
use sbcctl_media::webrtc::LegIndex;
use tokio::net::UdpSocket;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::task::Cmd;

/// Pairs tried when a port of the pool turns out to be taken by another
/// process before giving up with 503.
const BIND_TRIES: usize = 8;

/// Where a realm's shared-socket datagrams go.
#[derive(Default)]
pub(super) struct Routes {
    pub index: LegIndex<(u64, Leg)>,
    pub calls: HashMap<u64, UnboundedSender<Cmd>>,
}

/// The shared WebRTC socket of a realm.
pub(super) struct Shared {
    pub socket: Arc<UdpSocket>,
    /// The host candidate: advertised address, the socket's port.
    pub advertised: SocketAddr,
    pub routes: Arc<Mutex<Routes>>,
    task: JoinHandle<()>,
    _lease: PortLease,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(super) struct Realm {
    pub name: String,
    pub listen: IpAddr,
    pub advertise: IpAddr,
    pub pool: SharedPortPool,
    shared: Mutex<Option<Arc<Shared>>>,
}

fn exhausted(e: impl std::fmt::Display) -> Reject {
    Reject {
        code: 503,
        reason: format!("media ports: {e}"),
    }
}

pub(super) fn lock_routes(routes: &Mutex<Routes>) -> MutexGuard<'_, Routes> {
    routes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Realm {
    pub(super) fn new(r: &MediaRealm) -> Self {
        Self {
            name: r.name.clone(),
            listen: r.listen,
            advertise: r.advertise,
            pool: SharedPortPool::new(PortPool::new(r.port_min, r.port_max)),
            shared: Mutex::new(None),
        }
    }

    /// Leases and binds an RTP/RTCP pair. Must run inside the runtime.
    pub(super) fn bind_pair(&self) -> Result<(UdpSocket, UdpSocket, PortLease), Reject> {
        let mut last = None;
        for _ in 0..BIND_TRIES {
            let lease = self.pool.lease().map_err(exhausted)?;
            let port = lease.pair().rtp;
            match (bind(self.listen, port), bind(self.listen, port + 1)) {
                (Ok(rtp), Ok(rtcp)) => return Ok((rtp, rtcp, lease)),
                (Err(e), _) | (_, Err(e)) => {
                    debug!(realm = %self.name, port, error = %e, "media port taken, trying the next pair");
                    last = Some(e);
                }
            }
        }
        Err(exhausted(last.map_or_else(
            || "no bindable pair".to_owned(),
            |e| e.to_string(),
        )))
    }

    /// The realm's shared WebRTC socket, bound on first use.
    pub(super) fn shared(&self) -> Result<Arc<Shared>, Reject> {
        let mut slot = self
            .shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let (rtp, _rtcp, lease) = self.bind_pair()?;
        let socket = Arc::new(rtp);
        let advertised = SocketAddr::new(self.advertise, lease.pair().rtp);
        let routes = Arc::new(Mutex::new(Routes::default()));
        let task = tokio::spawn(dispatch(socket.clone(), routes.clone()));
        let shared = Arc::new(Shared {
            socket,
            advertised,
            routes,
            task,
            _lease: lease,
        });
        *slot = Some(shared.clone());
        Ok(shared)
    }

    /// The shared socket if it was ever bound.
    pub(super) fn shared_if_bound(&self) -> Option<Arc<Shared>> {
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

fn bind(ip: IpAddr, port: u16) -> std::io::Result<UdpSocket> {
    let std = std::net::UdpSocket::bind(SocketAddr::new(ip, port))?;
    std.set_nonblocking(true)?;
    UdpSocket::from_std(std)
}

/// Reads the shared socket and hands each datagram to its call's task.
async fn dispatch(socket: Arc<UdpSocket>, routes: Arc<Mutex<Routes>>) {
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                warn!(error = %e, "WebRTC media socket read failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Some(data) = buf.get(..n) else { continue };
        let target = {
            let mut r = lock_routes(&routes);
            r.index
                .lookup(from, data)
                .and_then(|(call, leg)| r.calls.get(&call).map(|tx| (tx.clone(), leg)))
        };
        if let Some((tx, leg)) = target {
            let _ = tx.send(Cmd::WebRtc {
                leg,
                from,
                bytes: data.to_vec(),
            });
        }
    }
}
