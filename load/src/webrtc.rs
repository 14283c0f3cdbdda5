//! A WebRTC endpoint that plays the browser: str0m with a full (controlling)
//! ICE agent, DTLS-SRTP and rtcp-mux on one loopback UDP socket, in RTP mode
//! so tests see payload types, sequence numbers and timestamps as sent.
//!
//! It offers what Chrome offers for audio (Opus 111, PCMU 0, PCMA 8,
//! telephone-event/48000 at 110 and /8000 at 126, or only the first as
//! Firefox does), optionally video (VP8),
//! answers offers made toward it, restarts ICE on request, and sends a paced
//! audio stream. Written apart from sbcctl's own WebRTC leg, so every run
//! cross-checks the SBC's ICE-lite/DTLS side against an independent peer.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::rtp::RtpWrite;
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// What the client offers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientOptions {
    /// Also offer a VP8 video stream.
    pub video: bool,
    /// Offer telephone-event only at 48000 Hz (as Firefox does), not also
    /// at 8000.
    pub dtmf_48k_only: bool,
}

/// One RTP packet the client received (already decrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub pt: u8,
    pub seq: u16,
    pub ts: u32,
    pub ssrc: u32,
    pub payload: Vec<u8>,
}

/// What the client has seen so far.
#[derive(Debug, Clone, Default)]
pub struct ClientState {
    /// ICE and DTLS completed.
    pub connected: bool,
    /// ICE failed or the peer closed.
    pub disconnected: bool,
    pub received: Vec<Received>,
    /// RTP packets handed to str0m for sending.
    pub sent: u64,
}

type Reply<T> = oneshot::Sender<Result<T, String>>;

enum Cmd {
    Offer(Reply<String>),
    IceRestart(Reply<String>),
    AcceptAnswer(String, Reply<()>),
    AcceptOffer(String, Reply<String>),
    Stream(Stream),
}

/// A paced RTP stream: `count` packets every `interval`.
#[derive(Debug, Clone)]
pub struct Stream {
    pub pt: u8,
    pub count: u32,
    pub interval: Duration,
    /// Timestamp increment per packet (160 for 20 ms at 8 kHz, 960 at 48 kHz).
    pub ts_step: u32,
    pub payload: Vec<u8>,
}

