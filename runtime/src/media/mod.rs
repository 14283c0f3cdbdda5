//! The media engine: owns the sockets and tasks that anchor each call's
//! media, and keeps each call's offer/answer state. The SIP core calls it
//! from its single task.
//!
//! Per call, a sans-IO [`sbcctl_media::session::CallMedia`] holds the
//! offer/answer state and the data plane; it sits behind a mutex shared by
//! the core (SDP, via [`MediaEngine::on_sdp`]) and the call's own task
//! (datagrams and timers, see `task`). A plain RTP leg gets an RTP/RTCP
//! port pair from its realm's range the first time it needs one; WebRTC
//! legs share one socket per realm (see `realm`). Video m-lines are always
//! refused with port 0: only audio is relayed.

mod profile;
mod realm;
mod resources;
mod task;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rand::Rng;
use sbcctl_compiler::plan::{Plan, Profile, ProfileId, RealmId};
use sbcctl_media::session::{CallConfig, CallMedia, Counters, Leg, Reject, Shape};
use sbcctl_media::webrtc::{DtlsCert, new_dtls_cert};
use serde::Serialize;
use tokio::runtime::Handle;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tracing::warn;

use realm::{Realm, lock_routes};
use resources::CallResources;
use task::{CallTask, Cmd, Live, lock};

/// A = caller leg, B = callee leg.
pub use sbcctl_b2bua::Side;

/// Where one leg's media lives: its realm, and the profile that says what it may carry.
#[derive(Clone, Copy, Debug)]
pub struct LegMedia {
    pub realm: RealmId,
    /// `None`: the built-in any-codec profile.
    pub profile: Option<ProfileId>,
}

/// The media shape of one call.
#[derive(Clone, Copy, Debug)]
pub enum CallLegs {
    /// Media relayed between the caller (`a`) and the callee (`b`).
    Relay { a: LegMedia, b: LegMedia },
    /// The caller's media echoed back to it by the built-in echo endpoint.
    Echo {
        a: LegMedia,
        echo_profile: Option<ProfileId>,
    },
}

/// Why an SDP body was refused: 488 no common codec, 503 ports exhausted, 400 bad SDP.
#[derive(Clone, Debug)]
pub struct MediaReject {
    pub code: u16,
    pub reason: String,
}

impl From<Reject> for MediaReject {
    fn from(r: Reject) -> Self {
        Self {
            code: r.code,
            reason: r.reason,
        }
    }
}

/// Something the engine tells the SIP core on its own.
#[derive(Clone, Debug)]
pub enum MediaEvent {
    /// No media either way for the profile's `media_timeout_secs`, or a
    /// WebRTC leg lost ICE consent: the call's media is gone.
    Timeout { call: u64 },
}

/// Counters for the admin status and metrics.
#[derive(Serialize, Clone, Debug, Default)]
pub struct MediaStats {
    /// Calls with a media session.
    pub sessions: u64,
    /// Call tasks still running (they end shortly after `close`).
    pub tasks: u64,
    /// Port pairs in use per realm (a realm with WebRTC legs holds one for
    /// its shared socket).
    pub ports_in_use: Vec<RealmPorts>,
    /// Packets relayed or echoed.
    pub packets_relayed: u64,
    /// Bytes of those packets.
    pub bytes_relayed: u64,
    /// Packets dropped (unknown source or payload type, malformed, held stream).
    pub dropped: u64,
    /// Packets lost upstream, from sequence gaps.
    pub lost: u64,
}

/// Port pairs of one realm.
#[derive(Serialize, Clone, Debug, Default)]
pub struct RealmPorts {
    pub realm: String,
    pub in_use: u64,
    pub capacity: u64,
}

struct Entry {
    media: Arc<Mutex<CallMedia>>,
    cmd: UnboundedSender<Cmd>,
    realms: [usize; 2],
    ufrags: [Option<String>; 2],
}

