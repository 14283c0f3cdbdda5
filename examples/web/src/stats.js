// Live call statistics from RTCPeerConnection.getStats() (W3C webrtc-stats): the audio
// inbound-rtp and outbound-rtp streams, the remote peer's RTCP view (remote-inbound-rtp,
// which carries the round-trip time), and the transport's DTLS state and selected pair.

/** An empty snapshot, used before a call and after it ends. */
export function emptyStats() {
  return {
    packetsReceived: 0,
    packetsLost: 0,
    packetsSent: 0,
    bytesReceived: 0,
    bytesSent: 0,
    jitterMs: null,
    roundTripMs: null,
    audioLevel: 0,
    codec: '',
    dtlsState: '',
    iceState: '',
    candidatePair: '',
  };
}

/** Reduces one RTCStatsReport to the figures the page shows. */
export function summarise(report) {
  const s = emptyStats();
  const byId = new Map();
  report.forEach((r) => byId.set(r.id, r));
  let transport = null;
  for (const r of byId.values()) {
    const audio = r.kind === 'audio' || r.mediaType === 'audio';
    if (r.type === 'inbound-rtp' && audio) {
      s.packetsReceived += r.packetsReceived || 0;
      s.packetsLost += r.packetsLost || 0;
      s.bytesReceived += r.bytesReceived || 0;
      if (typeof r.jitter === 'number') s.jitterMs = r.jitter * 1000;
      if (typeof r.audioLevel === 'number') s.audioLevel = Math.max(s.audioLevel, r.audioLevel);
      const codec = r.codecId && byId.get(r.codecId);
      if (codec && codec.mimeType) {
        s.codec = `${codec.mimeType.replace(/^audio\//i, '')}/${codec.clockRate}`;
      }
    } else if (r.type === 'outbound-rtp' && audio) {
      s.packetsSent += r.packetsSent || 0;
      s.bytesSent += r.bytesSent || 0;
    } else if (r.type === 'remote-inbound-rtp' && audio) {
      if (typeof r.roundTripTime === 'number') s.roundTripMs = r.roundTripTime * 1000;
    } else if (r.type === 'transport') {
      transport = r;
    }
  }
  if (transport) {
    s.dtlsState = transport.dtlsState || '';
    s.iceState = transport.iceState || '';
    const pair = transport.selectedCandidatePairId && byId.get(transport.selectedCandidatePairId);
    if (pair) {
      if (s.roundTripMs === null && typeof pair.currentRoundTripTime === 'number') {
        s.roundTripMs = pair.currentRoundTripTime * 1000;
      }
      // Two lines: this browser's end, then the SBC's end.
      s.candidatePair = `${endpoint(byId.get(pair.localCandidateId))}\n⇄ ${endpoint(byId.get(pair.remoteCandidateId))}`;
    }
  }
  return s;
}

function endpoint(c) {
  if (!c) return '?';
  const addr = c.address || c.ip || '?';
  const host = addr.includes(':') ? `[${addr}]` : addr;
  // UDP is the normal case; only name the protocol when it is something else (TCP).
  const proto = c.protocol && c.protocol !== 'udp' ? ` ${c.protocol}` : '';
  return `${host}:${c.port}${proto} (${c.candidateType || '?'})`;
}

/**
 * Polls getStats() every `intervalMs` and hands each summary to `onStats`. Returns a stop
 * function. A failed poll (the connection closed under us) is skipped, not fatal.
 */
export function pollStats(pc, onStats, intervalMs = 1000) {
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      onStats(summarise(await pc.getStats()));
    } catch {
      // The peer connection was closed between ticks; the call teardown stops the timer.
    }
  };
  const timer = setInterval(tick, intervalMs);
  tick();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