/// A running client; dropping it stops its task.
pub struct WebRtcClient {
    tx: mpsc::UnboundedSender<Cmd>,
    state: Arc<Mutex<ClientState>>,
    local: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for WebRtcClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn locked(state: &Mutex<ClientState>) -> MutexGuard<'_, ClientState> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl WebRtcClient {
    /// Binds a socket on `ip` (an ephemeral port) and starts the client.
    pub async fn start(ip: IpAddr, options: ClientOptions) -> io::Result<Self> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        let local = socket.local_addr()?;
        let mut cfg = Rtc::builder()
            .set_rtp_mode(true)
            .clear_codecs()
            .enable_opus(true, false)
            .enable_pcmu(true, false)
            .enable_pcma(true, false)
            .enable_vp8(options.video);
        let dtmf = [
            (110u8, Frequency::FORTY_EIGHT_KHZ),
            (126, Frequency::EIGHT_KHZ),
        ];
        let dtmf = if options.dtmf_48k_only {
            &dtmf[..1]
        } else {
            &dtmf[..]
        };
        for &(pt, clock) in dtmf {
            cfg.codec_config().add_config(
                pt.into(),
                None,
                Codec::Tele,
                clock,
                None,
                Default::default(),
            );
        }
        let mut rtc = cfg.build(Instant::now());
        let cand = Candidate::host(local, "udp").map_err(io::Error::other)?;
        rtc.add_local_candidate(cand);
        let state = Arc::new(Mutex::new(ClientState::default()));
        let (tx, rx) = mpsc::unbounded_channel();
        let driver = Driver {
            rtc,
            socket,
            local,
            state: state.clone(),
            video: options.video,
            pending: None,
            mid: None,
            stream: None,
            seq: 1000,
            ts: 0,
        };
        let task = tokio::spawn(driver.run(rx));
        Ok(Self {
            tx,
            state,
            local,
            task,
        })
    }

    /// The client's socket address (its host candidate).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Cmd) -> Result<T, String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(make(tx))
            .map_err(|_| "client stopped".to_owned())?;
        rx.await.map_err(|_| "client stopped".to_owned())?
    }

    /// A new offer (audio, and video if asked).
    pub async fn create_offer(&self) -> Result<String, String> {
        self.ask(Cmd::Offer).await
    }

    /// A re-offer with new ICE credentials (RFC 8445 §9).
    pub async fn ice_restart(&self) -> Result<String, String> {
        self.ask(Cmd::IceRestart).await
    }

    /// The answer to the last offer.
    pub async fn accept_answer(&self, sdp: &str) -> Result<(), String> {
        let sdp = sdp.to_owned();
        self.ask(|r| Cmd::AcceptAnswer(sdp, r)).await
    }

    /// Answers an offer made toward the client.
    pub async fn accept_offer(&self, sdp: &str) -> Result<String, String> {
        let sdp = sdp.to_owned();
        self.ask(|r| Cmd::AcceptOffer(sdp, r)).await
    }

    /// Starts sending a paced stream once connected.
    pub fn send_stream(&self, stream: Stream) {
        let _ = self.tx.send(Cmd::Stream(stream));
    }

    /// A snapshot of what the client has seen.
    pub fn state(&self) -> ClientState {
        locked(&self.state).clone()
    }

    /// Waits until `done` holds on the state, or `limit`; returns whether it held.
    pub async fn wait(&self, limit: Duration, done: impl Fn(&ClientState) -> bool) -> bool {
        let end = Instant::now() + limit;
        loop {
            if done(&locked(&self.state)) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

struct Sending {
    stream: Stream,
    next: Instant,
    sent: u32,
}

struct Driver {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    state: Arc<Mutex<ClientState>>,
    video: bool,
    pending: Option<SdpPendingOffer>,
    mid: Option<Mid>,
    stream: Option<Sending>,
    /// Numbering runs on across streams: SRTP replay protection (RFC 3711
    /// §3.3.2) drops a sequence number seen before.
    seq: u64,
    ts: u32,
}

impl Driver {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Cmd>) {
        let mut buf = vec![0u8; 2048];
        loop {
            let Some(timeout) = self.drain().await else {
                return;
            };
            let next = self
                .stream
                .as_ref()
                .filter(|_| locked(&self.state).connected)
                .map_or(timeout, |s| s.next.min(timeout));
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(cmd) => self.command(cmd),
                    None => return,
                },
                r = self.socket.recv_from(&mut buf) => {
                    let Ok((n, from)) = r else { continue };
                    if let Ok(input) = Receive::new(Protocol::Udp, from, self.local, &buf[..n]) {
                        let _ = self.rtc.handle_input(Input::Receive(Instant::now(), input));
                    }
                }
                () = tokio::time::sleep_until(next.into()) => {
                    let now = Instant::now();
                    let _ = self.rtc.handle_input(Input::Timeout(now));
                    self.send_due(now);
                }
            }
        }
    }

    /// Sends what str0m wants sent; returns its next deadline (`None` once dead).
    async fn drain(&mut self) -> Option<Instant> {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => return Some(t),
                Ok(Output::Transmit(t)) => {
                    let _ = self.socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(e)) => self.event(e),
                Err(_) => {
                    locked(&self.state).disconnected = true;
                    return None;
                }
            }
        }
    }

    fn event(&mut self, e: Event) {
        let mut st = locked(&self.state);
        match e {
            Event::Connected => st.connected = true,
            Event::MediaAdded(m) if m.kind == MediaKind::Audio => {
                self.mid.get_or_insert(m.mid);
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                st.disconnected = true;
            }
            Event::RtpPacket(p) => st.received.push(Received {
                pt: *p.header.payload_type,
                seq: p.header.sequence_number,
                ts: p.header.timestamp,
                ssrc: *p.header.ssrc,
                payload: p.payload.to_vec(),
            }),
            _ => {}
        }
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Offer(reply) => {
                let mut api = self.rtc.sdp_api();
                let mid = api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
                if self.video {
                    api.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
                }
                let r = apply(api, &mut self.pending);
                self.mid = Some(mid);
                let _ = reply.send(r);
            }
            Cmd::IceRestart(reply) => {
                let mut api = self.rtc.sdp_api();
                api.ice_restart(true);
                let _ = reply.send(apply(api, &mut self.pending));
            }
            Cmd::AcceptAnswer(sdp, reply) => {
                let r = (|| {
                    let answer = SdpAnswer::from_sdp_string(&sdp).map_err(|e| e.to_string())?;
                    let pending = self.pending.take().ok_or("no pending offer")?;
                    self.rtc
                        .sdp_api()
                        .accept_answer(pending, answer)
                        .map_err(|e| e.to_string())
                })();
                let _ = reply.send(r);
            }
            Cmd::AcceptOffer(sdp, reply) => {
                let r = SdpOffer::from_sdp_string(&sdp)
                    .map_err(|e| e.to_string())
                    .and_then(|o| {
                        self.rtc
                            .sdp_api()
                            .accept_offer(o)
                            .map_err(|e| e.to_string())
                    })
                    .map(|a| a.to_sdp_string());
                let _ = reply.send(r);
            }
            Cmd::Stream(stream) => {
                self.stream = Some(Sending {
                    stream,
                    next: Instant::now(),
                    sent: 0,
                });
            }
        }
    }

    fn send_due(&mut self, now: Instant) {
        if !locked(&self.state).connected {
            return;
        }
        let (Some(s), Some(mid)) = (self.stream.as_mut(), self.mid) else {
            return;
        };
        while s.sent < s.stream.count && s.next <= now {
            let mut api = self.rtc.direct_api();
            let Some(tx) = api.stream_tx_by_mid(mid, None) else {
                return;
            };
            let w = RtpWrite::new(
                s.stream.pt.into(),
                self.seq.into(),
                self.ts,
                now,
                s.stream.payload.clone(),
            );
            tx.write_rtp(w);
            s.sent += 1;
            self.seq += 1;
            self.ts = self.ts.wrapping_add(s.stream.ts_step);
            s.next += s.stream.interval;
            locked(&self.state).sent += 1;
        }
    }
}

fn apply(api: str0m::change::SdpApi, slot: &mut Option<SdpPendingOffer>) -> Result<String, String> {
    let (offer, pending) = api.apply().ok_or("nothing to offer")?;
    *slot = Some(pending);
    Ok(offer.to_sdp_string())
}