/// Anchors the media of every call.
pub struct MediaEngine {
    realms: Vec<Realm>,
    profiles: Vec<Profile>,
    cert: Option<DtlsCert>,
    calls: HashMap<u64, Entry>,
    events: UnboundedSender<MediaEvent>,
    handle: Handle,
    live_tasks: Arc<AtomicUsize>,
    closed: Counters,
    closed_lost: i64,
}

/// A silent latched RTP source may be replaced after this long.
const RELATCH_AFTER: Duration = Duration::from_secs(2);

fn leg_of(side: Side) -> Leg {
    match side {
        Side::A => Leg::A,
        Side::B => Leg::B,
    }
}

impl MediaEngine {
    /// Called inside a tokio runtime. Binds one shared UDP socket per realm used by WebRTC legs
    /// lazily or here.
    pub fn new(plan: &Plan, events: UnboundedSender<MediaEvent>) -> MediaEngine {
        // One certificate for the process (RFC 8827 §6.5 allows it; key
        // generation per call would be far too slow).
        let cert = new_dtls_cert()
            .inspect_err(|e| warn!(error = %e, "no DTLS certificate: WebRTC legs will be refused"))
            .ok();
        MediaEngine {
            realms: plan.media_realms.iter().map(Realm::new).collect(),
            profiles: plan.profiles.clone(),
            cert,
            calls: HashMap::new(),
            events,
            handle: Handle::current(),
            live_tasks: Arc::new(AtomicUsize::new(0)),
            closed: Counters::default(),
            closed_lost: 0,
        }
    }

    /// Starts a call's media session and its task; ports are taken when its first SDP arrives.
    pub fn open(&mut self, call: u64, legs: CallLegs) {
        if self.calls.contains_key(&call) {
            self.close(call);
        }
        let p = &self.profiles;
        let (shape, realms, used) = match legs {
            CallLegs::Relay { a, b } => (
                Shape::Relay {
                    a: profile::leg_spec(p, a.profile),
                    b: profile::leg_spec(p, b.profile),
                },
                [a.realm, b.realm],
                [a.profile, b.profile],
            ),
            CallLegs::Echo { a, echo_profile } => (
                Shape::Echo {
                    a: profile::leg_spec(p, a.profile),
                    codecs: profile::echo_codecs(p, echo_profile),
                },
                [a.realm, a.realm],
                [a.profile, echo_profile],
            ),
        };
        let mut rng = rand::rng();
        let config = CallConfig {
            shape,
            media_timeout: profile::timeout(p, &used),
            ssrcs: [rng.random(), rng.random()],
            origin_ids: [rng.random_range(1..1 << 40), rng.random_range(1..1 << 40)],
            cname: format!("sbcctl-{:016x}", rng.random::<u64>()),
            // RFC 3550 §6.2: the interval randomised over 0.5–1.5 times.
            rtcp_interval: Duration::from_millis(rng.random_range(2_500..7_500)),
            relatch_after: RELATCH_AFTER,
            wall_clock: (
                Instant::now(),
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default(),
            ),
        };
        let media = Arc::new(Mutex::new(CallMedia::new(config)));
        let (cmd, rx) = unbounded_channel();
        let task = CallTask {
            call,
            media: media.clone(),
            rx,
            events: self.events.clone(),
            _live: Live::new(&self.live_tasks),
        };
        self.handle.spawn(task.run());
        self.calls.insert(
            call,
            Entry {
                media,
                cmd,
                realms: realms.map(RealmId::index),
                ufrags: [None, None],
            },
        );
    }

