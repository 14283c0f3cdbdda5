// The callee's audio in the SIPp call scenarios: a UDP socket that counts the RTP reaching it and
// proves it crossed sbcctl in both directions.
//
// The caller (SIPp) plays a G.711 capture and echoes whatever RTP it receives (-rtp_echo). The
// callee's SDP answer names this probe's port. For every packet of the capture that arrives, the
// probe sends one marked packet back to where it came from; sbcctl relays it to the caller, the
// caller echoes it, and sbcctl relays it back here. So:
//   - `forward` counts capture packets: caller -> sbcctl -> callee;
//   - `returned` counts marked packets back home: callee -> sbcctl -> caller -> sbcctl -> callee.
// Both must come from sbcctl's media ports (--relay-ports); a packet from anywhere else means the
// media bypassed the SBC. Marked packets are never answered, so nothing loops.
//
//   node rtp-probe.mjs --listen 127.0.0.1:6084 --relay-ports 43500-43999 --min-forward 300 --min-returned 200
//
// Runs until SIGTERM/SIGINT (or --max-seconds), prints one summary line, and exits 0 only when
// both minimums are met and no RTP came from outside --relay-ports. RTCP on the next port up is
// received and counted but not checked (sbcctl may relay it or send its own reports).
import dgram from 'node:dgram';

const MARK = Buffer.from('sbcctl-probe');
const SSRC = 0x5bcc7e57;

function parseArgs(argv) {
  const opts = { listen: '127.0.0.1:6084', relayPorts: '0-65535', minForward: 1, minReturned: 1, maxSeconds: 120 };
  const names = {
    '--listen': 'listen',
    '--relay-ports': 'relayPorts',
    '--min-forward': 'minForward',
    '--min-returned': 'minReturned',
    '--max-seconds': 'maxSeconds',
  };
  for (let i = 2; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || argv[i + 1] === undefined) throw new Error(`usage: see the header of rtp-probe.mjs (at ${argv[i]})`);
    opts[name] = name === 'listen' || name === 'relayPorts' ? argv[i + 1] : Number(argv[i + 1]);
  }
  const [first, last] = opts.relayPorts.split('-').map(Number);
  const sep = opts.listen.lastIndexOf(':');
  const port = Number(opts.listen.slice(sep + 1));
  if (!(first <= last) || !(port > 0 && port < 65535)) throw new Error('bad --relay-ports or --listen');
  return { ...opts, host: opts.listen.slice(0, sep), port, first, last };
}

const opts = parseArgs(process.argv);
const stats = { forward: 0, returned: 0, outside: 0, notRtp: 0, rtcp: 0, sources: new Map() };
let seq = 0;

// RTP version 2 (RFC 3550) with a payload type below the range RTCP shares (RFC 5761).
const isRtp = (msg) => msg.length >= 12 && msg[0] >> 6 === 2 && (msg[1] & 0x7f) < 64;

/** A packet of the same size and payload type as `msg`, with our SSRC and the mark in its payload. */
function marked(msg) {
  const out = Buffer.alloc(Math.max(msg.length, 12 + MARK.length));
  out[0] = 0x80;
  out[1] = msg[1] & 0x7f;
  seq = (seq + 1) & 0xffff;
  out.writeUInt16BE(seq, 2);
  out.writeUInt32BE((seq * 160) >>> 0, 4);
  out.writeUInt32BE(SSRC, 8);
  MARK.copy(out, 12);
  return out;
}

const rtp = dgram.createSocket('udp4');
rtp.on('message', (msg, rinfo) => {
  if (!isRtp(msg)) {
    stats.notRtp += 1;
    return;
  }
  const from = `${rinfo.address}:${rinfo.port}`;
  stats.sources.set(from, (stats.sources.get(from) || 0) + 1);
  if (rinfo.port < opts.first || rinfo.port > opts.last) {
    stats.outside += 1;
    return;
  }
  if (msg.subarray(12, 12 + MARK.length).equals(MARK)) {
    stats.returned += 1;
    return;
  }
  stats.forward += 1;
  rtp.send(marked(msg), rinfo.port, rinfo.address);
});

const rtcp = dgram.createSocket('udp4');
rtcp.on('message', () => {
  stats.rtcp += 1;
});

function finish() {
  rtp.close();
  rtcp.close();
  const sources = [...stats.sources].map(([addr, n]) => `${addr}=${n}`).join(' ') || 'none';
  const ok = stats.forward >= opts.minForward && stats.returned >= opts.minReturned && stats.outside === 0;
  console.log(
    `rtp ${ok ? 'ok' : 'FAILED'}: forward ${stats.forward} (need ${opts.minForward}), ` +
      `returned ${stats.returned} (need ${opts.minReturned}), ${stats.outside} from outside ` +
      `${opts.relayPorts}, ${stats.notRtp} not RTP, ${stats.rtcp} RTCP; sources ${sources}`,
  );
  process.exit(ok ? 0 : 1);
}

for (const socket of [rtp, rtcp]) {
  socket.on('error', (err) => {
    console.error(`rtp probe ${opts.listen}: ${err.message}`);
    process.exit(2);
  });
}
rtp.bind(opts.port, opts.host, () => {
  rtcp.bind(opts.port + 1, opts.host, () => console.log(`rtp probe listening on ${opts.listen}`));
});
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
setTimeout(finish, opts.maxSeconds * 1000).unref();
