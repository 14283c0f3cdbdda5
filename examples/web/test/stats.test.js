import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyStats, summarise } from '../src/stats.js';

/** An RTCStatsReport is a maplike of id → stats; a Map has the same forEach. */
const report = (...entries) => new Map(entries.map((e) => [e.id, e]));

test('an empty report gives the empty summary', () => {
  assert.deepEqual(summarise(report()), emptyStats());
});

test('audio streams, RTT, codec, DTLS and the selected pair are picked out', () => {
  const s = summarise(report(
    { id: 'IT1', type: 'inbound-rtp', kind: 'audio', packetsReceived: 150, packetsLost: 2, bytesReceived: 9000, jitter: 0.004, audioLevel: 0.25, codecId: 'C1' },
    { id: 'IT2', type: 'inbound-rtp', kind: 'video', packetsReceived: 999 },
    { id: 'OT1', type: 'outbound-rtp', kind: 'audio', packetsSent: 149, bytesSent: 8900 },
    { id: 'RI1', type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.012 },
    { id: 'C1', type: 'codec', mimeType: 'audio/opus', clockRate: 48000 },
    { id: 'T1', type: 'transport', dtlsState: 'connected', iceState: 'connected', selectedCandidatePairId: 'P1' },
    { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', currentRoundTripTime: 0.5 },
    { id: 'L1', type: 'local-candidate', address: '192.0.2.1', port: 50000, protocol: 'udp', candidateType: 'host' },
    { id: 'R1', type: 'remote-candidate', address: '2001:db8::1', port: 40000, protocol: 'tcp', candidateType: 'prflx' },
  ));
  assert.equal(s.packetsReceived, 150, 'video is not counted');
  assert.equal(s.packetsLost, 2);
  assert.equal(s.packetsSent, 149);
  assert.equal(s.jitterMs, 4);
  assert.equal(s.roundTripMs, 12, 'RTCP round-trip time wins over the ICE pair RTT');
  assert.equal(s.audioLevel, 0.25);
  assert.equal(s.codec, 'opus/48000');
  assert.equal(s.dtlsState, 'connected');
  assert.equal(s.candidatePair, '192.0.2.1:50000 (host)\n⇄ [2001:db8::1]:40000 tcp (prflx)');
});

test('without RTCP the ICE pair round-trip time is used', () => {
  const s = summarise(report(
    { id: 'T1', type: 'transport', dtlsState: 'connecting', selectedCandidatePairId: 'P1' },
    { id: 'P1', type: 'candidate-pair', currentRoundTripTime: 0.002 },
  ));
  assert.equal(s.roundTripMs, 2);
  assert.equal(s.dtlsState, 'connecting');
  assert.equal(s.candidatePair, '?\n⇄ ?');
});