    /// An SDP body arriving from leg `from` (in a request when !is_response, in a response when
    /// is_response; an ACK body counts as a request). Returns the body to send on the other leg.
    pub fn on_sdp(
        &mut self,
        call: u64,
        from: Side,
        is_response: bool,
        sdp: &[u8],
    ) -> Result<Bytes, MediaReject> {
        let Some(entry) = self.calls.get_mut(&call) else {
            return Err(MediaReject {
                code: 500,
                reason: "no media session for this call".into(),
            });
        };
        let _runtime = self.handle.enter();
        let mut res = CallResources {
            realms: &self.realms,
            leg_realms: entry.realms,
            cert: self.cert.as_ref(),
            cmd: &entry.cmd,
            call,
        };
        let result =
            lock(&entry.media).on_sdp(Instant::now(), leg_of(from), is_response, sdp, &mut res);
        register_ufrags(&self.realms, call, entry);
        let _ = entry.cmd.send(Cmd::Kick);
        result.map(Bytes::from).map_err(MediaReject::from)
    }

    /// For CallLegs::Echo: the SDP answer the built-in echo endpoint gives to the offer it received
    /// (the offer is what on_sdp(call, A, ..) returned). Feeding it to on_sdp(call, B, true, ..) then yields A's answer.
    pub fn echo_answer(&mut self, call: u64, offer: &[u8]) -> Result<Bytes, MediaReject> {
        let Some(entry) = self.calls.get(&call) else {
            return Err(MediaReject {
                code: 500,
                reason: "no media session for this call".into(),
            });
        };
        let answer = lock(&entry.media).echo_answer(offer);
        answer.map(Bytes::from).map_err(MediaReject::from)
    }

    /// Releases the call's ports and sockets and stops its task; idempotent. The task
    /// ends (and the ports return to the pool) as soon as it sees the closed channel.
    pub fn close(&mut self, call: u64) {
        let Some(entry) = self.calls.remove(&call) else {
            return;
        };
        {
            let mut media = lock(&entry.media);
            media.close();
            let c = media.counters();
            self.closed.packets += c.packets;
            self.closed.bytes += c.bytes;
            self.closed.dropped += c.dropped;
            self.closed_lost += media.lost();
        }
        for i in entry.realms {
            if let Some(shared) = self.realms.get(i).and_then(|r| r.shared_if_bound()) {
                let mut routes = lock_routes(&shared.routes);
                routes.index.remove((call, Leg::A));
                routes.index.remove((call, Leg::B));
                routes.calls.remove(&call);
            }
        }
    }

    pub fn stats(&self) -> MediaStats {
        let mut s = MediaStats {
            sessions: self.calls.len() as u64,
            tasks: self.live_tasks.load(Ordering::Relaxed) as u64,
            packets_relayed: self.closed.packets,
            bytes_relayed: self.closed.bytes,
            dropped: self.closed.dropped,
            ..MediaStats::default()
        };
        let mut lost = self.closed_lost;
        for entry in self.calls.values() {
            let media = lock(&entry.media);
            let c = media.counters();
            s.packets_relayed += c.packets;
            s.bytes_relayed += c.bytes;
            s.dropped += c.dropped;
            lost += media.lost();
        }
        s.lost = lost.max(0) as u64;
        s.ports_in_use = self
            .realms
            .iter()
            .map(|r| {
                let p = r.pool.stats();
                RealmPorts {
                    realm: r.name.clone(),
                    in_use: p.in_use as u64,
                    capacity: p.capacity as u64,
                }
            })
            .collect();
        s
    }
}

/// Registers a WebRTC leg's current ICE ufrag with its realm's dispatcher
/// (a new one after an ICE restart; the old one stays until close).
fn register_ufrags(realms: &[Realm], call: u64, entry: &mut Entry) {
    let media = lock(&entry.media);
    for leg in [Leg::A, Leg::B] {
        let Some(ufrag) = media.webrtc_ufrag(leg) else {
            continue;
        };
        let slot = &mut entry.ufrags[leg.index()];
        if slot.as_deref() == Some(ufrag) {
            continue;
        }
        let realm = realms.get(entry.realms[leg.index()]);
        if let Some(shared) = realm.and_then(Realm::shared_if_bound) {
            lock_routes(&shared.routes)
                .index
                .insert_ufrag(ufrag, (call, leg));
            *slot = Some(ufrag.to_owned());
        }
    }
}
