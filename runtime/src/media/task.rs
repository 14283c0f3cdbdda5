//! The task of one call: owns the call's RTP/RTCP sockets, feeds the
//! sans-IO [`CallMedia`] with datagrams and timeouts, and sends what it
//! produces. It ends when the engine drops the command sender (`close`),
//! releasing the sockets and the port leases with it.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sbcctl_media::ports::PortLease;
use sbcctl_media::session::{CallMedia, Leg, Output, Port, Via};
use tokio::net::UdpSocket;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::MediaEvent;

/// What the engine and the realm dispatcher tell a call task.
pub(super) enum Cmd {
    /// A leg's bound RTP/RTCP pair, with the lease that reserves it.
    Pair {
        leg: Leg,
        rtp: UdpSocket,
        rtcp: UdpSocket,
        lease: PortLease,
    },
    /// The realm's shared socket that a WebRTC leg sends from.
    Shared { leg: Leg, socket: Arc<UdpSocket> },
    /// A datagram for a WebRTC leg, from the realm's dispatcher.
    WebRtc {
        leg: Leg,
        from: SocketAddr,
        bytes: Vec<u8>,
    },
    /// New SDP was applied: send what it produced and re-arm the timer.
    Kick,
}

/// Locks a call's media; a panic elsewhere leaves no half-updated state
/// worth refusing, so poisoning is ignored.
pub(super) fn lock(media: &Mutex<CallMedia>) -> MutexGuard<'_, CallMedia> {
    media
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Counts live call tasks (for stats and leak tests).
pub(super) struct Live(pub Arc<AtomicUsize>);

impl Live {
    pub(super) fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(super) struct CallTask {
    pub call: u64,
    pub media: Arc<Mutex<CallMedia>>,
    pub rx: UnboundedReceiver<Cmd>,
    pub events: UnboundedSender<MediaEvent>,
    pub _live: Live,
}

#[derive(Default)]
struct Sockets {
    pairs: [Option<(UdpSocket, UdpSocket)>; 2],
    shared: [Option<Arc<UdpSocket>>; 2],
    leases: Vec<PortLease>,
}

impl Sockets {
    fn by_port(&self, leg: Leg, port: Port) -> Option<&UdpSocket> {
        let (rtp, rtcp) = self.pairs[leg.index()].as_ref()?;
        Some(match port {
            Port::Rtp => rtp,
            Port::Rtcp => rtcp,
        })
    }

    fn via(&self, via: Via) -> Option<&UdpSocket> {
        match via {
            Via::Rtp(leg) => self.by_port(leg, Port::Rtp),
            Via::Rtcp(leg) => self.by_port(leg, Port::Rtcp),
            Via::WebRtc(leg) => self.shared[leg.index()].as_deref(),
        }
    }

    /// Sends without waiting: a full socket buffer drops the datagram, as
    /// the network would.
    fn send(&self, via: Via, to: SocketAddr, bytes: &[u8]) -> bool {
        self.via(via)
            .is_some_and(|s| s.try_send_to(bytes, to).is_ok())
    }
}

async fn readable(socket: Option<&UdpSocket>) -> io::Result<()> {
    match socket {
        Some(s) => s.readable().await,
        None => std::future::pending().await,
    }
}

enum Wake {
    Cmd(Option<Cmd>),
    Readable(Leg, Port),
    Timer,
}

/// Datagrams read per wake-up before the other sockets get a turn.
const BATCH: usize = 64;
/// Room for one datagram.
const BUF: usize = 2048;
/// "No timer": far enough never to fire in practice.
const IDLE: Duration = Duration::from_secs(86_400);

impl CallTask {
    pub(super) async fn run(mut self) {
        let mut sockets = Sockets::default();
        let mut buf = vec![0u8; BUF];
        let mut out = vec![0u8; BUF];
        let sleep = tokio::time::sleep(IDLE);
        tokio::pin!(sleep);
        let mut ended = false;
        loop {
            let wake = tokio::select! {
                cmd = self.rx.recv() => Wake::Cmd(cmd),
                _ = readable(sockets.by_port(Leg::A, Port::Rtp)) => Wake::Readable(Leg::A, Port::Rtp),
                _ = readable(sockets.by_port(Leg::A, Port::Rtcp)) => Wake::Readable(Leg::A, Port::Rtcp),
                _ = readable(sockets.by_port(Leg::B, Port::Rtp)) => Wake::Readable(Leg::B, Port::Rtp),
                _ = readable(sockets.by_port(Leg::B, Port::Rtcp)) => Wake::Readable(Leg::B, Port::Rtcp),
                () = &mut sleep => Wake::Timer,
            };
            match wake {
                Wake::Cmd(None) => break,
                Wake::Cmd(Some(cmd)) => self.command(cmd, &mut sockets),
                Wake::Readable(leg, port) => {
                    self.read(leg, port, &sockets, &mut buf, &mut out);
                }
                Wake::Timer => lock(&self.media).handle_timeout(Instant::now()),
            }
            let deadline = self.flush(&sockets, &mut ended);
            let at = deadline.unwrap_or_else(|| Instant::now() + IDLE);
            sleep.as_mut().reset(at.into());
        }
    }

    fn command(&mut self, cmd: Cmd, sockets: &mut Sockets) {
        match cmd {
            Cmd::Pair {
                leg,
                rtp,
                rtcp,
                lease,
            } => {
                sockets.pairs[leg.index()] = Some((rtp, rtcp));
                sockets.leases.push(lease);
            }
            Cmd::Shared { leg, socket } => sockets.shared[leg.index()] = Some(socket),
            Cmd::WebRtc { leg, from, bytes } => {
                lock(&self.media).on_webrtc(Instant::now(), leg, from, &bytes);
            }
            Cmd::Kick => {}
        }
    }

    /// Reads what is queued on one socket and relays it.
    fn read(&self, leg: Leg, port: Port, sockets: &Sockets, buf: &mut [u8], out: &mut [u8]) {
        let Some(socket) = sockets.by_port(leg, port) else {
            return;
        };
        let mut media = lock(&self.media);
        for _ in 0..BATCH {
            let (n, from) = match socket.try_recv_from(buf) {
                Ok(r) => r,
                // WouldBlock ends the batch; other errors (an ICMP
                // unreachable reported on a later read) are not fatal.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => continue,
            };
            let Some(data) = buf.get(..n) else { continue };
            if let Some(s) = media.on_socket(Instant::now(), leg, port, from, data, out)
                && let Some(bytes) = out.get(..s.len)
            {
                sockets.send(s.via, s.to, bytes);
            }
        }
    }

    /// Sends queued datagrams, reports events, and returns the next timer.
    fn flush(&self, sockets: &Sockets, ended: &mut bool) -> Option<Instant> {
        let mut media = lock(&self.media);
        while let Some(o) = media.poll_output() {
            match o {
                Output::Transmit { via, to, bytes } => {
                    sockets.send(via, to, &bytes);
                }
                Output::MediaTimeout | Output::Disconnected(_) => {
                    if !std::mem::replace(ended, true) {
                        let _ = self.events.send(MediaEvent::Timeout { call: self.call });
                    }
                }
            }
        }
        media.poll_timeout()
    }
}
