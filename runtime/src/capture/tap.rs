//! The ingress tap: one task between the transports and the SIP core that sees every inbound
//! message first. It counts and captures it (see [`super::Observer`]) and, while the host
//! drains, answers new INVITEs and OPTIONS with 503 itself, so the core's code paths stay as
//! they are. Events are moved in batches and in order, and the core's queue applies the same
//! backpressure to the transports as before.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::SeedableRng;
use rand::rngs::StdRng;
use sbcctl_transport::{TransportEvent, Transports};
use tokio::sync::mpsc;

use super::Observer;

/// Events moved per wake-up: the core drains its queue in batches of this size too.
const BATCH: usize = 256;

pub(crate) async fn run(
    mut from_transports: mpsc::Receiver<TransportEvent>,
    to_core: mpsc::Sender<TransportEvent>,
    observer: Arc<Observer>,
    draining: Arc<AtomicBool>,
    transports: Transports,
) {
    let mut rng = StdRng::from_os_rng();
    let mut batch = Vec::with_capacity(BATCH);
    while from_transports.recv_many(&mut batch, BATCH).await > 0 {
        for event in batch.drain(..) {
            if let TransportEvent::Message(m) = &event {
                observer.inbound(m);
                if draining.load(Ordering::Relaxed)
                    && let Some(answer) = crate::core::drain::refusal(&m.data, &mut rng)
                {
                    observer.outbound(&m.interface, m.remote, &answer);
                    let _ = transports.send(m.flow, answer);
                    continue;
                }
            }
            if to_core.send(event).await.is_err() {
                return;
            }
        }
    }
}
